"""The bedrock control plane's routing and safety resources through real boto3 in ``--strict`` mode:
application inference profiles and prompt routers used as model ids, guardrails with versions that the
runtime applies as frozen, enforced guardrail configurations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.control.accounts import account_id
from emulator.pytest_plugin import BedrockEmulator

NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
REGION = "us-east-1"


@pytest.fixture
def emulator(bedrock_emulator: BedrockEmulator) -> BedrockEmulator:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: routing-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator


def model_arn(model_id: str) -> str:
    return f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}"


def error_of(raised: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def converse(runtime: Any, model_id: str, text: str, **extra: Any) -> dict[str, Any]:
    reply: dict[str, Any] = runtime.converse(
        modelId=model_id, messages=[{"role": "user", "content": [{"text": text}]}], **extra
    )
    return reply


def invoke_nova(runtime: Any, model_id: str, text: str, **extra: Any) -> Any:
    body = {"messages": [{"role": "user", "content": [{"text": text}]}], "inferenceConfig": {"maxTokens": 50}}
    return runtime.invoke_model(modelId=model_id, body=json.dumps(body), **extra)


# -- application inference profiles --------------------------------------------------------------------


def test_an_application_profile_serves_the_model_it_copied(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    runtime = emulator.client("bedrock-runtime")
    created = control.create_inference_profile(
        inferenceProfileName="tickets",
        modelSource={"copyFrom": model_arn(NOVA_LITE)},
        tags=[{"key": "team", "value": "support"}],
    )
    arn = created["inferenceProfileArn"]
    assert created["status"] == "ACTIVE"
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert arn.startswith(
        f"arn:aws:bedrock:{REGION}:{account_id(emulator.tenant)}:application-inference-profile/"
    )
    profile_id = arn.rsplit("/", 1)[-1]
    got = control.get_inference_profile(inferenceProfileIdentifier=profile_id)
    assert got["type"] == "APPLICATION"
    assert got["models"] == [{"modelArn": model_arn(NOVA_LITE)}]
    assert control.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "team", "value": "support"}]
    listed = control.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert [p["inferenceProfileArn"] for p in listed] == [arn]
    unfiltered = control.list_inference_profiles()["inferenceProfileSummaries"]  # system-defined only
    assert arn not in [p["inferenceProfileArn"] for p in unfiltered]
    assert {p["type"] for p in unfiltered} == {"SYSTEM_DEFINED"}

    # Served exactly as the copied model: same words, same token counts.
    direct = converse(runtime, NOVA_LITE, "Name three rivers.")
    through = converse(runtime, arn, "Name three rivers.")
    assert through["output"] == direct["output"]
    assert through["usage"] == direct["usage"]
    invoked = json.loads(invoke_nova(runtime, arn, "Name three rivers.")["body"].read())
    assert invoked == json.loads(invoke_nova(runtime, NOVA_LITE, "Name three rivers.")["body"].read())
    streamed = runtime.converse_stream(
        modelId=arn, messages=[{"role": "user", "content": [{"text": "Name three rivers."}]}]
    )["stream"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in streamed if "contentBlockDelta" in e)
    assert text == direct["output"]["message"]["content"][0]["text"]
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
    chunks = runtime.invoke_model_with_response_stream(modelId=arn, body=body)["body"]
    assert any("chunk" in event for event in chunks)

    control.delete_inference_profile(inferenceProfileIdentifier=arn)
    with pytest.raises(ClientError) as raised:
        converse(runtime, arn, "Name three rivers.")
    assert error_of(raised)[1] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        control.get_inference_profile(inferenceProfileIdentifier=arn)
    assert error_of(raised)[:2] == (404, "ResourceNotFoundException")


def test_an_application_profile_copies_a_system_profile(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    system = control.get_inference_profile(inferenceProfileIdentifier=f"us.{NOVA_PRO}")
    assert system["inferenceProfileArn"].split(":")[4] == account_id(emulator.tenant)
    arn = control.create_inference_profile(
        inferenceProfileName="cross-region", modelSource={"copyFrom": system["inferenceProfileArn"]}
    )["inferenceProfileArn"]
    got = control.get_inference_profile(inferenceProfileIdentifier=arn)
    assert got["models"] == system["models"]
    reply = converse(emulator.client("bedrock-runtime"), arn, "Hello")
    assert reply["output"]["message"]["content"][0]["text"]


def test_create_inference_profile_refusals(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    with pytest.raises(ClientError) as raised:
        control.create_inference_profile(
            inferenceProfileName="nope", modelSource={"copyFrom": model_arn("acme.unknown-v1:0")}
        )
    assert error_of(raised) == (
        400,
        "ValidationException",
        "copyFrom must be a valid inference profile model source ARN.",
    )
    control.create_inference_profile(
        inferenceProfileName="twice", modelSource={"copyFrom": model_arn(NOVA_LITE)}
    )
    with pytest.raises(ClientError) as raised:
        control.create_inference_profile(
            inferenceProfileName="twice", modelSource={"copyFrom": model_arn(NOVA_LITE)}
        )
    assert error_of(raised)[:2] == (400, "ConflictException")


# -- prompt routers -----------------------------------------------------------------------------------


def test_a_created_router_routes_by_request_length_and_reports_its_choice(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    runtime = emulator.client("bedrock-runtime")
    arn = control.create_prompt_router(
        promptRouterName="nova-router",
        models=[{"modelArn": model_arn(NOVA_LITE)}, {"modelArn": model_arn(NOVA_PRO)}],
        fallbackModel={"modelArn": model_arn(NOVA_PRO)},
        routingCriteria={"responseQualityDifference": 5.0},
    )["promptRouterArn"]
    assert arn.startswith(f"arn:aws:bedrock:{REGION}:{account_id(emulator.tenant)}:prompt-router/")
    got = control.get_prompt_router(promptRouterArn=arn)
    assert (got["type"], got["status"], got["fallbackModel"]) == (
        "custom",
        "AVAILABLE",
        {"modelArn": model_arn(NOVA_PRO)},
    )

    short = converse(runtime, arn, "Hi there")  # 8 characters: predicted gap 0 <= 5
    assert short["trace"]["promptRouter"]["invokedModelId"] == model_arn(NOVA_LITE)
    assert short["output"] == converse(runtime, NOVA_LITE, "Hi there")["output"]
    long_text = "Explain the water cycle in detail. " * 4  # 140 characters: gap 7 > 5
    long = converse(runtime, arn, long_text)
    assert long["trace"]["promptRouter"]["invokedModelId"] == model_arn(NOVA_PRO)

    events = runtime.converse_stream(
        modelId=arn, messages=[{"role": "user", "content": [{"text": "Hi there"}]}]
    )["stream"]
    metadata = [event["metadata"] for event in events if "metadata" in event]
    assert metadata[0]["trace"]["promptRouter"]["invokedModelId"] == model_arn(NOVA_LITE)

    invoked = json.loads(invoke_nova(runtime, arn, "Hi there")["body"].read())
    direct = json.loads(invoke_nova(runtime, NOVA_LITE, "Hi there")["body"].read())
    assert invoked["output"] == direct["output"]

    routers = control.list_prompt_routers(type="custom")["promptRouterSummaries"]
    assert [r["promptRouterArn"] for r in routers] == [arn]
    control.delete_prompt_router(promptRouterArn=arn)
    with pytest.raises(ClientError) as raised:
        control.get_prompt_router(promptRouterArn=arn)
    assert error_of(raised)[:2] == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as raised:
        converse(runtime, arn, "Hi there")
    assert error_of(raised)[1] == "ValidationException"


def test_default_routers_exist_and_route_through_inference_profiles(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    account = account_id(emulator.tenant)
    defaults = control.list_prompt_routers(type="default")["promptRouterSummaries"]
    arns = [r["promptRouterArn"] for r in defaults]
    assert arns == [
        f"arn:aws:bedrock:{REGION}:{account}:default-prompt-router/anthropic.claude:1",
        f"arn:aws:bedrock:{REGION}:{account}:default-prompt-router/meta.llama:1",
    ]
    llama = control.get_prompt_router(promptRouterArn=arns[1])
    fallback = f"arn:aws:bedrock:{REGION}:{account}:inference-profile/us.meta.llama3-1-70b-instruct-v1:0"
    assert llama["fallbackModel"] == {"modelArn": fallback}
    reply = converse(emulator.client("bedrock-runtime"), arns[1], "Hi")
    assert reply["trace"]["promptRouter"]["invokedModelId"] == (
        f"arn:aws:bedrock:{REGION}:{account}:inference-profile/us.meta.llama3-1-8b-instruct-v1:0"
    )
    with pytest.raises(ClientError) as raised:
        control.delete_prompt_router(promptRouterArn=arns[1])
    assert error_of(raised)[1] == "ValidationException"


# -- guardrails and their versions --------------------------------------------------------------------

GUARDRAIL = {
    "name": "support-bot",
    "blockedInputMessaging": "Input blocked.",
    "blockedOutputsMessaging": "Output blocked.",
    "wordPolicyConfig": {"wordsConfig": [{"text": "competitor"}]},
}


def test_a_guardrail_version_ignores_a_later_draft_change(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    runtime = emulator.client("bedrock-runtime")
    created = control.create_guardrail(**GUARDRAIL)
    guardrail_id = created["guardrailId"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert control.get_guardrail(guardrailIdentifier=guardrail_id)["status"] == "CREATING"
    emulator.advance_clock(2)
    assert control.get_guardrail(guardrailIdentifier=guardrail_id)["status"] == "READY"

    version = control.create_guardrail_version(guardrailIdentifier=guardrail_id, description="first")
    assert version["version"] == "1"
    assert (
        control.get_guardrail(guardrailIdentifier=guardrail_id, guardrailVersion="1")["status"]
        == "VERSIONING"
    )
    emulator.advance_clock(2)

    # The draft changes: "competitor" is allowed, "refund" blocked.
    control.update_guardrail(
        guardrailIdentifier=guardrail_id,
        **{**GUARDRAIL, "wordPolicyConfig": {"wordsConfig": [{"text": "refund"}]}},
    )
    assert control.get_guardrail(guardrailIdentifier=guardrail_id)["status"] == "UPDATING"
    emulator.advance_clock(2)

    def apply(version_name: str, text: str) -> str:
        reply = runtime.apply_guardrail(
            guardrailIdentifier=guardrail_id,
            guardrailVersion=version_name,
            source="INPUT",
            content=[{"text": {"text": text}}],
        )
        return str(reply["action"])

    assert apply("1", "Is the competitor cheaper?") == "GUARDRAIL_INTERVENED"
    assert apply("1", "I want a refund") == "NONE"
    assert apply("DRAFT", "Is the competitor cheaper?") == "NONE"
    assert apply("DRAFT", "I want a refund") == "GUARDRAIL_INTERVENED"

    def guarded(version_name: str, text: str) -> str:
        config = {"guardrailIdentifier": guardrail_id, "guardrailVersion": version_name}
        return str(converse(runtime, NOVA_LITE, text, guardrailConfig=config)["stopReason"])

    assert guarded("1", "Is the competitor cheaper?") == "guardrail_intervened"
    assert guarded("DRAFT", "Is the competitor cheaper?") != "guardrail_intervened"

    def invoked(version_name: str, text: str) -> str:
        reply = invoke_nova(
            runtime, NOVA_LITE, text, guardrailIdentifier=guardrail_id, guardrailVersion=version_name
        )
        return str(json.loads(reply["body"].read())["amazon-bedrock-guardrailAction"])

    assert invoked("1", "Is the competitor cheaper?") == "INTERVENED"
    assert invoked("DRAFT", "Is the competitor cheaper?") == "NONE"

    one = control.get_guardrail(guardrailIdentifier=guardrail_id, guardrailVersion="1")
    assert one["wordPolicy"]["words"][0]["text"] == "competitor"
    assert one["description"] == "first"
    versions = control.list_guardrails(guardrailIdentifier=guardrail_id)["guardrails"]
    assert [v["version"] for v in versions] == ["DRAFT", "1"]
    with pytest.raises(ClientError) as raised:
        apply("2", "hello")
    assert error_of(raised)[:2] == (404, "ResourceNotFoundException")

    control.delete_guardrail(guardrailIdentifier=guardrail_id, guardrailVersion="1")
    with pytest.raises(ClientError) as raised:
        apply("1", "hello")
    assert error_of(raised)[1] == "ResourceNotFoundException"
    control.delete_guardrail(guardrailIdentifier=guardrail_id)
    assert control.get_guardrail(guardrailIdentifier=guardrail_id)["status"] == "DELETING"
    emulator.advance_clock(2)
    with pytest.raises(ClientError) as raised:
        control.get_guardrail(guardrailIdentifier=guardrail_id)
    assert error_of(raised)[:2] == (404, "ResourceNotFoundException")
    assert control.list_guardrails()["guardrails"] == []


def test_guardrail_refusals_and_idempotency(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    first = control.create_guardrail(**GUARDRAIL, clientRequestToken="token-1")
    again = control.create_guardrail(**GUARDRAIL, clientRequestToken="token-1")
    assert again["guardrailId"] == first["guardrailId"]
    with pytest.raises(ClientError) as raised:
        control.create_guardrail(**GUARDRAIL)
    assert error_of(raised)[:2] == (400, "ConflictException")
    with pytest.raises(ClientError) as raised:
        control.create_guardrail_version(guardrailIdentifier=first["guardrailId"])  # still CREATING
    assert error_of(raised)[:2] == (400, "ConflictException")
    with pytest.raises(ClientError) as raised:
        control.update_guardrail(guardrailIdentifier="abcdefabcdef", **GUARDRAIL)
    assert error_of(raised)[:2] == (404, "ResourceNotFoundException")


def test_enforced_guardrail_configurations_are_kept(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    guardrail_id = control.create_guardrail(**GUARDRAIL)["guardrailId"]
    emulator.advance_clock(2)
    control.create_guardrail_version(guardrailIdentifier=guardrail_id)
    put = control.put_enforced_guardrail_configuration(
        guardrailInferenceConfig={"guardrailIdentifier": guardrail_id, "guardrailVersion": "1"}
    )
    listed = control.list_enforced_guardrails_configuration()["guardrailsConfig"]
    assert [(c["configId"], c["guardrailId"], c["guardrailVersion"]) for c in listed] == [
        (put["configId"], guardrail_id, "1")
    ]
    with pytest.raises(ClientError) as raised:
        control.put_enforced_guardrail_configuration(
            guardrailInferenceConfig={"guardrailIdentifier": guardrail_id, "guardrailVersion": "7"}
        )
    assert error_of(raised)[1] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:  # a version an enforced configuration names is in use
        control.delete_guardrail(guardrailIdentifier=guardrail_id, guardrailVersion="1")
    assert error_of(raised)[:2] == (400, "ResourceInUseException")
    control.delete_enforced_guardrail_configuration(configId=put["configId"])
    control.delete_guardrail(guardrailIdentifier=guardrail_id, guardrailVersion="1")
    assert control.list_enforced_guardrails_configuration()["guardrailsConfig"] == []


# -- automated reasoning policies -----------------------------------------------------------------------

LEAVE_POLICY = {
    "version": "1.0",
    "types": [],
    "variables": [
        {"name": "is_full_time", "type": "BOOL", "description": "The employee works full time."},
        {"name": "leave_days", "type": "INT", "description": "Days of paid leave the employee gets."},
    ],
    "rules": [{"id": "A00000000001", "expression": "(=> is_full_time (= leave_days 25))"}],
}
LEAVE_TEXT = (
    "Full time employees get twenty five days of paid leave every year. "
    "Contractors do not receive any paid leave from the company."
)


def test_an_automated_reasoning_policy_lifecycle(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    created = control.create_automated_reasoning_policy(
        name="leave-policy", policyDefinition=LEAVE_POLICY, tags=[{"key": "team", "value": "hr"}]
    )
    arn = created["policyArn"]
    assert created["version"] == "DRAFT"
    assert len(created["definitionHash"]) == 128
    assert arn.startswith(
        f"arn:aws:bedrock:{REGION}:{account_id(emulator.tenant)}:automated-reasoning-policy/"
    )

    # A build workflow reads a document and moves through its statuses on the clock.
    workflow_id = control.start_automated_reasoning_policy_build_workflow(
        policyArn=arn,
        buildWorkflowType="INGEST_CONTENT",
        sourceContent={
            "workflowContent": {
                "documents": [
                    {
                        "document": LEAVE_TEXT.encode(),  # boto3 sends a blob base64-encoded
                        "documentContentType": "txt",
                        "documentName": "handbook",
                    }
                ]
            }
        },
    )["buildWorkflowId"]
    ids = {"policyArn": arn, "buildWorkflowId": workflow_id}
    seen = [control.get_automated_reasoning_policy_build_workflow(**ids)["status"]]
    for _ in range(4):
        emulator.advance_clock(1)  # a step a second
        seen.append(control.get_automated_reasoning_policy_build_workflow(**ids)["status"])
    assert seen == ["SCHEDULED", "PREPROCESSING", "BUILDING", "TESTING", "COMPLETED"]
    with pytest.raises(ClientError) as raised:
        control.cancel_automated_reasoning_policy_build_workflow(**ids)
    assert error_of(raised)[1] == "ValidationException"

    built = control.get_automated_reasoning_policy_build_workflow_result_assets(
        **ids, assetType="POLICY_DEFINITION"
    )["buildWorkflowAssets"]["policyDefinition"]
    names = [v["name"] for v in built["variables"]]
    assert names[:2] == ["is_full_time", "leave_days"]
    assert "full_time_employees_get" in names  # one statement per sentence of the document
    log = control.get_automated_reasoning_policy_build_workflow_result_assets(**ids, assetType="BUILD_LOG")
    assert log["buildWorkflowAssets"]["buildLog"]["entries"][0]["status"] == "APPLIED"
    scenario = control.get_automated_reasoning_policy_next_scenario(**ids)["scenario"]
    assert scenario["ruleIds"] == ["A00000000001"]
    assert "scenario" not in control.get_automated_reasoning_policy_next_scenario(**ids)

    # The built definition becomes the policy's, then a version freezes it.
    updated = control.update_automated_reasoning_policy(policyArn=arn, policyDefinition=built)
    assert updated["definitionHash"] != created["definitionHash"]
    with pytest.raises(ClientError) as raised:
        control.create_automated_reasoning_policy_version(
            policyArn=arn, lastUpdatedDefinitionHash=created["definitionHash"]
        )
    assert error_of(raised)[1] == "ConflictException"
    version = control.create_automated_reasoning_policy_version(
        policyArn=arn, lastUpdatedDefinitionHash=updated["definitionHash"]
    )
    assert (version["version"], version["policyArn"]) == ("1", f"{arn}:1")
    exported = control.export_automated_reasoning_policy_version(policyArn=version["policyArn"])
    assert exported["policyDefinition"]["variables"] == built["variables"]
    listed = control.list_automated_reasoning_policies(policyArn=arn)["automatedReasoningPolicySummaries"]
    assert [p["version"] for p in listed] == ["1"]

    # Test cases run against the completed build.
    passing = control.create_automated_reasoning_policy_test_case(
        policyArn=arn,
        guardContent="A full time employee gets twenty five days of leave.",
        expectedAggregatedFindingsResult="SATISFIABLE",
    )["testCaseId"]
    stamp = control.get_automated_reasoning_policy_test_case(policyArn=arn, testCaseId=passing)["testCase"]
    emulator.advance_clock(1)
    edit = {
        "policyArn": arn,
        "testCaseId": passing,
        "guardContent": "A full time employee gets twenty five days of paid leave.",
        "expectedAggregatedFindingsResult": "SATISFIABLE",
    }
    control.update_automated_reasoning_policy_test_case(**edit, lastUpdatedAt=stamp["updatedAt"])
    with pytest.raises(ClientError) as raised:  # lastUpdatedAt is a concurrency token
        control.update_automated_reasoning_policy_test_case(**edit, lastUpdatedAt=stamp["updatedAt"])
    assert error_of(raised)[1] == "ConflictException"
    untranslated = control.create_automated_reasoning_policy_test_case(
        policyArn=arn, guardContent="The weather is nice.", expectedAggregatedFindingsResult="VALID"
    )["testCaseId"]
    control.start_automated_reasoning_policy_test_workflow(**ids)
    result = control.get_automated_reasoning_policy_test_result(**ids, testCaseId=passing)["testResult"]
    assert result["testRunStatus"] == "SCHEDULED"
    emulator.advance_clock(2)
    results = {
        r["testCase"]["testCaseId"]: r
        for r in control.list_automated_reasoning_policy_test_results(**ids)["testResults"]
    }
    assert (results[passing]["testRunStatus"], results[passing]["testRunResult"]) == ("COMPLETED", "PASSED")
    assert results[untranslated]["aggregatedTestFindingsResult"] == "NO_TRANSLATION"
    assert results[untranslated]["testRunResult"] == "FAILED"

    # Annotations: optimistic hash, then a refine workflow applies them.
    annotations = control.get_automated_reasoning_policy_annotations(**ids)
    control.update_automated_reasoning_policy_annotations(
        **ids,
        annotations=[{"deleteVariable": {"name": "is_full_time"}}],
        lastUpdatedAnnotationSetHash=annotations["annotationSetHash"],
    )
    with pytest.raises(ClientError) as raised:
        control.update_automated_reasoning_policy_annotations(
            **ids, annotations=[], lastUpdatedAnnotationSetHash=annotations["annotationSetHash"]
        )
    assert error_of(raised)[1] == "ConflictException"
    refine = control.start_automated_reasoning_policy_build_workflow(
        policyArn=arn,
        buildWorkflowType="REFINE_POLICY",
        sourceContent={
            "policyDefinition": LEAVE_POLICY,
            "workflowContent": {
                "policyRepairAssets": {
                    "annotations": [
                        {"deleteVariable": {"name": "is_full_time"}},
                        {"addRuleFromNaturalLanguage": {"naturalLanguage": "Interns get ten days."}},
                    ]
                }
            },
        },
    )["buildWorkflowId"]
    with pytest.raises(ClientError) as raised:  # one build at a time
        control.start_automated_reasoning_policy_build_workflow(
            policyArn=arn, buildWorkflowType="REFINE_POLICY", sourceContent={"policyDefinition": LEAVE_POLICY}
        )
    assert error_of(raised)[1] == "ResourceInUseException"
    emulator.advance_clock(4)
    refined = control.get_automated_reasoning_policy_build_workflow_result_assets(
        policyArn=arn, buildWorkflowId=refine, assetType="BUILD_LOG"
    )["buildWorkflowAssets"]["buildLog"]["entries"]
    assert [entry["status"] for entry in refined] == ["APPLIED", "FAILED"]

    # Deleting: refused while children exist, unless forced.
    with pytest.raises(ClientError) as raised:
        control.delete_automated_reasoning_policy(policyArn=arn)
    assert error_of(raised)[1] == "ResourceInUseException"
    control.delete_automated_reasoning_policy(policyArn=arn, force=True)
    with pytest.raises(ClientError) as raised:
        control.get_automated_reasoning_policy(policyArn=arn)
    assert error_of(raised)[:2] == (404, "ResourceNotFoundException")


def test_profiles_routers_and_guardrails_belong_to_their_tenant(emulator: BedrockEmulator) -> None:
    import boto3

    control = emulator.client("bedrock")
    profile = control.create_inference_profile(
        inferenceProfileName="mine", modelSource={"copyFrom": model_arn(NOVA_LITE)}
    )["inferenceProfileArn"]
    router = control.create_prompt_router(
        promptRouterName="mine",
        models=[{"modelArn": model_arn(NOVA_LITE)}, {"modelArn": model_arn(NOVA_PRO)}],
        fallbackModel={"modelArn": model_arn(NOVA_PRO)},
        routingCriteria={"responseQualityDifference": 0.0},
    )["promptRouterArn"]
    guardrail = control.create_guardrail(**GUARDRAIL)["guardrailId"]
    other = boto3.client(
        "bedrock",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="another-tenant",
        aws_secret_access_key="x",
        region_name=REGION,
    )
    try:
        for call in (
            lambda: other.get_inference_profile(inferenceProfileIdentifier=profile),
            lambda: other.get_prompt_router(promptRouterArn=router),
        ):
            with pytest.raises(ClientError) as raised:
                call()
            assert error_of(raised)[:2] == (404, "ResourceNotFoundException")
        assert other.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"] == []
        assert guardrail not in [g["id"] for g in other.list_guardrails()["guardrails"]]
    finally:
        other.close()


def test_get_guardrail_describes_back_the_policies_it_does_not_evaluate(emulator: BedrockEmulator) -> None:
    control = emulator.client("bedrock")
    policy = f"arn:aws:bedrock:{REGION}:{account_id(emulator.tenant)}:automated-reasoning-policy/abcdefabcdef"
    guardrail_id = control.create_guardrail(
        **GUARDRAIL,
        contextualGroundingPolicyConfig={"filtersConfig": [{"type": "GROUNDING", "threshold": 0.7}]},
        automatedReasoningPolicyConfig={"policies": [policy], "confidenceThreshold": 0.8},
        crossRegionConfig={"guardrailProfileIdentifier": "us.guardrail.v1:0"},
    )["guardrailId"]
    got = control.get_guardrail(guardrailIdentifier=guardrail_id)
    assert got["contextualGroundingPolicy"]["filters"] == [{"type": "GROUNDING", "threshold": 0.7}]
    assert got["automatedReasoningPolicy"] == {"policies": [policy], "confidenceThreshold": 0.8}
    assert got["crossRegionDetails"]["guardrailProfileId"] == "us.guardrail.v1:0"
    assert got["crossRegionDetails"]["guardrailProfileArn"].endswith(":guardrail-profile/us.guardrail.v1:0")
