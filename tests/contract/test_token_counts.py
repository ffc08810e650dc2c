"""Input token counts include each model family's template and hidden prompts (emulator/token_overhead.py),
checked with boto3 over a socket against counts real Bedrock gave for the same requests (recorded by
pydantic-ai and openinference; docs/wire-facts.md §33 has the sources and the error table)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator import catalog
from emulator.pytest_plugin import BedrockEmulator

SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Get the weather for a location",
        "inputSchema": {"json": {"type": "object", "properties": {"location": {"type": "string"}}}},
    }
}


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _counts_tokens(model: str) -> bool:
    found = catalog.get(model)
    return found is not None and found.count_tokens


def _count(runtime: Any, model: str, converse: dict[str, Any]) -> int:
    return int(runtime.count_tokens(modelId=model, input={"converse": converse})["inputTokens"])


def test_claude_counts_its_turn_markers_as_bedrock_does(bedrock_emulator: BedrockEmulator) -> None:
    runtime = bedrock_emulator.client()
    # pydantic-ai's recorded CountTokens of this very request on Claude Sonnet 4: 11 (4 words, 7 markers)
    assert _count(runtime, SONNET_4, {"messages": _user("Hello, world!")}) == 11


def test_claude_tool_use_system_prompt_is_counted_within_ten_percent(
    bedrock_emulator: BedrockEmulator,
) -> None:
    runtime = bedrock_emulator.client()
    converse = {
        "messages": _user("What is the weather in Paris?"),
        "toolConfig": {"tools": [WEATHER_TOOL], "toolChoice": {"auto": {}}},
    }
    counted = _count(runtime, SONNET_4, converse)
    assert abs(counted - 375) <= 37, counted  # real Bedrock: 375 (346 of them Anthropic's tool prompt)
    without_tools = _count(runtime, SONNET_4, {"messages": _user("What is the weather in Paris?")})
    assert counted - without_tools > 346


@pytest.mark.parametrize(
    ("model", "auto", "forced"),
    [
        (SONNET_4, 346, 313),  # Claude 3.7 Sonnet and the Claude 4 family
        ("anthropic.claude-3-haiku-20240307-v1:0", 264, 340),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", 294, 261),
    ],
)
def test_the_tool_prompt_depends_on_the_model_and_the_tool_choice(
    bedrock_emulator: BedrockEmulator, model: str, auto: int, forced: int
) -> None:
    runtime = bedrock_emulator.client()
    tools: dict[str, Any] = {"tools": [WEATHER_TOOL]}
    base = {"messages": _user("What is the weather in Paris?")}
    by_choice = {
        choice: _count(runtime, model, {**base, "toolConfig": {**tools, "toolChoice": {choice: spec}}})
        for choice, spec in (("auto", {}), ("any", {}), ("tool", {"name": "get_weather"}))
    }
    assert by_choice["auto"] - by_choice["any"] == auto - forced
    assert by_choice["any"] == by_choice["tool"]


def test_converse_usage_agrees_with_count_tokens_in_every_family(bedrock_emulator: BedrockEmulator) -> None:
    runtime = bedrock_emulator.client()
    body = {
        "messages": [
            *_user("Name a river."),
            {"role": "assistant", "content": [{"text": "The Nile."}]},
            *_user("And a lake?"),
        ],
        "system": [{"text": "Answer in two words."}],
    }
    counts = {}
    for model in (
        f"us.{SONNET_4}",
        "amazon.nova-micro-v1:0",
        "meta.llama3-8b-instruct-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "qwen.qwen3-32b-v1:0",
        "openai.gpt-oss-120b-1:0",
    ):
        usage = runtime.converse(modelId=model, **body)["usage"]
        counts[model] = usage["inputTokens"]
        bare = model.removeprefix("us.")
        if _counts_tokens(bare):  # CountTokens takes the bare foundation-model id
            assert _count(runtime, bare, body) == usage["inputTokens"]
    assert _counts_tokens(SONNET_4)
    counts[SONNET_4] = counts.pop(f"us.{SONNET_4}")
    # the same words, different templates: Nova adds no markers, Llama 3 five per turn, gpt-oss its
    # default system message
    assert counts["amazon.nova-micro-v1:0"] < counts[SONNET_4] < counts["meta.llama3-8b-instruct-v1:0"]
    assert counts["openai.gpt-oss-120b-1:0"] > counts["meta.llama3-8b-instruct-v1:0"] + 50


def test_claude_thinking_adds_its_hidden_prompt(bedrock_emulator: BedrockEmulator) -> None:
    runtime = bedrock_emulator.client()
    body = {"messages": _user("How do I cross the street?")}
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    plain = runtime.converse(modelId=f"us.{SONNET_4}", **body)["usage"]["inputTokens"]
    thought = runtime.converse(
        modelId=f"us.{SONNET_4}",
        additionalModelRequestFields=thinking,
        inferenceConfig={"maxTokens": 2048},
        **body,
    )["usage"]["inputTokens"]
    assert (plain, thought) == (14, 42)  # both as recorded on Bedrock (pydantic-ai, 2026-02)


@pytest.mark.parametrize(
    ("model", "body", "header", "member", "recorded"),
    [
        # openinference's recordings: the same bodies on real Bedrock, 2025-07
        ("meta.llama3-8b-instruct-v1:0", {"prompt": "Hello, how are you?"}, 6, "prompt_token_count", 6),
        (
            "anthropic.claude-3-sonnet-20240229-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "Say this is a test"}],
            },
            12,
            "usage.input_tokens",
            12,
        ),
        (
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "Hello, how are you?"}],
            },
            13,
            "usage.input_tokens",
            13,
        ),
        ("amazon.titan-text-express-v1", {"inputText": "Hello, how are you?"}, 6, "inputTextTokenCount", 6),
    ],
)
def test_invoke_model_counts_match_recorded_answers_and_count_tokens(
    bedrock_emulator: BedrockEmulator,
    model: str,
    body: dict[str, Any],
    header: int,
    member: str,
    recorded: int,
) -> None:
    runtime = bedrock_emulator.client()
    raw = json.dumps(body).encode()
    response = runtime.invoke_model(modelId=model, body=raw, contentType="application/json")
    answer = json.loads(response["body"].read())
    for key in member.split("."):
        answer = answer[key]
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) == header == answer == recorded
    if _counts_tokens(model):
        counted = runtime.count_tokens(modelId=model, input={"invokeModel": {"body": raw}})
        assert counted["inputTokens"] == recorded


def test_invoke_model_stream_counts_the_same_as_the_unary_answer(bedrock_emulator: BedrockEmulator) -> None:
    runtime = bedrock_emulator.client()
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hello, how are you?"}],
    }
    response = runtime.invoke_model_with_response_stream(
        modelId="anthropic.claude-3-5-sonnet-20240620-v1:0", body=json.dumps(body).encode()
    )
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert chunks[0]["message"]["usage"]["input_tokens"] == 13  # as the unary answer, recorded 13
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["inputTokenCount"] == 13
