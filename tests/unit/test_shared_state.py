"""The Redis-backed state pieces in-process, against a real redis-server: the shared engine decides as
the memory engine does, exactly under 32 threads over 3 engines, and the store and journal keep the
`Store` and `Journal` contracts."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from redis_server import RedisServer

from emulator.config_error import ConfigError
from emulator.engine import Call, Engine, Plan
from emulator.journal import JournalEntry
from emulator.settings import Settings
from emulator.shared import SharedBackend, connect
from emulator.shared.engine import SharedEngine
from emulator.state.unavailable import StateUnavailableError

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
EVERY_MODE = """\
version: 1
name: modes
seed: 7
rules:
  - id: third-and-fifth
    match: {operations: [Converse]}
    take: {nth: [3, 5]}
    error: ModelTimeoutException
  - id: every-fourth
    match: {operations: [Converse]}
    take: {every: 4}
    error: ServiceUnavailableException
  - id: coin
    match: {operations: [Converse]}
    take: {probability: 0.3}
    delay: {distribution: uniform, min: 0.0, max: 0.001}
    error: InternalServerException
  - id: break-once
    match: {operations: [Converse]}
    take: {after: 20}
    state: {required: Started, next: Broken}
    error: ModelNotReadyException
  - id: broken
    match: {operations: [Converse]}
    state: {required: Broken}
    take: {first: 2}
    error: ModelErrorException
  - id: tokens
    match: {operations: [Converse]}
    quota: {tpm: 500, rpm: 40}
"""
FIRST_3 = (
    "version: 1\nname: first-3\nrules:\n  - id: first\n    take: {first: 3}\n    error: ThrottlingException\n"
)
RPM_47 = "version: 1\nname: rpm-47\nrules:\n  - id: rpm\n    quota: {rpm: 47}\n"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer.start()
    yield server
    server.stop()


@pytest.fixture
def backend(redis_server: RedisServer) -> Iterator[SharedBackend]:
    redis_server.client().flushdb()
    shared = connect(redis_server.url)
    yield shared
    shared.connection.client.close()


def converse(tenant: str, tokens: int = 0) -> Call:
    return Call(
        service="bedrock-runtime",
        operation="Converse",
        tenant=tenant,
        model_id=MODEL,
        foundation_model_id=MODEL,
        estimated_tokens=tokens,
    )


def summary(plan: Plan) -> tuple[Any, ...]:
    error = (plan.error.code, plan.error.message) if plan.error else None
    return (
        plan.rule_id,
        error,
        plan.delay_seconds,
        len(plan.quota_tickets),
        plan.match_number,
        plan.quota_window,
    )


def served(engine: SharedEngine, call: Call) -> Plan:
    """As the data plane asks: the first round trip decides when it can, else `plan` does."""
    _, _, plan = engine.begin_call(call.tenant, call)
    return plan if plan is not None else engine.plan(call)


@pytest.mark.parametrize("ask", ["plan", "begin_call"])
def test_the_shared_engine_decides_every_call_as_the_memory_engine_does(
    backend: SharedBackend, ask: str
) -> None:
    memory = Engine(seed=3)
    shared = backend.engine(seed=3, default_scenario=None, strict=False)
    plans: dict[str, list[tuple[Any, ...]]] = {"memory": [], "shared": []}
    for name, engine in (("memory", memory), ("shared", shared)):
        engine.load_text(EVERY_MODE)
        engine.bind("AKIAMODES", "modes")
        for n in range(60):
            if n == 45:
                engine.clock.advance(61)
            call = converse("AKIAMODES", tokens=120)
            plan = served(shared, call) if name == "shared" and ask == "begin_call" else engine.plan(call)
            engine.settle(converse("AKIAMODES"), plan, input_tokens=40, output_tokens=60)
            plans[name].append(summary(plan))
    assert plans["shared"] == plans["memory"]
    rules = Counter(rule for rule, *_ in plans["shared"])
    assert {"third-and-fifth", "every-fourth", "coin", "break-once", "broken"} <= set(rules)
    assert any(error and error[1].startswith("Too many tokens") for _, error, *_ in plans["shared"])
    assert shared.state_of("AKIAMODES", "modes") == memory.state_of("AKIAMODES", "modes")
    assert shared.counters("AKIAMODES") == memory.counters("AKIAMODES")  # matched and fired, per rule
    assert shared.quota_gauges("AKIAMODES") == memory.quota_gauges("AKIAMODES") != []
    assert ("AKIAMODES", "modes") in [(who, name) for who, name, _ in shared.counters()]


def test_32_threads_over_3_engines_see_exactly_the_faults_of_one(
    backend: SharedBackend, redis_server: RedisServer
) -> None:
    engines = [
        connect(redis_server.url).engine(seed=0, default_scenario=None, strict=False) for _ in range(3)
    ]
    engines[0].load_text(FIRST_3)
    engines[1].load_text(RPM_47)
    engines[2].bind("AKIAFIRST", "first-3")
    engines[0].bind("AKIARPM", "rpm-47")
    start = threading.Barrier(32)

    def decide(n: int) -> tuple[str | None, str | None]:
        if n < 32:
            start.wait()
        engine = engines[n % 3]
        first, rpm = engine.plan(converse("AKIAFIRST")), engine.plan(converse("AKIARPM"))
        return (first.error.code if first.error else None), (rpm.error.code if rpm.error else None)

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(decide, range(96)))
    assert Counter(first for first, _ in results) == {"ThrottlingException": 3, None: 93}
    assert Counter(rpm for _, rpm in results) == {None: 47, "ThrottlingException": 49}


def test_a_binding_changed_elsewhere_is_decided_by_at_once(backend: SharedBackend) -> None:
    here, there = (backend.engine(seed=0, default_scenario=None, strict=False) for _ in range(2))
    here.load_text(FIRST_3)
    here.load_text(RPM_47)
    there.bind("AKIAREBOUND", "first-3")
    assert [served(here, converse("AKIAREBOUND")).rule_id for _ in range(2)] == ["first", "first"]

    there.bind("AKIAREBOUND", "rpm-47")  # this replica last saw first-3 bound
    assert served(here, converse("AKIAREBOUND")).scenario == "rpm-47"
    there.bind("AKIAREBOUND", None)
    assert served(here, converse("AKIAREBOUND")).scenario is None
    assert here.state_of("AKIAREBOUND", "first-3") == ("Started", {"first": 2})


def test_loading_identical_content_keeps_counts_and_different_content_starts_over(
    backend: SharedBackend,
) -> None:
    one, two = (backend.engine(seed=0, default_scenario=None, strict=False) for _ in range(2))
    one.load_text(FIRST_3)
    two.bind("AKIARELOAD", "first-3")
    assert one.plan(converse("AKIARELOAD")).error is not None
    two.load_text(FIRST_3)  # a replica restarting with the same file
    assert one.state_of("AKIARELOAD", "first-3") == ("Started", {"first": 1})
    two.load_text(FIRST_3.replace("first: 3", "first: 4"))
    assert one.state_of("AKIARELOAD", "first-3") is None
    assert [one.plan(converse("AKIARELOAD")).error is not None for _ in range(5)] == [True] * 4 + [False]
    assert two.delete("first-3")
    assert one.bound("AKIARELOAD") is None
    assert one.get("first-3") is None


def test_the_store_keeps_the_contract(backend: SharedBackend) -> None:
    store = backend.store()
    tenants = ["a", "a:b", "a*", "t/é"]
    for tenant in tenants:
        store.put(tenant, "kind", "k2", {"n": 2, "tenant": tenant})
        store.put(tenant, "kind", "k1", {"n": 1})
    store.put("a", "kind", "k2", {"n": 22})  # replacing keeps the creation order

    assert store.list("a", "kind") == [("k2", {"n": 22}), ("k1", {"n": 1})]
    assert store.keys("a:b", "kind") == ["k2", "k1"]
    assert store.get("a*", "kind", "k2") == {"n": 2, "tenant": "a*"}
    assert store.put_new("a", "kind", "k1", {"n": 0}) is False
    assert store.put_new("a", "kind", "k3", [1, "x", None]) is True
    assert store.increment("a", "counter", "ids") == 1
    assert store.increment("a", "counter", "ids", by=4) == 5
    assert store.get("a", "counter", "ids") == 5

    assert store.update("a", "kind", "missing", lambda value: 1 / 0) is None
    assert store.update("a", "kind", "k1", lambda value: {**value, "n": value["n"] + 1}) == {"n": 2}

    def refuse(value: Any) -> Any:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        store.update("a", "kind", "k1", refuse)
    assert store.get("a", "kind", "k1") == {"n": 2}
    assert store.delete("a", "kind", "k1") == {"n": 2}
    assert store.delete("a", "kind", "k1") is None

    store.forget("a")
    assert store.list("a", "kind") == []
    assert store.get("a", "counter", "ids") is None
    assert [len(store.list(tenant, "kind")) for tenant in tenants[1:]] == [2, 2, 2]
    store.forget(None)
    assert all(store.keys(tenant, "kind") == [] for tenant in tenants)


def test_concurrent_updates_of_one_value_lose_nothing(
    backend: SharedBackend, redis_server: RedisServer
) -> None:
    stores = [connect(redis_server.url).store() for _ in range(3)]
    stores[0].put("t", "kind", "k", {"n": 0})
    with ThreadPoolExecutor(12) as pool:
        list(
            pool.map(lambda n: stores[n % 3].update("t", "kind", "k", lambda v: {"n": v["n"] + 1}), range(60))
        )
    assert stores[1].get("t", "kind", "k") == {"n": 60}


def entry(tenant: str, status: int, body: bytes = b"") -> JournalEntry:
    return JournalEntry(
        time=1.0,
        tenant=tenant,
        service="bedrock-runtime",
        operation="Converse",
        model=MODEL,
        status=status,
        request_id=f"id-{tenant}-{status}",
        request_body=body,
        response_body=body[::-1],
        response_events=[("contentBlockDelta", {"delta": {"text": "hi"}}, 0.5)] if status == 201 else None,
    )


def test_the_journal_keeps_bodies_within_its_budget_and_clears_one_tenant(backend: SharedBackend) -> None:
    from emulator.shared.journal import SharedJournal

    journal = SharedJournal(backend.connection, capacity=50, detail_capacity=3, detail_bytes=1000)
    for status in range(200, 206):
        journal.record(entry("one" if status % 2 else "two", status, b"x" * 100))
    journal.record(entry("two", 299, b"y" * 600))  # alone over the budget: summary only

    entries = journal.entries()
    assert [e.status for e in entries] == [200, 201, 202, 203, 204, 205, 299]
    assert [e.sequence for e in entries] == sorted({e.sequence for e in entries})
    assert [e.request_body is not None for e in entries] == [False] * 3 + [True] * 3 + [False]
    assert journal.detail_bytes == 600
    assert entries[4].response_body == b"x" * 100
    assert journal.entries(tenant="one", limit=1)[0].response_events is None
    assert entries[1].response_events is None  # its body went with the budget

    journal.clear("one")
    assert [e.status for e in journal.entries()] == [200, 202, 204, 299]
    assert journal.detail_bytes == 200
    journal.clear()
    assert journal.entries() == []
    assert journal.detail_bytes == 0


def test_journal_writes_leave_the_call_path_yet_this_replica_reads_every_one(backend: SharedBackend) -> None:
    from emulator.shared.journal import SharedJournal

    journal = SharedJournal(backend.connection, capacity=1000)
    recorded = [entry(f"t{n % 4}", 200 + n % 7, b"z") for n in range(300)]
    threads = [
        threading.Thread(target=lambda part=part: [journal.record(e) for e in part])
        for part in (recorded[:150], recorded[150:])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    listed = journal.entries()  # waits for this replica's writer
    assert len(listed) == 300
    assert sorted(e.sequence for e in recorded) == [e.sequence for e in listed]
    assert len({e.sequence for e in recorded}) == 300


def test_an_unreachable_redis_is_a_state_unavailable_error() -> None:
    from redis_server import free_port

    with pytest.raises(StateUnavailableError, match=r"Redis at redis://127\.0\.0\.1:\d+/0 is unavailable"):
        connect(f"redis://127.0.0.1:{free_port()}/0")


def test_the_state_setting_takes_memory_or_a_redis_url() -> None:
    assert Settings.from_sources({}, {}).state == "memory"
    assert (
        Settings.from_sources({}, {"BEDROCK_EMULATOR_STATE": "redis://r:6379/2"}).state == "redis://r:6379/2"
    )
    with pytest.raises(ConfigError, match="BEDROCK_EMULATOR_STATE"):
        Settings.from_sources({}, {"BEDROCK_EMULATOR_STATE": "postgres://db"})


def test_a_reset_on_one_app_makes_the_others_forget_what_they_keep_in_process(
    redis_server: RedisServer,
) -> None:
    from emulator.app import create_app

    apps = [create_app(Settings(state=redis_server.url, library=False)) for _ in range(2)]
    forgotten: list[str | None] = []
    heard = threading.Event()

    def forget(tenant: str | None) -> None:
        forgotten.append(tenant)
        heard.set()

    apps[1].extensions["bedrock_emulator"].state.on_forget(forget)
    listening = apps[1].extensions["bedrock_emulator"].shared
    deadline = time.monotonic() + 5  # the listener subscribes in its own thread: announce until heard
    while not heard.is_set() and time.monotonic() < deadline:
        assert apps[0].test_client().post("/_emulator/reset", json={"tenant": "AKIAHEARD"}).status_code == 200
        heard.wait(0.05)

    assert set(forgotten) == {"AKIAHEARD"}
    assert listening is not None
    assert listening.replica != apps[0].extensions["bedrock_emulator"].shared.replica
