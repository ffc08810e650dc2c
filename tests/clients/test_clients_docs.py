"""Every Python example of docs/clients.md runs, as written, against the emulator (the SDK finds it
through ``AWS_ENDPOINT_URL``), so the page cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from emulator.pytest_plugin import BedrockEmulator

PAGE = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_an_example_runs_against_the_emulator(
    index: int, bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", bedrock_emulator.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", bedrock_emulator.tenant)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "emulator")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it keeps the credentials it first found

    exec(compile(BLOCKS[index], f"{PAGE.name}[python block {index}]", "exec"), {})

    assert bedrock_emulator.requests(), "every example calls Bedrock"
