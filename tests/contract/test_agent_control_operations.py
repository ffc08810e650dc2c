"""Every bedrock-agent operation answers a minimal valid boto3 call with a parsed success, in the default
(lenient) mode and in ``--strict`` mode (a scenario with ``strict: true`` for the test's tenant), over a
real socket. The calls and what they need created first are in tests/agent_control_calls.py."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from agent_control_calls import CALLS, World

from emulator.pytest_plugin import BedrockEmulator

OPERATIONS = sorted(botocore.session.get_session().get_service_model("bedrock-agent").operation_names)


def strict(emulator: BedrockEmulator) -> None:
    emulator.use_scenario(
        emulator.load_scenario(
            f"version: 1\nname: control-strict-{emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def test_every_bedrock_agent_operation_has_a_call() -> None:
    assert sorted(CALLS) == OPERATIONS


@pytest.mark.parametrize("mode", ["default", "strict"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_minimal_call_succeeds(bedrock_emulator: BedrockEmulator, operation: str, mode: str) -> None:
    if mode == "strict":
        strict(bedrock_emulator)
    client = bedrock_emulator.client("bedrock-agent")
    world = World(client, bedrock_emulator.advance_clock)
    params = CALLS[operation](world)
    response: dict[str, Any] = getattr(client, _snake(operation))(**params)
    assert 200 <= response["ResponseMetadata"]["HTTPStatusCode"] < 300
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
