"""Prompt caching and the usage shapes recorded answers carry, through boto3 over a real socket.

The figures (minimum prefix, cache points, TTLs) are the AWS prompt caching page's; the shapes are the
recordings' (docs/wire-facts.md §24).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"  # 1,024-token minimum, 5m and 1h
HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"  # 4,096-token minimum
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"  # 5m only
CLAUDE_3_HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"  # no prompt caching
NOVA_LITE = "us.amazon.nova-lite-v1:0"
LLAMA = "us.meta.llama3-3-70b-instruct-v1:0"

LONG = " ".join(["river"] * 1500)  # 1,500 tokens: past Claude Sonnet 4.5's minimum, short of Haiku 4.5's
POINT: dict[str, Any] = {"cachePoint": {"type": "default"}}


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-runtime")


def _cached_system(ttl: str | None = None, text: str = LONG) -> list[dict[str, Any]]:
    point: dict[str, Any] = {"type": "default", **({"ttl": ttl} if ttl else {})}
    return [{"text": text}, {"cachePoint": point}]


def _ask(runtime: Any, model: str = SONNET_45, **request: Any) -> Any:
    request.setdefault("messages", [{"role": "user", "content": [{"text": "What is ten plus eleven?"}]}])
    return runtime.converse(modelId=model, **request)


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


# -- usage shapes --------------------------------------------------------------------------------------


def test_claude_usage_carries_zero_cache_counts_without_a_cache_point(runtime: Any) -> None:
    usage = _ask(runtime)["usage"]
    assert usage["cacheReadInputTokens"] == 0
    assert usage["cacheWriteInputTokens"] == 0
    assert "cacheDetails" not in usage
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]


def test_models_without_caching_carry_no_cache_counts(runtime: Any) -> None:
    for model in (NOVA_LITE, LLAMA, CLAUDE_3_HAIKU):
        usage = _ask(runtime, model)["usage"]
        assert "cacheReadInputTokens" not in usage, model
        assert "cacheWriteInputTokens" not in usage, model


def test_performance_config_and_service_tier_are_echoed(runtime: Any) -> None:
    response = _ask(
        runtime, NOVA_LITE, performanceConfig={"latency": "optimized"}, serviceTier={"type": "flex"}
    )
    assert response["performanceConfig"] == {"latency": "optimized"}
    assert response["serviceTier"] == {"type": "flex"}
    assert "performanceConfig" not in _ask(runtime, NOVA_LITE)

    events = runtime.converse_stream(
        modelId=NOVA_LITE,
        messages=[{"role": "user", "content": [{"text": "Hi"}]}],
        serviceTier={"type": "priority"},
    )["stream"]
    metadata = next(e["metadata"] for e in events if "metadata" in e)
    assert metadata["serviceTier"] == {"type": "priority"}


def test_claude_tool_use_blocks_carry_their_type(runtime: Any) -> None:
    tool = {
        "toolSpec": {
            "name": "get_weather",
            "description": "Weather for a city",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
        }
    }
    for model, typed in ((SONNET_45, True), (NOVA_LITE, False)):
        response = _ask(runtime, model, toolConfig={"tools": [tool], "toolChoice": {"any": {}}})
        tool_use = next(b["toolUse"] for b in response["output"]["message"]["content"] if "toolUse" in b)
        assert (tool_use.get("type") == "tool_use") is typed, model
        events = runtime.converse_stream(
            modelId=model,
            messages=[{"role": "user", "content": [{"text": "Weather?"}]}],
            toolConfig={"tools": [tool], "toolChoice": {"any": {}}},
        )["stream"]
        start = next(e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e)
        assert (start.get("type") == "tool_use") is typed, model


# -- the cache -----------------------------------------------------------------------------------------


def test_a_second_identical_call_reads_what_the_first_wrote(runtime: Any) -> None:
    first = _ask(runtime, system=_cached_system())["usage"]
    assert first["cacheReadInputTokens"] == 0
    written = first["cacheWriteInputTokens"]
    assert written >= 1024
    assert first["cacheDetails"] == [{"ttl": "5m", "inputTokens": written}]
    total_input = first["inputTokens"] + written
    assert first["totalTokens"] == total_input + first["outputTokens"]

    second = _ask(runtime, system=_cached_system())["usage"]
    assert second["cacheReadInputTokens"] == written
    assert second["cacheWriteInputTokens"] == 0
    assert "cacheDetails" not in second
    assert second["inputTokens"] == first["inputTokens"]
    assert second["totalTokens"] == first["totalTokens"]


def test_a_changed_prefix_misses_and_another_tenant_has_its_own_cache(
    runtime: Any, bedrock_emulator_server: Any
) -> None:
    from emulator.pytest_plugin import BedrockEmulator

    _ask(runtime, system=_cached_system())
    changed = [{"text": LONG + " sea"}, POINT]
    assert _ask(runtime, system=changed)["usage"]["cacheReadInputTokens"] == 0

    other = BedrockEmulator(bedrock_emulator_server, "other-tenant-prompt-cache")
    try:
        usage = _ask(other.client("bedrock-runtime"), system=_cached_system())["usage"]
        assert usage["cacheReadInputTokens"] == 0
        assert usage["cacheWriteInputTokens"] > 0
    finally:
        other.reset()
        other.close()


def test_entries_expire_on_the_virtual_clock_and_one_hour_ones_outlive_five_minutes(
    runtime: Any, bedrock_emulator: Any
) -> None:
    hour_system = _cached_system("1h", LONG + " hour")
    _ask(runtime, system=_cached_system())
    _ask(runtime, system=hour_system)
    bedrock_emulator.advance_clock(301)
    assert _ask(runtime, system=_cached_system())["usage"]["cacheReadInputTokens"] == 0
    assert _ask(runtime, system=hour_system)["usage"]["cacheReadInputTokens"] > 0
    bedrock_emulator.advance_clock(3601)
    assert _ask(runtime, system=hour_system)["usage"]["cacheReadInputTokens"] == 0


def test_one_hour_writes_are_broken_down_by_ttl(runtime: Any) -> None:
    usage = _ask(runtime, system=_cached_system("1h"))["usage"]
    assert usage["cacheDetails"] == [{"ttl": "1h", "inputTokens": usage["cacheWriteInputTokens"]}]


def test_a_prefix_below_the_model_minimum_is_not_cached(runtime: Any) -> None:
    for _ in range(2):
        usage = _ask(runtime, HAIKU_45, system=_cached_system())["usage"]  # 1,500 < 4,096
        assert (usage["cacheReadInputTokens"], usage["cacheWriteInputTokens"]) == (0, 0)


def test_cache_points_in_tools_system_and_messages_chain(runtime: Any) -> None:
    tool = {"toolSpec": {"name": "lookup", "description": LONG, "inputSchema": {"json": {"type": "object"}}}}
    request: dict[str, Any] = {
        "toolConfig": {"tools": [tool, POINT]},
        "system": [{"text": "Answer with one number."}, POINT],
        "messages": [{"role": "user", "content": [{"text": "What is ten plus eleven?"}, POINT]}],
    }
    first = _ask(runtime, **request)["usage"]
    assert first["cacheWriteInputTokens"] > 1500
    second = _ask(runtime, **request)["usage"]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    # A new last turn keeps the cached tools and system prompt.
    request["messages"] = [{"role": "user", "content": [{"text": "And twelve plus one?"}, POINT]}]
    third = _ask(runtime, **request)["usage"]
    assert 1500 <= third["cacheReadInputTokens"] < first["cacheWriteInputTokens"]
    assert third["cacheWriteInputTokens"] > 0


def test_converse_stream_metadata_reports_the_cache(runtime: Any) -> None:
    def metadata() -> dict[str, Any]:
        events = runtime.converse_stream(
            modelId=SONNET_37,
            system=_cached_system(),
            messages=[{"role": "user", "content": [{"text": "Hi"}]}],
        )["stream"]
        found: dict[str, Any] = next(e["metadata"] for e in events if "metadata" in e)
        return found

    first = metadata()["usage"]
    assert first["cacheWriteInputTokens"] > 0
    assert metadata()["usage"]["cacheReadInputTokens"] == first["cacheWriteInputTokens"]


# -- refusals ------------------------------------------------------------------------------------------


def test_a_cache_point_on_a_model_without_caching_is_refused(runtime: Any) -> None:
    for model in (CLAUDE_3_HAIKU, LLAMA):
        with pytest.raises(ClientError) as excinfo:
            _ask(runtime, model, system=_cached_system())
        assert _error(excinfo) == (
            "AccessDeniedException",
            "You invoked an unsupported model or your request did not allow prompt caching.",
            403,
        )


def test_nova_refuses_a_cache_point_in_tools(runtime: Any) -> None:
    tool = {"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}
    with pytest.raises(ClientError) as excinfo:
        _ask(runtime, NOVA_LITE, toolConfig={"tools": [tool, POINT]})
    assert _error(excinfo) == (
        "ValidationException",
        "Malformed input request: #/toolConfig/tools/1: extraneous key [cachePoint] is not permitted, "
        "please reformat your input and try again.",
        400,
    )


def test_nova_caches_system_and_messages_without_a_ttl_breakdown(runtime: Any) -> None:
    usage = _ask(runtime, NOVA_LITE, system=_cached_system())["usage"]
    assert usage["cacheWriteInputTokens"] > 0
    assert "cacheDetails" not in usage
    assert _ask(runtime, NOVA_LITE, system=_cached_system())["usage"]["cacheReadInputTokens"] > 0


def test_more_cache_points_than_the_model_takes_are_refused(runtime: Any) -> None:
    content = [{"text": f"part {i} {LONG}"} if i % 2 == 0 else POINT for i in range(10)]
    with pytest.raises(ClientError) as excinfo:
        _ask(runtime, messages=[{"role": "user", "content": content}])
    assert _error(excinfo) == (
        "ValidationException",
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        400,
    )


def test_a_one_hour_point_after_a_five_minute_one_is_refused(runtime: Any) -> None:
    system = [{"text": LONG}, POINT, {"text": "More."}, {"cachePoint": {"type": "default", "ttl": "1h"}}]
    with pytest.raises(ClientError) as excinfo:
        _ask(runtime, system=system)
    code, message, status = _error(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("A `ttl='1h'` cache_control block must not come after a `ttl='5m'`")


# -- InvokeModel ---------------------------------------------------------------------------------------


def _anthropic_body(**extra: Any) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "system": [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "What is ten plus eleven?"}],
        **extra,
    }


def test_invoke_model_reports_cache_counts_in_body_and_headers(runtime: Any) -> None:
    def invoke() -> tuple[dict[str, Any], dict[str, str]]:
        response = runtime.invoke_model(modelId=SONNET_45, body=json.dumps(_anthropic_body()))
        return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]

    body, headers = invoke()
    usage = body["usage"]
    written = usage["cache_creation_input_tokens"]
    assert written >= 1024
    assert usage["cache_read_input_tokens"] == 0
    assert usage["cache_creation"] == {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0}
    assert headers["x-amzn-bedrock-cache-write-input-token-count"] == str(written)
    assert headers["x-amzn-bedrock-cache-read-input-token-count"] == "0"
    assert headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])

    body, headers = invoke()
    assert body["usage"]["cache_read_input_tokens"] == written
    assert body["usage"]["cache_creation_input_tokens"] == 0
    assert headers["x-amzn-bedrock-cache-read-input-token-count"] == str(written)


def test_invoke_model_of_a_caching_claude_carries_zero_counts_without_cache_control(runtime: Any) -> None:
    body = _anthropic_body(system="Be brief.")
    response = runtime.invoke_model(modelId=SONNET_45, body=json.dumps(body))
    usage = json.loads(response["body"].read())["usage"]
    assert usage["cache_creation_input_tokens"] == usage["cache_read_input_tokens"] == 0
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-cache-read-input-token-count"] == "0"


def test_invoke_stream_reports_the_cache_in_message_start_and_the_metrics(runtime: Any) -> None:
    def chunks() -> list[dict[str, Any]]:
        response = runtime.invoke_model_with_response_stream(
            modelId=SONNET_45, body=json.dumps(_anthropic_body())
        )
        return [json.loads(e["chunk"]["bytes"]) for e in response["body"]]

    first = chunks()
    written = first[0]["message"]["usage"]["cache_creation_input_tokens"]
    assert written >= 1024
    metrics = first[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["cacheReadInputTokenCount"], metrics["cacheWriteInputTokenCount"]) == (0, written)
    again = chunks()
    assert again[0]["message"]["usage"]["cache_read_input_tokens"] == written
    assert again[-1]["amazon-bedrock-invocationMetrics"]["cacheReadInputTokenCount"] == written


def test_invoke_model_refuses_cache_control_on_a_model_without_caching(runtime: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId=CLAUDE_3_HAIKU, body=json.dumps(_anthropic_body()))
    assert _error(excinfo)[0::2] == ("AccessDeniedException", 403)


def test_invoke_model_echoes_performance_config_and_service_tier(runtime: Any) -> None:
    response = runtime.invoke_model(
        modelId=SONNET_45,
        body=json.dumps(_anthropic_body(system="Be brief.")),
        performanceConfigLatency="optimized",
        serviceTier="flex",
    )
    assert response["performanceConfigLatency"] == "optimized"
    assert response["serviceTier"] == "flex"


def test_count_tokens_ignores_the_cache(runtime: Any) -> None:
    request = {"system": _cached_system(), "messages": [{"role": "user", "content": [{"text": "Hi"}]}]}
    before = runtime.count_tokens(
        modelId="anthropic.claude-sonnet-4-5-20250929-v1:0", input={"converse": request}
    )
    _ask(runtime, **request)
    after = runtime.count_tokens(
        modelId="anthropic.claude-sonnet-4-5-20250929-v1:0", input={"converse": request}
    )
    assert before["inputTokens"] == after["inputTokens"] > 1500


def test_anthropic_sdk_reads_the_cache_counts(anthropic_bedrock: Any) -> None:
    client = anthropic_bedrock
    request: dict[str, Any] = {
        "model": SONNET_45,
        "max_tokens": 64,
        "system": [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "messages": [{"role": "user", "content": "Hi"}],
    }
    first = client.messages.create(**request).usage
    assert first.cache_creation_input_tokens >= 1024
    assert first.cache_read_input_tokens == 0
    assert first.cache_creation.ephemeral_1h_input_tokens == first.cache_creation_input_tokens
    with client.messages.stream(**request) as stream:
        second = stream.get_final_message().usage
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0


def _nova_body(**extra: Any) -> str:
    return json.dumps(
        {
            "system": [{"text": LONG}, {"cachePoint": {"type": "default"}}],
            "messages": [{"role": "user", "content": [{"text": "Hi", "cachePoint": {"type": "default"}}]}],
            "inferenceConfig": {"maxTokens": 64},
            **extra,
        }
    )


def test_nova_invoke_model_caches_cache_points_in_its_body(runtime: Any) -> None:
    def usage() -> dict[str, Any]:
        found: dict[str, Any] = json.loads(
            runtime.invoke_model(modelId=NOVA_LITE, body=_nova_body())["body"].read()
        )["usage"]
        return found

    first = usage()
    assert first["cacheWriteInputTokenCount"] > 1500  # the system prompt and the text carrying the point
    assert first["cacheReadInputTokenCount"] == 0
    second = usage()
    assert second["cacheReadInputTokenCount"] == first["cacheWriteInputTokenCount"]
    assert second["inputTokens"] == first["inputTokens"]


def test_nova_stream_metrics_always_carry_the_cache_counts(runtime: Any) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
    events = runtime.invoke_model_with_response_stream(modelId=NOVA_LITE, body=body)["body"]
    chunks = [json.loads(e["chunk"]["bytes"]) for e in events]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["cacheReadInputTokenCount"], metrics["cacheWriteInputTokenCount"]) == (0, 0)


def test_a_read_refreshes_an_entry_for_its_own_ttl(runtime: Any, bedrock_emulator: Any) -> None:
    text = LONG + " refreshed"
    _ask(runtime, system=_cached_system("1h", text))
    assert _ask(runtime, system=_cached_system(None, text))["usage"]["cacheReadInputTokens"] > 0  # a 5m point
    bedrock_emulator.advance_clock(301)
    assert _ask(runtime, system=_cached_system(None, text))["usage"]["cacheReadInputTokens"] > 0


def test_claude_reads_an_earlier_prefix_when_the_cache_point_moves_on(runtime: Any) -> None:
    # Agents move their one message cache point to the newest turn each time; Claude looks back about 20
    # blocks from a cache point for an earlier cached prefix (AWS's "simplified cache management").
    turn1 = [{"role": "user", "content": [{"text": LONG}, POINT]}]
    first = _ask(runtime, messages=turn1)["usage"]
    assert first["cacheWriteInputTokens"] >= 1500
    turn2 = [
        {"role": "user", "content": [{"text": LONG}]},
        {"role": "assistant", "content": [{"text": "Noted."}]},
        {"role": "user", "content": [{"text": "And now a second question?"}, POINT]},
    ]
    second = _ask(runtime, messages=turn2)["usage"]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert 0 < second["cacheWriteInputTokens"] < 50  # only the new turns are written


def test_nova_does_not_look_back(runtime: Any) -> None:
    _ask(runtime, NOVA_LITE, messages=[{"role": "user", "content": [{"text": LONG}, POINT]}])
    turn2 = [
        {"role": "user", "content": [{"text": LONG}]},
        {"role": "assistant", "content": [{"text": "Noted."}]},
        {"role": "user", "content": [{"text": "And now a second question?"}, POINT]},
    ]
    assert _ask(runtime, NOVA_LITE, messages=turn2)["usage"]["cacheReadInputTokens"] == 0


def _small_tool(index: int) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "number1": {"type": "number", "description": f"First number for calculation {index}"},
            "number2": {"type": "number", "description": f"Second number for calculation {index}"},
            "operation": {"type": "string", "enum": ["add", "subtract", "multiply", "divide"]},
        },
        "required": ["number1", "number2", "operation"],
    }
    return {
        "toolSpec": {
            "name": f"CalculateTool{index}",
            "description": f"A tool to calculate the {index}th mathematical operation",
            "inputSchema": {"json": schema},
        }
    }


def test_tool_definitions_count_toward_the_cacheable_prefix_as_the_model_reads_them(runtime: Any) -> None:
    # The model reads each tool as its JSON schema, after the tool-use system prompt Anthropic adds
    # (wire-facts §33): nineteen small calculators reach Claude Sonnet 4.5's 1,024-token minimum, as
    # langchain-aws's test_tool_use_with_cache_point sees on Bedrock. Their words alone would not.
    tools = [_small_tool(index) for index in range(1, 20)] + [{"cachePoint": {"type": "default"}}]
    request = {
        "messages": [{"role": "user", "content": [{"text": "What's 5 + 3?"}]}],
        "toolConfig": {"tools": tools, "toolChoice": {"any": {}}},
    }
    first = _ask(runtime, **request)["usage"]
    assert first["cacheWriteInputTokens"] >= 1024
    second = _ask(runtime, **request)["usage"]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert second["cacheWriteInputTokens"] == 0
