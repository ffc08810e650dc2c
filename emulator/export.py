"""Journal entries to a replay scenario: a failing run, exported, answers the same way again.

Each journaled call becomes a recorded exchange (``engine.recording`` turns exchanges into rules): the
answered body, the stream's events with their times, the error code, how the connection ended.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from emulator.engine.recording import Exchange, RecordedFrame, Replay, replay_of
from emulator.engine.schema import SCENARIO_NAME_PATTERN
from emulator.journal import JournalEntry

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Every exception member of Bedrock's event streams is named ...Exception; their events never are.
_EXCEPTION_SUFFIX = "Exception"


def export_name(tenant: str | None) -> str:
    """The default name of an export: ``replay-<tenant>`` (scenario names allow fewer characters)."""
    safe = _NAME_UNSAFE.sub("-", tenant or "all").strip("-._") or "all"
    return f"replay-{safe}"[:128]


def exchange_of(entry: JournalEntry) -> Exchange:
    """What one journaled call answered, as a recorded exchange."""
    frames: tuple[RecordedFrame, ...] | None = None
    if entry.response_events is not None:
        frames = tuple(
            RecordedFrame(kind, payload, offset, exception=kind.endswith(_EXCEPTION_SUFFIX))
            for kind, payload, offset in entry.response_events
        )
    stream_end = entry.stream_end
    unary_cut = frames is None and stream_end == "truncated"
    body = None if frames is not None else _json_or_none(entry.response_body)
    return Exchange(
        operation=entry.operation,
        model_id=entry.model,
        request_body=_json_or_none(entry.request_body),
        status=entry.status,
        headers={"x-amzn-errortype": entry.error_code} if entry.error_code else {},
        body=body,
        frames=frames,
        latency_seconds=entry.latency_ms / 1000 if frames is None else 0.0,
        disconnected=stream_end == "disconnected",
        # The journal keeps the whole body, not where the cut fell: half of it stands in.
        truncated_after=len(entry.response_body or b"") // 2 if unary_cut else None,
    )


def export(entries: Iterable[JournalEntry], *, name: str, description: str | None = None) -> Replay:
    """A scenario replaying the journaled calls' answers in their order, and notes on what it cannot.

    Raises ``ValueError`` for a name a scenario cannot have.
    """
    if not re.fullmatch(SCENARIO_NAME_PATTERN, name):
        raise ValueError(
            f"{name!r} cannot name a scenario: letters, digits, '.', '_' and '-', starting with a "
            "letter or digit, at most 128 characters"
        )
    chosen = list(entries)
    notes: list[str] = []
    exchanges: list[Exchange] = []
    for index, entry in enumerate(chosen):
        exchange = exchange_of(entry)
        frames = exchange.frames
        if entry.request_body is None and entry.status < 300 and entry.status != 0:
            # The data plane always keeps a request body (b"" at least): None means the journal let go
            # of this call's details, as it does past its most recent calls.
            notes.append(
                f"exchange {index + 1} ({entry.operation}): the journal no longer holds what was answered "
                "(only its most recent calls keep bodies and events); it will be emulated"
            )
        elif entry.stream_end == "exception" and frames is not None and not any(f.exception for f in frames):
            notes.append(
                f"exchange {index + 1} ({entry.operation}): its stream ended with an exception the "
                "journal did not keep; replayed without it"
            )
        exchanges.append(exchange)
    replay = replay_of(
        exchanges,
        name=name,
        description=description or f"Replay of {len(chosen)} journaled calls.",
    )
    replay.skipped.extend(notes)
    return replay


def _json_or_none(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
