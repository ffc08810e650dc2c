"""Raw bytes of the usage shapes and stream members boto3 drops: the older cache count names,
``serverToolUsage``, the ``p`` padding of InvokeModelWithResponseStream chunks, the cache headers
(docs/wire-facts.md §24)."""

from __future__ import annotations

import base64
import json
from typing import Any

from emulator.pytest_plugin import BedrockEmulator
from tests.wire.test_raw_responses import _boto_frames, _send

_SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0"
_NOVA = "amazon.nova-micro-v1%3A0"
_LONG = " ".join(["river"] * 1500)


def _converse(model: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": "What is ten plus eleven?"}]}], **extra}


def test_claude_converse_usage_carries_both_cache_count_names_and_server_tool_usage(
    bedrock_emulator: BedrockEmulator,
) -> None:
    system = [{"text": _LONG}, {"cachePoint": {"type": "default"}}]
    raw = _send(
        bedrock_emulator, "POST", f"/model/{_SONNET_45}/converse", _converse(_SONNET_45, system=system)
    )
    assert raw.status == 200
    usage = raw.json()["usage"]
    assert usage["cacheWriteInputTokenCount"] == usage["cacheWriteInputTokens"] > 0
    assert usage["cacheReadInputTokenCount"] == usage["cacheReadInputTokens"] == 0
    assert usage["cacheDetails"] == [{"inputTokens": usage["cacheWriteInputTokens"], "ttl": "5m"}]
    assert usage["serverToolUsage"] == {}
    total = usage["inputTokens"] + usage["cacheReadInputTokens"] + usage["cacheWriteInputTokens"]
    assert usage["totalTokens"] == total + usage["outputTokens"]


def test_nova_converse_usage_has_server_tool_usage_and_no_cache_counts(
    bedrock_emulator: BedrockEmulator,
) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", _converse(_NOVA))
    usage = raw.json()["usage"]
    assert set(usage) == {"inputTokens", "outputTokens", "totalTokens", "serverToolUsage"}


def test_claude_converse_stream_metadata_carries_the_cache_counts_only_with_a_cache_point(
    bedrock_emulator: BedrockEmulator,
) -> None:
    # Recorded Claude 3.7 and Sonnet 4 streams without a cache point have none (wire-facts §33),
    # although the unary answers of the same models always do.
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_45}/converse-stream", _converse(_SONNET_45))
    assert raw.status == 200
    frames = _boto_frames(raw.body)
    metadata = json.loads(frames[-1].payload)
    assert frames[-1].headers[":event-type"] == "metadata"
    assert list(metadata) == ["metrics", "p", "usage"]
    assert metadata["usage"].keys() == {"inputTokens", "outputTokens", "serverToolUsage", "totalTokens"}
    system = [{"text": _LONG}, {"cachePoint": {"type": "default"}}]
    body = _converse(_SONNET_45, system=system)
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_45}/converse-stream", body)
    usage = json.loads(_boto_frames(raw.body)[-1].payload)["usage"]
    assert list(usage) == sorted(usage)
    assert usage["cacheReadInputTokenCount"] == usage["cacheReadInputTokens"] == 0
    assert usage["cacheWriteInputTokenCount"] == usage["cacheWriteInputTokens"] > 0
    assert usage["serverToolUsage"] == {}


def test_invoke_stream_chunks_are_padded_and_carry_the_cache_counts(
    bedrock_emulator: BedrockEmulator,
) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 32,
        "system": [{"type": "text", "text": _LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "messages": [{"role": "user", "content": "Hi"}],
    }
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_45}/invoke-with-response-stream", body)
    assert raw.status == 200
    payloads = [json.loads(frame.payload) for frame in _boto_frames(raw.body)]
    assert all(list(payload) == ["bytes", "p"] for payload in payloads)
    chunks = [json.loads(base64.b64decode(payload["bytes"])) for payload in payloads]
    usage = chunks[0]["message"]["usage"]
    assert list(usage) == [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cache_creation",
        "output_tokens",
    ]
    written = usage["cache_creation_input_tokens"]
    assert usage["cache_creation"] == {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": written}
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["cacheWriteInputTokenCount"] == written
    assert metrics["cacheReadInputTokenCount"] == 0
    assert metrics["inputTokenCount"] == usage["input_tokens"]


def test_invoke_stream_metrics_of_a_request_without_cache_control_have_no_cache_counts(
    bedrock_emulator: BedrockEmulator,
) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 32,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_45}/invoke-with-response-stream", body)
    chunks = [json.loads(base64.b64decode(json.loads(f.payload)["bytes"])) for f in _boto_frames(raw.body)]
    assert set(chunks[-1]["amazon-bedrock-invocationMetrics"]) == {
        "inputTokenCount",
        "outputTokenCount",
        "invocationLatency",
        "firstByteLatency",
    }


def test_invoke_model_cache_headers(bedrock_emulator: BedrockEmulator) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 32,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_45}/invoke", body)
    assert raw.header("x-amzn-bedrock-cache-read-input-token-count") == "0"
    assert raw.header("x-amzn-bedrock-cache-write-input-token-count") == "0"
    nova = {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/invoke", nova)
    assert raw.status == 200
    # a recorded Nova Lite answer without a cache point carries both, zero (wire-facts §33)
    assert raw.header("x-amzn-bedrock-cache-read-input-token-count") == "0"
    assert raw.header("x-amzn-bedrock-cache-write-input-token-count") == "0"
