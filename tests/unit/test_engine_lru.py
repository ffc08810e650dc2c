"""LruMap: bounded, forgets the least recently used first, spares entries in use."""

from __future__ import annotations

import pytest

from emulator.engine.lru import LruMap


def test_keeps_at_most_capacity_forgetting_the_least_recently_used() -> None:
    lru: LruMap[str, int] = LruMap(3)
    for key in "abcd":
        lru[key] = ord(key)
    assert list(lru) == ["b", "c", "d"]
    assert "a" not in lru
    assert lru.get("a") is None


def test_reading_and_writing_count_as_use_peeking_does_not() -> None:
    lru: LruMap[str, int] = LruMap(3)
    for key in "abc":
        lru[key] = 0
    assert lru.get("a") == 0  # a is now the most recent
    assert lru.peek("b") == 0  # b stays the least recent
    lru["d"] = 0
    assert list(lru) == ["c", "a", "d"]
    lru["c"] = 1
    assert lru["a"] == 0
    lru["e"] = 0
    assert list(lru) == ["c", "a", "e"]


def test_the_counter_idiom() -> None:
    counters: LruMap[str, int] = LruMap(2)
    for tenant in ["x", "x", "y", "x", "z", "y"]:
        counters[tenant] = counters.get(tenant, 0) + 1
    # z pushed y out (x had just been used); y came back fresh.
    assert dict(counters.items()) == {"z": 1, "y": 1}


def test_on_evict_hears_of_every_forgotten_entry_but_not_of_pops() -> None:
    evicted: list[tuple[str, int]] = []
    lru: LruMap[str, int] = LruMap(1, on_evict=lambda k, v: evicted.append((k, v)))
    lru["a"] = 1
    lru["b"] = 2
    assert lru.pop("b") == 2
    assert lru.pop("b", -1) == -1
    assert evicted == [("a", 1)]
    assert len(lru) == 0


def test_spared_entries_stay_and_count_as_just_used() -> None:
    busy = {"a"}
    lru: LruMap[str, int] = LruMap(2, spare=lambda k, v: k in busy)
    lru["a"] = 1
    lru["b"] = 2
    lru["c"] = 3
    assert list(lru) == ["c", "a"]
    busy.clear()
    lru["d"] = 4
    assert list(lru) == ["a", "d"]


def test_runs_over_capacity_only_while_everything_looked_at_is_spared() -> None:
    busy = {"a", "b"}
    lru: LruMap[str, int] = LruMap(2, spare=lambda k, v: k in busy)
    lru["a"] = 1
    lru["b"] = 2
    lru["c"] = 3  # both older entries are busy: nothing can go, never the entry just written
    assert sorted(lru) == ["a", "b", "c"]
    busy.clear()
    lru["d"] = 4
    assert len(lru) == 2
    assert "d" in lru


def test_a_capacity_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LruMap(0)
