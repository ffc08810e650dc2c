"""Every ``bedrock`` model operation (tests/bedrock_model_calls.py) answers a minimal valid boto3 call with
a parsed success, in the default (lenient) mode and in ``--strict`` mode, over a real socket."""

from __future__ import annotations

from typing import Any

import pytest
from bedrock_model_calls import CALLS, World

from emulator.pytest_plugin import BedrockEmulator
from emulator.services.handlers import implemented

OPERATIONS = sorted(CALLS)


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def test_every_listed_operation_is_implemented() -> None:
    assert set(OPERATIONS) <= set(implemented())


@pytest.mark.parametrize("mode", ["default", "strict"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_minimal_call_succeeds(bedrock_emulator: BedrockEmulator, operation: str, mode: str) -> None:
    if mode == "strict":
        bedrock_emulator.use_scenario(
            bedrock_emulator.load_scenario(
                f"version: 1\nname: models-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
            )
        )
    client = bedrock_emulator.client("bedrock")
    world = World(client, bedrock_emulator.client("s3"), bedrock_emulator.advance_clock)
    response: dict[str, Any] = getattr(client, _snake(operation))(**CALLS[operation](world))
    assert 200 <= response["ResponseMetadata"]["HTTPStatusCode"] < 300
