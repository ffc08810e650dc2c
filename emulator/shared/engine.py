"""`SharedEngine`: the scenario engine with its counts, states, quota windows, bindings, scenario set and
clock in Redis, so replicas decide as one engine would.

Matching stays in the replica (it reads only the call); the decision (first matching rule in the right
state, its count, its state move, quota admission) is one Lua script (`scripts.DECIDE`), so 32 threads
over 3 replicas racing through a ``first: 3`` rule see it fire exactly three times. A ``probability``
take is drawn here, as the memory engine draws it (blake2b has no Lua), between two steps of the same
decision: the count is taken atomically, the rest of the decision continues in a second script.

Each replica compiles the scenarios it finds in Redis and keeps them while the shared scenario-set
version does not move; a scenario's generation moves when different content is loaded under its name
(its counts start over) and stays when identical content is loaded again, so a replica restarted with the
same files rejoins without resetting anyone.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from emulator.engine import randomness
from emulator.engine.call import Call
from emulator.engine.checks import check_scenario
from emulator.engine.clock import MAX_ADVANCES, Clock
from emulator.engine.compiled import CompiledRule, CompiledScenario, compile_scenario
from emulator.engine.core import SHOWN_TENANTS, Engine, _matched, _tokens_to_admit, choose_scenario
from emulator.engine.lru import LruMap
from emulator.engine.plan import Plan, QuotaTicket
from emulator.engine.problems import Problem, ScenarioError
from emulator.engine.quotas import DAY, MINUTE, RPM_MESSAGE, TPD_MESSAGE, TPM_MESSAGE, QuotaKey
from emulator.engine.schema import QuotaEffect, Scenario
from emulator.engine.state import DEFAULT_MAX_TENANTS, ScenarioState
from emulator.shared import scripts
from emulator.shared.connection import PREFIX, Connection, tenant_key
from emulator.wire.errors import AwsError

_THROTTLED = {"rpm": RPM_MESSAGE, "tpm": TPM_MESSAGE, "tpd": TPD_MESSAGE}
_UNSEEN = object()


class SharedClock(Clock):
    """The virtual clock: Redis's TIME plus an offset every replica reads from Redis."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._connection = connection
        self._now = connection.script(scripts.NOW)
        self._advance = connection.script(scripts.ADVANCE)

    def now(self) -> float:
        return float(self._now([], [PREFIX]))

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock can only be advanced forwards")
        return float(self._advance([], [PREFIX, seconds, f"{time.time():.6f}", MAX_ADVANCES]))

    def advances(self) -> list[tuple[float, float]]:
        raw = self._connection.run(lambda client: client.lrange(PREFIX + "clock-advances", 0, -1))
        pairs = (_text(item).split(" ") for item in raw)
        return [(float(at), float(seconds)) for at, seconds in pairs]

    @property
    def offset(self) -> float:
        return float(self._connection.run(lambda client: client.get(PREFIX + "clock")) or 0.0)


class Selections(threading.local):
    """Per serving thread: what the call's first round trip read for selecting its scenario."""

    def __init__(self) -> None:
        self.seen: tuple[str, Any, Any] | None = None

    def leave(self, tenant: str, version: Any, bound: Any) -> None:
        self.seen = (tenant, version, bound)

    def take(self, tenant: str) -> tuple[Any, Any] | None:
        """(version, bound scenario) when read for ``tenant`` by this thread's current call, else None."""
        seen, self.seen = self.seen, None
        return (seen[1], seen[2]) if seen is not None and seen[0] == tenant else None


def _take(rule: CompiledRule) -> tuple[str, str]:
    take = rule.rule.take
    if take is None:
        return "", ""
    if take.first is not None:
        return "first", str(take.first)
    if take.after is not None:
        return "after", str(take.after)
    if take.nth is not None:
        return "nth", ",".join(str(n) for n in take.nth)
    if take.every is not None:
        return "every", str(take.every)
    return "probability", ""


def _rule_args(rule: CompiledRule) -> list[str]:
    spec = rule.rule
    mode, argument = _take(rule)
    quota = spec.quota
    return [
        rule.id,
        (spec.state.required or "") if spec.state is not None else "",
        mode,
        argument,
        (spec.state.next or "") if spec.state is not None else "",
        str(quota.rpm) if quota is not None and quota.rpm is not None else "",
        str(quota.tpm) if quota is not None and quota.tpm is not None else "",
        str(quota.tpd) if quota is not None and quota.tpd is not None else "",
    ]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class SharedEngine(Engine):
    def __init__(
        self,
        connection: Connection,
        *,
        seed: int | None = None,
        default_scenario: str | None = None,
        strict: bool = False,
    ) -> None:
        super().__init__(seed=seed, default_scenario=default_scenario, strict=strict)
        self._connection = connection
        # What a call's first round trip (`begin_call`) read for `select`, per serving thread.
        self._selections = Selections()
        self._clock = SharedClock(connection)
        # By id() of each compiled scenario now loaded: the generation it was compiled from, so a decision
        # made with a scenario replaced meanwhile names a generation Redis no longer has.
        self._generations: dict[int, str] = {}
        self._version = ""
        self._sync_lock = threading.Lock()
        self._select = connection.script(scripts.SELECT)
        self._load = connection.script(scripts.LOAD)
        self._delete = connection.script(scripts.DELETE)
        self._bind = connection.script(scripts.BIND)
        self._decide_script = connection.script(scripts.DECIDE)
        self._begin = connection.script(scripts.BEGIN)
        self._begin_decide = connection.script(scripts.BEGIN_DECIDE)
        # Per tenant, the binding this replica last read (None: none), to choose a call's scenario by.
        self._bound_seen: LruMap[str, str | None] = LruMap(DEFAULT_MAX_TENANTS)
        self._seen_lock = threading.Lock()
        self._settle = connection.script(scripts.SETTLE)
        self._gauge = connection.script(scripts.GAUGE)

    # ---- the scenario set, shared -------------------------------------------------------------------

    def load(self, scenario: Scenario) -> None:
        """Adds a scenario to the shared set; identical content loaded again changes nothing."""
        source = f"<scenario {scenario.name}>"
        if scenario.name is None:
            raise ScenarioError.single(source, "a scenario name (the `name` key)", path="name")
        problems = check_scenario(scenario, source)
        if problems:
            raise ScenarioError(problems)
        payload = json.dumps(scenario.model_dump(mode="json", exclude_unset=True), sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        self._load([], [PREFIX, scenario.name, digest, payload])
        self._refresh()

    def delete(self, name: str) -> bool:
        found = bool(self._delete([], [PREFIX, name]))
        self._refresh()
        return found

    def scenarios(self) -> list[Scenario]:
        self._refresh()
        return super().scenarios()

    def get(self, name: str) -> Scenario | None:
        self._refresh()
        return super().get(name)

    def _refresh(self) -> None:
        version = self._connection.run(lambda client: client.get(PREFIX + "scenario-version"))
        self._sync(_text(version or b"0"))

    def _sync(self, version: str) -> None:
        """Recompiles what changed in Redis since the scenario-set version this replica last read."""
        if version == self._version:
            return
        with self._sync_lock:

            def read(client: Any) -> list[Any]:
                with client.pipeline(transaction=True) as pipe:
                    pipe.get(PREFIX + "scenario-version")
                    pipe.hgetall(PREFIX + "scenario-texts")
                    pipe.hgetall(PREFIX + "scenario-gens")
                    result: list[Any] = pipe.execute()
                    return result

            now_version, texts, generations = self._connection.run(read)
            compiled: dict[str, CompiledScenario] = {}
            kept: dict[int, str] = {}
            for raw_name, payload in texts.items():
                name, generation = _text(raw_name), _text(generations.get(raw_name, b"0"))
                current = self._scenarios.get(name)
                if current is not None and self._generations.get(id(current)) == generation:
                    compiled[name] = current
                else:
                    scenario = Scenario.model_validate(json.loads(payload))
                    compiled[name] = compile_scenario(
                        scenario, engine_seed=self._seed, engine_strict=self._strict
                    )
                kept[id(compiled[name])] = generation
            self._scenarios = compiled
            self._generations = kept
            self._version = _text(now_version or b"0")

    # ---- tenants ------------------------------------------------------------------------------------

    def bind(self, tenant: str, name: str | None) -> None:
        if name is None:
            self._connection.run(lambda client: client.hdel(PREFIX + "bindings", tenant))
            return
        if not self._bind([], [PREFIX, tenant, name]):
            self._refresh()
            loaded = ", ".join(sorted(self._scenarios)) or "none"
            raise ScenarioError(
                [Problem("<bind>", None, "scenario", f"a loaded scenario name, got {name!r} ({loaded})")]
            )

    def bound(self, tenant: str) -> str | None:
        raw = self._connection.run(lambda client: client.hget(PREFIX + "bindings", tenant))
        return None if raw is None else _text(raw)

    def bindings(self) -> dict[str, str]:
        raw = self._connection.run(lambda client: client.hgetall(PREFIX + "bindings"))
        return {_text(tenant): _text(name) for tenant, name in raw.items()}

    def reset(self, tenant: str | None = None) -> None:
        """Forgets counts, states, quota windows and request counters, of every tenant or of one."""
        self._connection.drop_prefix(_tenant_prefix(tenant) if tenant is not None else PREFIX + "e:")

    def state_of(self, tenant: str, name: str) -> tuple[str, dict[str, int]] | None:
        self._refresh()
        found = self._states_of(tenant).get(name)
        return None if found is None else (found.state, dict(found.counts))

    def counters(self, tenant: str | None = None) -> list[tuple[str, str, ScenarioState]]:
        """A tenant's (or up to SHOWN_TENANTS tenants') state, matched and fired counts per scenario."""
        self._refresh()
        tenants = [tenant] if tenant is not None else self._some_tenants()
        return [(who, name, found) for who in tenants for name, found in self._states_of(who).items()]

    def quota_gauges(
        self, tenant: str | None = None
    ) -> list[tuple[QuotaKey, tuple[int, int, int], QuotaEffect | None]]:
        """Each quota window of a tenant (or of up to SHOWN_TENANTS tenants) in a loaded scenario: its key,
        use now (requests/min, tokens/min, tokens/day, expired entries dropped first) and limits."""
        self._refresh()
        current = {f"{name}#{self._generations.get(id(c))}": c for name, c in self._scenarios.items()}
        gauges: list[tuple[QuotaKey, tuple[int, int, int], QuotaEffect | None]] = []
        for who in [tenant] if tenant is not None else self._some_tenants():
            windows = _tenant_prefix(who) + "q|"

            def scan(client: Any, windows: str = windows) -> list[str]:
                return sorted(_text(key)[: -len(":r")] for key in client.scan_iter(match=windows + "*:r"))

            for window in self._connection.run(scan):
                scenario_key, rule_id, model = window[len(windows) :].split("|", 2)
                compiled = current.get(scenario_key)
                if compiled is None:
                    continue
                used = self._gauge([], [PREFIX, window])
                spec = next((r for r in compiled.scenario.rules if r.id == rule_id), None)
                key = (who, compiled.name, rule_id, model)
                gauges.append((key, (int(used[0]), int(used[1]), int(used[2])), spec.quota if spec else None))
        return gauges

    def _some_tenants(self) -> list[str]:
        def scan(client: Any) -> list[str]:
            found: list[str] = []
            for key in client.scan_iter(match=PREFIX + "e:*:rules", count=1000):
                found.append(unquote(_text(key)[len(PREFIX) + 2 : -len(":rules")]))
                if len(found) >= SHOWN_TENANTS:
                    break
            return sorted(found)

        tenants: list[str] = self._connection.run(scan)
        return tenants

    def _states_of(self, tenant: str) -> dict[str, ScenarioState]:
        """The tenant's state in each loaded scenario it has used (its current generation only)."""
        raw = self._connection.run(lambda client: client.hgetall(_tenant_prefix(tenant) + "rules"))
        fields = {_text(field): _text(value) for field, value in raw.items()}
        states: dict[str, ScenarioState] = {}
        for name, compiled in sorted(self._scenarios.items()):
            generation = self._generations.get(id(compiled))
            key = f"{name}#{generation}"
            counts: dict[str, int] = {}
            fired: dict[str, int] = {}
            for field, value in fields.items():
                kind, _, rest = field.partition("|")
                scenario, _, rule = rest.rpartition("|")
                if scenario == key and kind in ("n", "f"):
                    (counts if kind == "n" else fired)[rule] = int(value)
            state = fields.get(f"s|{key}")
            if state is not None or counts:
                states[name] = ScenarioState(state or compiled.scenario.initial_state, counts, fired)
        return states

    def tenants_with_state(self) -> int:
        def count(client: Any) -> int:
            return sum(1 for _ in client.scan_iter(match=PREFIX + "e:*:rules", count=1000))

        return int(self._connection.run(count))

    # ---- the hot path -------------------------------------------------------------------------------

    def select(self, call: Call) -> str | None:
        read = self._selections.take(call.tenant)
        version, bound = read if read is not None else self._select([], [PREFIX, call.tenant])
        self._sync(_text(version))
        return choose_scenario(self._scenarios, call, None if bound is None else _text(bound), self._default)

    def plan(self, call: Call) -> Plan:
        name = self.select(call)
        if name is None:
            if self._default is not None and self._default not in self._scenarios:
                return replace(self._no_plan, warnings=(f"default scenario {self._default!r} is not loaded",))
            return self._no_plan
        for _ in range(8):  # another replica replacing the scenario while we decide: decide again
            compiled = self._scenarios.get(name)
            if compiled is None:  # deleted since select(); serve plainly
                return self._no_plan
            candidates = compiled.by_operation.get(call.operation)
            if not candidates:
                return compiled.idle_plan
            matched = _matched(candidates, call)
            chosen = tuple(rule for rule, is_match in zip(candidates, matched, strict=True) if is_match)
            if not chosen:
                return compiled.idle_plan
            decided = self._decide_shared(compiled, chosen, call, _tokens_to_admit(candidates, matched, call))
            if decided is not None:
                return decided
            self._refresh()
        raise AwsError("ServiceUnavailableException")

    def _decision_args(
        self, compiled: CompiledScenario, chosen: tuple[CompiledRule, ...], call: Call, tokens: int
    ) -> list[str | int]:
        """The decision script's arguments from the scenario on (its first step: no draw to resume)."""
        generation = self._generations.get(id(compiled), "replaced")
        model = call.foundation_model_id or call.model_id or "*"
        args: list[str | int] = [compiled.name, generation, compiled.scenario.initial_state, model, tokens]
        args += [1, "", 0, scripts.TENANT_TTL_SECONDS]
        return args + [value for rule in chosen for value in _rule_args(rule)]

    def _decide_shared(
        self,
        compiled: CompiledScenario,
        chosen: tuple[CompiledRule, ...],
        call: Call,
        tokens: int,
        reply: list[Any] | None = None,
    ) -> Plan | None:
        """The decision, in Redis (``reply``: its first step's, when already taken); None when the
        scenario was replaced meanwhile."""
        args = self._decision_args(compiled, chosen, call, tokens)
        model = str(args[3])
        tickets: list[QuotaTicket] = []
        while True:
            if reply is None:
                reply = self._decide_script([], [PREFIX, _tenant_prefix(call.tenant), *args])
            outcome = _text(reply[0])
            if outcome == "stale":
                return None
            index, n = int(reply[1]), int(reply[2])
            pairs = reply[4:] if outcome != "draw" else reply[3:]
            tickets += [
                QuotaTicket((call.tenant, _text(pairs[i]), compiled.name, model), int(pairs[i + 1]))
                for i in range(0, len(pairs), 2)
            ]
            if outcome == "draw":
                rule = chosen[index - 1]
                draw = randomness.uniform(compiled.delay_seed, compiled.name, rule.id, n, "take")
                args[5:8] = [index, "1" if rule.taken(n, draw) else "0", n]  # resume at that rule
                reply = None
                continue
            if outcome == "idle":
                if tickets:
                    return replace(compiled.idle_plan, quota_tickets=tuple(tickets))
                return compiled.idle_plan
            rule = chosen[index - 1]
            spec = rule.rule
            throttled = _text(reply[3])
            error: AwsError | None = None
            window = None
            if throttled:
                error = AwsError("ThrottlingException", _THROTTLED[throttled])
                window = DAY if throttled == "tpd" else MINUTE
            elif spec.error is not None:
                error = AwsError(spec.error.code, spec.error.message, **spec.error.fields)
            return self._fired(
                compiled, rule, n, call, error=error, tickets=tuple(tickets), quota_window=window
            )

    def begin_call(self, tenant: str, call: Call | None) -> tuple[int, float, Plan | None]:
        """A served call's first round trip: the tenant's request number and the clock's time and, when
        ``call`` is given and this replica can tell which scenario and rules apply (from the tenant's
        binding it last saw), the decision too, in the same script. The script decides only if the
        binding and scenario set are still those; otherwise the plan is None and `plan` decides."""
        base: list[str | int] = [PREFIX, _tenant_prefix(tenant), scripts.TENANT_TTL_SECONDS, tenant]
        guess = self._guess(call) if call is not None else None
        if guess is None or call is None:
            number, now, version, bound = self._begin([], base)
            self._saw(tenant, version, bound)
            return int(number), float(now), None
        compiled, chosen, tokens, chosen_by = guess
        args = self._decision_args(compiled, chosen, call, tokens)
        reply = self._begin_decide([], [*base, chosen_by or "", self._version, *args])
        number, now, version, bound = reply[:4]
        self._saw(tenant, version, bound, leave=False)
        plan = None
        if _text(reply[4]) != "reselect":
            plan = self._decide_shared(compiled, chosen, call, tokens, reply[4:])
        if plan is None:
            self._selections.leave(tenant, version, bound)
        return int(number), float(now), plan

    def _saw(self, tenant: str, version: Any, bound: Any, *, leave: bool = True) -> None:
        with self._seen_lock:
            self._bound_seen[tenant] = None if bound is None else _text(bound)
        if leave:
            self._selections.leave(tenant, version, bound)

    def _guess(self, call: Call) -> tuple[CompiledScenario, tuple[CompiledRule, ...], int, str | None] | None:
        """The scenario and matching rules the call would be decided by, chosen on the binding this
        replica last saw for the tenant; None when it has seen none, or nothing would be decided."""
        with self._seen_lock:
            bound = self._bound_seen.get(call.tenant, _UNSEEN)
        if bound is _UNSEEN:
            return None
        scenarios = self._scenarios
        header = call.scenario_header
        if header:
            name: str | None = header if header in scenarios else None
        elif isinstance(bound, str) and bound in scenarios:
            name = bound
        elif call.tenant in scenarios:
            name = call.tenant
        elif self._default is not None and self._default in scenarios:
            name = self._default
        else:
            name = None
        compiled = scenarios.get(name) if name is not None else None
        candidates = compiled.by_operation.get(call.operation) if compiled is not None else None
        if compiled is None or not candidates:
            return None
        matched = _matched(candidates, call)
        chosen = tuple(rule for rule, is_match in zip(candidates, matched, strict=True) if is_match)
        if not chosen:
            return None
        return (
            compiled,
            chosen,
            _tokens_to_admit(candidates, matched, call),
            bound if isinstance(bound, str) else None,
        )

    def settle(self, call: Call, plan: Plan, *, output_tokens: int, input_tokens: int) -> None:  # noqa: ARG002 - the base's contract
        for ticket in plan.quota_tickets:
            # key: (tenant, the window's Redis key, scenario, model)
            self._settle([], [ticket.key[1], ticket.entry_id, input_tokens + output_tokens])


def _tenant_prefix(tenant: str) -> str:
    return f"{PREFIX}e:{tenant_key(tenant)}:"
