"""The indexed content of created knowledge bases: versions that come due on the clock, what the next job
compares with, withdrawal of a stopped job's versions, and revision counting."""

from __future__ import annotations

from emulator.knowledge import content
from emulator.state import MemoryStore

KB, DS = "KB00000001", "DS00000001"


def _entry(text: str) -> content.Entry:
    return {"source": "CUSTOM", "id": text, "chunks": [text], "attributes": {}, "contentDigest": text}


def test_a_staged_version_shows_once_due_and_the_previous_one_until_then() -> None:
    store = MemoryStore()
    content.stage(store, "t", KB, DS, "custom:a", _entry("one"), at=10.0, now=5.0)
    assert content.visible(store, "t", KB, 9.0) == ([], [10.0])
    content.stage(store, "t", KB, DS, "custom:a", _entry("two"), at=20.0, now=12.0)
    shown, pending = content.visible(store, "t", KB, 15.0)
    assert [entry["id"] for _, _, entry in shown] == ["one"]
    assert pending == [20.0]
    assert content.latest(store, "t", KB, DS)["custom:a"]["id"] == "two"
    assert [entry["id"] for _, _, entry in content.visible(store, "t", KB, 20.0)[0]] == ["two"]


def test_removal_is_a_version_too_and_the_record_goes_once_due() -> None:
    store = MemoryStore()
    content.stage(store, "t", KB, DS, "custom:a", _entry("one"), at=1.0, now=0.0)
    content.stage(store, "t", KB, DS, "custom:a", None, at=5.0, now=2.0)
    assert content.current(store, "t", KB, DS, "custom:a", 4.0) is not None
    assert content.current(store, "t", KB, DS, "custom:a", 5.0) is None
    assert content.latest(store, "t", KB, DS) == {}
    content.stage(store, "t", KB, DS, "custom:b", _entry("b"), at=7.0, now=6.0)
    content.stage(store, "t", KB, DS, "custom:a", None, at=6.0, now=6.0)
    assert store.get("t", content.KIND, content.record_key(KB, DS, "custom:a")) is None


def test_withdrawing_a_job_keeps_what_came_before() -> None:
    store = MemoryStore()
    content.stage(store, "t", KB, DS, "custom:a", _entry("one"), at=1.0, now=0.0, job="J1")
    content.stage(store, "t", KB, DS, "custom:a", _entry("two"), at=10.0, now=5.0, job="J2")
    content.stage(store, "t", KB, DS, "custom:b", _entry("new"), at=10.0, now=5.0, job="J2")
    content.withdraw(store, "t", KB, DS, "J2", 6.0)
    assert [entry["id"] for _, _, entry in content.visible(store, "t", KB, 50.0)[0]] == ["one"]


def test_revisions_count_writes_per_knowledge_base_and_tenant() -> None:
    store = MemoryStore()
    assert content.revision(store, "t", KB) == 0
    content.stage(store, "t", KB, DS, "custom:a", _entry("one"), at=1.0, now=0.0)
    content.stage(store, "t", KB, DS, "custom:b", _entry("two"), at=1.0, now=0.0)
    assert content.revision(store, "t", KB) == 2
    assert content.revision(store, "u", KB) == 0
    assert content.visible(store, "u", KB, 5.0) == ([], [])
