"""Automated Reasoning build and test workflows: Start/Get/List/Cancel/DeleteAutomatedReasoningPolicyBuildWorkflow,
Get/UpdateAutomatedReasoningPolicyAnnotations, GetAutomatedReasoningPolicyNextScenario,
GetAutomatedReasoningPolicyBuildWorkflowResultAssets, StartAutomatedReasoningPolicyTestWorkflow,
Get/ListAutomatedReasoningPolicyTestResult(s).

A build workflow runs on the virtual clock, SCHEDULED -> PREPROCESSING -> BUILDING -> TESTING -> COMPLETED
over ``BUILD_SECONDS`` (CancelAutomatedReasoningPolicyBuildWorkflow: CANCEL_REQUESTED -> CANCELLED); a policy
runs one at a time. Its assets (``reasoning_assets``) are computed when it starts and readable once it is
COMPLETED. A test workflow runs the policy's test cases against a completed build: each result goes
SCHEDULED -> IN_PROGRESS -> COMPLETED over ``TEST_SECONDS``. The emulator has no solver: a test case whose
guard content shares a word (four letters or more) with the built policy's variables is translated and
found SATISFIABLE; one that shares none is NO_TRANSLATION. The result PASSES when that is what the test
case expects.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from emulator.bedrock_control import reasoning_assets
from emulator.bedrock_control.reasoning_policies import (
    SERVICE,
    TEST_CASE,
    TEST_RESULT,
    WORKFLOW,
    check_unchanged,
    checked_definition,
    policy_record,
)
from emulator.control import lifecycle, resources
from emulator.control.ids import HEX, new_id
from emulator.control.request import params
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

BUILD_SECONDS: Final = (
    4.0  # one second a step: SCHEDULED -> PREPROCESSING -> BUILDING -> TESTING -> COMPLETED
)
TEST_SECONDS: Final = 2.0  # SCHEDULED -> IN_PROGRESS (1 s) -> COMPLETED (2 s)
TERMINAL: Final = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
# wire-facts §22.4 (the emulator's wording).
WORKFLOW_NOT_FOUND: Final = "The build workflow {id} was not found for policy {arn}."
BUSY: Final = (
    "The policy {arn} already has a build workflow in progress ({id}). Wait for it to finish, or cancel it."
)
NOT_RUNNING: Final = "The build workflow {id} is {status} and cannot be cancelled."
STILL_RUNNING: Final = (
    "The build workflow {id} is {status}. Cancel it or wait for it to finish before deleting it."
)
NOT_COMPLETED: Final = "The build workflow {id} is {status}; its {what} is available once it is COMPLETED."
NO_ASSET: Final = "The build workflow {id} has no {asset} asset."
NEEDS_CONTENT: Final = "A {kind} build workflow needs {what} in its sourceContent."
STALE_ANNOTATIONS: Final = (
    "The annotations have changed since the hash you provided. Get them again and retry with the current "
    "annotationSetHash."
)
RESULT_NOT_FOUND: Final = "No test result for test case {id} in build workflow {workflow}."
_WORD: Final = re.compile(r"[a-z][a-z0-9]{3,}")


def _workflow_id(call: OperationCall) -> str:
    """A UUID (version 4 layout, as Bedrock's model requires), minted deterministically."""
    digits = list(new_id(call, "automated-reasoning-build-workflow", alphabet=HEX, length=32))
    digits[12] = "4"
    digits[16] = "89ab"[int(digits[16], 16) % 4]
    text = "".join(digits)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _hash(value: Any) -> str:
    return hashlib.sha512(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def workflow_record(call: OperationCall) -> tuple[dict[str, Any], dict[str, Any]]:
    """The policy (draft) and the build workflow a request names, or ResourceNotFoundException."""
    values = params(call)
    policy = policy_record(call, str(values["policyArn"]), allow_version=False)
    workflow_id = str(values["buildWorkflowId"])
    record = resources.read(call, WORKFLOW, resources.key(policy["policyId"], workflow_id))
    if record is None:
        raise AwsError(
            "ResourceNotFoundException", WORKFLOW_NOT_FOUND.format(id=workflow_id, arn=policy["policyArn"])
        )
    return policy, record


def _completed(record: Mapping[str, Any], what: str) -> None:
    if record["status"] != "COMPLETED":
        raise AwsError(
            "ValidationException",
            NOT_COMPLETED.format(id=record["buildWorkflowId"], status=record["status"], what=what),
        )


def start_build_workflow(call: OperationCall) -> Reply:
    values = params(call)
    policy = policy_record(call, str(values["policyArn"]), allow_version=False)
    for _, other in resources.records(call, WORKFLOW, policy["policyId"]):
        if other["status"] not in TERMINAL:
            raise AwsError(
                "ResourceInUseException", BUSY.format(arn=policy["policyArn"], id=other["buildWorkflowId"])
            )
    kind = str(values["buildWorkflowType"])
    source: Mapping[str, Any] = values["sourceContent"]
    content: Mapping[str, Any] = source.get("workflowContent") or {}
    documents = list(
        content.get("documents")
        or (content.get("iterativeRefinementContent") or {}).get("documents")
        or (content.get("generateFidelityReportContent") or {}).get("documents")
        or []
    )
    annotations = list((content.get("policyRepairAssets") or {}).get("annotations") or [])
    if kind == "INGEST_CONTENT" and not documents:
        raise AwsError("ValidationException", NEEDS_CONTENT.format(kind=kind, what="documents"))
    if kind == "REFINE_POLICY" and "policyRepairAssets" not in content:
        raise AwsError("ValidationException", NEEDS_CONTENT.format(kind=kind, what="policyRepairAssets"))
    base = checked_definition(source.get("policyDefinition") or policy["policyDefinition"])
    assets = reasoning_assets.build(base, documents, annotations)
    workflow_id = _workflow_id(call)
    moment = lifecycle.stamp(call)
    start = lifecycle.now(call)
    record: dict[str, Any] = {
        "policyArn": policy["policyArn"],
        "buildWorkflowId": workflow_id,
        "buildWorkflowType": kind,
        "status": "SCHEDULED",
        "createdAt": moment,
        "updatedAt": moment,
        "annotations": annotations,
        "annotationsUpdatedAt": moment,
        "assets": assets,
        "scenariosServed": 0,
    }
    if documents:
        record.update(
            documentName=documents[0]["documentName"], documentContentType=documents[0]["documentContentType"]
        )
        if documents[0].get("documentDescription"):
            record["documentDescription"] = documents[0]["documentDescription"]
    steps = ("PREPROCESSING", "BUILDING", "TESTING", "COMPLETED")
    moments = [start + BUILD_SECONDS * (index + 1) / len(steps) for index in range(len(steps))]
    lifecycle.schedule(
        record,
        [
            (at, {"status": status, "updatedAt": lifecycle.iso(at)})
            for at, status in zip(moments, steps, strict=True)
        ],
    )
    resources.save(call, WORKFLOW, resources.key(policy["policyId"], workflow_id), record)
    return JsonReply({"policyArn": policy["policyArn"], "buildWorkflowId": workflow_id})


def get_build_workflow(call: OperationCall) -> Reply:
    _, record = workflow_record(call)
    return JsonReply(view(record, "GetAutomatedReasoningPolicyBuildWorkflowResponse", service=SERVICE))


def list_build_workflows(call: OperationCall) -> Reply:
    values = params(call)
    policy = policy_record(call, str(values["policyArn"]), allow_version=False)
    summaries = [
        view(record, "AutomatedReasoningPolicyBuildWorkflowSummary", service=SERVICE)
        for _, record in resources.records(call, WORKFLOW, policy["policyId"])
    ]
    return JsonReply(page(call.service, call.operation, summaries, values))


def cancel_build_workflow(call: OperationCall) -> Reply:
    policy, record = workflow_record(call)
    if record["status"] in TERMINAL or record["status"] == "CANCEL_REQUESTED":
        raise AwsError(
            "ValidationException", NOT_RUNNING.format(id=record["buildWorkflowId"], status=record["status"])
        )
    moment = lifecycle.stamp(call)
    record.update(status="CANCEL_REQUESTED", updatedAt=moment)
    done = lifecycle.now(call) + BUILD_SECONDS / 4
    lifecycle.schedule(record, [(done, {"status": "CANCELLED", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, WORKFLOW, resources.key(policy["policyId"], record["buildWorkflowId"]), record)
    return JsonReply({})


def delete_build_workflow(call: OperationCall) -> Reply:
    policy, record = workflow_record(call)
    check_unchanged(record, params(call)["lastUpdatedAt"], "build workflow")
    if record["status"] not in TERMINAL:
        raise AwsError(
            "ResourceInUseException",
            STILL_RUNNING.format(id=record["buildWorkflowId"], status=record["status"]),
        )
    record_key = resources.key(policy["policyId"], record["buildWorkflowId"])
    resources.remove_under(call, TEST_RESULT, record_key)
    resources.remove(call, WORKFLOW, record_key)
    return JsonReply({})


# -- annotations, scenarios, assets -------------------------------------------------------------------


def get_annotations(call: OperationCall) -> Reply:
    policy, record = workflow_record(call)
    return JsonReply(
        {
            "policyArn": policy["policyArn"],
            "name": policy["name"],
            "buildWorkflowId": record["buildWorkflowId"],
            "annotations": record["annotations"],
            "annotationSetHash": _hash(record["annotations"]),
            "updatedAt": record["annotationsUpdatedAt"],
        }
    )


def update_annotations(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = workflow_record(call)
    if values["lastUpdatedAnnotationSetHash"] != _hash(record["annotations"]):
        raise AwsError("ConflictException", STALE_ANNOTATIONS)
    record.update(annotations=list(values["annotations"]), annotationsUpdatedAt=lifecycle.stamp(call))
    resources.save(call, WORKFLOW, resources.key(policy["policyId"], record["buildWorkflowId"]), record)
    return JsonReply(
        {
            "policyArn": policy["policyArn"],
            "buildWorkflowId": record["buildWorkflowId"],
            "annotationSetHash": _hash(record["annotations"]),
            "updatedAt": record["annotationsUpdatedAt"],
        }
    )


def next_scenario(call: OperationCall) -> Reply:
    """The workflow's scenarios one by one, in rule order; none once all were served."""
    policy, record = workflow_record(call)
    _completed(record, "scenarios")
    scenarios = record["assets"]["policyScenarios"]["policyScenarios"]
    served = int(record["scenariosServed"])
    reply: dict[str, Any] = {"policyArn": policy["policyArn"]}
    if served < len(scenarios):
        reply["scenario"] = scenarios[served]
        record["scenariosServed"] = served + 1
        resources.save(call, WORKFLOW, resources.key(policy["policyId"], record["buildWorkflowId"]), record)
    return JsonReply(reply)


_ASSET_MEMBERS: Final = {
    "POLICY_DEFINITION": "policyDefinition",
    "QUALITY_REPORT": "qualityReport",
    "BUILD_LOG": "buildLog",
    "GENERATED_TEST_CASES": "generatedTestCases",
    "POLICY_SCENARIOS": "policyScenarios",
    "ASSET_MANIFEST": "assetManifest",
}


def result_assets(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = workflow_record(call)
    _completed(record, "result assets")
    asset_type = str(values["assetType"])
    assets: Mapping[str, Any] = record["assets"]
    shown: dict[str, Any] = {}
    if asset_type in _ASSET_MEMBERS:
        shown[_ASSET_MEMBERS[asset_type]] = assets[_ASSET_MEMBERS[asset_type]]
    elif asset_type == "SOURCE_DOCUMENT":
        wanted = values.get("assetId")
        documents = [
            d for d in assets["documents"] if wanted is None or d["documentHash"].startswith(str(wanted))
        ]
        if documents:
            shown["document"] = documents[0]
    if not shown:
        raise AwsError(
            "ResourceNotFoundException", NO_ASSET.format(id=record["buildWorkflowId"], asset=asset_type)
        )
    return JsonReply(
        {
            "policyArn": policy["policyArn"],
            "buildWorkflowId": record["buildWorkflowId"],
            "buildWorkflowAssets": shown,
        }
    )


# -- test workflows -----------------------------------------------------------------------------------


def _verdict(definition: Mapping[str, Any], test_case: Mapping[str, Any]) -> dict[str, Any]:
    vocabulary = set()
    for variable in definition.get("variables", []):
        vocabulary |= set(
            _WORD.findall(f"{variable.get('name', '')} {variable.get('description', '')}".lower())
        )
    translated = bool(set(_WORD.findall(str(test_case.get("guardContent", "")).lower())) & vocabulary)
    result = "SATISFIABLE" if translated else "NO_TRANSLATION"
    findings: list[dict[str, Any]] = [] if translated else [{"noTranslations": {}}]
    expected = test_case.get("expectedAggregatedFindingsResult")
    return {
        "aggregatedTestFindingsResult": result,
        "testFindings": findings,
        "testRunResult": "PASSED" if expected == result else "FAILED",
    }


def start_test_workflow(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = workflow_record(call)
    _completed(record, "test workflow")
    wanted = values.get("testCaseIds")
    cases = [case for _, case in resources.records(call, TEST_CASE, policy["policyId"])]
    if wanted:
        known = {case["testCaseId"] for case in cases}
        missing = [case_id for case_id in wanted if case_id not in known]
        if missing:
            raise AwsError(
                "ResourceNotFoundException",
                f"The test case {missing[0]} was not found in policy {policy['policyArn']}.",
            )
        cases = [case for case in cases if case["testCaseId"] in set(wanted)]
    start = lifecycle.now(call)
    built = record["assets"]["policyDefinition"]
    for case in cases:
        test_case = view(case, "AutomatedReasoningPolicyTestCase", service=SERVICE)
        result: dict[str, Any] = {
            "testCase": test_case,
            "policyArn": policy["policyArn"],
            "testRunStatus": "SCHEDULED",
            "updatedAt": lifecycle.iso(start),
        }
        half, done = start + TEST_SECONDS / 2, start + TEST_SECONDS
        lifecycle.schedule(
            result,
            [
                (half, {"testRunStatus": "IN_PROGRESS", "updatedAt": lifecycle.iso(half)}),
                (
                    done,
                    {
                        "testRunStatus": "COMPLETED",
                        "updatedAt": lifecycle.iso(done),
                        **_verdict(built, test_case),
                    },
                ),
            ],
        )
        key = resources.key(policy["policyId"], record["buildWorkflowId"], case["testCaseId"])
        resources.save(call, TEST_RESULT, key, result)
    return JsonReply({"policyArn": policy["policyArn"]})


def get_test_result(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = workflow_record(call)
    key = resources.key(policy["policyId"], record["buildWorkflowId"], str(values["testCaseId"]))
    result = resources.read(call, TEST_RESULT, key)
    if result is None:
        raise AwsError(
            "ResourceNotFoundException",
            RESULT_NOT_FOUND.format(id=values["testCaseId"], workflow=record["buildWorkflowId"]),
        )
    return JsonReply({"testResult": view(result, "AutomatedReasoningPolicyTestResult", service=SERVICE)})


def list_test_results(call: OperationCall) -> Reply:
    values = params(call)
    policy, record = workflow_record(call)
    parent = resources.key(policy["policyId"], record["buildWorkflowId"])
    results = [
        view(result, "AutomatedReasoningPolicyTestResult", service=SERVICE)
        for _, result in resources.records(call, TEST_RESULT, parent)
    ]
    return JsonReply(page(call.service, call.operation, results, values))


HANDLERS = {
    "StartAutomatedReasoningPolicyBuildWorkflow": start_build_workflow,
    "GetAutomatedReasoningPolicyBuildWorkflow": get_build_workflow,
    "ListAutomatedReasoningPolicyBuildWorkflows": list_build_workflows,
    "CancelAutomatedReasoningPolicyBuildWorkflow": cancel_build_workflow,
    "DeleteAutomatedReasoningPolicyBuildWorkflow": delete_build_workflow,
    "GetAutomatedReasoningPolicyAnnotations": get_annotations,
    "UpdateAutomatedReasoningPolicyAnnotations": update_annotations,
    "GetAutomatedReasoningPolicyNextScenario": next_scenario,
    "GetAutomatedReasoningPolicyBuildWorkflowResultAssets": result_assets,
    "StartAutomatedReasoningPolicyTestWorkflow": start_test_workflow,
    "GetAutomatedReasoningPolicyTestResult": get_test_result,
    "ListAutomatedReasoningPolicyTestResults": list_test_results,
}
