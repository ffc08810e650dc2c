"""Tags on bedrock-agent resources: TagResource, UntagResource, ListTagsForResource, and the tags a
Create call carries. Tags are stored by ARN (kind ``bedrock-agent:tags``, value ``{"tags": {...}}``) and
dropped with the resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.control import arns, resources
from emulator.control.messages import ARN_NOT_FOUND
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError


def attach(call: OperationCall, arn: str, tags: Mapping[str, Any] | None) -> None:
    """Add ``tags`` to the resource ``arn`` names (a Create call's ``tags``)."""
    if not tags:
        return
    current = of(call, arn)
    current.update({str(k): str(v) for k, v in tags.items()})
    resources.save(call, resources.TAGS, arn, {"tags": current})


def of(call: OperationCall, arn: str) -> dict[str, str]:
    record = resources.read(call, resources.TAGS, arn)
    return dict(record["tags"]) if record is not None else {}


def drop(call: OperationCall, arn: str) -> None:
    """Forget a deleted resource's tags."""
    resources.remove(call, resources.TAGS, arn)


def _tagged(call: OperationCall) -> str:
    """The ARN of an existing resource of the caller's, or ResourceNotFoundException."""
    arn = str(params(call).get("resourceArn", ""))
    found = arns.resolve(call, arn)
    if found is None or resources.read(call, *found) is None:
        raise AwsError("ResourceNotFoundException", ARN_NOT_FOUND)
    return arn


def tag_resource(call: OperationCall) -> Reply:
    arn = _tagged(call)
    attach(call, arn, params(call).get("tags") or {})
    return JsonReply({})


def untag_resource(call: OperationCall) -> Reply:
    arn = _tagged(call)
    keys = params(call).get("tagKeys") or []
    remaining = {k: v for k, v in of(call, arn).items() if k not in keys}
    resources.save(call, resources.TAGS, arn, {"tags": remaining})
    return JsonReply({})


def list_tags_for_resource(call: OperationCall) -> Reply:
    return JsonReply({"tags": of(call, _tagged(call))})


HANDLERS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
