"""What the dashboard and the run report show of a journaled call: its outcome, and its full detail.

Everything here runs when the admin API is asked, never on the data plane: the journal keeps references
(the request's headers, the plan the engine decided) and this module turns them into JSON.

An outcome is one word the timeline colours by: ``success``, ``delayed`` (a rule slowed it),
``throttled``, ``error`` (any other error answer), ``stream-exception`` (a stream ended by an exception
event), ``truncated`` (an answer or stream ended early but cleanly), ``disconnected`` (dropped, hung up
or cut mid-stream) and ``corrupt-frame`` (a stream frame sent with a wrong CRC).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from emulator.engine import Engine
from emulator.engine.plan import Drop, Hang, Plan, Truncate
from emulator.journal import JournalEntry

__all__ = ["OUTCOMES", "classify", "detail", "outcome_of", "summary"]

OUTCOMES = (
    "success",
    "delayed",
    "throttled",
    "error",
    "stream-exception",
    "truncated",
    "disconnected",
    "corrupt-frame",
)
# A body is shown up to this many bytes (the journal may hold megabytes of one InvokeModel body).
BODY_SHOWN_BYTES = 256 << 10
# ... and a stream up to this many frames.
FRAMES_SHOWN = 5_000
REDACTED = "(redacted)"
_SIGNATURE = re.compile(r"(Signature=)[^,\s]*")
_SECRET_HEADERS = frozenset({"x-amz-security-token", "cookie", "x-api-key"})


def classify(
    status: int,
    error_code: str | None,
    stream_end: str | None,
    *,
    corrupt: bool = False,
    delayed: bool = False,
) -> str:
    """The outcome word of a call from what the journal summary says of it (and, live, its plan)."""
    if stream_end == "disconnected" or status == 0:
        return "disconnected"
    if stream_end == "truncated":
        return "truncated"
    if stream_end == "exception":
        return "stream-exception"
    if error_code == "ThrottlingException" or status == 429:
        return "throttled"
    if status >= 400:
        return "error"
    if corrupt:
        return "corrupt-frame"
    return "delayed" if delayed else "success"


def outcome_of(entry: JournalEntry) -> str:
    plan = entry.plan
    corrupt = delayed = False
    if plan is not None and plan.rule_id is not None:
        faults = plan.stream
        if faults is not None:
            at = faults.corrupt_crc_at
            corrupt = at is not None and (entry.events_sent or 0) > at
            delayed = faults.first_event_delay > 0 or faults.event_delay > 0
        delayed = delayed or plan.delay_seconds > 0
    return classify(entry.status, entry.error_code, entry.stream_end, corrupt=corrupt, delayed=delayed)


def summary(entry: JournalEntry) -> dict[str, Any]:
    """The journal's summary of a call, with its outcome."""
    if entry.request_digest is None and entry.request_body is not None:
        entry.request_digest = hashlib.blake2b(entry.request_body, digest_size=12).hexdigest()
    data = entry.to_json()
    data["outcome"] = outcome_of(entry)
    data["quota_window"] = entry.plan.quota_window if entry.plan is not None else None
    return data


def detail(entry: JournalEntry, engine: Engine) -> dict[str, Any]:
    """Everything the journal still holds of a call: bodies, headers, why a rule fired, its frames."""
    data = summary(entry)
    kept = entry.request_body is not None or entry.response_events is not None
    data["detail_kept"] = kept
    data["request"] = {
        "headers": _request_headers(entry.request_headers),
        "body": _body(entry.request_body),
    }
    data["response"] = {
        "headers": [[name, value] for name, value in entry.response_headers or ()],
        "body": _body(entry.response_body) if entry.response_events is None else None,
        "cut": _unary_cut(entry),
    }
    data["why"] = _why(entry, engine)
    data["stream"] = _stream(entry) if entry.response_events is not None else None
    return data


def _unary_cut(entry: JournalEntry) -> str | None:
    """Where a connection fault ended a unary answer, in words (None when it was answered whole)."""
    if entry.response_events is not None:
        return None
    if entry.status == 0:
        return "no answer: the connection was closed before any byte of one"
    connection = entry.plan.connection if entry.plan is not None else None
    if entry.stream_end == "truncated" and isinstance(connection, Truncate):
        size = len(entry.response_body or b"")
        kept = max(0, min(connection.keep_bytes, size - 1))
        return f"the connection was closed after {kept} of the answer's {size} bytes"
    return None


def _request_headers(headers: Mapping[str, str] | None) -> list[list[str]]:
    return [[name, _shown_header(name, value)] for name, value in sorted((headers or {}).items())]


def _shown_header(name: str, value: str) -> str:
    """A request header as shown: signatures, session tokens and API keys are never given back."""
    if name == "authorization":
        return _SIGNATURE.sub(r"\1" + REDACTED, value) if value.startswith("AWS4-") else REDACTED
    return REDACTED if name in _SECRET_HEADERS else value


def _body(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    shown = data[:BODY_SHOWN_BYTES]
    return {
        "size": len(data),
        "text": shown.decode("utf-8", "replace"),
        "cut": len(data) > len(shown),
    }


def _why(entry: JournalEntry, engine: Engine) -> dict[str, Any] | None:
    plan = entry.plan
    if plan is None or plan.scenario is None:
        return None
    why: dict[str, Any] = {"scenario": plan.scenario, "rule": plan.rule_id, "match_number": plan.match_number}
    if plan.rule_id is None:
        why["reason"] = f"scenario {plan.scenario} applied, but none of its rules took this call"
        return why
    scenario = engine.get(plan.scenario)
    rule = next((r for r in scenario.rules if r.id == plan.rule_id), None) if scenario else None
    if rule is not None:
        why["description"] = rule.description
        why["definition"] = rule.model_dump(mode="json", exclude_none=True)
    effects = list(_effects(plan))
    why["effects"] = effects
    count = f" on its matching call #{plan.match_number}" if plan.match_number else ""
    why["reason"] = f"rule {plan.rule_id} of scenario {plan.scenario} fired{count}: " + (
        "; ".join(effects) or "no effect beyond marking the call"
    )
    return why


def _effects(plan: Plan) -> Iterable[str]:
    if plan.error is not None:
        yield f"answered {plan.error.code}: {plan.error.message}"
    if plan.delay_seconds > 0:
        yield f"delayed {plan.delay_seconds:.3f} s"
    connection = plan.connection
    if isinstance(connection, Hang):
        yield f"held the connection silent {connection.seconds:g} s, then closed it"
    elif isinstance(connection, Drop):
        yield "closed the connection without an answer"
    elif isinstance(connection, Truncate):
        yield f"sent the first {connection.keep_bytes} bytes of the answer, then closed the connection"
    faults = plan.stream
    if faults is not None:
        if faults.first_event_delay:
            yield f"waited {faults.first_event_delay:g} s before the first event"
        if faults.event_delay:
            yield f"waited {faults.event_delay:g} s between events"
        if faults.exception_after is not None:
            yield f"sent {faults.exception_after.member} after {faults.exception_after.count} events"
        if faults.end_without_close_after is not None:
            yield f"ended the stream after {faults.end_without_close_after} events, without its closing events"
        if faults.cut_after is not None:
            yield f"cut the connection after {faults.cut_after} events"
        if faults.corrupt_crc_at is not None:
            yield f"sent frame #{faults.corrupt_crc_at} with a wrong CRC"
    if plan.answer is not None:
        yield "answered with the scenario's scripted content"


def _stream(entry: JournalEntry) -> dict[str, Any]:
    events = entry.response_events or []
    frames = [
        {"index": index, "event": kind, "offset_ms": round(offset * 1000, 3), "payload": payload}
        for index, (kind, payload, offset) in enumerate(events[:FRAMES_SHOWN])
    ]
    markers: list[dict[str, Any]] = []
    plan = entry.plan
    at = plan.stream.corrupt_crc_at if plan is not None and plan.stream is not None else None
    if at is not None and at < len(events):
        markers.append(
            {"kind": "corrupt-frame", "index": at, "text": f"frame #{at} was sent with a wrong CRC"}
        )
    end = entry.stream_end
    last = round(events[-1][2] * 1000, 3) if events else 0.0
    if end == "exception":
        markers.append(
            {
                "kind": "stream-exception",
                "index": len(events) - 1,
                "text": "the stream ended with this exception",
            }
        )
    elif end == "truncated":
        markers.append(
            {
                "kind": "truncated",
                "index": len(events),
                "text": "the stream stopped here, without its closing events",
            }
        )
    elif end == "disconnected":
        markers.append({"kind": "disconnected", "index": len(events), "text": "the connection was cut here"})
    return {
        "end": end,
        "events_sent": entry.events_sent,
        "frames": frames,
        "frames_omitted": max(0, len(events) - FRAMES_SHOWN),
        "last_offset_ms": last,
        "markers": markers,
    }
