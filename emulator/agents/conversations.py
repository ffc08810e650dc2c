"""InvokeAgent's session state, per tenant: attributes, past turns and a pending returnControl.

A conversation is keyed by (tenant, agent id, alias id, session id), so tenants never see each other's
sessions. ``sessionAttributes`` last for the whole session, ``promptSessionAttributes`` for one turn
(as Bedrock documents). A session idle for longer than the agent's ``idleSessionTTLInSeconds``, or
ended with ``endSession``, starts afresh on the next call.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from emulator.agents.definition import Action


@dataclass(frozen=True)
class PendingControl:
    """A returnControl the caller still has to answer, with what the agent was doing at the time."""

    invocation_id: str
    action: Action
    parameters: dict[str, str]
    confirmation: bool  # the caller is asked to confirm rather than (only) to run the action
    input_text: str


@dataclass
class Conversation:
    session_id: str
    started_at: float
    last_active: float
    session_attributes: dict[str, str] = field(default_factory=dict)
    turns: list[tuple[str, str]] = field(default_factory=list)  # (user text, agent answer)
    pending: PendingControl | None = None
    memory_id: str | None = None


Key = tuple[str, str, str, str]  # tenant, agent id, alias id, session id


class Conversations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Key, Conversation] = {}

    def open(self, key: Key, idle_ttl: float, now: float | None = None) -> Conversation:
        """The live conversation for ``key``, a fresh one when there is none or it has idled out."""
        now = time.time() if now is None else now
        with self._lock:
            conversation = self._items.get(key)
            if conversation is None or now - conversation.last_active > idle_ttl:
                conversation = Conversation(key[3], now, now)
                self._items[key] = conversation
            conversation.last_active = now
            return conversation

    def end(self, key: Key) -> Conversation | None:
        with self._lock:
            return self._items.pop(key, None)

    def clear(self, tenant: str | None) -> None:
        """Forget ``tenant``'s state (every tenant's when None), for a reset."""
        with self._lock:
            for key in [k for k in self._items if tenant is None or k[0] == tenant]:
                del self._items[key]


CONVERSATIONS = Conversations()
