"""Per-tenant state is bounded: past max_tenants the least recently active idle tenant starts fresh."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from emulator.engine import Call, Engine

SCENARIO = """
version: 1
name: s
rules:
  - id: first-1
    take: {first: 1}
    error: ThrottlingException
  - id: every-3rd
    take: {every: 3}
    error: AccessDeniedException
"""

QUOTA = """
version: 1
name: q
rules:
  - id: tpm
    match: {operations: [Converse]}
    quota: {tpm: 1000}
"""


def _call(tenant: str, scenario: str = "s", tokens: int = 0) -> Call:
    return Call(
        "bedrock-runtime", "Converse", tenant, model_id="m", scenario_header=scenario, estimated_tokens=tokens
    )


def _engine(max_tenants: int, text: str = SCENARIO) -> Engine:
    engine = Engine(max_tenants=max_tenants)
    engine.load_text(text)
    return engine


def test_past_the_cap_the_least_recently_active_tenant_starts_fresh() -> None:
    engine = _engine(3)
    for tenant in ["t1", "t2", "t3", "t4"]:
        assert engine.plan(_call(tenant)).rule_id == "first-1"
    assert engine.tenants_with_state() == 3
    assert engine.state_of("t1", "s") is None
    assert engine.state_of("t4", "s") == ("Started", {"first-1": 1})
    # Evicted means forgotten: t1's first call is its first again, as after a reset.
    assert engine.plan(_call("t1")).rule_id == "first-1"


def test_under_the_cap_results_are_those_of_an_unbounded_engine() -> None:
    bounded, unbounded = _engine(4), _engine(10_000)
    order = [f"t{(i * 7) % 4}" for i in range(200)]
    assert [bounded.plan(_call(t)).rule_id for t in order] == [
        unbounded.plan(_call(t)).rule_id for t in order
    ]
    for tenant in {*order}:
        assert bounded.state_of(tenant, "s") == unbounded.state_of(tenant, "s")


def test_an_active_tenant_keeps_its_counts_while_new_tenants_come_and_go() -> None:
    engine = _engine(2)
    fired = []
    for i in range(300):
        fired.append(engine.plan(_call("main")).rule_id)
        engine.plan(_call(f"passer-by-{i}"))
    assert fired.count("first-1") == 1
    assert fired.count("every-3rd") == 299 // 3
    assert engine.tenants_with_state() == 2


def test_state_stays_bounded_over_a_long_run_of_new_tenants() -> None:
    engine = _engine(100, QUOTA)
    for i in range(5_000):
        plan = engine.plan(_call(f"key-{i}", "q", tokens=10))
        engine.settle(_call(f"key-{i}", "q"), plan, input_tokens=5, output_tokens=5)
    assert engine.tenants_with_state() == 100
    assert engine._quotas.tenants() <= 100


def test_a_tenant_with_an_admitted_call_not_yet_settled_is_not_evicted() -> None:
    engine = _engine(1, QUOTA)
    running = engine.plan(_call("running", "q", tokens=500))
    assert running.quota_tickets
    engine.plan(_call("newcomer", "q", tokens=1))
    # The running call settles into the window it was admitted in, which is still there: 990 of 1000 used.
    engine.settle(_call("running", "q"), running, input_tokens=490, output_tokens=500)
    assert engine.plan(_call("running", "q", tokens=20)).rule_id == "tpm"
    # Its throttled call left nothing in flight: the next newcomer pushes it out, and it starts fresh.
    engine.plan(_call("another", "q", tokens=1))
    assert engine.state_of("running", "q") is None
    assert engine.plan(_call("running", "q", tokens=20)).rule_id is None


def test_an_admitted_call_that_never_settles_stops_pinning_its_tenant_after_a_minute() -> None:
    engine = _engine(1, QUOTA)
    engine.plan(_call("failed-after-admission", "q", tokens=900))
    engine.plan(_call("newcomer", "q", tokens=1))
    assert engine.state_of("failed-after-admission", "q") is not None
    engine.clock.advance(61)
    engine.plan(_call("another", "q", tokens=1))
    assert engine.state_of("failed-after-admission", "q") is None


def test_bindings_are_configuration_and_are_never_evicted() -> None:
    engine = _engine(1)
    engine.bind("bound", "s")
    for i in range(10):
        engine.plan(Call("bedrock-runtime", "Converse", f"t{i}", model_id="m"))
    assert engine.bound("bound") == "s"


def test_under_32_threads_tenants_within_the_cap_keep_exact_counts() -> None:
    engine = _engine(32)
    start = threading.Barrier(32)

    def worker(index: int) -> list[str | None]:
        start.wait()
        return [engine.plan(_call(f"tenant-{index}")).rule_id for _ in range(100)]

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(worker, range(32)))
    for fired in results:
        assert fired.count("first-1") == 1
        assert fired.count("every-3rd") == 99 // 3


def test_under_32_threads_churning_tenants_stay_within_the_cap() -> None:
    engine = _engine(16)
    start = threading.Barrier(32)

    def worker(index: int) -> set[str | None]:
        start.wait()
        return {engine.plan(_call(f"churn-{index}-{i}")).rule_id for i in range(200)}

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(worker, range(32)))
    # Every tenant is new, so every call is its tenant's first, evictions or not.
    assert all(fired == {"first-1"} for fired in results)
    assert engine.tenants_with_state() == 16
