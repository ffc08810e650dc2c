"""Agent memory: the session summaries GetAgentMemory returns and DeleteAgentMemory removes.

When a session of an agent with memory enabled ends (``endSession``) and the call named a ``memoryId``,
the session is summarised: one ``<topic>`` per turn, in the tagged form Bedrock's summaries take. A
summary expires ``storage_days`` after its session started. Summaries are per tenant, values in the app's
store.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from emulator.knowledge.index import analyse
from emulator.state import AppState, Store

Key = tuple[str, str, str, str]  # tenant, agent id, alias id, memory id
KIND: Final = "agent-memory"  # JSON [agent id, alias id, memory id] -> summaries, oldest first


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
                # datetimes: GetAgentMemory's output serializer writes them as the shape says
                "sessionStartTime": datetime.fromtimestamp(self.session_start, UTC),
                "sessionExpiryTime": datetime.fromtimestamp(self.session_expiry, UTC),
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
    """Session summaries in the app's store (kind ``agent-memory``), one list per (agent, alias, memory)."""

    def __init__(self, store: Store) -> None:
        self._store = store

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
        tenant, name = key[0], _name(key)

        def append(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
            kept = [v for v in values if v["session_id"] != session_id]
            return [*kept, asdict(summary)][-keep:]

        if self._store.update(tenant, KIND, name, append) is None and not self._store.put_new(
            tenant, KIND, name, [asdict(summary)]
        ):
            self._store.update(tenant, KIND, name, append)  # another turn created the list meanwhile
        return summary

    def get(self, key: Key, now: float) -> list[SessionSummary]:
        """Newest session first; expired summaries are gone."""
        values = self._store.get(key[0], KIND, _name(key)) or []
        live = [SessionSummary(**v) for v in values if v["session_expiry"] > now]
        return sorted(live, key=lambda s: -s.session_start)

    def delete(
        self, tenant: str, agent_id: str, alias_id: str, memory_id: str | None, session_id: str | None
    ) -> None:
        for name in self._store.keys(tenant, KIND):
            agent, alias, memory = json.loads(name)
            if (agent, alias) != (agent_id, alias_id) or (memory_id is not None and memory != memory_id):
                continue
            if session_id is None:
                self._store.delete(tenant, KIND, name)
                continue
            remaining = self._store.update(
                tenant, KIND, name, lambda values: [v for v in values if v["session_id"] != session_id]
            )
            if remaining == []:
                self._store.delete(tenant, KIND, name)


def _name(key: Key) -> str:
    """The store key of a memory: its agent, alias and memory id, unambiguously."""
    return json.dumps(list(key[1:]))


def memory_store(state: AppState) -> MemoryStore:
    """The agent memory of the app ``state`` belongs to."""
    return MemoryStore(state.store)
