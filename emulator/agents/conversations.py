"""InvokeAgent's session state, per tenant: attributes, past turns and a pending returnControl.

A conversation is keyed by (tenant, agent id, alias id, session id), so tenants never see each other's
sessions. ``sessionAttributes`` last for the whole session, ``promptSessionAttributes`` for one turn
(as Bedrock documents). A session idle for longer than the agent's ``idleSessionTTLInSeconds``, or
ended with ``endSession``, starts afresh on the next call.

Conversations are values in the app's store (kind ``agent-conversation``): a turn opens one, changes its
copy and saves it. A pending returnControl keeps the action it stopped at as a value too; the next turn
takes the agent's own action of that name (which may compute its result in code) when the agent has it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from emulator.agents.definition import Action, Parameter
from emulator.state import AppState, Store

KIND: Final = "agent-conversation"  # JSON [agent id, alias id, session id] -> Conversation.value()


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

    def value(self) -> dict[str, Any]:
        pending = self.pending
        return {
            "sessionId": self.session_id,
            "startedAt": self.started_at,
            "lastActive": self.last_active,
            "sessionAttributes": dict(self.session_attributes),
            "turns": [list(turn) for turn in self.turns],
            "pending": None
            if pending is None
            else {
                "invocationId": pending.invocation_id,
                "action": _action_value(pending.action),
                "parameters": dict(pending.parameters),
                "confirmation": pending.confirmation,
                "inputText": pending.input_text,
            },
            "memoryId": self.memory_id,
        }

    @classmethod
    def from_value(cls, value: Mapping[str, Any], actions: Sequence[Action] = ()) -> Conversation:
        pending = value["pending"]
        return cls(
            value["sessionId"],
            value["startedAt"],
            value["lastActive"],
            dict(value["sessionAttributes"]),
            [(user, answer) for user, answer in value["turns"]],
            None
            if pending is None
            else PendingControl(
                pending["invocationId"],
                _action(pending["action"], actions),
                dict(pending["parameters"]),
                pending["confirmation"],
                pending["inputText"],
            ),
            value["memoryId"],
        )


Key = tuple[str, str, str, str]  # tenant, agent id, alias id, session id


class Conversations:
    def __init__(self, store: Store) -> None:
        self._store = store

    def open(
        self, key: Key, idle_ttl: float, now: float | None = None, actions: Sequence[Action] = ()
    ) -> Conversation:
        """The live conversation for ``key``, a fresh one when there is none or it has idled out; either
        way it is active now. ``actions``: the agent's, to take a pending action from."""
        now = time.time() if now is None else now
        tenant, name = key[0], _name(key)
        fresh = Conversation(key[3], now, now).value()

        def touch(value: dict[str, Any]) -> dict[str, Any]:
            if now - value["lastActive"] > idle_ttl:
                return fresh
            return {**value, "lastActive": now}

        value = self._store.update(tenant, KIND, name, touch)
        if value is None:
            value = (
                fresh
                if self._store.put_new(tenant, KIND, name, fresh)
                else self._store.update(tenant, KIND, name, touch)
            )
        return Conversation.from_value(value or fresh, actions)

    def save(self, key: Key, conversation: Conversation) -> None:
        """Keep what a turn changed."""
        self._store.put(key[0], KIND, _name(key), conversation.value())

    def end(self, key: Key) -> Conversation | None:
        value = self._store.delete(key[0], KIND, _name(key))
        return None if value is None else Conversation.from_value(value)


def conversation_store(state: AppState) -> Conversations:
    """The agent conversations of the app ``state`` belongs to."""
    return Conversations(state.store)


def _name(key: Key) -> str:
    return json.dumps(list(key[1:]))


def _action_value(action: Action) -> dict[str, Any]:
    return {
        "group": action.group,
        "name": action.name,
        "description": action.description,
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "description": p.description,
                "required": p.required,
                "inBody": p.in_body,
            }
            for p in action.parameters
        ],
        "executor": action.executor,
        "apiPath": action.api_path,
        "verb": action.verb,
        "requiresConfirmation": action.requires_confirmation,
        "result": action.result if isinstance(action.result, str) else None,
        "answer": action.answer,
    }


def _action(value: Mapping[str, Any], actions: Sequence[Action]) -> Action:
    """The agent's own action ``value`` was taken from, else one rebuilt from ``value``."""
    for action in actions:
        if (action.group, action.name, action.api_path) == (value["group"], value["name"], value["apiPath"]):
            return action
    return Action(
        value["group"],
        value["name"],
        value["description"],
        tuple(
            Parameter(p["name"], p["type"], p["description"], p["required"], p["inBody"])
            for p in value["parameters"]
        ),
        value["executor"],
        value["apiPath"],
        value["verb"],
        value["requiresConfirmation"],
        value["result"],
        value["answer"],
    )
