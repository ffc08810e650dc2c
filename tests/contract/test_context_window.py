"""A conversation longer than the model's context window is refused, through boto3 over a socket.

Real Bedrock answers Converse and ConverseStream with a ValidationException whose text agents match to
trim their history (strands-agents looks for "Input is too long for requested model"); the emulator used
to answer any length. Text and sources: INPUT_TOO_LONG in emulator/services/runtime.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator import catalog
from emulator.pytest_plugin import BedrockEmulator

MODEL = "mistral.mistral-large-2402-v1:0"
TOO_LONG = "The model returned the following errors: Input is too long for requested model."


def _messages(words: int) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": "word " * words}]}]


def test_the_model_has_the_window_the_test_assumes() -> None:
    assert catalog.resolve(MODEL, region="us-east-1").model.context_window == 32000


def test_converse_refuses_a_conversation_past_the_window(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.converse(modelId=MODEL, messages=_messages(33_000))
    assert caught.value.response["Error"]["Message"] == TOO_LONG
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_converse_stream_refuses_it_before_the_stream(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.converse_stream(modelId=MODEL, messages=_messages(33_000))
    assert caught.value.response["Error"]["Message"] == TOO_LONG


def test_a_conversation_inside_the_window_is_answered(bedrock_emulator: BedrockEmulator) -> None:
    answer = bedrock_emulator.client().converse(modelId=MODEL, messages=_messages(20_000))
    assert answer["stopReason"] in {"end_turn", "max_tokens"}
    assert answer["usage"]["inputTokens"] < 32000
