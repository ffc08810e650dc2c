"""Resource-based policies on bedrock resources: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy.

A policy is kept per tenant and resource ARN, for an ARN of the caller's account and Region (another's is
a ValidationException); the policy must be a JSON object (an IAM policy document), else
ValidationException. Get and Delete of an ARN without a policy are ResourceNotFoundException. Policies are
stored and shown; nothing evaluates them.
"""

from __future__ import annotations

import json
from typing import Final

from emulator.control import resources
from emulator.control.accounts import account_id
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

POLICY: Final = Kind("bedrock:resource-policy", "ResourcePolicy")


def _arn(call: OperationCall) -> str:
    arn = str(params(call)["resourceArn"])
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "bedrock":
        raise AwsError("ValidationException", f"{arn} is not a valid Amazon Bedrock resource ARN.")
    if parts[3] != call.region or parts[4] != account_id(call.tenant):
        raise AwsError("ValidationException", "The resource must belong to the calling account and Region.")
    return arn


def _not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"No resource policy is attached to {arn}.")


def put_resource_policy(call: OperationCall) -> Reply:
    arn = _arn(call)
    document = str(params(call)["resourcePolicy"])
    try:
        parsed = json.loads(document)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise AwsError("ValidationException", "The resource policy is not a valid JSON policy document.")
    resources.save(call, POLICY, arn, {"resourcePolicy": document})
    return JsonReply({"resourceArn": arn})


def get_resource_policy(call: OperationCall) -> Reply:
    arn = _arn(call)
    record = resources.read(call, POLICY, arn)
    if record is None:
        raise _not_found(arn)
    return JsonReply({"resourcePolicy": record["resourcePolicy"]})


def delete_resource_policy(call: OperationCall) -> Reply:
    arn = _arn(call)
    if resources.read(call, POLICY, arn) is None:
        raise _not_found(arn)
    resources.remove(call, POLICY, arn)
    return JsonReply({})


HANDLERS = {
    "PutResourcePolicy": put_resource_policy,
    "GetResourcePolicy": get_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy,
}
