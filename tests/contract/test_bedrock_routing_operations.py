"""Every ``bedrock`` operation on inference profiles, prompt routers, guardrails and Automated Reasoning
policies answers a minimal valid boto3 call with a parsed success, in the default (lenient) mode and in
``--strict`` mode, over a real socket. The calls and what they need created first are in
tests/bedrock_routing_calls.py."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from bedrock_routing_calls import CALLS, RoutingWorld

from emulator.pytest_plugin import BedrockEmulator

AREAS = ("InferenceProfile", "PromptRouter", "Guardrail", "AutomatedReasoning")
OPERATIONS = sorted(
    operation
    for operation in botocore.session.get_session().get_service_model("bedrock").operation_names
    if any(area in operation for area in AREAS) and operation not in ("ApplyGuardrail",)
)


def strict(emulator: BedrockEmulator) -> None:
    emulator.use_scenario(
        emulator.load_scenario(f"version: 1\nname: routing-ops-{emulator.tenant}\nstrict: true\nrules: []\n")
    )


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def test_every_operation_of_the_area_has_a_call() -> None:
    assert sorted(CALLS) == OPERATIONS


@pytest.mark.parametrize("mode", ["default", "strict"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_minimal_call_succeeds(bedrock_emulator: BedrockEmulator, operation: str, mode: str) -> None:
    if mode == "strict":
        strict(bedrock_emulator)
    client = bedrock_emulator.client("bedrock")
    world = RoutingWorld(client, bedrock_emulator.advance_clock)
    response: dict[str, Any] = getattr(client, _snake(operation))(**CALLS[operation](world))
    assert 200 <= response["ResponseMetadata"]["HTTPStatusCode"] < 300
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
