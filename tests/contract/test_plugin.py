"""The pytest plugin as a user meets it: the ``bedrock_emulator`` fixture, tenant isolation between
tests, the journal of one test, start-up time, and the README's "In pytest" example run as written."""

from __future__ import annotations

import json
import re
import time
import types
import urllib.request
from pathlib import Path
from typing import Any

import botocore.endpoint
import pytest

from emulator.app import create_app
from emulator.pytest_plugin import BedrockEmulator
from emulator.server import EmulatorServer
from emulator.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
READY_WITHIN = 0.1

# Filled by the first isolation test, read by the second (tests in a file run in order).
_seen: dict[str, str] = {}


def test_fixture_client_talks_to_the_emulator_with_the_test_tenant(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client("bedrock-runtime")

    response = client.converse(modelId=MODEL, messages=MESSAGES)

    assert response["output"]["message"]["role"] == "assistant"
    assert client.meta.endpoint_url == bedrock_emulator.endpoint_url
    assert bedrock_emulator.endpoint_url.startswith("http://127.0.0.1:")
    assert bedrock_emulator.credentials["aws_access_key_id"] == bedrock_emulator.tenant
    [entry] = bedrock_emulator.requests()
    assert (entry.tenant, entry.operation, entry.status) == (bedrock_emulator.tenant, "Converse", 200)


def test_a_scenario_used_in_one_test_throttles_that_test(bedrock_emulator: BedrockEmulator) -> None:
    _seen["tenant"] = bedrock_emulator.tenant
    bedrock_emulator.use_scenario("throttle-first-3")
    client = bedrock_emulator.client()

    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=MODEL, messages=MESSAGES)

    assert [r.status for r in bedrock_emulator.requests()] == [429]


def test_a_later_test_is_not_throttled_and_sees_only_its_own_calls(bedrock_emulator: BedrockEmulator) -> None:
    assert _seen, "run with the previous test"
    assert bedrock_emulator.tenant != _seen["tenant"]
    client = bedrock_emulator.client()

    client.converse(modelId=MODEL, messages=MESSAGES)
    client.count_tokens(
        modelId="anthropic.claude-haiku-4-5-20251001-v1:0", input={"converse": {"messages": MESSAGES}}
    )

    assert [(r.operation, r.status, r.rule) for r in bedrock_emulator.requests()] == [
        ("Converse", 200, None),
        ("CountTokens", 200, None),
    ]
    assert [r.operation for r in bedrock_emulator.requests("CountTokens")] == ["CountTokens"]


def test_the_previous_tests_tenant_was_reset_when_it_ended(bedrock_emulator: BedrockEmulator) -> None:
    state = bedrock_emulator._state  # what the fixture cleaned up is not visible through the handle
    assert state.engine.bound(_seen["tenant"]) is None
    assert state.journal.entries(tenant=_seen["tenant"]) == []


def test_an_emulator_starts_and_answers_health_within_100_ms() -> None:
    # Imports are done (this module imported them): what a session pays is building the app and binding.
    started = time.perf_counter()
    server = EmulatorServer(create_app(Settings(port=0))).start()
    try:
        with urllib.request.urlopen(f"{server.endpoint_url}/_emulator/health", timeout=5) as response:
            health = json.loads(response.read())
        elapsed = time.perf_counter() - started
    finally:
        server.stop()

    assert health["status"] == "ok"
    assert elapsed < READY_WITHIN, f"ready after {elapsed * 1000:.1f} ms"


def _readme_pytest_example() -> str:
    text = README.read_text()
    section = text.split("### In pytest", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README's 'In pytest' section has no python block"
    return match.group(1)


def test_the_readme_pytest_example_passes_as_written(
    bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_readme_pytest_example(), str(README), "exec"), namespace)
    examples = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert len(examples) == 1
    # boto3's standard mode sleeps up to 1 + 2 + 4 s between those retries; record instead of waiting.
    backoffs: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=backoffs.append))

    examples[0](bedrock_emulator)

    assert len(backoffs) == 3  # the client really retried the three throttled calls
