"""emulator.testcontainers without its optional dependency says which extra to install."""

from __future__ import annotations

import importlib
import sys

import pytest


def test_missing_testcontainers_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "emulator.testcontainers", raising=False)
    for name in ("testcontainers", "testcontainers.core", "testcontainers.core.container"):
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules: the import fails
    with pytest.raises(ImportError, match=r"pip install 'bedrock-emulator\[testcontainers\]'"):
        importlib.import_module("emulator.testcontainers")
