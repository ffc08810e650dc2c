"""Agent memory: the session summaries GetAgentMemory returns and DeleteAgentMemory removes.

When a session of an agent with memory enabled ends (``endSession``) and the call named a ``memoryId``,
the session is summarised: one ``<topic>`` per turn, in the tagged form Bedrock's summaries take. A
summary expires ``storage_days`` after its session started. Summaries are per tenant.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from emulator.knowledge.index import analyse

Key = tuple[str, str, str, str]  # tenant, agent id, alias id, memory id


@dataclass(frozen=True)
class SessionSummary:
    memory_id: str
    session_id: str
    session_start: float
    session_expiry: float
    summary_text: str

    def wire(self) -> dict[str, object]:
        return {
            "sessionSummary": {
                "memoryId": self.memory_id,
                "sessionId": self.session_id,
                "sessionStartTime": iso(self.session_start),
                "sessionExpiryTime": iso(self.session_expiry),
                "summaryText": self.summary_text,
            }
        }


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def summarise(turns: list[tuple[str, str]]) -> str:
    topics = []
    for user, answer in turns:
        words = [w for w in analyse(user) if not w.isdigit()][:3]
        name = " ".join(words) or "conversation"
        topics.append(
            f'<topic name="{name}">The user said: {user.strip()} The assistant replied: {answer.strip()}</topic>'
        )
    return "\n".join(topics)


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Key, list[SessionSummary]] = {}

    def add(
        self,
        key: Key,
        session_id: str,
        started: float,
        storage_days: int,
        turns: list[tuple[str, str]],
        keep: int,
    ) -> SessionSummary:
        expiry = datetime.fromtimestamp(started, UTC) + timedelta(days=storage_days)
        summary = SessionSummary(key[3], session_id, started, expiry.timestamp(), summarise(turns))
        with self._lock:
            summaries = [s for s in self._items.get(key, []) if s.session_id != session_id]
            summaries.append(summary)
            self._items[key] = summaries[-keep:]
        return summary

    def get(self, key: Key, now: float) -> list[SessionSummary]:
        """Newest session first; expired summaries are gone."""
        with self._lock:
            live = [s for s in self._items.get(key, []) if s.session_expiry > now]
        return sorted(live, key=lambda s: -s.session_start)

    def delete(
        self, tenant: str, agent_id: str, alias_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        with self._lock:
            for key in list(self._items):
                if key[:3] != (tenant, agent_id, alias_id) or (memory_id is not None and key[3] != memory_id):
                    continue
                kept = [s for s in self._items[key] if session_id is not None and s.session_id != session_id]
                if kept:
                    self._items[key] = kept
                else:
                    del self._items[key]

    def clear(self, tenant: str | None) -> None:
        """Forget ``tenant``'s state (every tenant's when None), for a reset."""
        with self._lock:
            for key in [k for k in self._items if tenant is None or k[0] == tenant]:
                del self._items[key]


MEMORY = MemoryStore()
