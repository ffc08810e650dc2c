"""What the dashboard's counters read from the engine: each rule's matched and fired counts, the quota
gauges, which matching call a plan came from, and the clock's advances, all bounded."""

from __future__ import annotations

from emulator.engine import Call, Engine
from emulator.engine.clock import MAX_ADVANCES, Clock
from emulator.engine.core import SHOWN_TENANTS
from emulator.engine.quotas import DAY, MINUTE

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SCENARIO = """
version: 1
name: counted
rules:
  - id: first-two
    match: {operations: [Converse]}
    take: {first: 2}
    error: {code: ServiceUnavailableException}
  - id: rpm
    match: {operations: [Converse]}
    quota: {rpm: 1}
  - id: tpd
    match: {operations: [ConverseStream]}
    quota: {tpd: 10}
"""


def call(tenant: str = "t", operation: str = "Converse", tokens: int = 0) -> Call:
    return Call(
        "bedrock-runtime",
        operation,
        tenant,
        model_id=HAIKU,
        foundation_model_id=HAIKU,
        estimated_tokens=tokens,
    )


def engine() -> Engine:
    built = Engine(default_scenario="counted")
    built.load_text(SCENARIO)
    return built


def test_a_rule_counts_every_call_it_matched_and_the_ones_it_fired_on() -> None:
    built = engine()
    plans = [built.plan(call()) for _ in range(5)]

    assert [(p.rule_id, p.match_number) for p in plans] == [
        ("first-two", 1),
        ("first-two", 2),
        (None, None),  # first-two passes it on; the quota admits it
        ("rpm", 2),
        ("rpm", 3),
    ]
    ((tenant, scenario, state),) = built.counters()
    assert (tenant, scenario) == ("t", "counted")
    assert state.counts == {"first-two": 5, "rpm": 3}
    assert state.fired == {"first-two": 2, "rpm": 2}


def test_a_quota_throttle_names_its_window_and_the_gauges_show_use_against_limits() -> None:
    built = engine()
    for _ in range(3):
        built.plan(call())
    assert built.plan(call()).quota_window == MINUTE
    assert built.plan(call(operation="ConverseStream", tokens=20)).quota_window == DAY

    gauges = {key[2]: (usage, limits) for key, usage, limits in built.quota_gauges("t")}

    usage, limits = gauges["rpm"]
    assert usage == (1, 0, 0)
    assert limits is not None
    assert limits.rpm == 1
    assert gauges["tpd"][0] == (0, 0, 0)  # throttled calls consume nothing
    assert built.quota_gauges("nobody") == []


def test_counters_cover_one_tenant_or_only_the_most_recently_active() -> None:
    built = engine()
    for index in range(SHOWN_TENANTS + 20):
        built.plan(call(tenant=f"tenant-{index}"))

    everyone = built.counters()
    one = built.counters("tenant-3")

    assert len(everyone) == SHOWN_TENANTS
    assert everyone[-1][0] == f"tenant-{SHOWN_TENANTS + 19}"
    assert "tenant-3" not in {tenant for tenant, _, _ in everyone}
    assert [(tenant, state.counts) for tenant, _, state in one] == [("tenant-3", {"first-two": 1})]


def test_the_clock_keeps_its_most_recent_advances() -> None:
    clock = Clock()
    for seconds in range(MAX_ADVANCES + 5):
        clock.advance(seconds)

    advances = clock.advances()

    assert len(advances) == MAX_ADVANCES
    assert [seconds for _, seconds in advances[:2]] == [5, 6]
    assert advances[0][0] <= advances[-1][0]
