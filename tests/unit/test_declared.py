"""Parity: the engine's declared errors and stream members are exactly botocore's, for every route, and
the committed protocol data is exactly what botocore's installed models generate."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import Loader

from emulator.wire import protocol_data
from emulator.wire.declared import OPERATIONS, STREAMING_OPERATIONS, error_members, exception_code, of
from emulator.wire.routing import ROUTES

_LOADER = Loader()
_SERVICES = ("bedrock-runtime", "bedrock-agent-runtime", "bedrock", "bedrock-agent")
_MODELS: dict[str, dict[str, Any]] = {s: _LOADER.load_service_model(s, "service-2") for s in _SERVICES}


def _stream_of(service: str, operation: str) -> tuple[str, list[str], set[str]] | None:
    shapes = _MODELS[service]["shapes"]
    output = _MODELS[service]["operations"][operation].get("output", {}).get("shape")
    for member_name, member in shapes.get(output, {}).get("members", {}).items() if output else ():
        shape = shapes[member["shape"]]
        if shape.get("eventstream"):
            members = shape["members"]
            events = [m for m, ref in members.items() if not shapes[ref["shape"]].get("exception")]
            exceptions = {m for m, ref in members.items() if shapes[ref["shape"]].get("exception")}
            return member_name, events, exceptions
    return None


def test_committed_protocol_data_is_what_botocore_generates() -> None:
    # A botocore upgrade that changes the four models fails here: run `make protocol` and review the diff.
    assert protocol_data.render(protocol_data.build()) == protocol_data.DATA_FILE.read_text(encoding="utf-8")


def test_every_route_is_declared_and_nothing_else() -> None:
    routed = {(service, op) for service, op, _, _, _ in ROUTES}
    assert routed == {(s, op) for s in _SERVICES for op in _MODELS[s]["operations"]}
    assert all(of(service, op) is not None for service, op in routed)
    assert set(OPERATIONS) == {op for _, op in routed}
    assert of("bedrock-runtime", "CreateAgent") is None


def test_a_shared_name_is_declared_under_its_first_service_by_name() -> None:
    assert OPERATIONS["TagResource"] == of("bedrock-agent-runtime", "TagResource")
    assert OPERATIONS["GetResourcePolicy"] == of("bedrock", "GetResourcePolicy")
    bedrock_tagging = of("bedrock", "TagResource")
    assert bedrock_tagging is not None
    assert "TooManyTagsException" in bedrock_tagging.errors


@pytest.mark.parametrize(("service", "operation"), [(s, op) for s, op, _, _, _ in ROUTES])
def test_declared_errors_match_botocore(service: str, operation: str) -> None:
    errors = {e["shape"] for e in _MODELS[service]["operations"][operation].get("errors", [])}
    declared = of(service, operation)
    assert declared is not None
    assert declared.service == service
    assert declared.errors == errors


@pytest.mark.parametrize(("service", "operation"), [(s, op) for s, op, _, _, _ in ROUTES])
def test_declared_stream_matches_botocore(service: str, operation: str) -> None:
    expected = _stream_of(service, operation)
    found = of(service, operation)
    assert found is not None
    declared = found.stream
    if expected is None:
        assert declared is None
        assert operation not in STREAMING_OPERATIONS
        return
    assert declared is not None
    member, events, exceptions = expected
    assert (declared.member, list(declared.events), set(declared.exceptions)) == (member, events, exceptions)


def test_error_members_match_botocore_shapes() -> None:
    for service, model in _MODELS.items():
        for name, shape in model["shapes"].items():
            if shape.get("exception"):
                members = set(shape.get("members", {})) - {"message", "Message"}
                assert error_members(service, name) == members, (service, name)


def test_exception_member_maps_to_its_error_shape() -> None:
    assert exception_code("modelStreamErrorException") == "ModelStreamErrorException"
    assert exception_code("throttlingException") == "ThrottlingException"
