"""InvokeAgent / InvokeInlineAgent traces member for member as real ones (wire-facts, "Agent and guardrail
traces"), through real boto3 over a real socket: the members recorded real traces carry and no others, the
model, Lambda, knowledge-base and final-response metadata with times that add up, the inline agent's caller
chain, and times that follow the emulator's virtual clock. The recorded member sets below come from real
InvokeAgent / InvokeInlineAgent streams recorded in 2025 (cited in wire-facts); the raw frames are read
before botocore parses them, since botocore silently drops what its model does not declare (``__type``)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer

from emulator.control.accounts import account_id

ANY_AGENT = "AGENT12345"  # unknown: lenient mode serves the sample order-support agent
DRAFT = "TSTALIASID"
INLINE = {
    "foundationModel": "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "instruction": "You are a helpful assistant that answers questions briefly and politely.",
}
ACTION_TURN = "Where is my order ORD-100200?"
KNOWLEDGE_TURN = "What is your warranty on lamps?"

# What recorded real traces carry, per member (Arize-ai/openinference's recorded bedrock-agent-runtime
# streams, May-October 2025).
AGENT_PART = {"agentAliasId", "agentId", "agentVersion", "callerChain", "eventTime", "sessionId", "trace"}
INLINE_PART = {"callerChain", "eventTime", "sessionId", "trace"}
MODEL_INPUT = {"foundationModel", "inferenceConfiguration", "text", "traceId", "type"}
INFERENCE = {"__type", "maximumLength", "stopSequences", "temperature", "topK", "topP"}
INFERENCE_TYPE = "com.amazon.bedrock.agent.common.types#InferenceConfiguration"
MODEL_OUTPUT = {"metadata", "parsedResponse", "rawResponse", "reasoningContent", "traceId"}
MODEL_METADATA = {"clientRequestId", "endTime", "startTime", "totalTimeMs", "usage"}
CALL_METADATA = {"clientRequestId", "endTime", "startTime", "totalTimeMs"}
FINAL_METADATA = {"endTime", "operationTotalTimeMs", "startTime"}
TIMES = {"eventTime", "startTime", "endTime"}


def _raw_traces(bedrock_emulator: Any, operation: str, **params: Any) -> list[dict[str, Any]]:
    """The ``trace`` events' JSON as the emulator sent them."""
    client = bedrock_emulator.client("bedrock-agent-runtime")
    frames: list[bytes] = []

    def grab(response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict["body"]
        frames.append(body if isinstance(body, bytes) else body.read())
        raise _Captured

    client.meta.events.register(f"before-parse.bedrock-agent-runtime.{operation}", grab)
    call = client.invoke_agent if operation == "InvokeAgent" else client.invoke_inline_agent
    with pytest.raises(_Captured):
        call(**params)
    buffer = EventStreamBuffer()
    buffer.add_data(frames[0])
    return [json.loads(m.payload) for m in buffer if m.headers.get(":event-type") == "trace"]


class _Captured(Exception):  # noqa: N818  # a control-flow signal
    pass


def _agent(session: str, text: str) -> dict[str, Any]:
    return {
        "agentId": ANY_AGENT,
        "agentAliasId": DRAFT,
        "sessionId": session,
        "inputText": text,
        "enableTrace": True,
    }


def _traces(bedrock_emulator: Any, **params: Any) -> list[dict[str, Any]]:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    stream = runtime.invoke_agent(**params) if "agentId" in params else runtime.invoke_inline_agent(**params)
    return [event["trace"] for event in stream["completion"] if "trace" in event]


def _steps(parts: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(step, member, value) of each trace event, e.g. ("orchestrationTrace", "rationale", {...})."""
    out = []
    for part in parts:
        ((step, body),) = part["trace"].items()
        ((member, value),) = body.items()
        out.append((step, member, value))
    return out


def _check_recorded_members(part: dict[str, Any], *, inline: bool) -> None:
    assert set(part) == (INLINE_PART if inline else AGENT_PART)
    ((_step, body),) = part["trace"].items()
    ((member, value),) = body.items()
    if member == "modelInvocationInput":
        expected = MODEL_INPUT - {"inferenceConfiguration"} if inline else MODEL_INPUT
        if value["type"] == "KNOWLEDGE_BASE_RESPONSE_GENERATION":
            expected = expected - {"foundationModel"}  # recorded so
        assert set(value) == expected
        if not inline:
            assert set(value["inferenceConfiguration"]) == INFERENCE
            assert value["inferenceConfiguration"]["__type"] == INFERENCE_TYPE
    elif member == "modelInvocationOutput":
        assert set(value) <= MODEL_OUTPUT
        assert set(value["metadata"]) == MODEL_METADATA
    elif member == "observation":
        for kind in ("actionGroupInvocationOutput", "knowledgeBaseLookupOutput"):
            if kind in value:
                assert set(value[kind]["metadata"]) == CALL_METADATA
        if "finalResponse" in value:
            assert set(value["finalResponse"]) == {"metadata", "text"}
            assert set(value["finalResponse"]["metadata"]) == FINAL_METADATA


# -- members ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [ACTION_TURN, KNOWLEDGE_TURN])
def test_agent_trace_members_are_the_ones_recorded_real_traces_carry(
    bedrock_emulator: Any, text: str
) -> None:
    parts = _raw_traces(bedrock_emulator, "InvokeAgent", **_agent("members", text))
    steps = {(step, member) for step, member, _ in _steps(parts)}
    assert ("preProcessingTrace", "modelInvocationOutput") in steps
    assert ("postProcessingTrace", "modelInvocationOutput") in steps
    assert ("orchestrationTrace", "observation") in steps
    for part in parts:
        _check_recorded_members(part, inline=False)
        assert "parserMode" not in json.dumps(part)
        assert "promptCreationMode" not in json.dumps(part)
    stops = {
        value["type"]: value["inferenceConfiguration"]["stopSequences"]
        for _step, member, value in _steps(parts)
        if member == "modelInvocationInput"
    }
    assert stops == {
        "PRE_PROCESSING": ["\n\nHuman:"],
        "ORCHESTRATION": ["</invoke>", "</answer>", "</error>"],
        "POST_PROCESSING": ["\n\nHuman:"],
        **({"KNOWLEDGE_BASE_RESPONSE_GENERATION": ["\n\nHuman:"]} if text == KNOWLEDGE_TURN else {}),
    }


def test_inline_agent_trace_names_the_inline_caller_and_no_inference_configuration(
    bedrock_emulator: Any,
) -> None:
    parts = _raw_traces(
        bedrock_emulator,
        "InvokeInlineAgent",
        sessionId="inline-1",
        inputText="Hello there",
        enableTrace=True,
        **INLINE,
    )
    assert parts
    arn = (
        f"arn:aws:bedrock:us-east-1:{account_id(bedrock_emulator.tenant)}:agent-alias/INLINE_AGENT/TSTALIASID"
    )
    for part in parts:
        _check_recorded_members(part, inline=True)
        assert part["callerChain"] == [{"agentAliasArn": arn}]
        assert part["sessionId"] == "inline-1"


# -- metadata and times -----------------------------------------------------------------------------------


def _ms(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() * 1000


def test_metadata_times_add_up_and_event_times_follow_the_steps(bedrock_emulator: Any) -> None:
    parts = _traces(bedrock_emulator, **_agent("times", ACTION_TURN))
    events = [part["eventTime"] for part in parts]
    assert events == sorted(events)
    model_starts = []
    for part, (_step, member, value) in zip(parts, _steps(parts), strict=True):
        if member == "modelInvocationOutput":
            metadata = value["metadata"]
            uuid.UUID(metadata["clientRequestId"])
            assert abs(_ms(metadata["endTime"], metadata["startTime"]) - metadata["totalTimeMs"]) < 1
            assert metadata["usage"]["inputTokens"] > 0
            assert metadata["usage"]["outputTokens"] > 0
            assert part["eventTime"] >= metadata["endTime"]
            model_starts.append(metadata["startTime"])
        if member == "observation" and "actionGroupInvocationOutput" in value:
            metadata = value["actionGroupInvocationOutput"]["metadata"]
            assert "usage" not in metadata
            assert abs(_ms(metadata["endTime"], metadata["startTime"]) - metadata["totalTimeMs"]) < 1
    assert any(m == "observation" and "actionGroupInvocationOutput" in v for _s, m, v in _steps(parts))
    (final,) = [
        v["finalResponse"] for _s, m, v in _steps(parts) if m == "observation" and "finalResponse" in v
    ]
    metadata = final["metadata"]
    assert metadata["startTime"] < min(model_starts)
    assert abs(_ms(metadata["endTime"], metadata["startTime"]) - metadata["operationTotalTimeMs"]) < 1
    assert metadata["endTime"] <= events[-1]


def test_a_knowledge_base_lookup_carries_the_turn_id_as_its_request_id(bedrock_emulator: Any) -> None:
    parts = _traces(bedrock_emulator, **_agent("kb", KNOWLEDGE_TURN))
    inputs = [v for _s, m, v in _steps(parts) if m == "modelInvocationInput"]
    generation = inputs[-2]  # the knowledge base's answer step, before post-processing
    assert generation["type"] == "KNOWLEDGE_BASE_RESPONSE_GENERATION"
    assert generation["traceId"].endswith("-KB-null-0")
    assert generation["inferenceConfiguration"]["stopSequences"] == ["\n\nHuman:"]
    assert "<search_result>" in generation["text"]
    ((final_id, final),) = [
        (v["traceId"], v["finalResponse"])
        for _s, m, v in _steps(parts)
        if m == "observation" and "finalResponse" in v
    ]
    assert final_id == generation["traceId"].removesuffix("-KB-null-0") + "-1"
    (answer,) = [
        json.loads(v["rawResponse"]["content"])
        for _s, m, v in _steps(parts)
        if m == "modelInvocationOutput" and v["traceId"] == generation["traceId"]
    ]
    assert answer["content"][0]["text"].startswith("<answer>\n<answer_part>\n<text>\n" + final["text"])
    (lookup,) = [v for _s, m, v in _steps(parts) if m == "observation" and "knowledgeBaseLookupOutput" in v]
    metadata = lookup["knowledgeBaseLookupOutput"]["metadata"]
    assert metadata["clientRequestId"] == lookup["traceId"].rsplit("-", 1)[0]
    assert metadata["totalTimeMs"] > 0
    assert metadata["endTime"] > metadata["startTime"]


def test_trace_times_follow_the_virtual_clock(bedrock_emulator: Any) -> None:
    before = _traces(bedrock_emulator, **_agent("clock-1", ACTION_TURN))
    bedrock_emulator.advance_clock(3600)
    after = _traces(bedrock_emulator, **_agent("clock-2", ACTION_TURN))
    gap = (
        after[-1]["eventTime"] - before[-1]["eventTime"]
    ).total_seconds()  # each turn ends when it is served
    assert 3600 <= gap < 3600 + 120
    durations = [
        [v["metadata"]["totalTimeMs"] for _s, m, v in _steps(parts) if m == "modelInvocationOutput"]
        for parts in (before, after)
    ]
    assert durations[0] == durations[1]  # what a step takes is a function of the turn, not of the clock


# -- the model's raw answer -------------------------------------------------------------------------------


def _raw_answers(parts: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(the rawResponse parsed, the step's metadata) of every model call."""
    return [
        (json.loads(v["rawResponse"]["content"]), v["metadata"])
        for _s, m, v in _steps(parts)
        if m == "modelInvocationOutput"
    ]


def test_a_claude_agent_s_raw_response_is_its_messages_answer(bedrock_emulator: Any) -> None:
    parts = _traces(bedrock_emulator, **_agent("raw-claude", ACTION_TURN))
    answers = _raw_answers(parts)
    assert len(answers) >= 3  # pre-processing, two orchestration steps, post-processing
    for message, metadata in answers:
        assert list(message) == [
            "stop_sequence", "type", "id", "content", "model", "usage", "role", "stop_reason",
        ]  # fmt: skip
        assert message["model"] == "claude-3-5-sonnet-20241022"
        assert message["id"].startswith("msg_bdrk_01")
        assert len(message["id"]) == 33
        usage = message["usage"]
        assert (usage["input_tokens"], usage["output_tokens"]) == (
            metadata["usage"]["inputTokens"],
            metadata["usage"]["outputTokens"],
        )
        assert usage["cache_read_input_tokens"] is None
    stops = [(m["stop_reason"], m["stop_sequence"]) for m, _ in answers]
    assert ("tool_use", None) in stops
    assert ("stop_sequence", "</answer>") in stops
    tool_use = next(b for m, _ in answers for b in m["content"] if b["type"] == "tool_use")
    assert tool_use["name"] == "order-operations__get_order_status"
    assert tool_use["input"] == {"order_id": "ORD-100200"}
    assert tool_use["text"] is None
    assert tool_use["id"].startswith("toolu_bdrk_01")


def test_a_nova_inline_agent_s_raw_response_is_its_converse_answer(bedrock_emulator: Any) -> None:
    parts = _traces(
        bedrock_emulator,
        sessionId="raw-nova",
        inputText="Hello there",
        enableTrace=True,
        foundationModel="amazon.nova-pro-v1:0",
        instruction=INLINE["instruction"],
    )
    ((message, metadata),) = _raw_answers(parts)
    assert message["stopReason"] == "stop_sequence"
    (block,) = message["output"]["message"]["content"]
    assert block["text"].startswith("<thinking>")
    assert block["toolUse"] is None
    assert message["usage"]["inputTokens"] == metadata["usage"]["inputTokens"]
    assert message["usage"]["outputTokens"] == metadata["usage"]["outputTokens"]
