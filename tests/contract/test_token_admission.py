"""A tokens-per-minute quota admits a call on its input tokens counted as its usage counts them (an image
is no text) plus the output it asks for: real boto3 over a real socket, with a 300 KB PNG."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

NOVA_LITE = "amazon.nova-lite-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TPM_MESSAGE = "Too many tokens, please wait before trying again."
# A PNG signature and 300 KB of seeded noise: heavy on the wire, no text for the model.
PNG = b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(300_000)

SCENARIO = """
version: 1
name: token-admission-{tpm}
rules:
  - id: tpm
    match: {{operations: [Converse, InvokeModel]}}
    quota: {{tpm: {tpm}}}
"""


def use_tpm(bedrock_emulator: Any, tpm: int) -> None:
    bedrock_emulator.use_scenario(bedrock_emulator.load_scenario(SCENARIO.format(tpm=tpm)))


def converse_with_image(runtime: Any, max_tokens: int) -> int:
    """Converse about a 300 KB PNG; returns the input tokens its usage reports."""
    content = [{"text": "What is in this picture?"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]
    response = runtime.converse(
        modelId=NOVA_LITE,
        messages=[{"role": "user", "content": content}],
        inferenceConfig={"maxTokens": max_tokens},
    )
    tokens: int = response["usage"]["inputTokens"]
    return tokens


def invoke_with_image(runtime: Any, max_tokens: int) -> int:
    """InvokeModel (Anthropic Messages) about the same PNG; returns the input tokens its usage reports."""
    import base64

    image = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG).decode()}
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": max_tokens,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image", "source": image},
                ],
            }
        ],
    }
    answer = json.loads(runtime.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    tokens: int = answer["usage"]["input_tokens"]
    return tokens


def test_a_300_kb_image_under_a_50000_tpm_quota_is_admitted_on_a_fresh_minute(bedrock_emulator: Any) -> None:
    use_tpm(bedrock_emulator, 50_000)
    runtime = bedrock_emulator.client()
    input_tokens = converse_with_image(runtime, max_tokens=100)
    assert input_tokens < 20  # the question's words; the image counts nothing
    assert [r.status for r in bedrock_emulator.requests("Converse")] == [200]


@pytest.mark.parametrize("call", [converse_with_image, invoke_with_image], ids=["converse", "invoke-model"])
def test_admission_reserves_exactly_the_usage_input_tokens_plus_the_requested_output(
    bedrock_emulator: Any, call: Any
) -> None:
    runtime = bedrock_emulator.client()
    input_tokens = call(runtime, max_tokens=10)  # no quota yet: what usage counts for this input
    use_tpm(bedrock_emulator, input_tokens + 100)

    call(runtime, max_tokens=100)  # reserves input + 100: exactly the quota
    bedrock_emulator.advance_clock(61)  # a fresh minute: the window holds nothing
    with pytest.raises(runtime.exceptions.ThrottlingException) as refused:
        call(runtime, max_tokens=101)  # one token more than the quota
    assert refused.value.response["Error"]["Message"] == TPM_MESSAGE
