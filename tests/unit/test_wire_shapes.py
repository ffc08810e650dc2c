"""The body type check against botocore's input shapes: AWS's texts per JSON type and target, what it
reads as absent or truncates, what it leaves alone, and that it stays cheap for Converse."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from emulator.wire import shapes
from emulator.wire.errors import AwsError

RUNTIME = "bedrock-runtime"
CONVERSE: dict[str, Any] = {
    "messages": [{"role": "user", "content": [{"text": "Hello"}]}],
    "inferenceConfig": {"maxTokens": 200, "temperature": 0.5},
}


def _refusal(body: dict[str, Any], operation: str = "Converse", service: str = RUNTIME) -> str:
    with pytest.raises(AwsError) as caught:
        shapes.check(service, operation, body)
    assert caught.value.code == "SerializationException"
    return caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # A scalar where a structure, list or map is expected.
        ({"toolConfig": "x"}, "Expected null"),
        ({"inferenceConfig": 3}, "Expected null"),
        ({"messages": "x"}, "Expected list or null"),
        ({"messages": True}, "Expected list or null"),
        ({"requestMetadata": 1}, "Expected map or null"),
        # A container where another is expected.
        ({"messages": {}}, "Start of structure or map found where not expected"),
        ({"toolConfig": []}, "Start of list found where not expected"),
        ({"messages": [{"role": "user", "content": [1]}]}, "Expected null"),
        # A scalar of the wrong kind, named by its JSON token and the target's Java type.
        ({"inferenceConfig": {"maxTokens": "a"}}, "STRING_VALUE can not be converted to an Integer"),
        ({"inferenceConfig": {"maxTokens": True}}, "TRUE_VALUE can not be converted to an Integer"),
        ({"inferenceConfig": {"maxTokens": False}}, "FALSE_VALUE can not be converted to an Integer"),
        ({"inferenceConfig": {"maxTokens": [1]}}, "Start of list found where not expected"),
        ({"inferenceConfig": {"maxTokens": {"a": 1}}}, "Start of structure or map found where not expected"),
        ({"inferenceConfig": {"maxTokens": 2**31}}, "NUMBER_VALUE can not be converted to an Integer"),
        ({"inferenceConfig": {"temperature": "hot"}}, "STRING_VALUE can not be converted to a Float"),
        ({"inferenceConfig": {"temperature": 10**400}}, "NUMBER_VALUE can not be converted to a Float"),
        ({"messages": [{"role": 1, "content": []}]}, "NUMBER_VALUE can not be converted to a String"),
        ({"messages": [{"role": True, "content": []}]}, "TRUE_VALUE can not be converted to a String"),
        ({"system": [{"text": ["a"]}]}, "Start of list found where not expected"),
    ],
)
def test_a_member_of_the_wrong_json_type_gets_the_front_ends_text(body: dict[str, Any], message: str) -> None:
    assert _refusal(body) == message


def test_a_valid_converse_body_passes_unchanged() -> None:
    body = copy.deepcopy(CONVERSE)
    assert shapes.check(RUNTIME, "Converse", body) == CONVERSE


def test_nulls_read_as_absent_and_a_fraction_for_an_integer_is_truncated() -> None:
    body: dict[str, Any] = {
        "messages": [None, {"role": "user", "content": [{"text": "hi"}]}],
        "system": None,
        "inferenceConfig": {"maxTokens": 7.9, "temperature": None},
        "requestMetadata": {"a": "b", "c": None},
    }
    assert shapes.check(RUNTIME, "Converse", body) == {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": 7},
        "requestMetadata": {"a": "b"},
    }


def test_documents_take_any_json_and_unknown_members_are_ignored() -> None:
    body = {
        **CONVERSE,
        "additionalModelRequestFields": [1, "x", {"deep": [None, True]}],
        "toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": "any JSON at all"}}}]},
        "notAMember": {"whatever": [1, 2]},
        "modelId": 42,  # a URI member sent in the body is not the body's
    }
    assert shapes.check(RUNTIME, "Converse", copy.deepcopy(body)) == body


def test_recursive_shapes_are_checked_at_every_level() -> None:
    # RetrievalFilter nests itself through andAll/orAll.
    inner = {"equals": {"key": "year", "value": 2020}}
    good = {"retrievalQuery": {"text": "q"}, "retrievalConfiguration": {"vectorSearchConfiguration": {}}}
    good["retrievalConfiguration"]["vectorSearchConfiguration"]["filter"] = {
        "andAll": [{"orAll": [inner, inner]}]
    }
    assert shapes.check("bedrock-agent-runtime", "Retrieve", copy.deepcopy(good)) == good
    bad = copy.deepcopy(good)
    bad["retrievalConfiguration"]["vectorSearchConfiguration"]["filter"]["andAll"][0]["orAll"][1] = "x"
    assert _refusal(bad, "Retrieve", "bedrock-agent-runtime") == "Expected null"


def test_payload_and_bodiless_operations_are_not_checked_here() -> None:
    odd = {"anything": [1, {"x": None}]}
    assert shapes.check(RUNTIME, "InvokeModel", odd) is odd  # the provider body is the providers' to check
    assert not shapes.binds_body(RUNTIME, "InvokeModel")
    assert not shapes.binds_body(RUNTIME, "GetAsyncInvoke")
    assert shapes.binds_body(RUNTIME, "Converse")
    assert shapes.check("no-such-service", "Converse", odd) is odd


def test_a_converse_check_costs_well_under_twenty_microseconds() -> None:
    shapes.warm_up(RUNTIME)
    body = copy.deepcopy(CONVERSE)
    runs = 2000
    best = float("inf")
    for _ in range(5):  # the best of five rounds: a noisy shared machine inflates single rounds
        started = time.perf_counter()
        for _ in range(runs):
            shapes.check(RUNTIME, "Converse", body)
        best = min(best, (time.perf_counter() - started) / runs)
    assert best < 20e-6, f"{best * 1e6:.1f} µs per Converse check"
