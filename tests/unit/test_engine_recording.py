"""Recorded exchanges become a scenario that replays the same answers, in order, with their timing."""

from __future__ import annotations

from emulator.engine import Call, Engine
from emulator.engine.loader import load_text
from emulator.engine.plan import Drop, Plan, Truncate
from emulator.engine.recording import Exchange, RecordedFrame, replay_of
from emulator.wire.declared import STREAMING_OPERATIONS

NOVA = "us.amazon.nova-micro-v1:0"

CONVERSE_BODY = {
    "metrics": {"latencyMs": 268},
    "output": {"message": {"content": [{"text": "Hello!"}], "role": "assistant"}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 7, "outputTokens": 30, "totalTokens": 37},
}

EXCHANGES = [
    Exchange("Converse", NOVA, {"messages": []}, 200, body=CONVERSE_BODY, latency_seconds=0.268),
    Exchange(
        "Converse",
        NOVA,
        {},
        429,
        headers={
            "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
        },
        body={"message": "Too many tokens, please wait before trying again."},
        latency_seconds=0.05,
    ),
    Exchange(
        "ConverseStream",
        NOVA,
        {},
        200,
        frames=(
            RecordedFrame("messageStart", {"role": "assistant"}, 0.4),
            RecordedFrame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}, 0.43),
            RecordedFrame(
                "modelStreamErrorException", {"message": "boom", "originalStatusCode": 500}, 0.5, True
            ),
        ),
    ),
    Exchange("InvokeModel", "anthropic.claude-3-haiku-20240307-v1:0", {}, 200, body={"content": []}),
    Exchange(
        "Converse", NOVA, {}, 403, headers={"x-amzn-errortype": "UnrecognizedClientException:x"}, body={}
    ),
    Exchange("ListFoundationModels", None, None, 200, body={"modelSummaries": []}),
    Exchange(
        "Retrieve", None, {}, 200, body={"retrievalResults": [{"content": {"text": "doc"}, "score": 0.5}]}
    ),
]


def _call(operation: str, model: str | None) -> Call:
    service = "bedrock-agent-runtime" if operation == "Retrieve" else "bedrock-runtime"
    return Call(
        service,
        operation,
        "t",
        model_id=model,
        foundation_model_id=model,
        streaming=operation in STREAMING_OPERATIONS,
        scenario_header="replay",
    )


def test_replay_answers_the_recording_in_order() -> None:
    replay = replay_of(EXCHANGES, name="replay")
    engine = Engine()
    engine.load(replay.scenario())
    first = engine.plan(_call("Converse", NOVA))
    assert first.answer is not None
    assert (first.answer.text, first.answer.stop_reason) == ("Hello!", "end_turn")
    assert first.answer.usage is not None
    assert first.answer.usage.output_tokens == 30
    assert first.delay_seconds == 0.268
    second = engine.plan(_call("Converse", NOVA))
    assert second.error is not None
    assert (second.error.code, second.error.message) == (
        "ThrottlingException",
        "Too many tokens, please wait before trying again.",
    )
    stream = engine.plan(_call("ConverseStream", NOVA)).answer
    assert stream is not None
    assert stream.events is not None
    assert [(e.event_type, e.delay_seconds) for e in stream.events] == [
        ("messageStart", 0.4),
        ("contentBlockDelta", 0.03),
        ("modelStreamErrorException", 0.07),
    ]
    invoke = engine.plan(_call("InvokeModel", "anthropic.claude-3-haiku-20240307-v1:0")).answer
    assert invoke is not None
    assert invoke.invoke_body == {"content": []}
    retrieved = engine.plan(_call("Retrieve", None)).answer
    assert retrieved is not None
    assert retrieved.retrieval_results == ({"text": "doc", "score": 0.5},)
    # Past the recording, calls are emulated normally.
    assert engine.plan(_call("Converse", NOVA)).rule_id is None


def test_unreplayable_exchanges_are_skipped_with_a_note() -> None:
    replay = replay_of(EXCHANGES, name="replay")
    assert len(replay.document["rules"]) == 5
    assert any("UnrecognizedClientException" in note for note in replay.skipped)
    assert any("ListFoundationModels" in note for note in replay.skipped)


def test_replay_yaml_round_trips_through_the_loader() -> None:
    replay = replay_of(EXCHANGES, name="replay")
    loaded = load_text(replay.to_yaml(), "replay.yaml", "replay")
    assert loaded == replay.scenario()


def test_model_ids_are_matched_literally() -> None:
    odd = "odd*model?[x]"
    replay = replay_of([Exchange("InvokeModel", odd, {}, 200, body={})], name="replay")
    engine = Engine()
    engine.load(replay.scenario())
    assert engine.plan(_call("InvokeModel", "oddXmodelY[x]")).rule_id is None
    assert engine.plan(_call("InvokeModel", odd)).rule_id is not None


def _only_plan(exchange: Exchange) -> Plan:
    replay = replay_of([exchange], name="replay")
    assert replay.skipped == []
    engine = Engine()
    engine.load(replay.scenario())
    return engine.plan(_call(exchange.operation, exchange.model_id))


def _frames(count: int) -> tuple[RecordedFrame, ...]:
    deltas = [
        RecordedFrame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": f"t{i}"}}, 0.1 * i)
        for i in range(1, count)
    ]
    return (RecordedFrame("messageStart", {"role": "assistant"}, 0.0), *deltas)


def test_no_answer_is_replayed_as_a_dropped_connection_after_the_same_wait() -> None:
    plan = _only_plan(Exchange("Converse", NOVA, {}, 0, latency_seconds=0.75, disconnected=True))
    assert isinstance(plan.connection, Drop)
    assert plan.delay_seconds == 0.75


def test_a_body_cut_short_is_truncated_at_the_same_length() -> None:
    plan = _only_plan(Exchange("Converse", NOVA, {}, 200, truncated_after=17))
    assert plan.connection == Truncate(17)


def test_a_stream_cut_mid_way_is_cut_after_the_same_events() -> None:
    plan = _only_plan(Exchange("ConverseStream", NOVA, {}, 200, frames=_frames(3), disconnected=True))
    assert plan.stream is not None
    assert plan.stream.cut_after == 3
    assert plan.answer is not None
    assert plan.answer.events is not None
    # The data plane cuts before the event that would follow the third: one must follow, never sent.
    assert [e.event_type for e in plan.answer.events[:3]] == [f.event_type for f in _frames(3)]


def test_a_stream_cut_before_any_event_needs_no_scripted_events() -> None:
    plan = _only_plan(Exchange("ConverseStream", NOVA, {}, 200, frames=(), disconnected=True))
    assert plan.stream is not None
    assert plan.stream.cut_after == 0
    assert plan.answer is None


def test_a_frame_with_a_bad_crc_is_corrupted_again_at_the_same_place() -> None:
    plan = _only_plan(Exchange("ConverseStream", NOVA, {}, 200, frames=_frames(4), corrupt_frame=2))
    assert plan.stream is not None
    assert plan.stream.corrupt_crc_at == 2


def test_a_bad_checksum_the_recorder_stopped_at_is_replayed_at_the_same_place() -> None:
    # The recorder stops at the frame with the bad checksum: it has the two events before it, not the frame.
    plan = _only_plan(Exchange("ConverseStream", NOVA, {}, 200, frames=_frames(2), corrupt_frame=2))
    assert plan.stream is not None
    assert plan.stream.corrupt_crc_at == 2
    assert plan.answer is not None
    assert plan.answer.events is not None
    assert len(plan.answer.events) == 3  # the two recorded, then the one sent with a bad checksum


def test_a_bad_checksum_on_the_first_frame_is_replayed_too() -> None:
    plan = _only_plan(Exchange("ConverseStream", NOVA, {}, 200, frames=(), corrupt_frame=0))
    assert plan.stream is not None
    assert plan.stream.corrupt_crc_at == 0
    assert plan.answer is not None
    assert plan.answer.events is not None
    assert [e.event_type for e in plan.answer.events] == ["messageStart"]


def test_a_replay_file_never_uses_yaml_aliases() -> None:
    shared = {"contentBlockIndex": 0, "delta": {"text": "same"}}
    frames = tuple(RecordedFrame("contentBlockDelta", shared, 0.1 * i) for i in range(200))
    replay = replay_of([Exchange("ConverseStream", NOVA, {}, 200, frames=frames)], name="replay")
    text = replay.to_yaml()
    assert "&id" not in text
    assert "*id" not in text
    assert load_text(text, "replay.yaml").name == "replay"


def test_a_stream_with_undeclared_events_is_skipped_rather_than_refused_at_load() -> None:
    frames = (*_frames(2), RecordedFrame("brandNewEvent", {}, 0.3))
    replay = replay_of([Exchange("ConverseStream", NOVA, {}, 200, frames=frames)], name="replay")
    assert replay.document["rules"] == []
    assert any("brandNewEvent" in note for note in replay.skipped)
