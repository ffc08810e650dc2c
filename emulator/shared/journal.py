"""`SharedJournal`: the journal of every replica's calls in one capped Redis stream.

Summaries go to a stream trimmed to the journal's capacity; request and response bodies (and stream
events) to a hash beside it, kept for the most recent calls only and within the same byte budget as the
in-memory journal, so a long run of large bodies cannot grow Redis without bound. Recording is one Lua
script; sequence numbers come from one counter, so they are unique across replicas.

Recording leaves the call's path: a writer thread sends each entry while the answer goes back to the
client (one Redis round trip less per call, a third of what Redis state adds to a Converse's p50). Reads
on this replica wait until its own entries are written, so a replica always lists what it served; another
replica sees them a write later (well under a millisecond on a quiet Redis). When more than
``_MAX_UNWRITTEN`` entries wait (Redis slower than the traffic), recording writes in the caller's thread
again, so the queue stays bounded.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
from typing import Any

from emulator.engine.plan import Drop, ExceptionAfter, Hang, Plan, StreamFaults, Truncate
from emulator.journal import (
    DEFAULT_CAPACITY,
    DEFAULT_DETAIL_BYTES,
    DEFAULT_DETAIL_CAPACITY,
    Journal,
    JournalEntry,
    _detail_size,
)
from emulator.shared.connection import PREFIX, Connection
from emulator.state.unavailable import StateUnavailableError
from emulator.wire.errors import AwsError

_log = logging.getLogger("bedrock_emulator.state")
_MAX_UNWRITTEN = 10_000
_FLUSH_SECONDS = 5.0

_STREAM = PREFIX + "journal"
_BODIES = PREFIX + "journal-bodies"
_DETAILED = PREFIX + "journal-detailed"  # list of "sequence size", oldest first
_DETAIL_BYTES = PREFIX + "journal-detail-bytes"
_SEQUENCE = PREFIX + "journal-sequence"
_KEYS = [_STREAM, _BODIES, _DETAILED, _DETAIL_BYTES, _SEQUENCE]

# ARGV: capacity, detail capacity, detail budget, tenant, summary JSON, bodies JSON ('' for none), size
_RECORD = """
local seq = redis.call('INCR', KEYS[5])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 's', seq, 't', ARGV[4], 'j', ARGV[5])
local size = tonumber(ARGV[7])
if ARGV[6] == '' or size > tonumber(ARGV[3]) then return seq end
redis.call('HSET', KEYS[2], seq, ARGV[6])
redis.call('RPUSH', KEYS[3], seq .. ' ' .. size)
local total = redis.call('INCRBY', KEYS[4], size)
while redis.call('LLEN', KEYS[3]) > tonumber(ARGV[2]) or total > tonumber(ARGV[3]) do
  local old = redis.call('LPOP', KEYS[3])
  local old_seq, old_size = string.match(old, '^(%S+) (%S+)$')
  redis.call('HDEL', KEYS[2], old_seq)
  total = redis.call('DECRBY', KEYS[4], tonumber(old_size))
end
return seq
"""

# ARGV: tenant -> drops the tenant's entries and their bodies, recounting the budget
_CLEAR_TENANT = """
local dropped = {}
for _, item in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local fields = item[2]
  local seq, tenant
  for i = 1, #fields, 2 do
    if fields[i] == 's' then seq = fields[i + 1] elseif fields[i] == 't' then tenant = fields[i + 1] end
  end
  if tenant == ARGV[1] then
    redis.call('XDEL', KEYS[1], item[1])
    redis.call('HDEL', KEYS[2], seq)
    dropped[seq] = true
  end
end
local kept, total = {}, 0
for _, item in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local seq, size = string.match(item, '^(%S+) (%S+)$')
  if not dropped[seq] then
    kept[#kept + 1] = item
    total = total + tonumber(size)
  end
end
redis.call('DEL', KEYS[3])
if #kept > 0 then redis.call('RPUSH', KEYS[3], unpack(kept)) end
redis.call('SET', KEYS[4], total)
return 1
"""


# What of a call's plan the journal keeps in Redis, for the dashboard and report to explain the call by
# (with its error and faults, below); its scripted answer and quota tickets stay in the replica.
_PLAN_VALUES = ("scenario", "rule_id", "delay_seconds", "match_number", "quota_window")


def _plan_values(plan: Plan) -> dict[str, Any]:
    """What the dashboard and report explain a call by: the plan's values, its error, its faults."""
    values: dict[str, Any] = {name: getattr(plan, name) for name in _PLAN_VALUES}
    if plan.error is not None:
        values["error"] = [plan.error.code, plan.error.message, plan.error.fields]
    connection = plan.connection
    if connection is not None:
        values["connection"] = [type(connection).__name__, dataclasses.asdict(connection)]
    if plan.stream is not None:
        values["stream"] = dataclasses.asdict(plan.stream)
    return values


_CONNECTIONS: dict[str, Any] = {"Hang": Hang, "Drop": Drop, "Truncate": Truncate}


def _plan(values: dict[str, Any]) -> Plan:
    error = values.pop("error", None)
    connection = values.pop("connection", None)
    stream = values.pop("stream", None)
    if stream is not None and stream["exception_after"] is not None:
        stream["exception_after"] = ExceptionAfter(**stream["exception_after"])
    return Plan(
        **values,
        error=AwsError(error[0], error[1], **error[2]) if error is not None else None,
        connection=_CONNECTIONS[connection[0]](**connection[1]) if connection is not None else None,
        stream=StreamFaults(**stream) if stream is not None else None,
    )


def _summary(entry: JournalEntry) -> str:
    """The entry's summary (``to_json``) without the sequence Redis gives, with the plan's values."""
    summary = entry.to_json()
    summary.pop("sequence")
    plan = entry.plan
    if plan is not None and plan.scenario is not None:
        summary["plan"] = _plan_values(plan)
    return json.dumps(summary, separators=(",", ":"))


def _entry(data: dict[str, Any], sequence: int) -> JournalEntry:
    plan = data.pop("plan", None)
    entry = JournalEntry(**data, sequence=sequence)
    if plan is not None:
        entry.plan = _plan(plan)
    return entry


def _bodies(entry: JournalEntry) -> bytes:
    """The details as one value: both body lengths, the bodies, then events and headers as JSON."""
    if entry.request_body is None and entry.response_body is None and entry.response_events is None:
        return b""
    request, response = entry.request_body or b"", entry.response_body or b""
    rest = {
        "events": entry.response_events,
        "request_headers": dict(entry.request_headers) if entry.request_headers is not None else None,
        "response_headers": entry.response_headers,
    }
    return b"%d %d " % (len(request), len(response)) + request + response + json.dumps(rest).encode()


def _with_bodies(entry: JournalEntry, raw: bytes) -> None:
    request_length, response_length, rest = raw.split(b" ", 2)
    cut = int(request_length)
    end = cut + int(response_length)
    entry.request_body, entry.response_body = rest[:cut], rest[cut:end]
    details = json.loads(rest[end:])
    events = details["events"]
    entry.response_events = [tuple(event) for event in events] if events is not None else None
    entry.request_headers = details["request_headers"]
    headers = details["response_headers"]
    entry.response_headers = [tuple(pair) for pair in headers] if headers is not None else None


class SharedJournal(Journal):
    def __init__(
        self,
        connection: Connection,
        capacity: int = DEFAULT_CAPACITY,
        detail_capacity: int = DEFAULT_DETAIL_CAPACITY,
        detail_bytes: int = DEFAULT_DETAIL_BYTES,
    ) -> None:
        super().__init__(1, 1, 0)  # the in-memory deque stays empty: everything is in Redis
        self._connection = connection
        self._limits = (capacity, detail_capacity, detail_bytes)
        self._record = connection.script(_RECORD)
        self._clear_tenant = connection.script(_CLEAR_TENANT)
        self._pending: queue.SimpleQueue[tuple[JournalEntry, list[Any]]] = queue.SimpleQueue()
        self._unwritten = 0
        self._written = threading.Condition()
        self._writer: threading.Thread | None = None

    def record(self, entry: JournalEntry) -> None:
        args = [*self._limits, entry.tenant, _summary(entry), _bodies(entry), _detail_size(entry)]
        with self._written:
            if self._unwritten >= _MAX_UNWRITTEN:
                backlog = True
            else:
                backlog = False
                self._unwritten += 1
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write_loop, name="journal-writer", daemon=True
                    )
                    self._writer.start()
        if backlog:
            entry.sequence = int(self._record(_KEYS, args))
        else:
            self._pending.put((entry, args))

    def _write_loop(self) -> None:
        while True:
            entry, args = self._pending.get()
            try:
                entry.sequence = int(self._record(_KEYS, args))
            except StateUnavailableError as exc:  # the answer stood; only its journal entry is lost
                _log.warning("call not journaled: %s", exc)
            except Exception:
                _log.exception("writing a journal entry to Redis failed")
            finally:
                with self._written:
                    self._unwritten -= 1
                    if self._unwritten == 0:
                        self._written.notify_all()

    def flush(self) -> None:
        """Wait until this replica's recorded entries are in Redis (bounded: a lost Redis drops them)."""
        with self._written:
            self._written.wait_for(lambda: self._unwritten == 0, _FLUSH_SECONDS)

    @property
    def detail_bytes(self) -> int:
        self.flush()
        return int(self._connection.run(lambda client: client.get(_DETAIL_BYTES)) or 0)

    def entries(
        self,
        *,
        tenant: str | None = None,
        operation: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        self.flush()
        capacity = self._limits[0]
        # Trimmed by whole stream nodes (cheaper than exactly): the newest ``capacity`` are the journal.
        items = self._connection.run(lambda client: client.xrevrange(_STREAM, count=capacity))[::-1]
        selected: list[JournalEntry] = []
        for _, fields in items:
            entry = _entry(json.loads(fields[b"j"]), int(fields[b"s"]))
            if (
                (tenant is None or entry.tenant == tenant)
                and (operation is None or entry.operation == operation)
                and (since is None or entry.time >= since)
            ):
                selected.append(entry)
        if limit:
            selected = selected[-limit:]
        if selected:
            sequences = [entry.sequence for entry in selected]
            bodies = self._connection.run(lambda client: client.hmget(_BODIES, sequences))
            for entry, raw in zip(selected, bodies, strict=True):
                if raw is not None:
                    _with_bodies(entry, raw)
        return selected

    def find(self, sequence: int) -> JournalEntry | None:
        """The entry with this sequence number, while the journal still holds it (an admin read: it
        scans the stream from the newest entry back)."""
        for entry in reversed(self.entries()):
            if entry.sequence == sequence:
                return entry
            if entry.sequence < sequence:
                return None
        return None

    def clear(self, tenant: str | None = None) -> None:
        self.flush()
        if tenant is None:
            self._connection.run(lambda client: client.delete(*_KEYS[:4]))
        else:
            self._clear_tenant(_KEYS, [tenant])
