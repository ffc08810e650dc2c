"""Claude's extended thinking on Converse, ConverseStream and InvokeModel, with boto3 over a real socket,
and its raw ConverseStream events (docs/wire-facts.md §25)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.generation import REDACTION_TRIGGER
from emulator.pytest_plugin import BedrockEmulator
from tests.wire.test_raw_responses import _boto_frames, _send

SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_46 = "us.anthropic.claude-sonnet-4-6"
HAIKU_35 = "us.anthropic.claude-3-5-haiku-20241022-v1:0"  # no extended thinking
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
TOOL = {
    "toolSpec": {
        "name": "get_user_country",
        "description": "The user's country",
        "inputSchema": {"json": {"type": "object", "properties": {}}},
    }
}


@pytest.fixture
def runtime(bedrock_emulator: BedrockEmulator) -> Any:
    return bedrock_emulator.client("bedrock-runtime")


def _messages(text: str = "What is the largest city in my country?") -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _converse(runtime: Any, model: str = SONNET_4, **request: Any) -> Any:
    request.setdefault("messages", _messages())
    request.setdefault("additionalModelRequestFields", THINKING)
    return runtime.converse(modelId=model, **request)


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_thinking_comes_first_with_text_and_signature(runtime: Any) -> None:
    response = _converse(runtime)
    content = response["output"]["message"]["content"]
    reasoning = content[0]["reasoningContent"]["reasoningText"]
    assert reasoning["text"]
    assert reasoning["signature"].startswith("E")
    assert base64.b64decode(reasoning["signature"])
    assert content[1]["text"]
    assert response == _converse(runtime) | {"ResponseMetadata": response["ResponseMetadata"]}


def test_thinking_counts_in_the_output_tokens(runtime: Any) -> None:
    plain = runtime.converse(modelId=SONNET_4, messages=_messages())
    thought = _converse(runtime)
    assert thought["usage"]["outputTokens"] > plain["usage"]["outputTokens"]


def test_models_without_extended_thinking_ignore_it(runtime: Any) -> None:
    content = _converse(runtime, HAIKU_35)["output"]["message"]["content"]
    assert all("reasoningContent" not in block for block in content)


def test_adaptive_thinking_on_models_that_offer_it(runtime: Any) -> None:
    content = _converse(runtime, SONNET_46, additionalModelRequestFields={"thinking": {"type": "adaptive"}})
    assert "reasoningText" in content["output"]["message"]["content"][0]["reasoningContent"]


def test_thinking_with_auto_tool_use_and_reasoning_passed_back(runtime: Any) -> None:
    first = _converse(runtime, toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}})
    assert first["stopReason"] == "tool_use"
    assistant = first["output"]["message"]
    assert "reasoningContent" in assistant["content"][0]
    tool_use = next(b["toolUse"] for b in assistant["content"] if "toolUse" in b)
    result = {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"text": "Mexico"}]}}
    second = _converse(
        runtime,
        toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}},
        messages=[*_messages(), assistant, {"role": "user", "content": [result]}],
    )
    assert second["stopReason"] == "end_turn"


def test_redacted_thinking_when_asked(runtime: Any) -> None:
    content = _converse(runtime, messages=_messages(REDACTION_TRIGGER))["output"]["message"]["content"]
    redacted = content[0]["reasoningContent"]["redactedContent"]
    assert isinstance(redacted, bytes)
    assert redacted


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        (
            {"additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1000}}},
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            {"additionalModelRequestFields": {"thinking": {"type": "enabled"}}},
            "thinking.enabled.budget_tokens: Field required",
        ),
        (
            {"inferenceConfig": {"maxTokens": 1024}},
            "`max_tokens` must be greater than `thinking.budget_tokens`.",
        ),
        (
            {"inferenceConfig": {"temperature": 0.2}},
            "temperature may only be set to 1 when thinking is enabled.",
        ),
        (
            {"toolConfig": {"tools": [TOOL], "toolChoice": {"any": {}}}},
            "Thinking may not be enabled when tool_choice forces tool use.",
        ),
        (
            {"toolConfig": {"tools": [TOOL], "toolChoice": {"tool": {"name": "get_user_country"}}}},
            "Thinking may not be enabled when tool_choice forces tool use.",
        ),
    ],
)
def test_invalid_combinations_are_refused(runtime: Any, request_fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        _converse(runtime, **request_fields)
    code, text = _error(excinfo)
    assert code == "ValidationException"
    assert text.startswith("The model returned the following errors: " + message)


def test_temperature_one_is_allowed(runtime: Any) -> None:
    assert _converse(runtime, inferenceConfig={"temperature": 1})["stopReason"] == "end_turn"


def test_converse_stream_sends_reasoning_deltas_then_the_signature(runtime: Any) -> None:
    events = list(
        runtime.converse_stream(
            modelId=SONNET_4, messages=_messages(), additionalModelRequestFields=THINKING
        )["stream"]
    )
    reasoning = [
        e["contentBlockDelta"]["delta"]["reasoningContent"]
        for e in events
        if "reasoningContent" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert len(reasoning) > 2
    assert all("text" in d for d in reasoning[:-1])
    assert set(reasoning[-1]) == {"signature"}
    unary = _converse(runtime)["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"]
    assert "".join(d["text"] for d in reasoning[:-1]) == unary["text"]
    assert reasoning[-1]["signature"] == unary["signature"]
    stops = [e["contentBlockStop"]["contentBlockIndex"] for e in events if "contentBlockStop" in e]
    assert stops == [0, 1]


def test_raw_converse_stream_reasoning_events(bedrock_emulator: BedrockEmulator) -> None:
    body = {"messages": _messages(), "additionalModelRequestFields": THINKING}
    raw = _send(
        bedrock_emulator, "POST", "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream", body
    )
    assert raw.status == 200
    frames = [(f.headers[":event-type"], json.loads(f.payload)) for f in _boto_frames(raw.body)]
    kinds = [kind for kind, _ in frames]
    assert kinds[0] == "messageStart"
    assert kinds[1] == "contentBlockDelta"  # no contentBlockStart before reasoning, as recorded
    first = frames[1][1]
    assert first["contentBlockIndex"] == 0
    assert list(first) == ["contentBlockIndex", "delta", "p"]
    assert set(first["delta"]["reasoningContent"]) == {"text"}
    signature = next(p for k, p in frames if "signature" in p.get("delta", {}).get("reasoningContent", {}))
    assert frames[frames.index(("contentBlockDelta", signature)) + 1] == (
        "contentBlockStop",
        {"contentBlockIndex": 0, "p": frames[frames.index(("contentBlockDelta", signature)) + 1][1]["p"]},
    )


def test_raw_converse_stream_redacted_reasoning(bedrock_emulator: BedrockEmulator) -> None:
    body = {"messages": _messages(REDACTION_TRIGGER), "additionalModelRequestFields": THINKING}
    raw = _send(
        bedrock_emulator, "POST", "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream", body
    )
    payload = json.loads(_boto_frames(raw.body)[1].payload)
    assert base64.b64decode(payload["delta"]["reasoningContent"]["redactedContent"])


# -- InvokeModel ---------------------------------------------------------------------------------------


def _anthropic(**extra: Any) -> str:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "What is the largest city in Mexico?"}],
        **extra,
    }
    return json.dumps(body)


def test_invoke_model_answers_a_thinking_block_first(runtime: Any) -> None:
    body = json.loads(runtime.invoke_model(modelId=SONNET_4, body=_anthropic())["body"].read())
    thinking, text = body["content"]
    assert thinking["type"] == "thinking"
    assert thinking["thinking"]
    assert thinking["signature"]
    assert text["type"] == "text"


def test_invoke_stream_sends_thinking_and_signature_deltas(runtime: Any) -> None:
    response = runtime.invoke_model_with_response_stream(modelId=SONNET_4, body=_anthropic())
    chunks = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    assert chunks[1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    }
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta" and c["index"] == 0]
    assert {d["type"] for d in deltas[:-1]} == {"thinking_delta"}
    assert deltas[-1]["type"] == "signature_delta"
    text_start = next(c for c in chunks if c["type"] == "content_block_start" and c["index"] == 1)
    assert text_start["content_block"]["type"] == "text"


def test_invoke_model_redacted_thinking(runtime: Any) -> None:
    request = _anthropic(messages=[{"role": "user", "content": REDACTION_TRIGGER}])
    block = json.loads(runtime.invoke_model(modelId=SONNET_4, body=request)["body"].read())["content"][0]
    assert block["type"] == "redacted_thinking"
    assert block["data"]


def test_invoke_model_refuses_temperature_and_forced_tools_with_thinking(runtime: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId=SONNET_4, body=_anthropic(temperature=0.5))
    assert _error(excinfo) == (
        "ValidationException",
        "temperature may only be set to 1 when thinking is enabled.",
    )
    tool = {"name": "lookup", "input_schema": {"type": "object"}}
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId=SONNET_4, body=_anthropic(tools=[tool], tool_choice={"type": "any"}))
    assert _error(excinfo) == (
        "ValidationException",
        "Thinking may not be enabled when tool_choice forces tool use.",
    )


def test_anthropic_sdk_reads_thinking(anthropic_bedrock: Any) -> None:
    client = anthropic_bedrock
    request: dict[str, Any] = {
        "model": SONNET_4,
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "Hello"}],
    }
    message = client.messages.create(**request)
    assert message.content[0].type == "thinking"
    assert message.content[0].signature
    with client.messages.stream(**request) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking"
    assert final.content[0].thinking == message.content[0].thinking
    assert final.content[0].signature == message.content[0].signature


def test_adaptive_thinking_without_room_for_it_still_answers(runtime: Any) -> None:
    response = _converse(
        runtime,
        SONNET_46,
        additionalModelRequestFields={"thinking": {"type": "adaptive"}},
        inferenceConfig={"maxTokens": 1},
    )
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 1


def test_gpt_oss_always_reasons_without_a_signature(runtime: Any) -> None:
    for fields in ({}, {"additionalModelRequestFields": {"reasoning_effort": "medium"}}):
        response = runtime.converse(
            modelId="openai.gpt-oss-120b-1:0", messages=_messages("Reply: ok"), **fields
        )
        reasoning, text = response["output"]["message"]["content"]
        assert set(reasoning["reasoningContent"]["reasoningText"]) == {"text"}
        assert text["text"]
    events = list(
        runtime.converse_stream(modelId="openai.gpt-oss-20b-1:0", messages=_messages("Hi"))["stream"]
    )
    deltas = [
        e["contentBlockDelta"]["delta"]["reasoningContent"]
        for e in events
        if "reasoningContent" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert deltas
    assert all(set(delta) == {"text"} for delta in deltas)


def test_deepseek_r1_answers_its_reasoning_after_the_text(runtime: Any) -> None:
    content = runtime.converse(
        modelId="us.deepseek.r1-v1:0", messages=_messages("How do I cross the street?")
    )["output"]["message"]["content"]
    assert list(content[0]) == ["text"]
    assert set(content[1]["reasoningContent"]["reasoningText"]) == {"text"}


def test_a_top_p_of_at_least_0_95_is_allowed_with_thinking(runtime: Any) -> None:
    assert _converse(runtime, inferenceConfig={"topP": 0.95})["stopReason"] == "end_turn"


def test_models_with_adaptive_thinking_only_refuse_a_budget(runtime: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _converse(runtime, "us.anthropic.claude-opus-4-7")
    assert _error(excinfo) == (
        "ValidationException",
        "The model returned the following errors: thinking.type: Input should be 'adaptive' or 'disabled'",
    )
    adaptive = {"thinking": {"type": "adaptive"}}
    content = _converse(runtime, "us.anthropic.claude-opus-4-7", additionalModelRequestFields=adaptive)
    assert "reasoningContent" in content["output"]["message"]["content"][0]


def test_tool_results_without_the_thinking_that_called_the_tool_are_refused(runtime: Any) -> None:
    first = _converse(runtime, toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}})
    assistant = first["output"]["message"]
    tool_use = next(b["toolUse"] for b in assistant["content"] if "toolUse" in b)
    result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"text": "x"}]}}],
    }
    stripped = {
        "role": "assistant",
        "content": [b for b in assistant["content"] if "reasoningContent" not in b],
    }
    with pytest.raises(ClientError) as excinfo:
        _converse(
            runtime,
            toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}},
            messages=[*_messages(), stripped, result],
        )
    code, message = _error(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "The model returned the following errors: messages.1.content.0.type: Expected `thinking` or "
        "`redacted_thinking`, but found `text`. When `thinking` is enabled, a final `assistant` message must "
        "start with a thinking block"
    )
    # Without thinking the same conversation is fine.
    plain = runtime.converse(
        modelId=SONNET_4,
        messages=[*_messages(), stripped, result],
        toolConfig={"tools": [TOOL], "toolChoice": {"auto": {}}},
    )
    assert plain["stopReason"] == "end_turn"


def test_invoke_model_checks_the_thinking_passed_back(runtime: Any) -> None:
    tool = {"name": "lookup", "input_schema": {"type": "object"}}
    messages = [
        {"role": "user", "content": "Look it up"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "found"}]},
    ]
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId=SONNET_4, body=_anthropic(tools=[tool], messages=messages))
    assert _error(excinfo)[1].startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    )
    messages[1]["content"].insert(0, {"type": "thinking", "thinking": "I should look.", "signature": "EqQB"})  # type: ignore[union-attr]
    body = json.loads(
        runtime.invoke_model(modelId=SONNET_4, body=_anthropic(tools=[tool], messages=messages))[
            "body"
        ].read()
    )
    assert body["stop_reason"] == "end_turn"
