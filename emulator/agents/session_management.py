"""The Sessions API's store: sessions, their invocations and invocation steps, per tenant.

A session is ACTIVE until EndSession makes it ENDED; an ended session can still be read but takes no new
invocations, steps or metadata, and only an ended session can be deleted. Lists are newest first (the
order checkpoint savers such as langgraph-checkpoint-aws rely on to find the latest step). Ids are UUIDs
derived from the seed, the tenant and a counter, so a run is repeatable.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from emulator.wire.errors import AwsError

ACCOUNT_ID = "123456789012"


@dataclass
class Step:
    step_id: str
    invocation_id: str
    step_time: float  # the caller's invocationStepTime, in seconds
    payload: dict[str, Any]
    put_at: float
    order: int


@dataclass
class Invocation:
    invocation_id: str
    created_at: float
    description: str | None
    order: int


@dataclass
class Session:
    session_id: str
    arn: str
    created_at: float
    updated_at: float
    metadata: dict[str, str]
    encryption_key_arn: str | None
    tags: dict[str, str]
    status: str = "ACTIVE"
    invocations: dict[str, Invocation] = field(default_factory=dict)
    steps: dict[str, Step] = field(default_factory=dict)


class SessionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], Session] = {}
        self._counter = 0

    def _new_id(self, tenant: str, seed: int, purpose: str) -> str:
        self._counter += 1
        digest = hashlib.blake2b(
            f"{seed}|{tenant}|{purpose}|{self._counter}".encode(), digest_size=16
        ).digest()
        return str(uuid.UUID(bytes=digest, version=4))

    def create(
        self,
        tenant: str,
        region: str,
        seed: int,
        metadata: dict[str, str],
        encryption_key_arn: str | None,
        tags: dict[str, str],
    ) -> Session:
        now = time.time()
        with self._lock:
            session_id = self._new_id(tenant, seed, "session")
            arn = f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:session/{session_id}"
            session = Session(session_id, arn, now, now, dict(metadata), encryption_key_arn, dict(tags))
            self._sessions[(tenant, session_id)] = session
            return session

    def get(self, tenant: str, session_id: str) -> Session:
        with self._lock:
            session = self._sessions.get((tenant, session_id))
        if session is None:
            raise _not_found("session", session_id)
        return session

    def listed(self, tenant: str) -> list[Session]:
        with self._lock:
            sessions = [s for (t, _), s in self._sessions.items() if t == tenant]
        return sorted(sessions, key=lambda s: -s.created_at)

    def update(self, tenant: str, session_id: str, metadata: dict[str, str]) -> Session:
        with self._lock:
            session = self._live(tenant, session_id)
            session.metadata = dict(metadata)
            session.updated_at = time.time()
            return session

    def end(self, tenant: str, session_id: str) -> Session:
        with self._lock:
            session = self._live(tenant, session_id)
            session.status = "ENDED"
            session.updated_at = time.time()
            return session

    def delete(self, tenant: str, session_id: str) -> None:
        with self._lock:
            session = self._sessions.get((tenant, session_id))
            if session is None:
                raise _not_found("session", session_id)
            if session.status == "ACTIVE":
                raise AwsError(
                    "ConflictException",
                    f"Session {session_id} is ACTIVE. End the session with EndSession before you delete it.",
                )
            del self._sessions[(tenant, session_id)]

    def create_invocation(
        self, tenant: str, seed: int, session_id: str, invocation_id: str | None, description: str | None
    ) -> tuple[Session, Invocation]:
        with self._lock:
            session = self._live(tenant, session_id)
            if invocation_id is None:
                invocation_id = self._new_id(tenant, seed, "invocation")
            elif invocation_id in session.invocations:
                raise AwsError(
                    "ConflictException",
                    f"Invocation {invocation_id} already exists in session {session.session_id}.",
                )
            invocation = Invocation(invocation_id, time.time(), description, len(session.invocations))
            session.invocations[invocation_id] = invocation
            session.updated_at = invocation.created_at
            return session, invocation

    def put_step(
        self,
        tenant: str,
        seed: int,
        session_id: str,
        invocation_id: str,
        step_id: str | None,
        step_time: float,
        payload: dict[str, Any],
    ) -> Step:
        with self._lock:
            session = self._live(tenant, session_id)
            if invocation_id not in session.invocations:
                raise _not_found("invocation", invocation_id)
            if step_id is None:
                step_id = self._new_id(tenant, seed, "step")
            existing = session.steps.get(step_id)
            if existing is not None and existing.invocation_id != invocation_id:
                raise AwsError(
                    "ConflictException",
                    f"Invocation step {step_id} already belongs to invocation {existing.invocation_id}.",
                )
            now = time.time()
            step = Step(step_id, invocation_id, step_time, payload, now, len(session.steps))
            session.steps[step_id] = step
            session.updated_at = now
            return step

    def step(self, tenant: str, session_id: str, invocation_id: str, step_id: str) -> tuple[Session, Step]:
        session = self.get(tenant, session_id)
        with self._lock:
            step = session.steps.get(step_id)
        if step is None or step.invocation_id != invocation_id:
            raise _not_found("invocation step", step_id)
        return session, step

    def invocations(self, tenant: str, session_id: str) -> tuple[Session, list[Invocation]]:
        session = self.get(tenant, session_id)
        with self._lock:
            items = list(session.invocations.values())
        return session, sorted(items, key=lambda i: (-i.created_at, -i.order))

    def steps(self, tenant: str, session_id: str, invocation_id: str | None) -> tuple[Session, list[Step]]:
        session = self.get(tenant, session_id)
        with self._lock:
            if invocation_id is not None and invocation_id not in session.invocations:
                raise _not_found("invocation", invocation_id)
            items = [
                s for s in session.steps.values() if invocation_id is None or s.invocation_id == invocation_id
            ]
        return session, sorted(items, key=lambda s: (s.step_time, s.put_at, s.order), reverse=True)

    def _live(self, tenant: str, session_id: str) -> Session:
        session = self._sessions.get((tenant, session_id))
        if session is None:
            raise _not_found("session", session_id)
        if session.status != "ACTIVE":
            raise AwsError(
                "ConflictException",
                f"Session {session_id} is {session.status}. You can't modify a session that isn't ACTIVE.",
            )
        return session

    def clear(self, tenant: str | None) -> None:
        """Forget ``tenant``'s state (every tenant's when None), for a reset."""
        with self._lock:
            for key in [k for k in self._sessions if tenant is None or k[0] == tenant]:
                del self._sessions[key]


def _not_found(what: str, identifier: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"The {what} {identifier} doesn't exist.")


SESSIONS = SessionStore()
