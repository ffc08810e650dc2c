"""Anthropic Messages and Claude v2 text-completion bodies, answers and native stream events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.generation import split_deltas
from emulator.providers import generate, provider_for
from emulator.providers.anthropic import model_name
from emulator.wire.errors import AwsError


@dataclass(frozen=True)
class Model:
    model_id: str
    max_output_tokens: int
    default_max_tokens: int


HAIKU = Model("anthropic.claude-haiku-4-5-20251001-v1:0", 64000, 4096)
SONNET_35 = Model("anthropic.claude-3-5-sonnet-20240620-v1:0", 4096, 4096)
CLAUDE_V2 = Model("anthropic.claude-v2:1", 8191, 4096)

SUFFIX = ", please reformat your input and try again."
NOT_MESSAGES = '#: subject must not be valid against schema {"required":["messages"]}'


def body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1024,
        "system": "You are a senior AWS solutions architect. Be concise and practical.",
        "messages": [{"role": "user", "content": "Explain Bedrock Knowledge Bases in 3 bullet points."}],
        "temperature": 0.3,  # not with top_p: Claude Haiku 4.5 refuses the two together (wire-facts §31)
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def invoke(
    request: dict[str, Any], model: Model = HAIKU, family: str = "anthropic-messages"
) -> dict[str, Any]:
    provider = provider_for(family)
    prompt = provider.validate(json.loads(json.dumps(request)), model)
    return provider.respond(prompt, generate(prompt), model, "req-1")


def error(request: Any, model: Model = HAIKU, family: str = "anthropic-messages") -> str:
    with pytest.raises(AwsError) as caught:
        provider_for(family).validate(request, model)
    assert caught.value.code == "ValidationException"
    return caught.value.message


def test_messages_response_has_the_real_shape() -> None:
    answer = invoke(body())
    assert set(answer) == {"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"}
    assert answer["id"].startswith("msg_bdrk_01")
    assert len(answer["id"]) == len("msg_bdrk_01PwGjqAJE4R8ZBE8KCtMEjG")
    assert answer["type"] == "message"
    assert answer["role"] == "assistant"
    assert answer["model"] == "claude-haiku-4-5-20251001"
    assert answer["content"][0]["type"] == "text"
    assert answer["content"][0]["text"]
    assert answer["stop_reason"] == "end_turn"
    assert answer["stop_sequence"] is None
    assert answer["usage"]["input_tokens"] > 0
    assert answer["usage"]["output_tokens"] > 0


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5-20251001"),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"),
        ("us.anthropic.claude-opus-4-8", "claude-opus-4-8"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929"),
    ],
)
def test_model_name_drops_the_bedrock_prefix_and_version(model_id: str, name: str) -> None:
    assert model_name(model_id) == name


def test_same_body_same_answer_and_sampling_does_not_change_words() -> None:
    first = invoke(body())
    assert invoke(body()) == first
    assert invoke(body(temperature=1.0))["content"] == first["content"]


def test_content_blocks_system_blocks_and_images_are_accepted() -> None:
    request = body(
        system=[{"type": "text", "text": "Be brief."}],
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/jpeg", "data": "iVBORw=="},
                    },
                    {"type": "text", "text": "What's in this image?"},
                ],
            }
        ],
    )
    assert invoke(request)["stop_reason"] == "end_turn"


def test_max_tokens_cuts_the_answer() -> None:
    answer = invoke(body(max_tokens=3))
    assert answer["stop_reason"] == "max_tokens"
    assert answer["usage"]["output_tokens"] == 3


def test_stop_sequence_is_reported() -> None:
    full = invoke(body())["content"][0]["text"]
    stop = full.split()[3]
    answer = invoke(body(stop_sequences=[stop]))
    assert answer["stop_reason"] == "stop_sequence"
    assert answer["stop_sequence"] == stop
    assert stop not in answer["content"][0]["text"]


def test_forced_tool_gives_a_tool_use_block() -> None:
    tool = {
        "name": "get_weather",
        "description": "Get the weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    answer = invoke(body(tools=[tool], tool_choice={"type": "tool", "name": "get_weather"}))
    assert answer["stop_reason"] == "tool_use"
    use = answer["content"][-1]
    assert use["type"] == "tool_use"
    assert use["name"] == "get_weather"
    assert use["id"].startswith("toolu_bdrk_01")
    assert isinstance(use["input"]["city"], str)


def test_tool_result_turn_is_answered_with_text() -> None:
    tool = {"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny"}]},
    ]
    assert invoke(body(tools=[tool], messages=messages))["stop_reason"] == "end_turn"


def test_missing_max_tokens_is_the_quoted_message() -> None:
    assert error(body(max_tokens=None)) == (
        f"Malformed input request: {NOT_MESSAGES}#: required key [max_tokens] not found{SUFFIX}"
    )


def test_keys_bedrock_refuses_are_extraneous() -> None:
    assert error(body(stream=True, model="claude")) == (
        f"Malformed input request: {NOT_MESSAGES}#: extraneous key [stream] is not permitted"
        f"#: extraneous key [model] is not permitted{SUFFIX}"
    )


def test_null_temperature_and_system_role() -> None:
    assert error(body(temperature=None) | {"temperature": None}) == (
        f"Malformed input request: {NOT_MESSAGES}#/temperature: expected type: Number, found: Null{SUFFIX}"
    )
    system_turn = body(messages=[{"role": "system", "content": "hi"}])
    assert error(system_turn) == (
        f"Malformed input request: {NOT_MESSAGES}#/messages/0/role: system is not a valid enum value{SUFFIX}"
    )


def test_empty_content_array_reports_both_alternatives() -> None:
    request = body(messages=[{"role": "user", "content": []}])
    assert error(request) == (
        f"Malformed input request: {NOT_MESSAGES}"
        "#/messages/0/content: expected type: String, found: JSONArray"
        f"#/messages/0/content: expected minimum item count: 1, found: 0{SUFFIX}"
    )


def test_wrong_anthropic_version() -> None:
    assert error(body(anthropic_version="claude-3-sonnet-20240229-v1:0")) == (
        "Invalid API version: claude-3-sonnet-20240229-v1:0"
    )


def test_max_tokens_over_the_model_limit() -> None:
    assert (
        error(body(max_tokens=8192), SONNET_35)
        == "The maximum tokens you requested exceeds the model limit of 4096"
    )


def test_empty_text_block_and_empty_message() -> None:
    blank = body(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}])
    assert error(blank) == "messages: text content blocks must be non-empty"
    empty = body(messages=[{"role": "user", "content": ""}])
    assert error(empty) == (
        "messages.0: all messages must have non-empty content except for the optional final assistant message"
    )


def test_thinking_budget_rules() -> None:
    assert error(body(thinking={"type": "enabled", "budget_tokens": 500})) == (
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    )
    assert error(body(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 2000})).startswith(
        "`max_tokens` must be greater than `thinking.budget_tokens`."
    )
    thinking = {"type": "enabled", "budget_tokens": 2000}
    # Thinking refuses a temperature other than 1 (wire-facts §25), which the base body sets.
    assert error(body(max_tokens=4000, thinking=thinking)) == (
        "temperature may only be set to 1 when thinking is enabled."
    )
    assert invoke(body(max_tokens=4000, thinking=thinking, temperature=None, top_p=None))["content"]


def test_claude_3_refuses_a_text_completion_body() -> None:
    text_body = {"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 300}
    assert error(text_body, SONNET_35) == (
        '"claude-3-5-sonnet-20240620" is not supported on this API. Please use the Messages API instead.'
    )


def test_body_without_messages_reports_the_text_completion_schema() -> None:
    cohere_body = {"texts": ["hi"], "input_type": "search_document"}
    assert error(cohere_body) == (
        "Malformed input request: #: required key [prompt] not found"
        "#: required key [max_tokens_to_sample] not found"
        f"#: extraneous key [texts] is not permitted#: extraneous key [input_type] is not permitted{SUFFIX}"
    )


def test_messages_stream_has_the_native_event_order_and_same_text() -> None:
    provider = provider_for("anthropic-messages")
    prompt = provider.validate(body(), HAIKU)
    completion = generate(prompt)
    deltas = split_deltas(completion.text)
    chunks = provider.stream_chunks(prompt, completion, HAIKU, "req-1", deltas)
    kinds = [chunk["type"] for chunk in chunks]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * len(deltas),
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    text = "".join(c["delta"]["text"] for c in chunks if c["type"] == "content_block_delta")
    answer = provider.respond(prompt, completion, HAIKU, "req-1")
    assert text == answer["content"][0]["text"]
    assert chunks[0]["message"]["id"] == answer["id"]
    assert chunks[0]["message"]["content"] == []
    assert chunks[0]["message"]["usage"]["input_tokens"] == answer["usage"]["input_tokens"]
    assert chunks[-2]["delta"]["stop_reason"] == "end_turn"
    assert chunks[-2]["usage"]["output_tokens"] == answer["usage"]["output_tokens"]


def test_tool_use_stream_sends_input_json_deltas() -> None:
    provider = provider_for("anthropic-messages")
    tool = {"name": "lookup", "description": "look up", "input_schema": {"type": "object", "properties": {}}}
    prompt = provider.validate(body(tools=[tool], tool_choice={"type": "any"}), HAIKU)
    completion = generate(prompt)
    chunks = provider.stream_chunks(prompt, completion, HAIKU, "r", split_deltas(completion.text))
    starts = [c["content_block"] for c in chunks if c["type"] == "content_block_start"]
    assert starts[-1]["type"] == "tool_use"
    assert starts[-1]["input"] == {}
    partial = "".join(
        c["delta"]["partial_json"]
        for c in chunks
        if c["type"] == "content_block_delta" and c["index"] == len(starts) - 1
    )
    assert json.loads(partial) == provider.respond(prompt, completion, HAIKU, "r")["content"][-1]["input"]


# -- Claude v2 text completions ----------------------------------------------------------------------

V2_BODY = {
    "prompt": "\n\nHuman: Hello world\n\nAssistant:",
    "max_tokens_to_sample": 300,
    "stop_sequences": ["\n\nHuman:"],
}


def test_text_completion_response() -> None:
    answer = invoke(V2_BODY, CLAUDE_V2, "anthropic-text")
    assert set(answer) == {"completion", "stop_reason", "stop"}
    assert answer["completion"]
    assert answer["stop_reason"] == "stop_sequence"
    assert answer["stop"] == "\n\nHuman:"
    cut = invoke(V2_BODY | {"max_tokens_to_sample": 2}, CLAUDE_V2, "anthropic-text")
    assert cut["stop_reason"] == "max_tokens"
    assert cut["stop"] is None


def test_text_completion_schema_and_prompt_rules() -> None:
    assert error({"prompt": "\n\nHuman: hi\n\nAssistant:"}, CLAUDE_V2, "anthropic-text") == (
        f"Malformed input request: #: required key [max_tokens_to_sample] not found{SUFFIX}"
    )
    too_many = V2_BODY | {"max_tokens_to_sample": 8192}
    assert error(too_many, CLAUDE_V2, "anthropic-text") == (
        f"Malformed input request: #/max_tokens_to_sample: 8192 is not less or equal to 8191{SUFFIX}"
    )
    no_end = V2_BODY | {"prompt": "\n\nHuman: hi"}
    assert error(no_end, CLAUDE_V2, "anthropic-text") == 'prompt must end with "\n\nAssistant:" turn'
    no_turns = V2_BODY | {"prompt": "hi"}
    assert error(no_turns, CLAUDE_V2, "anthropic-text") == (
        'prompt must start with "\n\nHuman:" turn after an optional system prompt, '
        'prompt must end with "\n\nAssistant:" turn'
    )
    system_first = V2_BODY | {"prompt": "You are terse.\n\nHuman: hi\n\nAssistant:"}
    assert invoke(system_first, CLAUDE_V2, "anthropic-text")["completion"]


def test_claude_v2_also_speaks_messages() -> None:
    answer = invoke(body(), CLAUDE_V2, "anthropic-text")
    assert answer["type"] == "message"
    assert answer["model"] == "claude-2.1"


def test_text_completion_stream_chunks() -> None:
    provider = provider_for("anthropic-text")
    prompt = provider.validate(V2_BODY, CLAUDE_V2)
    completion = generate(prompt)
    chunks = provider.stream_chunks(prompt, completion, CLAUDE_V2, "r", split_deltas(completion.text))
    assert "".join(c["completion"] for c in chunks) == completion.text
    assert all(c["stop_reason"] is None for c in chunks[:-1])
    assert chunks[-1]["stop_reason"] == "stop_sequence"
    assert chunks[-1]["stop"] == "\n\nHuman:"
