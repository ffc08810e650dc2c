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

from emulator.services.handlers import implemented_operations
from emulator.wire import declared, protocol_data, routing
from emulator.wire.errors import status_for

_SESSION = botocore.session.get_session()
_DATA_PLANE = ("bedrock-runtime", "bedrock-agent-runtime")
_CONTROL_PLANE = ("bedrock", "bedrock-agent")
_SERVICES = _DATA_PLANE + _CONTROL_PLANE
_MODELS: dict[str, ServiceModel] = {s: _SESSION.get_service_model(s) for s in _SERVICES}
_SERIALIZER = create_serializer("rest-json", include_validation=False)

# bedrock-agent's tagging operations share bedrock-agent-runtime's method and URI; the router tells them
# apart by the ARN (routing.py): session ARNs are bedrock-agent-runtime's, any other bedrock-agent's.
_SHARED_TAGGING = {"ListTagsForResource", "TagResource", "UntagResource"}
_SESSION_ARN = "arn:aws:bedrock:us-east-1:123456789012:session/3f4e5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"

# Label values shaped like what users send: ARNs with ':' and '/', so the path carries %3A and %2F.
_LABEL_VALUES: dict[str, str] = {
    "modelId": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123def",
    "resourceArn": "arn:aws:bedrock:us-east-1:123456789012:agent/AGENT12345",
    "resourceARN": "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr12345",
    "modelIdentifier": "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1:0:8k",
    "guardrailIdentifier": "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr12345",
    "inferenceProfileIdentifier": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
    "flowIdentifier": "arn:aws:bedrock:us-east-1:123456789012:flow/FLOW12345",
    "sessionIdentifier": "arn:aws:bedrock:us-east-1:123456789012:session/3f4e5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
    "executionIdentifier": "arn:aws:bedrock:us-east-1:123456789012:flow/FLOW12345/alias/ALIAS1/execution/ex-1",
}


def _label_value(name: str, service: str = "", operation: str = "") -> str:
    if name == "resourceArn" and service == "bedrock-agent-runtime" and operation in _SHARED_TAGGING:
        return _SESSION_ARN  # the only ARNs bedrock-agent-runtime tags (routing.py)
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
    service = operation.service_model.service_name
    params = {
        member: _label_value(label, service, operation.name)
        for member, label in _uri_members(operation).items()
    }
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


@pytest.mark.parametrize("service", _SERVICES)
def test_every_operation_of_the_four_services_is_routed(service: str) -> None:
    routed = {operation for routed_service, operation in _routed() if routed_service == service}
    assert routed == set(_MODELS[service].operation_names)


def test_bedrock_and_bedrock_agent_route_all_their_operations() -> None:
    assert sum(service == "bedrock" for service, _ in _routed()) == 133
    assert sum(service == "bedrock-agent" for service, _ in _routed()) == 86


@pytest.mark.parametrize(("service", "operation", "method", "template", "status"), routing.ROUTES)
def test_route_method_uri_and_success_status_match_botocore(
    service: str, operation: str, method: str, template: str, status: int
) -> None:
    http = _MODELS[service].operation_model(operation).http
    assert (method, template, status) == (http["method"], http["requestUri"], http.get("responseCode", 200))


def test_only_tagging_and_resource_policy_names_are_shared_between_services() -> None:
    services_of: dict[str, set[str]] = {}
    for service, operation in _routed():
        services_of.setdefault(operation, set()).add(service)
    shared = {operation for operation, services in services_of.items() if len(services) > 1}
    assert shared == _SHARED_TAGGING | {"GetResourcePolicy", "PutResourcePolicy", "DeleteResourcePolicy"}


def test_every_implemented_handler_is_a_routed_operation() -> None:
    assert implemented_operations() <= set(_routed())


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
    assert match.labels == {
        label: _label_value(label, service, operation) for label in _uri_members(model).values()
    }


def test_botocore_encodes_arn_model_id_with_percent_2f_and_3a() -> None:
    request = _serialized(_MODELS["bedrock-runtime"].operation_model("Converse"))
    assert request["url_path"] == (
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
        "us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"
    )


@pytest.mark.parametrize("operation", sorted(_SHARED_TAGGING))
def test_shared_tagging_route_goes_to_agent_runtime_for_sessions_and_to_bedrock_agent_otherwise(
    operation: str,
) -> None:
    for arn, service in (
        (_SESSION_ARN, "bedrock-agent-runtime"),
        ("arn:aws:bedrock:us-east-1:123456789012:agent/AGENT12345", "bedrock-agent"),
        ("arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KB12345678", "bedrock-agent"),
        ("not-an-arn", "bedrock-agent"),
    ):
        model = _MODELS[service].operation_model(operation)
        params: dict[str, Any] = {"resourceArn": arn}
        request = _SERIALIZER.serialize_to_request(params, model)
        match = routing.resolve(request["method"], request["url_path"])
        assert match is not None
        assert (match.service, match.operation, match.labels) == (service, operation, {"resourceArn": arn})


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


def _error_statuses(service: str) -> dict[str, int]:
    return {code: entry["status"] for code, entry in protocol_data.services()[service]["errors"].items()}


@pytest.mark.parametrize("service", _SERVICES)
def test_error_statuses_match_botocore_error_shapes(service: str) -> None:
    model = _MODELS[service]
    expected = {
        name: model.shape_for(name).metadata["error"]["httpStatusCode"]
        for name in model.shape_names
        if model.shape_for(name).metadata.get("exception")
    }
    assert _error_statuses(service) == expected
    assert {code: status_for(service, code) for code in expected} == expected


def test_conflict_and_model_not_ready_statuses_differ_between_services() -> None:
    assert status_for("bedrock-runtime", "ConflictException") == 400
    assert status_for("bedrock-agent-runtime", "ConflictException") == 409
    assert status_for("bedrock-runtime", "ModelNotReadyException") == 429
    assert status_for("bedrock-agent-runtime", "ModelNotReadyException") == 424
    assert status_for("bedrock-agent", "ServiceQuotaExceededException") == 402


def test_undeclared_codes_fall_back_to_the_front_end_statuses() -> None:
    assert status_for("bedrock-runtime", "NotImplementedException") == 501
    assert status_for("bedrock-runtime", "SerializationException") == 400
    assert status_for("bedrock-runtime", "TooManyTagsException") == 500  # a code bedrock-runtime lacks


def test_every_declared_error_of_every_operation_has_a_status() -> None:
    for service, operation in _routed():
        errors = {shape.name for shape in _MODELS[service].operation_model(operation).error_shapes}
        assert errors <= set(_error_statuses(service)), (service, operation)


# -- event-stream unions: nothing undeclared is ever sent ---------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation"), [(s, op) for s, op in _routed() if _stream_union(s, op) is not None]
)
def test_declared_stream_exceptions_are_exactly_botocores(service: str, operation: str) -> None:
    union = _stream_union(service, operation)
    assert union is not None
    assert declared.stream_exceptions(operation) == union[1]


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
    stream = declared.OPERATIONS[operation].stream
    assert stream is not None
    assert set(stream.events) <= union[0]
    assert set(stream.exceptions) <= union[1]
    # Exception members are the lower-camel form of a declared error shape of the same service.
    for member in stream.exceptions:
        assert member[:1].upper() + member[1:] in _error_statuses(service)
