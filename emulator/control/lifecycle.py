"""Status changes on the engine's virtual clock, and the timestamps that go with them.

A record that is about to change carries ``_timeline``: a list of ``[clock, changes]`` steps, ``clock``
a reading of the virtual clock (``call.now``) and ``changes`` the members to set then (a status, a
``preparedAt``...). ``settle(record, now)`` applies every step that is due, in order; a step setting
``GONE`` means the record no longer exists. Readers settle before they answer, so an agent created
with a PREPARING step reads PREPARED once the clock passes it, and ``POST /_emulator/clock/advance``
gets there at once.

Timestamps are ISO-8601 UTC (bedrock-agent's ``DateTimestamp`` is declared ``iso8601``), computed from
virtual clock readings: ``EPOCH_SHIFT`` maps the monotonic clock the virtual one runs on to the wall
clock once per process, so advancing the clock moves timestamps forward too.

``DURATIONS`` holds how long each transition takes: short, so polling code finishes quickly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from emulator.services.exchange import OperationCall

GONE: Final = "_gone"
TIMELINE: Final = "_timeline"
EPOCH_SHIFT: Final = time.time() - time.monotonic()

# Seconds of virtual clock each transition takes (docs/control-plane.md).
DURATIONS: Final[Mapping[str, float]] = {
    "create": 1.0,  # CREATING -> ACTIVE / NOT_PREPARED / PREPARED / CREATED
    "update": 1.0,  # UPDATING -> back to a steady status
    "prepare": 1.0,  # PREPARING -> PREPARED (agents), Preparing -> Prepared (flows)
    "delete": 1.0,  # DELETING -> gone
    "ingest_start": 0.5,  # STARTING -> IN_PROGRESS
    "ingest_run": 1.5,  # STARTING -> COMPLETE (from the start)
    "document": 1.0,  # STARTING -> INDEXED, DELETING -> gone
}


def now(call: OperationCall) -> float:
    """The virtual clock when the call arrived (the monotonic clock for calls built without one)."""
    return float(call.now) if call.now is not None else time.monotonic()


def iso(clock: float) -> str:
    """A virtual clock reading as bedrock-agent writes timestamps."""
    moment = datetime.fromtimestamp(clock + EPOCH_SHIFT, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def later(call: OperationCall, what: str) -> float:
    """The clock reading when a transition of kind ``what`` that starts now ends."""
    return now(call) + DURATIONS[what]


def schedule(record: dict[str, Any], steps: Iterable[tuple[float, Mapping[str, Any]]]) -> None:
    """Replace the record's pending steps with ``steps`` (a new operation supersedes the old one's)."""
    pending = [[at, dict(changes)] for at, changes in steps]
    if pending:
        record[TIMELINE] = sorted(pending, key=lambda step: float(step[0]))
    else:
        record.pop(TIMELINE, None)


def pending(record: Mapping[str, Any]) -> bool:
    return bool(record.get(TIMELINE))


def settle(record: dict[str, Any], clock: float) -> bool:
    """Apply the steps due at ``clock``; True when the record changed. ``record[GONE]`` marks deletion."""
    steps = record.get(TIMELINE)
    if not steps:
        return False
    due = [step for step in steps if float(step[0]) <= clock]
    if not due:
        return False
    for _at, changes in due:
        record.update(changes)
    remaining = steps[len(due) :]
    if remaining:
        record[TIMELINE] = remaining
    else:
        record.pop(TIMELINE, None)
    return True


def stamp(call: OperationCall) -> str:
    """The call's moment as a timestamp."""
    return iso(now(call))


def title(status: str) -> str:
    """A status as refusals spell it: ``NOT_PREPARED`` -> ``NotPrepared``."""
    return "".join(part.capitalize() for part in status.split("_"))
