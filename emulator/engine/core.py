"""The Engine: picks a call's scenario, then matches, counts and moves state atomically to make its Plan.

Selection is lock-free dictionary lookups, so a call no scenario applies to costs almost nothing. Matching
reads only the call, so each candidate rule's criteria (globs, body regexes) are evaluated before the lock:
a slow body condition delays its own call, never another tenant's. The decision itself (first matching
rule in the right state, its count, its state transition, quota admission) happens under one lock, so 32
threads racing through a ``first: 3`` rule see it fire exactly three times.

State is kept for at most ``max_tenants`` tenants; past that the least recently active tenant without a
call in flight is forgotten and starts fresh, as after a reset (docs/scenarios.md).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from emulator.engine import randomness
from emulator.engine.call import Call
from emulator.engine.checks import check_scenario
from emulator.engine.clock import Clock
from emulator.engine.compiled import CompiledRule, CompiledScenario, compile_scenario
from emulator.engine.loader import load_paths, load_text
from emulator.engine.plan import NO_PLAN, Plan, QuotaTicket
from emulator.engine.problems import Problem, ScenarioError, UnknownScenarioError
from emulator.engine.quotas import DAY, MINUTE, TPD_MESSAGE, QuotaBook, QuotaKey
from emulator.engine.schema import QuotaEffect, Scenario
from emulator.engine.state import DEFAULT_MAX_TENANTS, ScenarioState, StateBook
from emulator.wire.errors import AwsError

_STRICT_NO_PLAN = replace(NO_PLAN, strict=True)
# How many of the most recently active tenants the counters and quota gauges cover when not asked for one.
SHOWN_TENANTS = 100


def choose_scenario(
    scenarios: Mapping[str, Any], call: Call, bound: str | None, default: str | None
) -> str | None:
    """The order every engine picks a call's scenario in (docs/scenarios.md): the scenario header (an
    unknown name is UnknownScenarioError), the tenant's binding, a scenario named like the tenant, the
    default, or none. Names not loaded are skipped."""
    header = call.scenario_header
    if header:
        if header in scenarios:
            return header
        raise UnknownScenarioError(header, sorted(scenarios))
    if bound is not None and bound in scenarios:
        return bound
    if call.tenant in scenarios:
        return call.tenant
    if default is not None and default in scenarios:
        return default
    return None


class Engine:
    def __init__(
        self,
        *,
        seed: int | None = None,
        default_scenario: str | None = None,
        strict: bool = False,
        max_tenants: int = DEFAULT_MAX_TENANTS,
    ) -> None:
        self.max_tenants = max_tenants
        self._seed = seed
        self._default = default_scenario
        self._strict = strict
        self._no_plan = _STRICT_NO_PLAN if strict else NO_PLAN
        self._lock = threading.Lock()
        self._scenarios: dict[str, CompiledScenario] = {}
        self._bindings: dict[str, str] = {}
        self._clock = Clock()
        self._quotas = QuotaBook()
        self._states = StateBook(
            max_tenants,
            in_use=lambda tenant: self._quotas.in_flight(tenant, self._clock.now()),
            on_evict=self._quotas.reset,
        )

    # ---- the scenario set ---------------------------------------------------------------------------

    def load(self, scenario: Scenario) -> None:
        """Adds a scenario, replacing one of the same name (whose counts and states start over)."""
        source = f"<scenario {scenario.name}>"
        if scenario.name is None:
            raise ScenarioError.single(source, "a scenario name (the `name` key)", path="name")
        problems = check_scenario(scenario, source)
        if problems:
            raise ScenarioError(problems)
        compiled = compile_scenario(scenario, engine_seed=self._seed, engine_strict=self._strict)
        with self._lock:
            self._states.forget(compiled.name)
            self._quotas.forget(compiled.name)
            self._scenarios[compiled.name] = compiled

    def load_path(self, path: str | Path) -> list[str]:
        """Loads a scenario file or every scenario file in a directory; all or nothing."""
        scenarios = load_paths([path])
        for scenario in scenarios:
            self.load(scenario)
        return [s.name for s in scenarios if s.name is not None]

    def load_text(self, text: str, *, source: str = "<request>") -> str:
        """Loads a YAML or JSON scenario (the admin API's PUT body); returns its name."""
        default_name = Path(source).stem if not source.startswith("<") else None
        scenario = load_text(text, source, default_name)
        self.load(scenario)
        return scenario.name or ""

    def delete(self, name: str) -> bool:
        with self._lock:
            found = self._scenarios.pop(name, None) is not None
            for tenant in [t for t, bound in self._bindings.items() if bound == name]:
                del self._bindings[tenant]
            self._states.forget(name)
            self._quotas.forget(name)
        return found

    def scenarios(self) -> list[Scenario]:
        return [compiled.scenario for compiled in sorted(self._scenarios.values(), key=lambda c: c.name)]

    def get(self, name: str) -> Scenario | None:
        compiled = self._scenarios.get(name)
        return compiled.scenario if compiled is not None else None

    # ---- tenants ------------------------------------------------------------------------------------

    def bind(self, tenant: str, name: str | None) -> None:
        """Binds a scenario to a tenant (``None`` unbinds); the tenant's counts for it start over."""
        with self._lock:
            if name is None:
                self._bindings.pop(tenant, None)
                return
            if name not in self._scenarios:
                loaded = ", ".join(sorted(self._scenarios)) or "none"
                raise ScenarioError(
                    [Problem("<bind>", None, "scenario", f"a loaded scenario name, got {name!r} ({loaded})")]
                )
            self._bindings[tenant] = name

    def bound(self, tenant: str) -> str | None:
        return self._bindings.get(tenant)

    def bindings(self) -> dict[str, str]:
        """Every tenant's bound scenario, as a copy."""
        with self._lock:
            return dict(self._bindings)

    def reset(self, tenant: str | None = None) -> None:
        """Forgets counts, states and quota windows, of every tenant or of one."""
        with self._lock:
            self._states.reset(tenant)
            self._quotas.reset(tenant)

    def state_of(self, tenant: str, name: str) -> tuple[str, dict[str, int]] | None:
        """A tenant's state name and per-rule counts in a scenario (for the admin API and tests)."""
        with self._lock:
            found = self._states.peek(tenant, name)
            return None if found is None else (found.state, dict(found.counts))

    def tenants_with_state(self) -> int:
        """How many tenants the engine keeps counts, states or quota windows for (at most about max_tenants)."""
        with self._lock:
            return self._states.tenants()

    def counters(self, tenant: str | None = None) -> list[tuple[str, str, ScenarioState]]:
        """A tenant's (or the most recently active tenants') state, rule counts (matched) and fired
        counts in each scenario it has used. Bounded, since it holds the lock calls are planned under."""
        with self._lock:
            tenants = [tenant] if tenant is not None else self._states.recent(SHOWN_TENANTS)
            return self._states.snapshot(tenants)

    def quota_gauges(
        self, tenant: str | None = None
    ) -> list[tuple[QuotaKey, tuple[int, int, int], QuotaEffect | None]]:
        """Each quota window of a tenant (or of the most recently active tenants): its key, usage
        (requests/min, tokens/min, tokens/day) and limits."""
        with self._lock:
            tenants = [tenant] if tenant is not None else self._states.recent(SHOWN_TENANTS)
            gauges = self._quotas.gauges(tenants, self._clock.now())
            limits = {}
            for (_, scenario, rule_id, _), _ in gauges:
                compiled = self._scenarios.get(scenario)
                spec = (
                    next((r for r in compiled.scenario.rules if r.id == rule_id), None) if compiled else None
                )
                limits[(scenario, rule_id)] = spec.quota if spec is not None else None
        return [(key, usage, limits[(key[1], key[2])]) for key, usage in gauges]

    @property
    def clock(self) -> Clock:
        return self._clock

    # ---- the hot path -------------------------------------------------------------------------------

    def select(self, call: Call) -> str | None:
        """The scenario a call runs under: header, tenant binding, tenant-named scenario, default, none."""
        return choose_scenario(self._scenarios, call, self._bindings.get(call.tenant), self._default)

    def plan(self, call: Call) -> Plan:
        """What to do with a call, decided once; raises UnknownScenarioError for an unknown header name."""
        name = self.select(call)
        if name is None:
            if self._default is not None and self._default not in self._scenarios:
                return replace(self._no_plan, warnings=(f"default scenario {self._default!r} is not loaded",))
            return self._no_plan
        while True:
            compiled = self._scenarios.get(name)
            if compiled is None:  # deleted since select(); serve plainly
                return self._no_plan
            candidates = compiled.by_operation.get(call.operation)
            if not candidates:
                return compiled.idle_plan
            matched = _matched(candidates, call)
            tokens = _tokens_to_admit(candidates, matched, call)
            with self._lock:
                if self._scenarios.get(name) is compiled:
                    return self._decide(compiled, candidates, matched, call, tokens)
            # Replaced or deleted while matching: match again against what is loaded now.

    def _decide(
        self,
        compiled: CompiledScenario,
        candidates: tuple[CompiledRule, ...],
        matched: tuple[bool, ...],
        call: Call,
        tokens: int,
    ) -> Plan:
        state = self._states.get(call.tenant, compiled.name, compiled.scenario.initial_state)
        tickets: list[QuotaTicket] = []
        for rule, is_match in zip(candidates, matched, strict=True):
            if not is_match:
                continue
            spec = rule.rule
            required = spec.state.required if spec.state is not None else None
            if required is not None and state.state != required:
                continue
            n = state.count(rule.id)
            draw = None
            if spec.take is not None and spec.take.probability is not None:
                draw = randomness.uniform(compiled.delay_seed, compiled.name, rule.id, n, "take")
            if not rule.taken(n, draw):
                continue
            error: AwsError | None = None
            window = None
            if spec.quota is not None:
                model = call.foundation_model_id or call.model_id or "*"
                key = (call.tenant, compiled.name, rule.id, model)
                now = self._clock.now()
                message, ticket = self._quotas.admit(key, spec.quota, now, tokens)
                if message is None:
                    # An admitted call is not shaped by the quota; later rules still apply to it.
                    if ticket is not None:
                        tickets.append(ticket)
                    continue
                error = AwsError("ThrottlingException", message)
                window = DAY if message == TPD_MESSAGE else MINUTE
            elif spec.error is not None:
                error = AwsError(spec.error.code, spec.error.message, **spec.error.fields)
            if spec.state is not None and spec.state.next is not None:
                state.state = spec.state.next
            state.fired[rule.id] = state.fired.get(rule.id, 0) + 1
            return self._fired(
                compiled, rule, n, call, error=error, tickets=tuple(tickets), quota_window=window
            )
        if tickets:
            return replace(compiled.idle_plan, quota_tickets=tuple(tickets))
        return compiled.idle_plan

    @staticmethod
    def _fired(
        compiled: CompiledScenario,
        rule: CompiledRule,
        n: int,
        call: Call,
        *,
        error: AwsError | None,
        tickets: tuple[QuotaTicket, ...],
        quota_window: float | None = None,
    ) -> Plan:
        spec = rule.rule
        delay = 0.0
        if spec.delay is not None:
            draw = randomness.generator(compiled.delay_seed, compiled.name, rule.id, n, "delay")
            delay = randomness.sample_delay(spec.delay, draw)
        return Plan(
            scenario=compiled.name,
            rule_id=rule.id,
            delay_seconds=delay,
            error=error,
            connection=rule.connection,
            stream=rule.stream_by_service.get(call.service) if call.streaming else None,
            answer=rule.answer,
            strict=compiled.strict,
            quota_tickets=tickets,
            match_number=n,
            quota_window=quota_window,
        )

    def settle(self, call: Call, plan: Plan, *, output_tokens: int, input_tokens: int) -> None:  # noqa: ARG002 - the call is part of the contract so settling can later key on it without an API change
        """Replaces the token estimate a quota admitted the call on with what it really used."""
        if not plan.quota_tickets:
            return
        with self._lock:
            for ticket in plan.quota_tickets:
                self._quotas.settle(ticket, input_tokens + output_tokens)


def _tokens_to_admit(candidates: tuple[CompiledRule, ...], matched: tuple[bool, ...], call: Call) -> int:
    """The call's token estimate when a matched rule limits tokens (worked out before the lock), else 0."""
    if any(is_match and rule.limits_tokens for rule, is_match in zip(candidates, matched, strict=True)):
        return call.admission_tokens()
    return 0


def _matched(candidates: tuple[CompiledRule, ...], call: Call) -> tuple[bool, ...]:
    """Each candidate's criteria against the call, up to the first rule no later rule can follow."""
    results: list[bool] = []
    for rule in candidates:
        is_match = rule.matcher.matches(call)
        results.append(is_match)
        if is_match and rule.fires_whenever_matched:
            results.extend(False for _ in range(len(candidates) - len(results)))
            break
    return tuple(results)
