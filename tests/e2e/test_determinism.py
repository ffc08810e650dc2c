"""Determinism: the same scenario, seed and request sequence, run twice, give byte-identical answers.

Two fresh servers with the same seed receive the same ~40 mixed requests (Converse, ConverseStream,
InvokeModel, InvokeModelWithResponseStream, CountTokens) from two tenants: one bound to a scenario that
mixes a probability fault, a seeded delay distribution and an every-k-th fault, one selecting the shipped
``service-unavailable-20pct`` by its access key. Raw ``http.client`` is used so the bytes compared are the
bytes sent, event-stream frames included. A server with another seed says other words, while the faults,
seeded by the scenario itself, fall on the same calls.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
from botocore.eventstream import EventStreamBuffer

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings

SCENARIO = """\
version: 1
name: determinism-mix
seed: 11
rules:
  - id: unavailable
    match:
      operations: [Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream, CountTokens]
    take: {probability: 0.25}
    error: ServiceUnavailableException
  - id: jitter
    match: {operations: [Converse, InvokeModel]}
    take: {probability: 0.5}
    delay: {distribution: uniform, min: 0.001, max: 0.004}
  - id: every-seventh
    take: {every: 7}
    error: ThrottlingException
"""
BOUND_TENANT = "same-name-on-both"
LIBRARY_TENANT = "service-unavailable-20pct"  # the access key selects the shipped scenario
CHAT_MODEL = "amazon.nova-micro-v1:0"
INVOKE_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
COUNT_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
# Headers whose values must repeat exactly; Date and timing-free headers only.
COMPARED_HEADERS = (
    "content-type",
    "x-amzn-requestid",
    "x-amzn-errortype",
    "x-bedrock-emulator-rule",
    "x-amzn-bedrock-input-token-count",
    "x-amzn-bedrock-output-token-count",
    "x-amzn-bedrock-content-type",
)


@dataclass(frozen=True)
class Exchange:
    tenant: str
    path: str
    status: int
    headers: tuple[tuple[str, str | None], ...]
    body: bytes


def _authorization(tenant: str) -> str:
    # The emulator takes the tenant from the credential scope and does not check the signature.
    return (
        f"AWS4-HMAC-SHA256 Credential={tenant}/20260101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
    )


def _requests() -> list[tuple[str, str, bytes]]:
    """(tenant, path, JSON body) for a mixed sequence of 40 calls."""
    sequence: list[tuple[str, str, bytes]] = []
    for i in range(20):
        words = f"Question number {i}: tell me about lighthouses and tides."
        converse = {
            "messages": [{"role": "user", "content": [{"text": words}]}],
            "inferenceConfig": {"maxTokens": 40 + i},
        }
        anthropic = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 30 + i,
            "messages": [{"role": "user", "content": words}],
        }
        chat, invoke = quote(CHAT_MODEL, safe=""), quote(INVOKE_MODEL, safe="")
        kind = i % 5
        call: tuple[str, object]
        if kind == 0:
            call = (f"/model/{chat}/converse", converse)
        elif kind == 1:
            call = (f"/model/{chat}/converse-stream", converse)
        elif kind == 2:
            call = (f"/model/{invoke}/invoke", anthropic)
        elif kind == 3:
            call = (f"/model/{invoke}/invoke-with-response-stream", anthropic)
        else:
            count = {"input": {"converse": {"messages": converse["messages"]}}}
            call = (f"/model/{quote(COUNT_MODEL, safe='')}/count-tokens", count)
        body = json.dumps(call[1]).encode()
        sequence.append((BOUND_TENANT, call[0], body))
        sequence.append((LIBRARY_TENANT, call[0], body))
    return sequence


def _run(seed: int) -> list[Exchange]:
    """A fresh server with ``seed``, the scenario bound, the whole sequence sent; then stopped."""
    app = create_app(Settings(port=0, seed=seed))
    state = app.extensions["bedrock_emulator"]
    state.engine.bind(BOUND_TENANT, state.engine.load_text(SCENARIO))
    exchanges: list[Exchange] = []
    with EmulatorServer(app) as server:
        parts = urlsplit(server.endpoint_url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            for tenant, path, body in _requests():
                headers = {
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "X-Amz-Date": "20260101T000000Z",
                    "Authorization": _authorization(tenant),
                }
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                kept = tuple((name, response.getheader(name)) for name in COMPARED_HEADERS)
                exchanges.append(Exchange(tenant, path, response.status, kept, payload))
        finally:
            connection.close()
    return exchanges


@pytest.fixture(scope="module")
def runs() -> tuple[list[Exchange], list[Exchange], list[Exchange]]:
    return _run(7), _run(7), _run(8)


def _frames(body: bytes) -> list[tuple[str, bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    return [(str(message.headers[":event-type"]), message.payload) for message in buffer]


def _faults(exchanges: list[Exchange]) -> list[tuple[int, int, str | None]]:
    return [
        (i, e.status, dict(e.headers)["x-bedrock-emulator-rule"])
        for i, e in enumerate(exchanges)
        if e.status != 200
    ]


def test_same_seed_and_sequence_give_byte_identical_bodies(
    runs: tuple[list[Exchange], list[Exchange], list[Exchange]],
) -> None:
    first, second, _ = runs

    assert len(first) == len(second) == 40
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        assert (a.tenant, a.path, a.status) == (b.tenant, b.path, b.status), index
        assert a.body == b.body, f"call {index} ({a.path}) differs"
        assert a.headers == b.headers, index


def test_same_seed_gives_identical_event_stream_frames(
    runs: tuple[list[Exchange], list[Exchange], list[Exchange]],
) -> None:
    first, second, _ = runs
    streamed = [
        (a, b)
        for a, b in zip(first, second, strict=True)
        if a.status == 200 and dict(a.headers)["content-type"] == "application/vnd.amazon.eventstream"
    ]

    assert len(streamed) >= 6
    for a, b in streamed:
        frames = _frames(a.body)
        assert frames == _frames(b.body)
        assert len(frames) > 3


def test_same_seed_places_the_faults_on_the_same_calls(
    runs: tuple[list[Exchange], list[Exchange], list[Exchange]],
) -> None:
    first, second, _ = runs
    faults = _faults(first)

    assert faults == _faults(second)
    rules = {rule for _, _, rule in faults}
    # The mix actually fired: the probability rules of both scenarios and the every-7th rule.
    assert "service-unavailable-20pct/unavailable" in rules
    assert "determinism-mix/unavailable" in rules
    assert "determinism-mix/every-seventh" in rules
    assert 0 < len(faults) < len(first)
    assert {status for _, status, _ in faults} <= {429, 503}


def test_request_ids_repeat_for_the_same_seed_and_change_with_it(
    runs: tuple[list[Exchange], list[Exchange], list[Exchange]],
) -> None:
    first, second, other = runs

    ids = [dict(e.headers)["x-amzn-requestid"] for e in first]
    assert ids == [dict(e.headers)["x-amzn-requestid"] for e in second]
    assert len(set(ids)) == len(ids)
    assert all(a != b for a, b in zip(ids, [dict(e.headers)["x-amzn-requestid"] for e in other], strict=True))


def test_another_seed_says_other_words_but_the_scenario_seed_keeps_the_fault_placement(
    runs: tuple[list[Exchange], list[Exchange], list[Exchange]],
) -> None:
    first, _, other = runs

    assert _faults(first) == _faults(other)
    answered = [
        (a, b) for a, b in zip(first, other, strict=True) if a.status == 200 and a.path.endswith("/converse")
    ]
    assert answered
    for a, b in answered:
        text_a = json.loads(a.body)["output"]["message"]["content"][0]["text"]
        text_b = json.loads(b.body)["output"]["message"]["content"][0]["text"]
        assert text_a != text_b
