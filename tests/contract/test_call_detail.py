"""The admin API behind the dashboard's detail view, counters and timeline, over real boto3 calls.

``GET /_emulator/requests/<sequence>`` gives one call in full (bodies, redacted headers, why its rule
fired, a stream's frames with their offsets and a marker where a fault broke it); ``/counters`` each
rule's matched and fired counts and each quota window's use; ``/clock`` the virtual clock's advances.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.eventstream import ChecksumMismatch
from botocore.exceptions import ClientError, ConnectionClosedError, EventStreamError
from urllib3.exceptions import ProtocolError

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings

MODEL = "amazon.nova-micro-v1:0"
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=alert(1)>"
FLAKY = """
version: 1
name: detail-flaky
rules:
  - id: first-fails
    description: the first Converse call answers ServiceUnavailable
    match: {operations: [Converse]}
    take: {first: 1}
    error: {code: ServiceUnavailableException}
  - id: rpm
    match: {operations: [Converse]}
    quota: {rpm: 2}
"""
CORRUPT = """
version: 1
name: detail-corrupt
rules:
  - id: bad-crc
    match: {operations: [ConverseStream]}
    stream: {corrupt_crc_at: 2}
"""

BROKEN = """
version: 1
name: detail-broken
rules:
  - id: truncate
    match: {operations: [Converse], models: [amazon.nova-micro-v1:0]}
    truncate: 10
  - id: drop
    match: {operations: [Converse]}
    drop: true
"""


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(create_app(Settings(port=0))) as server:
        admin = httpx.Client(base_url=server.endpoint_url + "/_emulator")
        for text in (FLAKY, CORRUPT, BROKEN):
            assert admin.put("/scenarios", content=text).status_code == 201
        admin.close()
        yield server


@pytest.fixture
def admin(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.endpoint_url + "/_emulator", timeout=10) as client:
        yield client


def runtime(server: EmulatorServer, tenant: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def calls(admin: httpx.Client, tenant: str, count: int = 1) -> list[dict[str, Any]]:
    """The tenant's journaled calls, once there are ``count``: a cut stream is journaled as the server
    notices, which may lag the client's error by a moment."""
    deadline = time.monotonic() + 5
    while True:
        response = admin.get("/requests", params={"tenant": tenant})
        assert response.status_code == 200
        requests: list[dict[str, Any]] = response.json()["requests"]
        if len(requests) >= count or time.monotonic() > deadline:
            return requests
        time.sleep(0.02)


def detail(admin: httpx.Client, sequence: int) -> dict[str, Any]:
    response = admin.get(f"/requests/{sequence}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_call_in_full_bodies_as_text_headers_with_the_signature_redacted(
    server: EmulatorServer, admin: httpx.Client
) -> None:
    client = runtime(server, "detail-plain")
    answer = client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": HOSTILE}]}])

    (summary,) = calls(admin, "detail-plain")
    shown = detail(admin, summary["sequence"])

    assert summary["outcome"] == "success"
    assert summary["clock"] is not None
    assert shown["detail_kept"] is True
    sent = json.loads(shown["request"]["body"]["text"])
    assert sent["messages"][0]["content"][0]["text"] == HOSTILE
    answered = json.loads(shown["response"]["body"]["text"])
    assert answered["output"] == answer["output"]
    assert shown["response"]["body"]["size"] == len(shown["response"]["body"]["text"].encode())
    headers = dict(shown["request"]["headers"])
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=detail-plain/")
    assert headers["authorization"].endswith("Signature=(redacted)")
    response_headers = {name.lower(): value for name, value in shown["response"]["headers"]}
    assert response_headers["x-amzn-requestid"] == answer["ResponseMetadata"]["RequestId"]
    assert shown["why"] is None
    assert shown["stream"] is None


def test_why_a_rule_fired_counters_of_matched_and_fired_and_the_quota_gauge(
    server: EmulatorServer, admin: httpx.Client
) -> None:
    tenant = "detail-flaky"  # the tenant-named scenario applies
    client = runtime(server, tenant)
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with pytest.raises(ClientError):
        client.converse(modelId=MODEL, messages=messages)
    client.converse(modelId=MODEL, messages=messages)
    client.converse(modelId=MODEL, messages=messages)
    with pytest.raises(ClientError) as throttled:
        client.converse(modelId=MODEL, messages=messages)
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"

    first, ok, _, last = calls(admin, tenant, 4)
    assert [c["outcome"] for c in (first, ok, last)] == ["error", "success", "throttled"]
    assert [c["quota_window"] for c in (first, ok, last)] == [None, None, 60]
    assert first["request_digest"] == last["request_digest"]  # the same request, sent again
    why = detail(admin, first["sequence"])["why"]
    assert why["rule"] == "first-fails"
    assert why["match_number"] == 1
    assert why["description"] == "the first Converse call answers ServiceUnavailable"
    assert why["definition"]["take"] == {"first": 1}
    assert why["reason"].startswith("rule first-fails of scenario detail-flaky fired on its matching call #1")
    assert "ServiceUnavailableException" in why["reason"]
    answered = detail(admin, first["sequence"])["response"]
    assert json.loads(answered["body"]["text"]) == {"message": "Bedrock is unable to process your request."}
    assert dict(answered["headers"])["x-amzn-ErrorType"].startswith("ServiceUnavailableException:")
    assert detail(admin, last["sequence"])["why"]["match_number"] == 3
    plain = detail(admin, ok["sequence"])["why"]
    assert plain["rule"] is None
    assert plain["reason"] == "scenario detail-flaky applied, but none of its rules took this call"

    counters = admin.get("/counters", params={"tenant": tenant}).json()
    by_rule = {(r["scenario"], r["rule"]): (r["matched"], r["fired"]) for r in counters["rules"]}
    assert by_rule == {("detail-flaky", "first-fails"): (4, 1), ("detail-flaky", "rpm"): (3, 1)}
    (gauge,) = counters["quotas"]
    assert gauge["requests_per_minute"] == {"used": 2, "limit": 2}
    assert gauge["tokens_per_minute"]["limit"] is None

    admin.post("/clock/advance", json={"seconds": 61})
    (gauge,) = admin.get("/counters", params={"tenant": tenant}).json()["quotas"]
    assert gauge["requests_per_minute"]["used"] == 0
    advances = admin.get("/clock").json()["advances"]
    assert advances[-1]["seconds"] == 61
    assert advances[-1]["time"] >= last["time"]


def test_a_cut_stream_shows_every_frame_with_its_offset_and_where_it_was_cut(
    server: EmulatorServer, admin: httpx.Client
) -> None:
    tenant = "detail-cut"
    admin.put(f"/tenants/{tenant}/scenario", json={"name": "stream-cut-after-5-deltas"})
    client = runtime(server, tenant)
    stream = client.converse_stream(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "go"}]}])
    with pytest.raises(ProtocolError):
        for _ in stream["stream"]:
            pass

    (summary,) = calls(admin, tenant)
    shown = detail(admin, summary["sequence"])

    assert summary["outcome"] == "disconnected"
    assert summary["ttft_ms"] is not None
    assert 0 <= summary["ttft_ms"] <= summary["latency_ms"]
    frames = shown["stream"]["frames"]
    assert [f["event"] for f in frames] == ["messageStart"] + ["contentBlockDelta"] * 5
    assert [f["index"] for f in frames] == list(range(6))
    offsets = [f["offset_ms"] for f in frames]
    assert offsets == sorted(offsets)
    assert shown["stream"]["markers"] == [
        {"kind": "disconnected", "index": 6, "text": "the connection was cut here"}
    ]
    assert "cut the connection after 6 events" in shown["why"]["reason"]
    assert shown["response"]["body"] is None


def test_a_stream_exception_and_a_corrupt_frame_are_marked(
    server: EmulatorServer, admin: httpx.Client
) -> None:
    client = runtime(server, "detail-exception")
    admin.put("/tenants/detail-exception/scenario", json={"name": "stream-exception-after-5"})
    stream = client.converse_stream(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "go"}]}])
    with pytest.raises(EventStreamError):
        for _ in stream["stream"]:
            pass
    corrupt = runtime(server, "detail-corrupt")
    stream = corrupt.converse_stream(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "go"}]}])
    with pytest.raises(ChecksumMismatch):
        for _ in stream["stream"]:
            pass

    (broken,) = calls(admin, "detail-exception")
    (bad,) = calls(admin, "detail-corrupt")
    broken_stream = detail(admin, broken["sequence"])["stream"]
    bad_stream = detail(admin, bad["sequence"])["stream"]

    assert broken["outcome"] == "stream-exception"
    assert broken_stream["frames"][-1]["event"] == "modelStreamErrorException"
    assert broken_stream["markers"][0]["kind"] == "stream-exception"
    assert broken_stream["markers"][0]["index"] == 5
    assert bad["outcome"] == "corrupt-frame"
    assert bad_stream["markers"][0] == {
        "kind": "corrupt-frame",
        "index": 2,
        "text": "frame #2 was sent with a wrong CRC",
    }


def test_a_call_the_journal_no_longer_holds_is_a_json_404(admin: httpx.Client) -> None:
    response = admin.get("/requests/987654321")

    assert response.status_code == 404
    assert response.json()["error"] == "RequestNotFound"


def test_the_journal_export_for_a_report_and_an_unknown_export_format(
    server: EmulatorServer, admin: httpx.Client
) -> None:
    runtime(server, "detail-export").converse(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "x"}]}]
    )

    journal = admin.get("/requests/export", params={"format": "journal", "tenant": "detail-export"})
    unknown = admin.get("/requests/export", params={"format": "csv"})

    assert journal.status_code == 200
    assert journal.headers["content-disposition"] == 'attachment; filename="journal-detail-export.json"'
    (call,) = journal.json()["requests"]
    assert call["outcome"] == "success"
    assert set(journal.json()["clock"]) == {"now", "offset", "advances"}
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "format is scenario (the default) or journal, got 'csv'"


def test_a_unary_answer_cut_short_or_never_sent_says_where_the_connection_closed(
    server: EmulatorServer, admin: httpx.Client
) -> None:
    client = runtime(server, "detail-broken")
    say = [{"role": "user", "content": [{"text": "x"}]}]
    # boto3 takes a body cut short for a retryable read error: with no attempts left, an empty result
    assert "output" not in client.converse(modelId=MODEL, messages=say)
    with pytest.raises(ConnectionClosedError):
        client.converse(modelId="amazon.nova-lite-v1:0", messages=say)

    truncated, dropped = calls(admin, "detail-broken", 2)
    cut = detail(admin, truncated["sequence"])["response"]
    never = detail(admin, dropped["sequence"])["response"]

    assert (truncated["outcome"], dropped["outcome"]) == ("truncated", "disconnected")
    assert cut["cut"] == f"the connection was closed after 10 of the answer's {cut['body']['size']} bytes"
    assert never["cut"] == "no answer: the connection was closed before any byte of one"
    assert never["headers"] == []
