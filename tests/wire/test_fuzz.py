"""Seeded fuzzing over a real socket: whatever a client sends on a Bedrock route, the answer is AWS-shaped.

A few thousand requests from ``emulator.wire.fuzz`` (every routed operation; bodies mutated to wrong
types, nulls, huge numbers, deep nesting, odd strings; garbage bodies, labels, queries, headers and
content types) go to an emulator served by ``EmulatorServer``. No answer may be a 5xx other than the
501 of an operation not served yet, and every 4xx carries ``x-amzn-ErrorType``, ``x-amzn-RequestId`` and
a JSON body with a message. ``bench/fuzz.py`` runs the same generator for 100,000 cases.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.services.handlers import implemented
from emulator.settings import Settings
from emulator.wire import fuzz, routing
from emulator.wire.binding import MAX_DEPTH, nesting_depth

SEED = 20260101
CASES = 4000


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(create_app(Settings(port=0)), "127.0.0.1", 0) as running:
        yield running


def _client(server: EmulatorServer) -> fuzz.Client:
    url = urlsplit(server.endpoint_url)
    return fuzz.Client(url.hostname or "127.0.0.1", url.port or 80)


def _run(server: EmulatorServer, cases: list[fuzz.Case], connections: int = 2) -> list[fuzz.Answer]:
    answers: list[fuzz.Answer | None] = [None] * len(cases)

    def work(offset: int) -> None:
        client = _client(server)
        try:
            for position in range(offset, len(cases), connections):
                answers[position] = client.send(cases[position])
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [answer or fuzz.Answer(0, {}, b"") for answer in answers]


@pytest.fixture(scope="module")
def fuzzed(server: EmulatorServer) -> list[tuple[fuzz.Case, fuzz.Answer]]:
    cases = list(fuzz.cases(SEED, CASES))
    return list(zip(cases, _run(server, cases), strict=True))


def _describe(case: fuzz.Case, answer: fuzz.Answer, why: str) -> str:
    return f"#{case.index} {case.operation} [{case.cause}] -> {why}: {case.method} {case.path[:80]} {case.body[:120]!r}"


@pytest.mark.slow
def test_no_fuzzed_request_gets_a_5xx_or_an_answer_that_is_not_aws_shaped(
    fuzzed: list[tuple[fuzz.Case, fuzz.Answer]],
) -> None:
    broken = [
        _describe(case, answer, why) for case, answer in fuzzed if (why := fuzz.violation(answer)) is not None
    ]
    assert not broken, f"{len(broken)} of {len(fuzzed)} answers break the contract:\n" + "\n".join(
        broken[:15]
    )


@pytest.mark.slow
def test_the_fuzzed_cases_reach_every_routed_operation_and_mostly_their_handlers(
    fuzzed: list[tuple[fuzz.Case, fuzz.Answer]],
) -> None:
    # Guards the fuzzer's own honesty: cases that all bounce off the front door would prove nothing.
    assert {case.operation for case, _ in fuzzed} == {route.operation for route in routing.routes()}
    # Every operation is routed, most without a handler yet (501): count the ones that have one.
    handled = [answer for case, answer in fuzzed if case.operation in implemented()]
    # A control-plane call naming an id nobody created reaches its handler and is refused there (404).
    served = sum(
        1 for answer in handled if answer.status < 300 or answer.error_type == "ResourceNotFoundException"
    )
    refused_unread = sum(1 for _, answer in fuzzed if answer.error_type == "SerializationException")
    assert served > len(handled) // 5
    assert refused_unread < CASES // 2


@pytest.mark.slow
def test_unmutated_bodies_are_never_refused_as_unreadable(
    fuzzed: list[tuple[fuzz.Case, fuzz.Answer]],
) -> None:
    # A valid body (hand-written, or synthesised from botocore's shape) that the type check refused would
    # be a false positive of the shapes layer: real clients would be turned away.
    wrongly = [
        _describe(case, answer, json.loads(answer.body).get("message", ""))
        for case, answer in fuzzed
        if case.cause in ("valid", "label", "query", "header")
        and answer.error_type == "SerializationException"
        # A query value that does not read as its member's type is refused by the front end (wire-facts §10.6).
        and not (case.cause == "query" and "can not be converted to" in answer.body.decode(errors="replace"))
    ]
    assert not wrongly, "\n".join(wrongly[:10])


def test_the_same_seed_gives_the_same_cases_and_another_seed_others() -> None:
    first = list(fuzz.cases(7, 300))
    assert first == list(fuzz.cases(7, 300))
    assert first != list(fuzz.cases(8, 300))


def test_a_wrong_typed_member_is_a_serialization_exception_on_the_wire(server: EmulatorServer) -> None:
    client = _client(server)
    body = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": "a"},
    }
    case = fuzz.Case(
        0,
        "Converse",
        "test",
        "POST",
        "/model/amazon.nova-micro-v1:0/converse",
        (("Content-Type", "application/json"),),
        json.dumps(body).encode(),
    )
    try:
        answer = client.send(case)
    finally:
        client.close()
    assert answer.status == 400
    assert answer.headers["x-amzn-errortype"].startswith("SerializationException:")
    assert json.loads(answer.body) == {"Message": "STRING_VALUE can not be converted to an Integer"}


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (fuzz.Answer(500, {"x-amzn-requestid": "r", "content-type": "text/plain"}, b"boom"), "500"),
        (
            fuzz.Answer(400, {"x-amzn-requestid": "r", "content-type": "application/json"}, b"{}"),
            "x-amzn-ErrorType",
        ),
        (
            fuzz.Answer(
                400,
                {"x-amzn-requestid": "r", "x-amzn-errortype": "X:", "content-type": "application/json"},
                b"{}",
            ),
            "message",
        ),
        (fuzz.Answer(0, {}, b""), "no answer"),
    ],
)
def test_the_contract_catches_what_it_must(answer: fuzz.Answer, why: str) -> None:
    assert why in (fuzz.violation(answer) or "")


def test_the_contract_passes_an_aws_shaped_error_and_a_501_not_implemented() -> None:
    headers = {"x-amzn-requestid": "r", "content-type": "application/json"}
    error = fuzz.Answer(400, {**headers, "x-amzn-errortype": "ValidationException:x"}, b'{"message":"m"}')
    not_served = fuzz.Answer(
        501, {**headers, "x-amzn-errortype": "NotImplementedException:x"}, b'{"message":"m"}'
    )
    assert fuzz.violation(error) is None
    assert fuzz.violation(not_served) is None


def _nested_to_the_limit(make: Callable[[int], Any]) -> bytes:
    """The body ``make(levels)`` with the most levels the parser still reads (one level short of
    ``MAX_DEPTH`` at most, where a level of ``make`` adds two)."""
    levels = 1
    while nesting_depth(json.dumps(make(levels + 1)).encode()) <= MAX_DEPTH:
        levels += 1
    body = json.dumps(make(levels)).encode()
    assert nesting_depth(body) >= MAX_DEPTH - 1
    return body


def _schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}, "required": ["a"]}
    return schema


def _list(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


def _filter(levels: int) -> dict[str, Any]:
    leaf = {"equals": {"key": "category", "value": "returns"}}
    value: dict[str, Any] = leaf
    for _ in range(levels):
        value = {"andAll": [value, leaf]}
    return value


_USER = [{"role": "user", "content": [{"text": "Where is my order?"}]}]
_AT_THE_LIMIT: dict[str, tuple[str, Callable[[int], Any]]] = {
    "tool schema walked to generate arguments": (
        "/model/anthropic.claude-3-haiku-20240307-v1:0/converse",
        lambda n: {
            "messages": _USER,
            "toolConfig": {
                "tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": _schema(n)}}}],
                "toolChoice": {"any": {}},
            },
        },
    ),
    "additional model fields": (
        "/model/amazon.nova-micro-v1:0/converse-stream",
        lambda n: {"messages": _USER, "additionalModelRequestFields": {"x": _list(n)}},
    ),
    "provider body tools": (
        "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke",
        lambda n: {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "Where is my order?"}],
            "tools": [{"name": "t", "input_schema": _schema(n)}],
            "tool_choice": {"type": "any"},
        },
    ),
    "retrieval filter evaluated recursively": (
        "/knowledgebases/SEEDKB0003/retrieve",
        lambda n: {
            "retrievalQuery": {"text": "refund"},
            "retrievalConfiguration": {"vectorSearchConfiguration": {"filter": _filter(n)}},
        },
    ),
    "flow input document": (
        "/flows/INVOICEFLW/aliases/TSTALIASID",
        lambda n: {
            "inputs": [
                {"nodeName": "FlowInputNode", "nodeOutputName": "document", "content": {"document": _list(n)}}
            ]
        },
    ),
}


@pytest.mark.parametrize("what", sorted(_AT_THE_LIMIT))
def test_a_body_nested_to_the_parsers_limit_is_answered_without_a_5xx(
    server: EmulatorServer, what: str
) -> None:
    path, make = _AT_THE_LIMIT[what]
    body = _nested_to_the_limit(make)
    client = _client(server)
    try:
        answer = client.send(
            fuzz.Case(0, what, "test", "POST", path, (("Content-Type", "application/json"),), body)
        )
    finally:
        client.close()
    assert fuzz.violation(answer) is None, (answer.status, answer.body[:300])
