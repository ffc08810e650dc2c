"""Stream shaping with plain values: coalescing, exception after N events, cuts, corrupt frames, timing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from emulator.engine import faults
from emulator.engine.plan import ExceptionAfter, Plan, ScriptedAnswer, ScriptedEvent, StreamFaults
from emulator.wire import eventstream
from emulator.wire.errors import AwsError


def events(count: int) -> list[tuple[str, dict[str, Any]]]:
    return [("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": f"w{i}"}}) for i in range(count)]


def run(
    plan: Plan, source: Any, operation: str = "ConverseStream"
) -> tuple[list[bytes], faults.StreamLog, list[str]]:
    log = faults.StreamLog()
    calls: list[str] = []
    chunks = list(
        faults.shaped_frames(
            source,
            plan,
            operation=operation,
            abort=lambda: calls.append("abort"),
            log=log,
            on_finish=lambda: calls.append("finish"),
        )
    )
    return chunks, log, calls


def frames_of(chunks: list[bytes]) -> list[eventstream.Frame]:
    return eventstream.decode_frames(b"".join(chunks))


def test_first_frame_leaves_alone_and_the_rest_are_coalesced():
    chunks, log, calls = run(Plan(), events(1000))
    assert len(frames_of(chunks[:1])) == 1
    assert len(chunks) < 50  # ~1,000 small frames share a few writes
    assert (log.sent, log.end, calls) == (1000, "completed", ["finish"])


def test_exception_after_n_events_sends_n_events_then_the_declared_exception():
    plan = Plan(
        stream=StreamFaults(
            exception_after=ExceptionAfter(5, "throttlingException", {"message": "slow down"})
        )
    )
    chunks, log, _ = run(plan, events(20))
    frames = frames_of(chunks)
    assert len(frames) == 6
    assert frames[-1].headers[":exception-type"] == "throttlingException"
    assert frames[-1].json() == {"message": "slow down"}
    assert (log.sent, log.end) == (5, "exception")


def test_cut_after_n_events_aborts_the_connection_after_flushing_them():
    chunks, log, calls = run(Plan(stream=StreamFaults(cut_after=3)), events(10))
    assert len(frames_of(chunks)) == 3
    assert calls == ["abort", "finish"]
    assert log.end == "disconnected"


def test_cut_after_every_event_still_cuts_before_the_close():
    _, log, calls = run(Plan(stream=StreamFaults(cut_after=4)), events(4))
    assert calls == ["abort", "finish"]
    assert log.end == "disconnected"


def test_end_without_close_stops_cleanly_after_n_events():
    chunks, log, calls = run(Plan(stream=StreamFaults(end_without_close_after=2)), events(10))
    assert len(frames_of(chunks)) == 2
    assert (log.end, calls) == ("truncated", ["finish"])


def test_corrupt_crc_frame_is_the_nth_and_the_others_are_sound():
    chunks, _, _ = run(Plan(stream=StreamFaults(corrupt_crc_at=1)), events(3))
    raw = b"".join(chunks)
    with pytest.raises(ValueError, match="CRC"):
        eventstream.decode_frames(raw)
    first = eventstream.decode_frames(raw[: int.from_bytes(raw[:4], "big")])
    assert first[0].json()["delta"]["text"] == "w0"


def test_scripted_events_replace_the_handlers_and_keep_their_delays():
    script = (
        ScriptedEvent("messageStart", {"role": "assistant"}, 0.0),
        ScriptedEvent("messageStop", {"stopReason": "end_turn"}, 0.05),
    )
    started = time.perf_counter()
    chunks, log, _ = run(Plan(answer=ScriptedAnswer(events=script)), events(100))
    assert time.perf_counter() - started >= 0.05
    assert [f.headers[":event-type"] for f in frames_of(chunks)] == ["messageStart", "messageStop"]
    assert log.events[1][2] >= 0.05


def test_an_error_raised_mid_stream_becomes_a_declared_exception_event():
    def failing():
        yield from events(2)
        raise AwsError("ConflictException", "not a ConverseStream member")

    chunks, log, _ = run(Plan(), failing())
    last = frames_of(chunks)[-1]
    assert last.headers[":exception-type"] == "internalServerException"  # conflict is not declared there
    assert log.end == "exception"
