"""Under threads, match + count + state change are atomic: `first: 3` fires exactly 3 times."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from emulator.engine import Call, Engine

SCENARIO = """
version: 1
name: burst
rules:
  - id: first-3
    take: {first: 3}
    error: ThrottlingException
  - id: every-10th
    take: {every: 10}
    error: AccessDeniedException
"""


def _call(tenant: str) -> Call:
    return Call("bedrock-runtime", "Converse", tenant, model_id="m", scenario_header="burst")


def test_first_3_fires_exactly_3_times_across_32_threads() -> None:
    engine = Engine()
    engine.load_text(SCENARIO)
    start = threading.Barrier(32)

    def worker(index: int) -> list[str | None]:
        start.wait()
        plans = [engine.plan(_call("t")) for _ in range(1000 // 32 + (1 if index < 1000 % 32 else 0))]
        return [p.rule_id for p in plans]

    with ThreadPoolExecutor(max_workers=32) as pool:
        fired = Counter(rule for result in pool.map(worker, range(32)) for rule in result)
    assert sum(fired.values()) == 1000
    assert fired["first-3"] == 3
    # The second rule counts only the 997 calls that reach it: every 10th of them.
    assert fired["every-10th"] == 99
    assert engine.state_of("t", "burst") == ("Started", {"first-3": 1000, "every-10th": 997})


def test_tenants_never_see_each_others_counts_under_threads() -> None:
    engine = Engine()
    engine.load_text(SCENARIO)
    tenants = [f"tenant-{i}" for i in range(8)]
    start = threading.Barrier(32)

    def worker(index: int) -> list[tuple[str, str | None]]:
        tenant = tenants[index % len(tenants)]
        start.wait()
        return [(tenant, engine.plan(_call(tenant)).rule_id) for _ in range(25)]

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = [item for chunk in pool.map(worker, range(32)) for item in chunk]
    per_tenant = Counter(tenant for tenant, rule in results if rule == "first-3")
    assert per_tenant == dict.fromkeys(tenants, 3)
    for tenant in tenants:
        state = engine.state_of(tenant, "burst")
        assert state is not None
        assert state[1]["first-3"] == 100
