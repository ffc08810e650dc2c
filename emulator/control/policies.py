"""PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: a resource-based policy on one of the
caller's knowledge bases (botocore's ``ResourceArn`` names knowledge bases only). Each put makes a new
``revisionId``; ``expectedRevisionId``, when given, must be the current one."""

from __future__ import annotations

from typing import Any

from emulator.control import arns, resources
from emulator.control.ids import HEX, new_id
from emulator.control.messages import ARN_NOT_FOUND, conflict
from emulator.control.request import params
from emulator.control.resources import RESOURCE_POLICY
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

REVISION_MISMATCH = "The expectedRevisionId {expected} does not match the current revision of the policy."
NO_POLICY = "The resource {arn} has no resource policy."


def put_resource_policy(call: OperationCall) -> Reply:
    values = params(call)
    arn = _knowledge_base_arn(call, values["resourceArn"])
    current = resources.read(call, RESOURCE_POLICY, arn)
    _check_revision(current, values.get("expectedRevisionId"))
    revision = new_id(call, "policy-revision", alphabet=HEX, length=32)
    resources.save(
        call, RESOURCE_POLICY, arn, {"resourceArn": arn, "policy": values["policy"], "revisionId": revision}
    )
    return JsonReply({"resourceArn": arn, "revisionId": revision})


def get_resource_policy(call: OperationCall) -> Reply:
    arn = _knowledge_base_arn(call, params(call)["resourceArn"])
    return JsonReply(dict(_policy(call, arn)))


def delete_resource_policy(call: OperationCall) -> Reply:
    values = params(call)
    arn = _knowledge_base_arn(call, values["resourceArn"])
    current = _policy(call, arn)
    _check_revision(current, values.get("expectedRevisionId"))
    resources.remove(call, RESOURCE_POLICY, arn)
    return JsonReply({"resourceArn": arn, "revisionId": current["revisionId"]})


def _knowledge_base_arn(call: OperationCall, arn: str) -> str:
    found = arns.resolve(call, arn)
    if found is None or found[0] is not resources.KNOWLEDGE_BASE or resources.read(call, *found) is None:
        raise AwsError("ResourceNotFoundException", ARN_NOT_FOUND)
    return arn


def _policy(call: OperationCall, arn: str) -> dict[str, Any]:
    record = resources.read(call, RESOURCE_POLICY, arn)
    if record is None:
        raise AwsError("ResourceNotFoundException", NO_POLICY.format(arn=arn))
    return record


def _check_revision(current: dict[str, Any] | None, expected: Any) -> None:
    if expected is not None and (current is None or current["revisionId"] != expected):
        raise conflict(REVISION_MISMATCH.format(expected=expected))


HANDLERS = {
    "PutResourcePolicy": put_resource_policy,
    "GetResourcePolicy": get_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy,
}
