"""Per-tenant scenario state: each rule's count of matched calls and the WireMock-style state name.

Kept per (tenant, scenario) so parallel tests with different access keys never see each other's counts,
and switching a tenant between scenarios does not carry counts across. At most ``max_tenants`` tenants are
kept: past that, the least recently active tenant that is not in use is forgotten (``on_evict`` lets the
engine forget its quota windows too), and comes back as a fresh tenant, as after a reset. Callers hold the
engine's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.engine.lru import LruMap

DEFAULT_MAX_TENANTS = 10_000


@dataclass
class ScenarioState:
    state: str
    counts: dict[str, int] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)  # calls each rule shaped (of those it counted)

    def count(self, rule_id: str) -> int:
        """Counts one more matched call for the rule; returns its 1-based position."""
        n = self.counts.get(rule_id, 0) + 1
        self.counts[rule_id] = n
        return n


class StateBook:
    def __init__(
        self,
        max_tenants: int = DEFAULT_MAX_TENANTS,
        *,
        in_use: Callable[[str], bool] | None = None,
        on_evict: Callable[[str], None] | None = None,
    ) -> None:
        self._tenants: LruMap[str, dict[str, ScenarioState]] = LruMap(
            max_tenants,
            spare=(lambda tenant, _: in_use(tenant)) if in_use is not None else None,
            on_evict=(lambda tenant, _: on_evict(tenant)) if on_evict is not None else None,
        )

    def get(self, tenant: str, scenario: str, initial: str) -> ScenarioState:
        """The tenant's state in a scenario, created on first use; marks the tenant active."""
        scenarios = self._tenants.get(tenant)
        if scenarios is None:
            scenarios = {}
            self._tenants[tenant] = scenarios
        found = scenarios.get(scenario)
        if found is None:
            found = scenarios[scenario] = ScenarioState(initial)
        return found

    def peek(self, tenant: str, scenario: str) -> ScenarioState | None:
        scenarios = self._tenants.peek(tenant)
        return scenarios.get(scenario) if scenarios is not None else None

    def recent(self, count: int) -> list[str]:
        """The ``count`` most recently active tenants, most recent last."""
        return list(self._tenants)[-count:]

    def snapshot(self, tenants: list[str]) -> list[tuple[str, str, ScenarioState]]:
        """(tenant, scenario, copy of its state) for these tenants, without marking anyone active."""
        return [
            (tenant, name, ScenarioState(found.state, dict(found.counts), dict(found.fired)))
            for tenant in tenants
            for name, found in (self._tenants.peek(tenant) or {}).items()
        ]

    def tenants(self) -> int:
        """How many tenants have state."""
        return len(self._tenants)

    def reset(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._tenants.clear()
        else:
            self._tenants.pop(tenant)

    def forget(self, scenario: str) -> None:
        """Drops a scenario's state everywhere (it was replaced or deleted)."""
        for scenarios in self._tenants.values():
            scenarios.pop(scenario, None)
