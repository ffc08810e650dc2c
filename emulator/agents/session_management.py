"""The Sessions API's store: sessions, their invocations and invocation steps, per tenant.

A session is ACTIVE until EndSession makes it ENDED; an ended session can still be read but takes no new
invocations, steps or metadata, and only an ended session can be deleted. Lists are newest first (the
order checkpoint savers such as langgraph-checkpoint-aws rely on to find the latest step). Ids are UUIDs
derived from the seed, the tenant and the tenant's counter, so a run is repeatable. A session (with its
tags) is one value in the app's store, each of its invocations and steps another (kinds ``session``,
``session-invocation:<id>``, ``session-step:<id>``), so a step costs the same however long the session.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from emulator.state import AppState, Store
from emulator.wire.errors import AwsError

ACCOUNT_ID = "123456789012"
KIND: Final = "session"  # session id -> the session (ids, status, metadata, tags)
INVOCATION_KIND: Final = "session-invocation"  # kind "session-invocation:<session id>": invocation id -> it
STEP_KIND: Final = "session-step"  # kind "session-step:<session id>": step id -> the step with its payload
COUNTER_KIND: Final = "counter"  # key "session": ids made for the tenant (sessions, invocations, steps)
MAX_TAGS = 200


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


def _invocations_kind(session_id: str) -> str:
    return f"{INVOCATION_KIND}:{session_id}"


def _steps_kind(session_id: str) -> str:
    return f"{STEP_KIND}:{session_id}"


class SessionStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _new_id(self, tenant: str, seed: int, purpose: str) -> str:
        counter = self._store.increment(tenant, COUNTER_KIND, KIND)
        digest = hashlib.blake2b(f"{seed}|{tenant}|{purpose}|{counter}".encode(), digest_size=16).digest()
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
        session_id = self._new_id(tenant, seed, "session")
        arn = f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:session/{session_id}"
        session = Session(session_id, arn, now, now, dict(metadata), encryption_key_arn, dict(tags))
        self._store.put(tenant, KIND, session_id, asdict(session))
        return session

    def get(self, tenant: str, session_id: str) -> Session:
        value = self._store.get(tenant, KIND, session_id)
        if value is None:
            raise _not_found("session", session_id)
        return Session(**value)

    def listed(self, tenant: str) -> list[Session]:
        sessions = [Session(**value) for _, value in self._store.list(tenant, KIND)]
        return sorted(sessions, key=lambda s: -s.created_at)

    def update(self, tenant: str, session_id: str, metadata: dict[str, str]) -> Session:
        def change(session: Session) -> None:
            _check_live(session)
            session.metadata = dict(metadata)
            session.updated_at = time.time()

        return self._change(tenant, session_id, change)

    def end(self, tenant: str, session_id: str) -> Session:
        def change(session: Session) -> None:
            _check_live(session)
            session.status = "ENDED"
            session.updated_at = time.time()

        return self._change(tenant, session_id, change)

    def delete(self, tenant: str, session_id: str) -> None:
        def check(session: Session) -> None:
            if session.status == "ACTIVE":
                raise AwsError(
                    "ConflictException",
                    f"Session {session_id} is ACTIVE. End the session with EndSession before you delete it.",
                )

        self._change(tenant, session_id, check)
        self._store.delete(tenant, KIND, session_id)
        for kind in (_invocations_kind(session_id), _steps_kind(session_id)):
            for key in self._store.keys(tenant, kind):
                self._store.delete(tenant, kind, key)

    def create_invocation(
        self, tenant: str, seed: int, session_id: str, invocation_id: str | None, description: str | None
    ) -> tuple[Session, Invocation]:
        _check_live(self.get(tenant, session_id))  # before an id is made: a refusal leaves the counter be
        wanted = invocation_id if invocation_id is not None else self._new_id(tenant, seed, "invocation")
        kind = _invocations_kind(session_id)
        if self._store.get(tenant, kind, wanted) is not None:
            raise AwsError(
                "ConflictException", f"Invocation {wanted} already exists in session {session_id}."
            )
        invocation = Invocation(wanted, time.time(), description, len(self._store.keys(tenant, kind)))

        def touch(session: Session) -> None:
            _check_live(session)
            session.updated_at = invocation.created_at

        session = self._change(tenant, session_id, touch)
        if not self._store.put_new(tenant, kind, wanted, asdict(invocation)):  # the same id, just now
            raise AwsError(
                "ConflictException", f"Invocation {wanted} already exists in session {session_id}."
            )
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
        _check_live(self.get(tenant, session_id))  # before an id is made: a refusal leaves the counter be
        if self._store.get(tenant, _invocations_kind(session_id), invocation_id) is None:
            raise _not_found("invocation", invocation_id)
        wanted = step_id if step_id is not None else self._new_id(tenant, seed, "step")
        kind = _steps_kind(session_id)
        existing = self._store.get(tenant, kind, wanted)
        if existing is not None and existing["invocation_id"] != invocation_id:
            raise AwsError(
                "ConflictException",
                f"Invocation step {wanted} already belongs to invocation {existing['invocation_id']}.",
            )
        now = time.time()
        order = len(self._store.keys(tenant, kind))  # as many as were there, a replaced one included
        step = Step(wanted, invocation_id, step_time, payload, now, order)

        def touch(session: Session) -> None:
            _check_live(session)
            session.updated_at = now

        self._change(tenant, session_id, touch)
        self._store.put(tenant, kind, wanted, asdict(step))
        return step

    def step(self, tenant: str, session_id: str, invocation_id: str, step_id: str) -> tuple[Session, Step]:
        session = self.get(tenant, session_id)
        value = self._store.get(tenant, _steps_kind(session_id), step_id)
        if value is None or value["invocation_id"] != invocation_id:
            raise _not_found("invocation step", step_id)
        return session, Step(**value)

    def invocations(self, tenant: str, session_id: str) -> tuple[Session, list[Invocation]]:
        session = self.get(tenant, session_id)
        items = [Invocation(**v) for _, v in self._store.list(tenant, _invocations_kind(session_id))]
        return session, sorted(items, key=lambda i: (-i.created_at, -i.order))

    def steps(self, tenant: str, session_id: str, invocation_id: str | None) -> tuple[Session, list[Step]]:
        session = self.get(tenant, session_id)
        if (
            invocation_id is not None
            and self._store.get(tenant, _invocations_kind(session_id), invocation_id) is None
        ):
            raise _not_found("invocation", invocation_id)
        items = [
            Step(**v)
            for _, v in self._store.list(tenant, _steps_kind(session_id))
            if invocation_id is None or v["invocation_id"] == invocation_id
        ]
        return session, sorted(items, key=lambda s: (s.step_time, s.put_at, s.order), reverse=True)

    def tag(self, tenant: str, session_id: str, tags: Mapping[str, str]) -> None:
        """Add or replace tags; more than `MAX_TAGS` in all is refused and changes nothing."""

        def change(session: Session) -> None:
            if len({**session.tags, **tags}) > MAX_TAGS:
                raise AwsError("ServiceQuotaExceededException", "A resource can have at most 200 tags.")
            session.tags.update({str(k): str(v) for k, v in tags.items()})

        self._change(tenant, session_id, change)

    def untag(self, tenant: str, session_id: str, keys: list[str]) -> None:
        def change(session: Session) -> None:
            for key in keys:
                session.tags.pop(key, None)

        self._change(tenant, session_id, change)

    def _change(self, tenant: str, session_id: str, change: Callable[[Session], None]) -> Session:
        """Apply ``change`` to the stored session atomically; a refusal it raises writes nothing."""
        changed: list[Session] = []

        def apply(value: dict[str, Any]) -> dict[str, Any]:
            session = Session(**value)
            change(session)
            changed.append(session)
            return asdict(session)

        if self._store.update(tenant, KIND, session_id, apply) is None:
            raise _not_found("session", session_id)
        return changed[-1]


def session_store(state: AppState) -> SessionStore:
    """The Sessions API's sessions of the app ``state`` belongs to."""
    return SessionStore(state.store)


def _check_live(session: Session) -> None:
    if session.status != "ACTIVE":
        raise AwsError(
            "ConflictException",
            f"Session {session.session_id} is {session.status}. You can't modify a session that isn't ACTIVE.",
        )


def _not_found(what: str, identifier: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"The {what} {identifier} doesn't exist.")
