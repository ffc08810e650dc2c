"""Carrying out a plan's stream faults: events in, event-stream frames out.

A stream is shaped here, with no Flask in sight: scripted event sequences and their delays, time to first
event and per-event delays, an exception event after N events, an end without the closing events, a cut
connection, a frame with a corrupt CRC. Frames written back to back share a write (coalescing), but the
first frame and every frame before a wait leave at once, so time-to-first-event and scripted timing stay
exact while a 1,000-event stream runs at raw-socket speed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from emulator.engine.plan import Plan, StreamFaults
from emulator.wire import eventstream
from emulator.wire.declared import stream_exceptions
from emulator.wire.errors import AwsError

COALESCE_BYTES = 16 * 1024
_NO_STREAM_FAULTS = StreamFaults()
# Event members that carry generated content: ConverseStream's deltas, InvokeModelWithResponseStream's
# chunks, the agent and flow runtimes' chunks and outputs.
_CONTENT_EVENTS = frozenset({"contentBlockDelta", "chunk", "flowOutputEvent"})


class _Flush:
    """Marker between frames: write what is pending now."""


_FLUSH = _Flush()


@dataclass
class StreamLog:
    """What a shaped stream did, for the journal: events sent (with their time since the start) and how
    it ended (completed / exception / truncated / disconnected)."""

    events: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    sent: int = 0
    end: str = "completed"
    started: float = 0.0  # perf_counter when the first event was asked for

    def first_content_offset(self) -> float | None:
        """Seconds from the start to the first event carrying generated content (the first token)."""
        for kind, _, offset in self.events:
            if kind in _CONTENT_EVENTS:
                return offset
        return None


def shaped_frames(
    events: Iterable[tuple[str, dict[str, Any]]],
    plan: Plan,
    *,
    operation: str,
    abort: Callable[[], None] | None,
    log: StreamLog,
    on_finish: Callable[[], None],
    coalesce: bool = True,
) -> Iterator[bytes]:
    """The stream's bytes, coalesced (unless not ``coalesce``); ``on_finish`` runs once the stream has
    ended, however it ended."""
    pending: list[bytes] = []
    size = 0
    first = True
    frames = _faulted_frames(events, plan, operation=operation, abort=abort, log=log, on_finish=on_finish)
    with contextlib.closing(frames):
        for frame in frames:
            if isinstance(frame, _Flush):
                if pending:
                    yield b"".join(pending)
                    pending, size = [], 0
                continue
            pending.append(frame)
            size += len(frame)
            if first or size >= COALESCE_BYTES or not coalesce:
                yield b"".join(pending)
                pending, size, first = [], 0, False
        if pending:
            yield b"".join(pending)


def _faulted_frames(
    handler_events: Iterable[tuple[str, dict[str, Any]]],
    plan: Plan,
    *,
    operation: str,
    abort: Callable[[], None] | None,
    log: StreamLog,
    on_finish: Callable[[], None],
) -> Generator[bytes | _Flush, None, None]:
    """One frame per event with the plan's stream faults applied; ``_FLUSH`` before any wait or cut."""
    faults = plan.stream or _NO_STREAM_FAULTS
    scripted = plan.answer.events if plan.answer is not None and plan.answer.events else None
    events: Iterator[tuple[str, dict[str, Any], float]]
    if scripted is not None:
        events = iter([(e.event_type, dict(e.payload), e.delay_seconds) for e in scripted])
    else:
        events = ((kind, payload, 0.0) for kind, payload in handler_events)
    exception = faults.exception_after
    started = log.started = time.perf_counter()

    def logged(kind: str, payload: dict[str, Any]) -> None:
        log.events.append((kind, payload, time.perf_counter() - started))

    try:
        for kind, payload, scripted_delay in events:
            if exception is not None and log.sent >= exception.count:
                break
            if faults.end_without_close_after is not None and log.sent >= faults.end_without_close_after:
                log.end = "truncated"
                return
            if faults.cut_after is not None and log.sent >= faults.cut_after:
                log.end = "disconnected"
                yield _FLUSH
                if abort is not None:
                    abort()
                return
            wait = scripted_delay + (faults.first_event_delay if log.sent == 0 else faults.event_delay)
            if wait > 0:
                yield _FLUSH
                time.sleep(wait)
            if kind.endswith("Exception"):  # a scripted exception event
                log.end = "exception"
                logged(kind, payload)
                yield eventstream.encode_exception(kind, payload)
                return
            frame = eventstream.encode_event(kind, payload)
            if faults.corrupt_crc_at == log.sent:
                frame = eventstream.corrupt_crc(frame)
            logged(kind, payload)
            log.sent += 1
            yield frame
        if exception is not None and log.sent >= exception.count:
            log.end = "exception"
            logged(exception.member, dict(exception.payload))
            yield eventstream.encode_exception(exception.member, dict(exception.payload))
        elif faults.cut_after is not None and log.sent >= faults.cut_after:
            log.end = "disconnected"  # the cut was asked for at the very end: the closing never comes
            yield _FLUSH
            if abort is not None:
                abort()
    except GeneratorExit:
        log.end = "disconnected"
        raise
    except AwsError as error:
        # An error raised while producing events travels as an exception event, like Bedrock's, as a
        # member the stream declares (boto3 would blank the code of any other).
        log.end = "exception"
        member = error.code[0].lower() + error.code[1:]
        if member not in stream_exceptions(operation):
            member = "internalServerException"
        logged(member, error.body())
        yield eventstream.encode_exception(member, error.body())
    finally:
        on_finish()
