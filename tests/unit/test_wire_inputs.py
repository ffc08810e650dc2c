"""Binding a request to its operation's input (``OperationCall.input``): every member by its model name,
from URI labels, typed query values, headers and the body, whatever the wire calls them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from emulator.services.exchange import UNPARSED, OperationCall
from emulator.wire.errors import AwsError


def _call(
    service: str,
    operation: str,
    *,
    labels: Mapping[str, str] | None = None,
    query: Mapping[str, tuple[str, ...]] | None = None,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    raw_body: bytes = b"",
) -> OperationCall:
    lists = dict(query or {})
    return OperationCall(
        service=service,
        operation=operation,
        labels=dict(labels or {}),
        headers=dict(headers or {}),
        query={key: values[-1] for key, values in lists.items()},
        raw_body=raw_body,
        region="us-east-1",
        tenant="t",
        request_id="r",
        strict=False,
        seed=0,
        query_lists=lists,
        json_body=body,
    )


def test_uri_labels_and_body_members_bind_by_member_name_and_unknown_body_keys_are_dropped() -> None:
    body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "notAMember": 1, "modelId": "x"}
    call = _call("bedrock-runtime", "Converse", labels={"modelId": "amazon.nova-micro-v1:0"}, body=body)
    assert call.input == {"messages": body["messages"], "modelId": "amazon.nova-micro-v1:0"}


def test_the_input_is_computed_once_per_call() -> None:
    call = _call("bedrock-agent", "ListAgents", body={"maxResults": 3})
    assert call.input is call.input


def test_query_values_are_typed_by_their_shapes_and_lists_take_every_repetition() -> None:
    listed = _call(
        "bedrock",
        "ListCustomModels",
        query={"maxResults": ("5",), "isOwned": ("true",), "creationTimeBefore": ("2024-01-01T00:00:00Z",)},
    )
    assert listed.input == {"maxResults": 5, "isOwned": True, "creationTimeBefore": "2024-01-01T00:00:00Z"}
    untag = _call(
        "bedrock-agent",
        "UntagResource",
        labels={"resourceArn": "arn:aws:bedrock:us-east-1:123456789012:agent/ABCDEFGHIJ"},
        query={"tagKeys": ("team", "stage")},
    )
    assert untag.input["tagKeys"] == ["team", "stage"]


@pytest.mark.parametrize(
    ("operation", "query", "message"),
    [
        ("ListCustomModels", {"maxResults": ("ten",)}, "STRING_VALUE can not be converted to an Integer"),
        (
            "ListCustomModels",
            {"maxResults": ("99999999999",)},
            "STRING_VALUE can not be converted to an Integer",
        ),
        ("ListCustomModels", {"isOwned": ("yes",)}, "STRING_VALUE can not be converted to a Boolean"),
    ],
)
def test_a_query_value_that_is_not_of_its_type_is_a_serialization_exception(
    operation: str, query: dict[str, tuple[str, ...]], message: str
) -> None:
    with pytest.raises(AwsError) as caught:
        _ = _call("bedrock", operation, query=query).input
    assert (caught.value.code, caught.value.message) == ("SerializationException", message)


def test_headers_bind_by_their_location_names_and_a_blob_payload_is_the_raw_body() -> None:
    call = _call(
        "bedrock-runtime",
        "InvokeModel",
        labels={"modelId": "amazon.titan-text-express-v1"},
        headers={"content-type": "application/json", "x-amzn-bedrock-trace": "ENABLED", "accept": "*/*"},
        body={"inputText": "hi"},
        raw_body=b'{"inputText":"hi"}',
    )
    assert call.input == {
        "body": b'{"inputText":"hi"}',
        "modelId": "amazon.titan-text-express-v1",
        "contentType": "application/json",
        "accept": "*/*",
        "trace": "ENABLED",
    }


def test_an_unreadable_body_or_an_unknown_operation_binds_nothing_from_the_body() -> None:
    assert _call("bedrock-agent", "ListAgents", body=UNPARSED).input == {}
    assert _call("bedrock-agent", "NoSuchOperation", body={"a": 1}).input == {}
    assert _call("no-such-service", "Converse", body={"a": 1}).input == {}
