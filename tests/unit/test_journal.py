"""The journal: bounded, filterable, and keeping bodies only for the most recent calls."""

from __future__ import annotations

import threading

from emulator.journal import Journal, JournalEntry


def entry(tenant: str = "t", operation: str = "Converse", at: float = 0.0) -> JournalEntry:
    return JournalEntry(
        time=at,
        tenant=tenant,
        service="bedrock-runtime",
        operation=operation,
        model=None,
        status=200,
        request_id="r",
        request_body=b"{}",
        response_body=b"{}",
        response_events=[("messageStart", {}, 0.0)],
    )


def test_journal_keeps_only_the_newest_entries_up_to_its_capacity():
    journal = Journal(capacity=3)
    for index in range(5):
        journal.record(entry(at=float(index)))
    assert [e.time for e in journal.entries()] == [2.0, 3.0, 4.0]
    assert [e.sequence for e in journal.entries()] == [3, 4, 5]


def test_journal_drops_bodies_of_older_entries_but_keeps_their_summary():
    journal = Journal(capacity=10, detail_capacity=2)
    for index in range(4):
        journal.record(entry(at=float(index)))
    kept = journal.entries()
    assert len(kept) == 4
    assert [e.request_body is not None for e in kept] == [False, False, True, True]
    assert kept[0].response_events is None
    assert kept[-1].response_events is not None


def test_journal_filters_by_tenant_operation_and_time():
    journal = Journal()
    journal.record(entry("a", "Converse", 1.0))
    journal.record(entry("b", "Converse", 2.0))
    journal.record(entry("a", "InvokeModel", 3.0))
    assert [e.time for e in journal.entries(tenant="a")] == [1.0, 3.0]
    assert [e.time for e in journal.entries(operation="Converse")] == [1.0, 2.0]
    assert [e.time for e in journal.entries(since=2.0)] == [2.0, 3.0]
    assert [e.time for e in journal.entries(limit=1)] == [3.0]


def test_journal_clear_of_one_tenant_keeps_the_others():
    journal = Journal()
    journal.record(entry("a"))
    journal.record(entry("b"))
    journal.clear("a")
    assert [e.tenant for e in journal.entries()] == ["b"]


def test_journal_records_from_many_threads_without_losing_entries():
    journal = Journal(capacity=100_000)
    threads = [
        threading.Thread(target=lambda: [journal.record(entry()) for _ in range(500)]) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sequences = [e.sequence for e in journal.entries()]
    assert len(sequences) == 4000
    assert sorted(sequences) == list(range(1, 4001))


def test_journal_json_leaves_out_the_bodies():
    data = entry().to_json()
    assert "request_body" not in data
    assert "response_events" not in data
    assert data["tenant"] == "t"
    assert data["status"] == 200


def test_journal_keeps_bodies_within_its_byte_budget_newest_first():
    journal = Journal(capacity=100, detail_capacity=100, detail_bytes=50_000)
    for index in range(10):
        big = entry(at=float(index))
        big.request_body = b"x" * 20_000
        journal.record(big)
    kept = journal.entries()
    assert len(kept) == 10  # every summary stays
    assert [e.request_body is not None for e in kept] == [False] * 8 + [True] * 2
    assert journal.detail_bytes <= 50_000


def test_journal_never_holds_a_body_larger_than_its_whole_budget():
    journal = Journal(detail_bytes=1_000)
    huge = entry()
    huge.request_body = b"x" * 5_000
    journal.record(huge)
    assert journal.entries()[0].request_body is None
    assert journal.detail_bytes == 0


def test_journal_budget_is_given_back_when_a_tenant_is_cleared():
    journal = Journal(detail_bytes=100_000)
    for tenant in ("a", "b"):
        item = entry(tenant)
        item.request_body = b"x" * 10_000
        journal.record(item)
    journal.clear("a")
    assert 10_000 <= journal.detail_bytes < 20_000


def test_journal_finds_an_entry_by_sequence_across_the_gaps_a_tenant_clear_leaves():
    journal = Journal(capacity=4)
    for tenant in ("a", "b", "a", "b", "a"):
        journal.record(entry(tenant=tenant))
    journal.clear("b")

    assert [e.sequence for e in journal.entries()] == [3, 5]
    assert journal.find(5).sequence == 5
    assert journal.find(3).sequence == 3
    assert journal.find(4) is None  # cleared
    assert journal.find(1) is None  # past the capacity
    assert journal.find(9) is None


def test_journal_lets_go_of_request_headers_with_the_bodies():
    journal = Journal(detail_capacity=1)
    first, second = entry(), entry()
    first.request_headers = second.request_headers = {"authorization": "x"}
    first.response_headers = [("x-amzn-RequestId", "r")]
    journal.record(first)
    journal.record(second)

    assert first.request_headers is None
    assert first.response_headers is None
    assert second.request_headers == {"authorization": "x"}
