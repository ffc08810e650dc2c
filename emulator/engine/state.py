"""Per-tenant scenario state: each rule's count of matched calls and the WireMock-style state name.

Kept per (tenant, scenario) so parallel tests with different access keys never see each other's counts,
and switching a tenant between scenarios does not carry counts across. Callers hold the engine's lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScenarioState:
    state: str
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, rule_id: str) -> int:
        """Counts one more matched call for the rule; returns its 1-based position."""
        n = self.counts.get(rule_id, 0) + 1
        self.counts[rule_id] = n
        return n


class StateBook:
    def __init__(self) -> None:
        self._tenants: dict[str, dict[str, ScenarioState]] = {}

    def get(self, tenant: str, scenario: str, initial: str) -> ScenarioState:
        scenarios = self._tenants.get(tenant)
        if scenarios is None:
            scenarios = self._tenants[tenant] = {}
        found = scenarios.get(scenario)
        if found is None:
            found = scenarios[scenario] = ScenarioState(initial)
        return found

    def peek(self, tenant: str, scenario: str) -> ScenarioState | None:
        return self._tenants.get(tenant, {}).get(scenario)

    def reset(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._tenants.clear()
        else:
            self._tenants.pop(tenant, None)

    def forget(self, scenario: str) -> None:
        """Drops a scenario's state everywhere (it was replaced or deleted)."""
        for scenarios in self._tenants.values():
            scenarios.pop(scenario, None)
