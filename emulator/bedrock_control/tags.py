"""Tags on ``bedrock`` resources: TagResource, UntagResource, ListTagsForResource, and the tags a Create
call carries (``tags`` / ``modelTags`` / ``jobTags`` ...: a list of ``{"key", "value"}``).

Every area registers each resource it creates with ``attach(call, arn, tags)`` (also with no tags: the
record is what makes the ARN taggable) and forgets it with ``drop(call, arn)`` when it is deleted. A tag
call on an ARN that is not registered for the caller is ``ResourceNotFoundException``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from emulator.control import resources
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

TAGS: Final = Kind("bedrock:tags", "Tags")
# The exception's own documentation in botocore's model of ``bedrock``.
ARN_NOT_FOUND: Final = (
    "The specified resource Amazon Resource Name (ARN) was not found. "
    "Check the Amazon Resource Name (ARN) and try your request again."
)


def attach(call: OperationCall, arn: str, tags: Iterable[Mapping[str, Any]] | None = None) -> None:
    """Register ``arn`` as a taggable resource of the caller's and add ``tags`` (a list of key/value)."""
    record = resources.read(call, TAGS, arn)
    current: dict[str, str] = dict(record["tags"]) if record is not None else {}
    for tag in tags or ():
        current[str(tag["key"])] = str(tag["value"])
    resources.save(call, TAGS, arn, {"tags": current})


def of(call: OperationCall, arn: str) -> dict[str, str]:
    record = resources.read(call, TAGS, arn)
    return dict(record["tags"]) if record is not None else {}


def as_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def drop(call: OperationCall, arn: str) -> None:
    """Forget a deleted resource (and its tags)."""
    resources.remove(call, TAGS, arn)


def _registered(call: OperationCall) -> tuple[str, dict[str, str]]:
    arn = str(params(call).get("resourceARN", ""))
    record = resources.read(call, TAGS, arn)
    if record is None:
        raise AwsError("ResourceNotFoundException", ARN_NOT_FOUND)
    return arn, dict(record["tags"])


def tag_resource(call: OperationCall) -> Reply:
    arn, _ = _registered(call)
    attach(call, arn, params(call).get("tags") or [])
    return JsonReply({})


def untag_resource(call: OperationCall) -> Reply:
    arn, current = _registered(call)
    keys = set(params(call).get("tagKeys") or [])
    resources.save(call, TAGS, arn, {"tags": {k: v for k, v in current.items() if k not in keys}})
    return JsonReply({})


def list_tags_for_resource(call: OperationCall) -> Reply:
    _, current = _registered(call)
    return JsonReply({"tags": as_list(current)})


HANDLERS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
