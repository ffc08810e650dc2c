"""Journal entries become a scenario that answers the same way again: bodies, errors, streams, cuts."""

from __future__ import annotations

import json

import pytest

from emulator.engine import Call, Engine
from emulator.engine.plan import Drop
from emulator.export import exchange_of, export, export_name
from emulator.journal import JournalEntry

NOVA = "us.amazon.nova-micro-v1:0"
CONVERSE_BODY = {
    "metrics": {"latencyMs": 120},
    "output": {"message": {"content": [{"text": "Hello"}], "role": "assistant"}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
}


def _entry(operation: str, status: int = 200, **fields: object) -> JournalEntry:
    values: dict[str, object] = {
        "time": 0.0,
        "tenant": "t",
        "service": "bedrock-runtime",
        "operation": operation,
        "model": NOVA,
        "status": status,
        "request_id": "r",
        "request_body": b'{"messages":[]}',
    }
    values.update(fields)
    return JournalEntry(**values)  # type: ignore[arg-type]


FAILING_RUN = [
    _entry("Converse", response_body=json.dumps(CONVERSE_BODY).encode(), latency_ms=250.0),
    _entry(
        "Converse",
        429,
        error_code="ThrottlingException",
        response_body=b'{"message":"Too many tokens, please wait before trying again."}',
    ),
    _entry(
        "ConverseStream",
        response_events=[
            ("messageStart", {"role": "assistant"}, 0.01),
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}, 0.05),
            ("modelStreamErrorException", {"message": "boom", "originalStatusCode": 500}, 0.06),
        ],
        stream_end="exception",
        events_sent=2,
    ),
    _entry("Converse", 0, stream_end="disconnected", latency_ms=1500.0),
]


def test_a_journaled_run_replays_in_order_with_errors_streams_and_drops() -> None:
    replay = export(FAILING_RUN, name="run")
    assert replay.skipped == []
    engine = Engine()
    engine.load(replay.scenario())
    first = engine.plan(Call("bedrock-runtime", "Converse", "t", model_id=NOVA, scenario_header="run"))
    assert first.answer is not None
    assert (first.answer.text, first.delay_seconds) == ("Hello", 0.25)
    second = engine.plan(Call("bedrock-runtime", "Converse", "t", model_id=NOVA, scenario_header="run"))
    assert second.error is not None
    assert second.error.code == "ThrottlingException"
    assert second.error.message == "Too many tokens, please wait before trying again."
    stream = engine.plan(
        Call("bedrock-runtime", "ConverseStream", "t", model_id=NOVA, streaming=True, scenario_header="run")
    )
    assert stream.answer is not None
    assert stream.answer.events is not None
    assert [e.event_type for e in stream.answer.events] == [
        "messageStart",
        "contentBlockDelta",
        "modelStreamErrorException",
    ]
    assert stream.answer.events[2].payload == {"message": "boom", "originalStatusCode": 500}
    dropped = engine.plan(Call("bedrock-runtime", "Converse", "t", model_id=NOVA, scenario_header="run"))
    assert isinstance(dropped.connection, Drop)
    assert dropped.delay_seconds == 1.5


def test_stream_exception_missing_from_the_journal_is_noted() -> None:
    entry = _entry(
        "ConverseStream",
        response_events=[("messageStart", {"role": "assistant"}, 0.0)],
        stream_end="exception",
    )
    replay = export([entry], name="run")
    assert any("exception the journal did not keep" in note for note in replay.skipped)


def test_a_cut_stream_and_a_truncated_body_keep_how_they_ended() -> None:
    cut = exchange_of(
        _entry("ConverseStream", response_events=[("messageStart", {}, 0.0)], stream_end="disconnected")
    )
    assert cut.disconnected
    assert cut.frames is not None
    truncated = exchange_of(_entry("Converse", response_body=b'{"output":{}}', stream_end="truncated"))
    assert truncated.truncated_after is not None
    assert 0 < truncated.truncated_after < len(b'{"output":{}}')


def test_exported_yaml_loads_back_as_the_same_scenario() -> None:
    engine = Engine()
    name = engine.load_text(export(FAILING_RUN, name="run").to_yaml())
    assert name == "run"


def test_a_name_a_scenario_cannot_have_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot name a scenario"):
        export(FAILING_RUN, name="no spaces/please")


def test_default_export_name_is_a_valid_scenario_name_for_any_tenant() -> None:
    assert export_name("AKIA/EXAMPLE key") == "replay-AKIA-EXAMPLE-key"
    assert export_name(None) == "replay-all"
    export([], name=export_name("AKIA/EXAMPLE key"))


def test_calls_whose_details_the_journal_let_go_are_emulated_with_a_note_but_errors_kept() -> None:
    forgotten_answer = _entry("Converse", request_body=None)
    forgotten_error = _entry("Converse", 429, error_code="ThrottlingException", request_body=None)
    replay = export([forgotten_answer, forgotten_error], name="run")
    assert any("no longer holds what was answered" in note for note in replay.skipped)
    assert [rule["error"]["code"] for rule in replay.document["rules"]] == ["ThrottlingException"]
