"""`connect(url)`: reach Redis once (or say why not), then build what an app keeps there."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.shared import scripts
from emulator.shared.connection import PREFIX, Connection
from emulator.shared.engine import Selections, SharedEngine, _tenant_prefix
from emulator.shared.journal import SharedJournal
from emulator.shared.store import RedisStore


@dataclass
class SharedBackend:
    connection: Connection
    # What a call's first round trip read for the engine (see `SharedCalls`), per serving thread.
    selections: Selections = field(default_factory=Selections)

    def engine(self, *, seed: int | None, default_scenario: str | None, strict: bool) -> SharedEngine:
        return SharedEngine(
            self.connection,
            seed=seed,
            default_scenario=default_scenario,
            strict=strict,
            selections=self.selections,
        )

    def journal(self, capacity: int) -> SharedJournal:
        return SharedJournal(self.connection, capacity)

    def store(self) -> RedisStore:
        return RedisStore(self.connection)

    def calls(self) -> SharedCalls:
        return SharedCalls(self.connection, self.selections)

    def healthy(self) -> bool:
        """Whether Redis answers now (the health check's question)."""
        try:
            self.connection.ping()
        except Exception:
            return False
        return True


class SharedCalls:
    """What the data plane asks of the state for every call, in one round trip: the tenant's request
    number (request ids derive from it) and the virtual clock's time; the same trip reads what the
    engine selects a scenario by (the scenario-set version, the tenant's binding) and leaves it in
    ``selections`` for this thread, so a plain call costs two round trips in all (this and the journal)."""

    def __init__(self, connection: Connection, selections: Selections) -> None:
        self._begin = connection.script(scripts.BEGIN)
        self._selections = selections

    def begin(self, tenant: str) -> tuple[int, float]:
        args = [PREFIX, _tenant_prefix(tenant), scripts.TENANT_TTL_SECONDS, tenant]
        number, now, version, bound = self._begin([], args)
        self._selections.leave(tenant, version, bound)
        return int(number), float(now)


def connect(url: str) -> SharedBackend:
    """The backend for ``url``, once Redis has answered a PING (`StateUnavailableError` otherwise)."""
    connection = Connection(url)
    connection.ping()
    return SharedBackend(connection)
