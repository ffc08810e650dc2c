"""The lazy operation table: the committed index names the module of every handled operation, an
operation imports only its module, and a stale index still serves every handler."""

from __future__ import annotations

import pytest

from emulator.services import handler_index, handlers
from emulator.services.runtime import converse
from emulator.services.tags import handle_tag_resource


def test_committed_handler_index_is_what_the_handler_modules_give() -> None:
    # Fails after a handler (or a module in HANDLER_MODULES) is added: run `make protocol`.
    assert handler_index.render(handler_index.build()) == handler_index.INDEX_FILE.read_text(encoding="utf-8")


def test_an_operation_is_found_through_its_module() -> None:
    assert handlers.handler_for("bedrock-runtime", "Converse") is converse
    assert handler_index.module_for("bedrock-runtime", "Converse", handlers._MODULE_NAMES) == (
        "emulator.services.runtime"
    )


def test_a_shared_name_is_bound_only_for_the_services_its_module_serves() -> None:
    assert handlers.handler_for("bedrock-agent-runtime", "TagResource") is handle_tag_resource
    assert handlers.handler_for("bedrock", "TagResource") is not handle_tag_resource  # its own, or none


def test_an_operation_without_a_handler_has_none() -> None:
    assert handlers.handler_for("bedrock", "NoSuchOperation") is None


def test_an_index_for_other_modules_is_ignored_and_every_module_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        handler_index, "load", lambda: {"format": 1, "modules": ["elsewhere"], "operations": {}}
    )
    monkeypatch.setattr(handlers, "_resolved", {})
    assert handler_index.module_for("bedrock-runtime", "Converse", handlers._MODULE_NAMES) is None
    assert handlers.handler_for("bedrock-runtime", "Converse") is converse


def test_a_module_naming_an_operation_of_none_of_its_services_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stray = handlers.HandlerModule("emulator.services.runtime", "RUNTIME_HANDLERS", ("bedrock-agent",))
    monkeypatch.setattr(handlers, "HANDLER_MODULES", (stray,))
    with pytest.raises(LookupError, match="Converse, an operation of none of its services"):
        handlers._bind_all()
