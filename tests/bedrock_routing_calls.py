"""A minimal valid boto3 call for each ``bedrock`` operation on inference profiles, prompt routers,
guardrails and Automated Reasoning policies, with what it needs created first.

``CALLS[operation](world)`` returns the keyword arguments of one call that must succeed, in default and
in strict mode; ``RoutingWorld`` creates what a call refers to through the same boto3 client, once per
test, and moves the emulator's clock past transitions instead of sleeping. Shared by
tests/contract/test_bedrock_routing_operations.py and the output-shape audit (tests/wire/test_shape_conformance.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cached_property
from typing import Any

Params = dict[str, Any]

REGION = "us-east-1"
NOVA_LITE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-lite-v1:0"
NOVA_PRO_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-pro-v1:0"
GUARDRAIL = {
    "blockedInputMessaging": "Blocked.",
    "blockedOutputsMessaging": "Blocked.",
    "wordPolicyConfig": {"wordsConfig": [{"text": "acme rival"}]},
}
POLICY_DEFINITION = {
    "version": "1.0",
    "types": [],
    "variables": [
        {"name": "is_full_time", "type": "BOOL", "description": "The employee works full time."},
        {"name": "tenure_years", "type": "INT", "description": "Years the employee has worked here."},
        {"name": "leave_days", "type": "INT", "description": "Days of paid leave the employee gets."},
    ],
    "rules": [
        {"id": "A00000000001", "expression": "(=> (and is_full_time (>= tenure_years 5)) (= leave_days 25))"}
    ],
}
DOCUMENT = (  # a blob: boto3 sends it base64-encoded
    b"Full time employees with five years of tenure get twenty five days of paid leave. "
    b"Part time employees get leave in proportion to their hours."
)
_names = itertools.count(1)


def name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


class RoutingWorld:
    """Resources created on first use, through ``client`` (a bedrock client of the test's tenant)."""

    def __init__(self, client: Any, advance_clock: Callable[[float], None]) -> None:
        self.client = client
        self.advance = advance_clock

    @cached_property
    def profile_arn(self) -> str:
        arn: str = self.client.create_inference_profile(
            inferenceProfileName=name("profile"), modelSource={"copyFrom": NOVA_LITE_ARN}
        )["inferenceProfileArn"]
        return arn

    @cached_property
    def router_arn(self) -> str:
        arn: str = self.client.create_prompt_router(
            promptRouterName=name("router"),
            models=[{"modelArn": NOVA_LITE_ARN}, {"modelArn": NOVA_PRO_ARN}],
            fallbackModel={"modelArn": NOVA_PRO_ARN},
            routingCriteria={"responseQualityDifference": 10.0},
        )["promptRouterArn"]
        return arn

    @cached_property
    def guardrail_id(self) -> str:
        guardrail_id: str = self.client.create_guardrail(name=name("guardrail"), **GUARDRAIL)["guardrailId"]
        self.advance(2)  # CREATING -> READY
        return guardrail_id

    @cached_property
    def guardrail_version(self) -> str:
        version: str = self.client.create_guardrail_version(guardrailIdentifier=self.guardrail_id)["version"]
        self.advance(2)  # VERSIONING -> READY
        return version

    @cached_property
    def enforced_config_id(self) -> str:
        config_id: str = self.client.put_enforced_guardrail_configuration(
            guardrailInferenceConfig={
                "guardrailIdentifier": self.guardrail_id,
                "guardrailVersion": self.guardrail_version,
            }
        )["configId"]
        return config_id

    @cached_property
    def policy(self) -> dict[str, Any]:
        created: dict[str, Any] = self.client.create_automated_reasoning_policy(
            name=name("policy"), policyDefinition=POLICY_DEFINITION
        )
        return created

    @property
    def policy_arn(self) -> str:
        return str(self.policy["policyArn"])

    @cached_property
    def test_case(self) -> dict[str, Any]:
        created = self.client.create_automated_reasoning_policy_test_case(
            policyArn=self.policy_arn,
            guardContent="Full time employees with five years of tenure get twenty five days of leave.",
            expectedAggregatedFindingsResult="SATISFIABLE",
        )
        got: dict[str, Any] = self.client.get_automated_reasoning_policy_test_case(
            policyArn=self.policy_arn, testCaseId=created["testCaseId"]
        )["testCase"]
        return got

    def start_workflow(self) -> str:
        workflow_id: str = self.client.start_automated_reasoning_policy_build_workflow(
            policyArn=self.policy_arn,
            buildWorkflowType="INGEST_CONTENT",
            sourceContent={
                "workflowContent": {
                    "documents": [
                        {"document": DOCUMENT, "documentContentType": "txt", "documentName": "leave-policy"}
                    ]
                }
            },
        )["buildWorkflowId"]
        return workflow_id

    @cached_property
    def workflow_id(self) -> str:
        workflow_id = self.start_workflow()
        self.advance(4)  # SCHEDULED -> ... -> COMPLETED
        return workflow_id

    @property
    def workflow(self) -> Params:
        return {"policyArn": self.policy_arn, "buildWorkflowId": self.workflow_id}

    @cached_property
    def tested(self) -> Params:
        test_case_id = self.test_case["testCaseId"]
        self.client.start_automated_reasoning_policy_test_workflow(
            **self.workflow, testCaseIds=[test_case_id]
        )
        self.advance(2)  # SCHEDULED -> IN_PROGRESS -> COMPLETED
        return {**self.workflow, "testCaseId": test_case_id}

    def annotations_hash(self) -> str:
        return str(
            self.client.get_automated_reasoning_policy_annotations(**self.workflow)["annotationSetHash"]
        )


def _with_config(world: RoutingWorld) -> Params:
    assert world.enforced_config_id  # one configuration to list
    return {}


def _with_test_case(world: RoutingWorld) -> Params:
    assert world.test_case["testCaseId"]  # one test case to list
    return {"policyArn": world.policy_arn}


def _cancel(world: RoutingWorld) -> Params:
    return {"policyArn": world.policy_arn, "buildWorkflowId": world.start_workflow()}


CALLS: dict[str, Callable[[RoutingWorld], Params]] = {
    # inference profiles
    "CreateInferenceProfile": lambda w: {
        "inferenceProfileName": name("profile"),
        "modelSource": {"copyFrom": NOVA_LITE_ARN},
    },
    "GetInferenceProfile": lambda w: {"inferenceProfileIdentifier": w.profile_arn},
    "ListInferenceProfiles": lambda w: {"typeEquals": "APPLICATION"},
    "DeleteInferenceProfile": lambda w: {"inferenceProfileIdentifier": w.profile_arn},
    # prompt routers
    "CreatePromptRouter": lambda w: {
        "promptRouterName": name("router"),
        "models": [{"modelArn": NOVA_LITE_ARN}, {"modelArn": NOVA_PRO_ARN}],
        "fallbackModel": {"modelArn": NOVA_PRO_ARN},
        "routingCriteria": {"responseQualityDifference": 10.0},
    },
    "GetPromptRouter": lambda w: {"promptRouterArn": w.router_arn},
    "ListPromptRouters": lambda w: {},
    "DeletePromptRouter": lambda w: {"promptRouterArn": w.router_arn},
    # guardrails
    "CreateGuardrail": lambda w: {"name": name("guardrail"), **GUARDRAIL},
    "GetGuardrail": lambda w: {
        "guardrailIdentifier": w.guardrail_id,
        "guardrailVersion": w.guardrail_version,
    },
    "ListGuardrails": lambda w: {"guardrailIdentifier": w.guardrail_id},
    "UpdateGuardrail": lambda w: {
        "guardrailIdentifier": w.guardrail_id,
        "name": name("guardrail"),
        **GUARDRAIL,
    },
    "DeleteGuardrail": lambda w: {"guardrailIdentifier": w.guardrail_id},
    "CreateGuardrailVersion": lambda w: {"guardrailIdentifier": w.guardrail_id, "description": "v"},
    "PutEnforcedGuardrailConfiguration": lambda w: {
        "guardrailInferenceConfig": {
            "guardrailIdentifier": w.guardrail_id,
            "guardrailVersion": w.guardrail_version,
        }
    },
    "ListEnforcedGuardrailsConfiguration": _with_config,
    "DeleteEnforcedGuardrailConfiguration": lambda w: {"configId": w.enforced_config_id},
    # automated reasoning policies
    "CreateAutomatedReasoningPolicy": lambda w: {
        "name": name("policy"),
        "policyDefinition": POLICY_DEFINITION,
    },
    "GetAutomatedReasoningPolicy": lambda w: {"policyArn": w.policy_arn},
    "UpdateAutomatedReasoningPolicy": lambda w: {
        "policyArn": w.policy_arn,
        "policyDefinition": POLICY_DEFINITION,
    },
    "DeleteAutomatedReasoningPolicy": lambda w: {"policyArn": w.policy_arn},
    "ListAutomatedReasoningPolicies": lambda w: {},
    "CreateAutomatedReasoningPolicyVersion": lambda w: {
        "policyArn": w.policy_arn,
        "lastUpdatedDefinitionHash": w.policy["definitionHash"],
    },
    "ExportAutomatedReasoningPolicyVersion": lambda w: {"policyArn": w.policy_arn},
    "CreateAutomatedReasoningPolicyTestCase": lambda w: {
        "policyArn": w.policy_arn,
        "guardContent": "Part time employees get leave.",
        "expectedAggregatedFindingsResult": "SATISFIABLE",
    },
    "GetAutomatedReasoningPolicyTestCase": lambda w: {
        "policyArn": w.policy_arn,
        "testCaseId": w.test_case["testCaseId"],
    },
    "UpdateAutomatedReasoningPolicyTestCase": lambda w: {
        "policyArn": w.policy_arn,
        "testCaseId": w.test_case["testCaseId"],
        "guardContent": "Part time employees get no leave.",
        "expectedAggregatedFindingsResult": "INVALID",
        "lastUpdatedAt": w.test_case["updatedAt"],
    },
    "DeleteAutomatedReasoningPolicyTestCase": lambda w: {
        "policyArn": w.policy_arn,
        "testCaseId": w.test_case["testCaseId"],
        "lastUpdatedAt": w.test_case["updatedAt"],
    },
    "ListAutomatedReasoningPolicyTestCases": _with_test_case,
    "StartAutomatedReasoningPolicyBuildWorkflow": lambda w: {
        "policyArn": w.policy_arn,
        "buildWorkflowType": "INGEST_CONTENT",
        "sourceContent": {
            "workflowContent": {
                "documents": [
                    {"document": DOCUMENT, "documentContentType": "txt", "documentName": "leave-policy"}
                ]
            }
        },
    },
    "GetAutomatedReasoningPolicyBuildWorkflow": lambda w: w.workflow,
    "ListAutomatedReasoningPolicyBuildWorkflows": lambda w: {"policyArn": w.workflow["policyArn"]},
    "CancelAutomatedReasoningPolicyBuildWorkflow": _cancel,
    "DeleteAutomatedReasoningPolicyBuildWorkflow": lambda w: {
        **w.workflow,
        "lastUpdatedAt": w.client.get_automated_reasoning_policy_build_workflow(**w.workflow)["updatedAt"],
    },
    "GetAutomatedReasoningPolicyAnnotations": lambda w: w.workflow,
    "UpdateAutomatedReasoningPolicyAnnotations": lambda w: {
        **w.workflow,
        "annotations": [{"addRule": {"expression": "(=> is_full_time (> leave_days 0))"}}],
        "lastUpdatedAnnotationSetHash": w.annotations_hash(),
    },
    "GetAutomatedReasoningPolicyNextScenario": lambda w: w.workflow,
    "GetAutomatedReasoningPolicyBuildWorkflowResultAssets": lambda w: {
        **w.workflow,
        "assetType": "POLICY_DEFINITION",
    },
    "StartAutomatedReasoningPolicyTestWorkflow": lambda w: {
        **w.workflow,
        "testCaseIds": [w.test_case["testCaseId"]],
    },
    "GetAutomatedReasoningPolicyTestResult": lambda w: w.tested,
    "ListAutomatedReasoningPolicyTestResults": lambda w: {
        k: v for k, v in w.tested.items() if k != "testCaseId"
    },
}
