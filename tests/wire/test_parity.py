"""Parity with botocore's service models: routes, success and error statuses, stream unions.

botocore is the oracle. Its JSON gives every operation's method, URI and ``responseCode`` and every
error shape's ``httpStatusCode``; its rest-json serializer builds the exact path a real client sends
(labels percent-encoded, ``/`` as ``%2F`` and ``:`` as ``%3A``), which our router must take back apart;
its event-stream unions say which events and exceptions a stream may carry.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
import pytest
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.serialize import create_serializer

from emulator.services.handlers import implemented
from emulator.wire import routing
from emulator.wire.declared import OPERATIONS, stream_exceptions
from emulator.wire.errors import ERROR_STATUS

_SESSION = botocore.session.get_session()
_DATA_PLANE = ("bedrock-runtime", "bedrock-agent-runtime")
_CONTROL_PLANE = ("bedrock", "bedrock-agent")
_MODELS: dict[str, ServiceModel] = {s: _SESSION.get_service_model(s) for s in _DATA_PLANE + _CONTROL_PLANE}
_SERIALIZER = create_serializer("rest-json", include_validation=False)

# bedrock-agent's tagging operations share bedrock-agent-runtime's URIs; the emulator serves them as
# bedrock-agent-runtime's (architecture.md: "except the tagging operations").
_SHARED_TAGGING = {"ListTagsForResource", "TagResource", "UntagResource"}

# Label values shaped like what users send: ARNs with ':' and '/', so the path carries %3A and %2F.
_LABEL_VALUES: dict[str, str] = {
    "modelId": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123def",
    "resourceArn": "arn:aws:bedrock:us-east-1:123456789012:agent/AGENT12345",
    "modelIdentifier": "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1:0:8k",
    "guardrailIdentifier": "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr12345",
    "inferenceProfileIdentifier": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
    "flowIdentifier": "arn:aws:bedrock:us-east-1:123456789012:flow/FLOW12345",
    "sessionIdentifier": "arn:aws:bedrock:us-east-1:123456789012:session/3f4e5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
    "executionIdentifier": "arn:aws:bedrock:us-east-1:123456789012:flow/FLOW12345/alias/ALIAS1/execution/ex-1",
}


def _label_value(name: str) -> str:
    return _LABEL_VALUES.get(name, f"{name}-Value_1.x~y:z")


def _uri_members(operation: OperationModel) -> dict[str, str]:
    """Input member name -> URI label name, for the members bound to the path."""
    shape = operation.input_shape
    if shape is None:
        return {}
    return {
        name: member.serialization.get("name", name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == "uri"
    }


def _serialized(operation: OperationModel) -> dict[str, Any]:
    params = {member: _label_value(label) for member, label in _uri_members(operation).items()}
    request: dict[str, Any] = _SERIALIZER.serialize_to_request(params, operation)
    return request


def _routed() -> list[tuple[str, str]]:
    return [(service, operation) for service, operation, _, _, _ in routing.ROUTES]


def _stream_union(service: str, operation: str) -> tuple[set[str], set[str]] | None:
    """(event members, exception members) of an operation's output event stream, if it has one."""
    output = _MODELS[service].operation_model(operation).output_shape
    if output is None:
        return None
    for member in output.members.values():
        if member.serialization.get("eventstream"):
            assert isinstance(member, StructureShape)
            events = {name for name, shape in member.members.items() if not _is_exception(shape)}
            exceptions = {name for name, shape in member.members.items() if _is_exception(shape)}
            return events, exceptions
    return None


def _is_exception(shape: Shape) -> bool:
    return bool(shape.metadata.get("exception"))


# -- the route table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("service", _DATA_PLANE)
def test_every_data_plane_operation_is_routed(service: str) -> None:
    routed = {operation for routed_service, operation in _routed() if routed_service == service}
    assert routed == set(_MODELS[service].operation_names)


@pytest.mark.parametrize(("service", "operation", "method", "template", "status"), routing.ROUTES)
def test_route_method_uri_and_success_status_match_botocore(
    service: str, operation: str, method: str, template: str, status: int
) -> None:
    http = _MODELS[service].operation_model(operation).http
    assert (method, template, status) == (http["method"], http["requestUri"], http.get("responseCode", 200))


def test_operation_names_are_unique_across_services() -> None:
    names = [operation for _, operation in _routed()]
    assert len(names) == len(set(names))


def test_every_implemented_handler_is_a_routed_operation() -> None:
    assert implemented() <= {operation for _, operation in _routed()}


# -- botocore's serializer as the routing oracle ------------------------------------------------------


@pytest.mark.parametrize(("service", "operation"), _routed())
def test_botocore_serialized_request_resolves_to_its_operation_and_labels(
    service: str, operation: str
) -> None:
    model = _MODELS[service].operation_model(operation)
    request = _serialized(model)
    match = routing.resolve(request["method"], request["url_path"])
    assert match is not None, f"{request['method']} {request['url_path']} is not routed"
    assert (match.service, match.operation) == (service, operation)
    assert match.labels == {label: _label_value(label) for label in _uri_members(model).values()}


def test_botocore_encodes_arn_model_id_with_percent_2f_and_3a() -> None:
    request = _serialized(_MODELS["bedrock-runtime"].operation_model("Converse"))
    assert request["url_path"] == (
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
        "us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"
    )


@pytest.mark.parametrize("service", _DATA_PLANE + _CONTROL_PLANE)
def test_unrouted_operations_never_resolve_to_another_operation(service: str) -> None:
    routed = set(_routed())
    misrouted = []
    for operation in _MODELS[service].operation_names:
        if (service, operation) in routed:
            continue
        request = _serialized(_MODELS[service].operation_model(operation))
        match = routing.resolve(request["method"], request["url_path"])
        if match is None:
            continue
        if service == "bedrock-agent" and operation in _SHARED_TAGGING and match.operation == operation:
            continue
        misrouted.append((operation, request["method"], request["url_path"], match.operation))
    assert misrouted == []


class _SentError(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("request captured")
        self.request = request


def test_real_boto3_client_path_for_arn_model_id_resolves_to_converse() -> None:
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="parity",
        aws_secret_access_key="x",
    )

    def capture(request: Any, **_: Any) -> None:
        raise _SentError(request)

    client.meta.events.register("before-send.bedrock-runtime.Converse", capture)
    model_id = _LABEL_VALUES["modelId"]
    with pytest.raises(_SentError) as sent:
        client.converse(modelId=model_id, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    path = sent.value.request.url.split("127.0.0.1:9", 1)[1]
    match = routing.resolve(sent.value.request.method, path)
    assert match is not None
    assert (match.operation, match.labels) == ("Converse", {"modelId": model_id})


# -- error statuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", _DATA_PLANE + _CONTROL_PLANE)
def test_error_status_table_matches_botocore_error_shapes(service: str) -> None:
    model = _MODELS[service]
    declared = {
        name: model.shape_for(name).metadata["error"]["httpStatusCode"]
        for name in model.shape_names
        if model.shape_for(name).metadata.get("exception")
    }
    assert ERROR_STATUS[service] == declared


def test_conflict_and_model_not_ready_statuses_differ_between_runtimes() -> None:
    assert ERROR_STATUS["bedrock-runtime"]["ConflictException"] == 400
    assert ERROR_STATUS["bedrock-agent-runtime"]["ConflictException"] == 409
    assert ERROR_STATUS["bedrock-runtime"]["ModelNotReadyException"] == 429
    assert ERROR_STATUS["bedrock-agent-runtime"]["ModelNotReadyException"] == 424


@pytest.mark.parametrize(("service", "operation"), _routed())
def test_every_declared_error_of_a_routed_operation_has_a_status(service: str, operation: str) -> None:
    errors = {shape.name for shape in _MODELS[service].operation_model(operation).error_shapes}
    assert errors <= set(ERROR_STATUS[service])


# -- event-stream unions: nothing undeclared is ever sent ---------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation"), [(s, op) for s, op in _routed() if _stream_union(s, op) is not None]
)
def test_declared_stream_exceptions_are_exactly_botocores(service: str, operation: str) -> None:
    union = _stream_union(service, operation)
    assert union is not None
    assert stream_exceptions(operation) == union[1]


def test_converse_stream_events_are_the_six_bedrock_sends() -> None:
    union = _stream_union("bedrock-runtime", "ConverseStream")
    assert union is not None
    assert union[0] == {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }


@pytest.mark.parametrize(
    ("service", "operation"), [(s, op) for s, op in _routed() if _stream_union(s, op) is not None]
)
def test_engine_declared_stream_members_are_within_botocores_union(service: str, operation: str) -> None:
    union = _stream_union(service, operation)
    assert union is not None
    declared = OPERATIONS[operation].stream
    assert declared is not None
    assert set(declared.events) <= union[0]
    assert set(declared.exceptions) <= union[1]
    # Exception members are the lower-camel form of a declared error shape of the same service.
    for member in declared.exceptions:
        assert member[:1].upper() + member[1:] in ERROR_STATUS[service]
