"""Automated Reasoning policies: Create/Get/Update/Delete/ListAutomatedReasoningPolicies,
CreateAutomatedReasoningPolicyVersion, ExportAutomatedReasoningPolicyVersion, and the policy's test cases
(Create/Get/Update/Delete/ListAutomatedReasoningPolicyTestCase(s)).

A policy's draft is keyed by its twelve-character id (ARN ``automated-reasoning-policy/<id>``); a version
freezes the draft's definition under ``<id>/<n>`` (ARN ``...:<n>``). Every definition carries a
``definitionHash`` (SHA-512 of its canonical JSON, 128 hex digits), which CreateAutomatedReasoningPolicyVersion
must be given back, as Bedrock's optimistic check. Policies have no status; their build and test workflows
do (``reasoning_workflows``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from emulator.bedrock_control import tags
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id, bedrock_arn
from emulator.control.ids import LOWER, UPPER, new_id, next_version
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

SERVICE: Final = "bedrock"
DRAFT: Final = "DRAFT"
POLICY: Final = Kind("bedrock:automated-reasoning-policy", "AutomatedReasoningPolicy", "name")
POLICY_VERSION: Final = Kind("bedrock:automated-reasoning-policy-version", "AutomatedReasoningPolicyVersion")
TEST_CASE: Final = Kind("bedrock:automated-reasoning-test-case", "AutomatedReasoningPolicyTestCase")
# A policy's build workflows (``<policyId>/<workflowId>``) and their test results
# (``<policyId>/<workflowId>/<testCaseId>``), run by ``reasoning_workflows``.
WORKFLOW: Final = Kind("bedrock:automated-reasoning-build-workflow", "AutomatedReasoningPolicyBuildWorkflow")
TEST_RESULT: Final = Kind("bedrock:automated-reasoning-test-result", "AutomatedReasoningPolicyTestResult")
EMPTY_DEFINITION: Final = {"version": "1.0", "types": [], "rules": [], "variables": []}
BUILT_IN_TYPES: Final = frozenset({"BOOL", "INT", "REAL"})
# wire-facts §22.4 (the emulator's wording; Bedrock's own texts for these were not found).
NOT_FOUND: Final = "The automated reasoning policy {arn} was not found."
VERSION_NOT_FOUND: Final = "The automated reasoning policy version {arn} was not found."
TEST_CASE_NOT_FOUND: Final = "The test case {id} was not found in policy {arn}."
NAME_TAKEN: Final = "An automated reasoning policy with the name {name} already exists."
STALE_HASH: Final = (
    "The policy definition has changed since the hash you provided. Get the policy again and retry with its "
    "current definitionHash."
)
IN_USE: Final = (
    "The automated reasoning policy {arn} still has versions, test cases or build workflows. Delete them "
    "first, or set force to true."
)
STALE_TIME: Final = "The {what} was updated since the lastUpdatedAt you provided. Get it again and retry with its current updatedAt."
UNKNOWN_TYPE: Final = (
    "The variable {variable} has type {type}, which is not BOOL, INT, REAL or a type of the policy."
)
_ARN: Final = re.compile(
    r"^arn:aws(?:-[^:]+)?:bedrock:(?P<region>[a-z0-9-]{1,20}):(?P<account>[0-9]{12}):"
    r"automated-reasoning-policy/(?P<id>[a-z0-9]{12})(?::(?P<version>[1-9][0-9]{0,11}))?$"
)


def definition_hash(definition: Mapping[str, Any]) -> str:
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha512(text.encode()).hexdigest()


def checked_definition(definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """A policy definition with its lists present; a variable of an unknown type is a ValidationException."""
    full = {**EMPTY_DEFINITION, **dict(definition or {})}
    type_names = {str(t["name"]) for t in full["types"]}
    for variable in full["variables"]:
        kind = str(variable["type"])
        if kind.upper() not in BUILT_IN_TYPES and kind not in type_names:
            raise AwsError("ValidationException", UNKNOWN_TYPE.format(variable=variable["name"], type=kind))
    return full


def _moment(value: Any) -> datetime | None:
    """A timestamp as the wire carries it (epoch seconds in a JSON body, ISO 8601 in a query string)."""
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_unchanged(record: Mapping[str, Any], last_updated_at: Any, what: str) -> None:
    """``lastUpdatedAt`` is a concurrency token: it must be the record's ``updatedAt`` (to the millisecond)."""
    given, current = _moment(last_updated_at), _moment(record["updatedAt"])
    if given is None or current is None or abs((given - current).total_seconds()) >= 0.001:
        raise AwsError("ConflictException", STALE_TIME.format(what=what))


def parse_arn(call: OperationCall, arn: str) -> tuple[str, str | None]:
    """The policy id and version an ARN names; another account's or Region's is not found."""
    match = _ARN.match(arn)
    if match is None or match["account"] != account_id(call.tenant) or match["region"] != call.region:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(arn=arn))
    return match["id"], match["version"]


def policy_record(call: OperationCall, arn: str, *, allow_version: bool = True) -> dict[str, Any]:
    """The draft or version record an ARN names, or ResourceNotFoundException."""
    policy_id, version = parse_arn(call, arn)
    draft = resources.read(call, POLICY, policy_id)
    if draft is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(arn=arn))
    if version is None:
        return draft
    if not allow_version:
        raise AwsError("ValidationException", f"Specify the policy ARN without a version: {arn}")
    record = resources.read(call, POLICY_VERSION, resources.key(policy_id, version))
    if record is None:
        raise AwsError("ResourceNotFoundException", VERSION_NOT_FOUND.format(arn=arn))
    return record


def create_policy(call: OperationCall) -> Reply:
    values = params(call)
    definition = checked_definition(values.get("policyDefinition"))
    if resources.sibling_named(call, POLICY, "", values["name"]) is not None:
        raise AwsError("ConflictException", NAME_TAKEN.format(name=values["name"]))
    policy_id = new_id(call, "automated-reasoning-policy", alphabet=LOWER, length=12)
    moment = lifecycle.stamp(call)
    record: dict[str, Any] = {
        "policyArn": bedrock_arn(call.region, call.tenant, f"automated-reasoning-policy/{policy_id}"),
        "policyId": policy_id,
        "name": values["name"],
        "version": DRAFT,
        "policyDefinition": definition,
        "definitionHash": definition_hash(definition),
        "createdAt": moment,
        "updatedAt": moment,
    }
    if "description" in values:
        record["description"] = values["description"]
    kms = values.get("kmsKeyId")
    if isinstance(kms, str) and ":key/" in kms:
        record["kmsKeyArn"] = kms
    resources.save(call, POLICY, policy_id, record)
    tags.attach(call, record["policyArn"], values.get("tags"))
    return JsonReply(view(record, "CreateAutomatedReasoningPolicyResponse", service=SERVICE))


def get_policy(call: OperationCall) -> Reply:
    record = policy_record(call, str(params(call)["policyArn"]))
    return JsonReply(view(record, "GetAutomatedReasoningPolicyResponse", service=SERVICE))


def update_policy(call: OperationCall) -> Reply:
    values = params(call)
    record = policy_record(call, str(values["policyArn"]), allow_version=False)
    definition = checked_definition(values["policyDefinition"])
    name = values.get("name", record["name"])
    other = resources.sibling_named(call, POLICY, "", name, other_than=record["policyId"])
    if other is not None:
        raise AwsError("ConflictException", NAME_TAKEN.format(name=name))
    record.update(
        name=name,
        policyDefinition=definition,
        definitionHash=definition_hash(definition),
        updatedAt=lifecycle.stamp(call),
    )
    if "description" in values:
        record["description"] = values["description"]
    resources.save(call, POLICY, record["policyId"], record)
    return JsonReply(view(record, "UpdateAutomatedReasoningPolicyResponse", service=SERVICE))


def delete_policy(call: OperationCall) -> Reply:
    values = params(call)
    record = policy_record(call, str(values["policyArn"]), allow_version=False)
    policy_id = record["policyId"]
    children = (POLICY_VERSION, TEST_CASE, WORKFLOW, TEST_RESULT)
    if not values.get("force") and any(resources.records(call, kind, policy_id) for kind in children):
        raise AwsError("ResourceInUseException", IN_USE.format(arn=record["policyArn"]))
    for kind in children:
        for record_key, child in resources.records(call, kind, policy_id):
            if kind is POLICY_VERSION:
                tags.drop(call, child["policyArn"])
            resources.remove(call, kind, record_key)
    resources.remove(call, POLICY, policy_id)
    tags.drop(call, record["policyArn"])
    return JsonReply({})


def list_policies(call: OperationCall) -> Reply:
    values = params(call)
    arn = values.get("policyArn")
    if arn:  # that policy's versions
        policy_id, _ = parse_arn(call, str(arn))
        if resources.read(call, POLICY, policy_id) is None:
            raise AwsError("ResourceNotFoundException", NOT_FOUND.format(arn=arn))
        found = sorted(
            (record for _, record in resources.records(call, POLICY_VERSION, policy_id)),
            key=lambda record: int(record["version"]),
        )
    else:
        found = [record for _, record in resources.records(call, POLICY)]
    summaries = [view(record, "AutomatedReasoningPolicySummary", service=SERVICE) for record in found]
    return JsonReply(page(call.service, call.operation, summaries, values))


def create_version(call: OperationCall) -> Reply:
    values = params(call)
    draft = policy_record(call, str(values["policyArn"]), allow_version=False)
    if values["lastUpdatedDefinitionHash"] != draft["definitionHash"]:
        raise AwsError("ConflictException", STALE_HASH)
    policy_id = draft["policyId"]
    number = next_version(call, f"automated-reasoning-policy/{policy_id}")
    moment = lifecycle.stamp(call)
    record = {
        **draft,
        "policyArn": f"{draft['policyArn']}:{number}",
        "version": number,
        "createdAt": moment,
        "updatedAt": moment,
    }
    resources.save(call, POLICY_VERSION, resources.key(policy_id, number), record)
    tags.attach(call, record["policyArn"], values.get("tags"))
    return JsonReply(view(record, "CreateAutomatedReasoningPolicyVersionResponse", service=SERVICE))


def export_version(call: OperationCall) -> Reply:
    record = policy_record(call, str(params(call)["policyArn"]))
    return JsonReply({"policyDefinition": record["policyDefinition"]})


# -- test cases ---------------------------------------------------------------------------------------

_TEST_CASE_MEMBERS: Final = (
    "guardContent",
    "queryContent",
    "expectedAggregatedFindingsResult",
    "confidenceThreshold",
)


def test_case_record(
    call: OperationCall, arn: str, test_case_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The policy and one of its test cases, or ResourceNotFoundException."""
    policy = policy_record(call, arn, allow_version=False)
    record = resources.read(call, TEST_CASE, resources.key(policy["policyId"], test_case_id))
    if record is None:
        raise AwsError("ResourceNotFoundException", TEST_CASE_NOT_FOUND.format(id=test_case_id, arn=arn))
    return policy, record


def create_test_case(call: OperationCall) -> Reply:
    values = params(call)
    policy = policy_record(call, str(values["policyArn"]), allow_version=False)
    test_case_id = new_id(call, "automated-reasoning-test-case", alphabet=UPPER, length=12)
    moment = lifecycle.stamp(call)
    record: dict[str, Any] = {
        **{member: values[member] for member in _TEST_CASE_MEMBERS if member in values},
        "testCaseId": test_case_id,
        "createdAt": moment,
        "updatedAt": moment,
    }
    resources.save(call, TEST_CASE, resources.key(policy["policyId"], test_case_id), record)
    return JsonReply({"policyArn": policy["policyArn"], "testCaseId": test_case_id})


def get_test_case(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = test_case_record(call, str(values["policyArn"]), str(values["testCaseId"]))
    return JsonReply(
        {
            "policyArn": policy["policyArn"],
            "testCase": view(record, "AutomatedReasoningPolicyTestCase", service=SERVICE),
        }
    )


def update_test_case(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = test_case_record(call, str(values["policyArn"]), str(values["testCaseId"]))
    check_unchanged(record, values["lastUpdatedAt"], "test case")
    for member in _TEST_CASE_MEMBERS:
        if member in values:
            record[member] = values[member]
        elif member in ("queryContent", "confidenceThreshold"):
            record.pop(member, None)
    record["updatedAt"] = lifecycle.stamp(call)
    resources.save(call, TEST_CASE, resources.key(policy["policyId"], record["testCaseId"]), record)
    return JsonReply({"policyArn": policy["policyArn"], "testCaseId": record["testCaseId"]})


def delete_test_case(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = test_case_record(call, str(values["policyArn"]), str(values["testCaseId"]))
    check_unchanged(record, values["lastUpdatedAt"], "test case")
    resources.remove(call, TEST_CASE, resources.key(policy["policyId"], record["testCaseId"]))
    return JsonReply({})


def list_test_cases(call: OperationCall) -> Reply:
    values = params(call)
    policy = policy_record(call, str(values["policyArn"]), allow_version=False)
    cases = [
        view(record, "AutomatedReasoningPolicyTestCase", service=SERVICE)
        for _, record in resources.records(call, TEST_CASE, policy["policyId"])
    ]
    return JsonReply(page(call.service, call.operation, cases, values))


HANDLERS = {
    "CreateAutomatedReasoningPolicy": create_policy,
    "GetAutomatedReasoningPolicy": get_policy,
    "UpdateAutomatedReasoningPolicy": update_policy,
    "DeleteAutomatedReasoningPolicy": delete_policy,
    "ListAutomatedReasoningPolicies": list_policies,
    "CreateAutomatedReasoningPolicyVersion": create_version,
    "ExportAutomatedReasoningPolicyVersion": export_version,
    "CreateAutomatedReasoningPolicyTestCase": create_test_case,
    "GetAutomatedReasoningPolicyTestCase": get_test_case,
    "UpdateAutomatedReasoningPolicyTestCase": update_test_case,
    "DeleteAutomatedReasoningPolicyTestCase": delete_test_case,
    "ListAutomatedReasoningPolicyTestCases": list_test_cases,
}
