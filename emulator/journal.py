"""The bounded, thread-safe record of served calls: what the admin API and the pytest plugin read."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.engine.plan import Plan

DEFAULT_CAPACITY = 10_000
# Request and response bodies (and stream events) are kept for the most recent calls only, so a long
# run of large streams cannot grow the journal without bound; older entries keep their summary.
DEFAULT_DETAIL_CAPACITY = 500
# ... and within this many bytes of bodies (a few large InvokeModel bodies must not pin gigabytes).
DEFAULT_DETAIL_BYTES = 64 << 20
# A stream event's share of that budget, and a header's: estimates, so recording costs no serialization.
_EVENT_BYTES = 256
_HEADERS_BYTES = 2048


@dataclass
class JournalEntry:
    time: float  # wall-clock seconds since the epoch when the call arrived
    tenant: str
    service: str
    operation: str
    model: str | None
    status: int
    request_id: str
    error_code: str | None = None
    rule: str | None = None
    latency_ms: float = 0.0
    events_sent: int | None = None
    stream_end: str | None = None  # completed | exception | truncated | disconnected
    input_tokens: int | None = None
    output_tokens: int | None = None
    warnings: list[str] = field(default_factory=list)
    protocol: str | None = None  # HTTP/1.1 or HTTP/2
    sequence: int = 0
    clock: float | None = None  # the virtual clock (quota time) when the call arrived
    ttft_ms: float | None = None  # a stream's time to its first content event, from the call's arrival
    # A digest of the request body, worked out when the admin API is first asked (off the data plane),
    # so the report can tell a client's retry of the same request after the body itself is let go.
    request_digest: str | None = None
    # For export as a replayable scenario and the dashboard's detail: the request and what was answered.
    request_body: bytes | None = field(default=None, repr=False)
    response_body: bytes | None = field(default=None, repr=False)
    response_events: list[tuple[str, dict[str, Any], float]] | None = field(default=None, repr=False)
    request_headers: Mapping[str, str] | None = field(default=None, repr=False)
    response_headers: list[tuple[str, str]] | None = field(default=None, repr=False)
    # What the engine decided (shared and immutable; kept with the summary): why a rule fired.
    plan: Plan | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The summary: every public field, none of the bodies, headers or the plan."""
        return {name: getattr(self, name) for name in _SUMMARY_FIELDS}


_PRIVATE_FIELDS = frozenset(
    {"request_body", "response_body", "response_events", "request_headers", "response_headers", "plan"}
)
_SUMMARY_FIELDS = tuple(f.name for f in fields(JournalEntry) if f.name not in _PRIVATE_FIELDS)


class Journal:
    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        detail_capacity: int = DEFAULT_DETAIL_CAPACITY,
        detail_bytes: int = DEFAULT_DETAIL_BYTES,
    ) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._detailed: deque[tuple[JournalEntry, int]] = deque()
        self._detail_capacity = detail_capacity
        self._detail_budget = detail_bytes
        self._detail_bytes = 0
        self._lock = threading.Lock()
        self._sequence = itertools.count(1)

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            entry.sequence = next(self._sequence)
            self._entries.append(entry)
            size = _detail_size(entry)
            if size > self._detail_budget:
                _strip(entry)  # alone over the budget: its summary is all that is kept
                return
            self._detailed.append((entry, size))
            self._detail_bytes += size
            while len(self._detailed) > self._detail_capacity or self._detail_bytes > self._detail_budget:
                old, old_size = self._detailed.popleft()
                self._detail_bytes -= old_size
                _strip(old)

    @property
    def detail_bytes(self) -> int:
        """Bytes of bodies (and estimated stream events) the journal holds now."""
        return self._detail_bytes

    def entries(
        self,
        *,
        tenant: str | None = None,
        operation: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        with self._lock:
            selected = [
                e
                for e in self._entries
                if (tenant is None or e.tenant == tenant)
                and (operation is None or e.operation == operation)
                and (since is None or e.time >= since)
            ]
        return selected[-limit:] if limit else selected

    def find(self, sequence: int) -> JournalEntry | None:
        """The entry with this sequence number, while the journal still holds it."""
        with self._lock:
            entries = self._entries
            if not entries or not entries[0].sequence <= sequence <= entries[-1].sequence:
                return None
            # Sequences grow by one per record; a clear of one tenant leaves gaps, so search from the guess.
            guess = min(len(entries) - 1, sequence - entries[0].sequence)
            while guess >= 0 and entries[guess].sequence > sequence:
                guess -= 1
            found = entries[guess] if guess >= 0 else None
        return found if found is not None and found.sequence == sequence else None

    def clear(self, tenant: str | None = None) -> None:
        with self._lock:
            if tenant is None:
                self._entries.clear()
                self._detailed.clear()
            else:
                kept = [e for e in self._entries if e.tenant != tenant]
                self._entries.clear()
                self._entries.extend(kept)
                detailed = [(e, size) for e, size in self._detailed if e.tenant != tenant]
                self._detailed.clear()
                self._detailed.extend(detailed)
            self._detail_bytes = sum(size for _, size in self._detailed)


def _detail_size(entry: JournalEntry) -> int:
    events = entry.response_events
    return (
        len(entry.request_body or b"")
        + len(entry.response_body or b"")
        + (len(events) * _EVENT_BYTES if events else 0)
        + (_HEADERS_BYTES if entry.request_headers is not None else 0)
    )


def _strip(entry: JournalEntry) -> None:
    entry.request_body = entry.response_body = None
    entry.response_events = None
    entry.request_headers = entry.response_headers = None
