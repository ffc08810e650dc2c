"""The ``bedrock`` control plane's model resources over a real socket with boto3, in ``--strict`` mode:
provisioned throughput served by ARN, customization jobs from S3 data to an invoked custom model (through
a deployment and through provisioned throughput), jobs failing on bad data, imported and copied models,
and the foundation-model side (listings, availability, agreements, use case, marketplace endpoints)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.bedrock_control.durations import DURATIONS
from emulator.pytest_plugin import BedrockEmulator

ROLE = "arn:aws:iam::123456789012:role/BedrockCustomizationRole"
NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
LLAMA_8B = "meta.llama3-1-8b-instruct-v1:0:128k"
BUCKET = "customization-data"
HELLO = [{"role": "user", "content": [{"text": "Classify: the product broke on day 1."}]}]


@pytest.fixture
def strict(bedrock_emulator: BedrockEmulator) -> BedrockEmulator:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: models-control-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator


def _after(emulator: BedrockEmulator, *transitions: str) -> None:
    """Move the clock just past these transitions (emulator/bedrock_control/durations.py), one after the other."""
    emulator.advance_clock(sum(DURATIONS[name] for name in transitions) + 0.5)


def _error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def _conversation(n: int) -> bytes:
    lines = []
    for i in range(n):
        lines.append(
            json.dumps(
                {
                    "schemaVersion": "bedrock-conversation-2024",
                    "system": [{"text": "You classify support tickets."}],
                    "messages": [
                        {"role": "user", "content": [{"text": f"Ticket {i}: it broke."}]},
                        {"role": "assistant", "content": [{"text": "NEGATIVE"}]},
                    ],
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


def _upload(emulator: BedrockEmulator, files: dict[str, bytes]) -> Any:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3


def _finetune(bedrock: Any, name: str, base: str = NOVA_MICRO, **extra: Any) -> str:
    request: dict[str, Any] = {
        "jobName": f"{name}-job",
        "customModelName": name,
        "roleArn": ROLE,
        "baseModelIdentifier": base,
        "trainingDataConfig": {"s3Uri": f"s3://{BUCKET}/train.jsonl"},
        "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/output/"},
        "hyperParameters": {"epochCount": "2", "batchSize": "2", "learningRate": "0.00001"},
        **extra,
    }
    arn: str = bedrock.create_model_customization_job(**request)["jobArn"]
    return arn


# -- provisioned throughput --------------------------------------------------------------------------


def test_a_provisioned_model_serves_its_model_by_arn_once_in_service(strict: BedrockEmulator) -> None:
    bedrock = strict.client("bedrock")
    runtime = strict.client("bedrock-runtime")
    arn = bedrock.create_provisioned_model_throughput(
        provisionedModelName="nova-pt",
        modelId=NOVA_MICRO,
        modelUnits=1,
        commitmentDuration="OneMonth",
        tags=[{"key": "team", "value": "search"}],
    )["provisionedModelArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:")
    assert ":provisioned-model/" in arn

    created = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert created["status"] == "Creating"
    assert created["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}"
    assert created["foundationModelArn"] == created["modelArn"]
    with pytest.raises(ClientError) as refused:
        runtime.converse(modelId=arn, messages=HELLO)
    code, message = _error(refused)
    assert code == "ValidationException"
    assert "Creating" in message

    _after(strict, "provision")
    ready = bedrock.get_provisioned_model_throughput(provisionedModelId="nova-pt")
    assert ready["status"] == "InService"
    assert ready["commitmentExpirationTime"] > ready["creationTime"]

    answer = runtime.converse(modelId=arn, messages=HELLO)
    assert answer["output"]["message"]["content"][0]["text"]
    body = {"messages": HELLO, "inferenceConfig": {"maxTokens": 50}}
    invoked = json.loads(runtime.invoke_model(modelId=arn, body=json.dumps(body))["body"].read())
    assert invoked["output"]["message"]["content"][0]["text"]
    streamed = runtime.converse_stream(modelId=arn, messages=HELLO)["stream"]
    assert any("contentBlockDelta" in event for event in streamed)
    chunks = runtime.invoke_model_with_response_stream(modelId=arn, body=json.dumps(body))["body"]
    assert any("chunk" in event for event in chunks)

    listed = bedrock.list_provisioned_model_throughputs(statusEquals="InService")["provisionedModelSummaries"]
    assert [p["provisionedModelArn"] for p in listed] == [arn]
    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "team", "value": "search"}]

    bedrock.update_provisioned_model_throughput(
        provisionedModelId=arn, desiredProvisionedModelName="nova-pt-2"
    )
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"] == "Updating"
    assert runtime.converse(modelId=arn, messages=HELLO)["output"]  # still serving while it updates
    _after(strict, "update")
    renamed = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert (renamed["status"], renamed["provisionedModelName"]) == ("InService", "nova-pt-2")

    with pytest.raises(ClientError) as committed:  # a month's commitment is not over yet
        bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    assert _error(committed)[0] == "ConflictException"
    strict.advance_clock(31 * 24 * 3600)
    bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    with pytest.raises(ClientError) as gone:
        runtime.converse(modelId=arn, messages=HELLO)
    assert _error(gone) == (
        "ResourceNotFoundException",
        "Could not resolve the foundation model from the provided model identifier.",
    )
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_provisioned_model_throughput(provisionedModelId=arn)


def test_provisioned_throughput_refusals_and_idempotency(strict: BedrockEmulator) -> None:
    bedrock = strict.client("bedrock")
    with pytest.raises(ClientError) as refused:
        bedrock.create_provisioned_model_throughput(
            provisionedModelName="sonnet", modelId="anthropic.claude-sonnet-4-5-20250929-v1:0", modelUnits=1
        )
    assert _error(refused)[0] == "ValidationException"
    assert "Provisioned Throughput is not supported" in _error(refused)[1]

    first = bedrock.create_provisioned_model_throughput(
        provisionedModelName="same", modelId=NOVA_MICRO, modelUnits=1, clientRequestToken="token-1"
    )["provisionedModelArn"]
    again = bedrock.create_provisioned_model_throughput(
        provisionedModelName="same", modelId=NOVA_MICRO, modelUnits=1, clientRequestToken="token-1"
    )["provisionedModelArn"]
    assert first == again
    with pytest.raises(bedrock.exceptions.ConflictException):
        bedrock.create_provisioned_model_throughput(
            provisionedModelName="same", modelId=NOVA_MICRO, modelUnits=1
        )

    neighbour = _other_tenant(strict)
    with pytest.raises(neighbour.exceptions.ResourceNotFoundException):
        neighbour.get_provisioned_model_throughput(provisionedModelId=first)


def _in_region(emulator: BedrockEmulator, region: str) -> Any:
    import boto3

    return boto3.client(
        "bedrock",
        endpoint_url=emulator.endpoint_url,
        region_name=region,
        aws_access_key_id=emulator.tenant,
        aws_secret_access_key="x",
    )


def _other_tenant(emulator: BedrockEmulator) -> Any:
    import boto3

    return boto3.client(
        "bedrock",
        endpoint_url=emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{emulator.tenant}-other",
        aws_secret_access_key="x",
    )


# -- customization -----------------------------------------------------------------------------------


def test_a_fine_tuning_job_makes_a_custom_model_served_by_deployment_and_provisioned_throughput(
    strict: BedrockEmulator,
) -> None:
    s3 = _upload(strict, {"train.jsonl": _conversation(6), "val.jsonl": _conversation(2)})
    bedrock = strict.client("bedrock")
    runtime = strict.client("bedrock-runtime")
    job_arn = _finetune(
        bedrock,
        "ticket-classifier",
        validationDataConfig={"validators": [{"s3Uri": f"s3://{BUCKET}/val.jsonl"}]},
        customModelTags=[{"key": "stage", "value": "dev"}],
    )
    job = bedrock.get_model_customization_job(jobIdentifier=job_arn)
    assert job["status"] == "InProgress"
    assert job["statusDetails"]["validationDetails"]["status"] == "InProgress"
    assert job["baseModelArn"].endswith(f"foundation-model/{NOVA_MICRO}")
    model_arn = job["outputModelArn"]
    assert f":custom-model/{NOVA_MICRO}/" in model_arn
    assert bedrock.get_custom_model(modelIdentifier=model_arn)["modelStatus"] == "Creating"

    _after(strict, "validation", "data_processing")
    middle = bedrock.get_model_customization_job(jobIdentifier="ticket-classifier-job")
    assert middle["statusDetails"]["trainingDetails"]["status"] == "InProgress"
    _after(strict, "training")
    done = bedrock.get_model_customization_job(jobIdentifier=job_arn)
    assert done["status"] == "Completed"
    assert done["trainingMetrics"]["trainingLoss"] > 0
    assert done["validationMetrics"][0]["validationLoss"] > 0

    job_id = job_arn.rsplit("/", 1)[1]
    folder = f"output/model-customization-job-{job_id}"
    training = s3.get_object(Bucket=BUCKET, Key=f"{folder}/training_artifacts/step_wise_training_metrics.csv")
    rows = training["Body"].read().decode().splitlines()
    assert rows[0] == "step_number,epoch_number,training_loss,perplexity"
    assert len(rows) == 1 + 2 * 3  # two epochs of six records in batches of two
    losses = [float(row.split(",")[2]) for row in rows[1:]]
    assert losses == sorted(losses, reverse=True)
    assert losses[-1] == done["trainingMetrics"]["trainingLoss"]
    validation_key = (
        f"{folder}/validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv"
    )
    assert (
        s3.get_object(Bucket=BUCKET, Key=validation_key)["Body"]
        .read()
        .startswith(b"step_number,epoch_number")
    )

    model = bedrock.get_custom_model(modelIdentifier="ticket-classifier")
    assert (model["modelStatus"], model["jobArn"], model["customizationType"]) == (
        "Active",
        job_arn,
        "FINE_TUNING",
    )
    assert bedrock.list_tags_for_resource(resourceARN=model_arn)["tags"] == [{"key": "stage", "value": "dev"}]
    assert [m["modelName"] for m in bedrock.list_custom_models()["modelSummaries"]] == ["ticket-classifier"]
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.converse(modelId=model_arn, messages=HELLO)

    deployment = bedrock.create_custom_model_deployment(modelDeploymentName="classifier", modelArn=model_arn)[
        "customModelDeploymentArn"
    ]
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.converse(modelId=deployment, messages=HELLO)
    _after(strict, "deployment")
    assert (
        bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=deployment)["status"] == "Active"
    )
    assert runtime.converse(modelId=deployment, messages=HELLO)["output"]["message"]["content"][0]["text"]

    provisioned = bedrock.create_provisioned_model_throughput(
        provisionedModelName="classifier-pt", modelId=model_arn, modelUnits=1
    )["provisionedModelArn"]
    _after(strict, "provision")
    described = bedrock.get_provisioned_model_throughput(provisionedModelId=provisioned)
    assert described["modelArn"] == model_arn
    assert described["foundationModelArn"].endswith(NOVA_MICRO)
    body = {"messages": HELLO, "inferenceConfig": {"maxTokens": 50}}
    invoked = json.loads(runtime.invoke_model(modelId=provisioned, body=json.dumps(body))["body"].read())
    assert invoked["output"]["message"]["content"][0]["text"]

    with pytest.raises(bedrock.exceptions.ValidationException):  # still in use
        bedrock.delete_custom_model(modelIdentifier=model_arn)
    bedrock.delete_provisioned_model_throughput(provisionedModelId=provisioned)
    bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=deployment)
    bedrock.delete_custom_model(modelIdentifier=model_arn)
    assert bedrock.list_custom_models()["modelSummaries"] == []


def test_a_job_fails_on_missing_or_malformed_training_data(strict: BedrockEmulator) -> None:
    bad_line = json.dumps({"prompt": "Classify: it broke.", "answer": "NEGATIVE"})
    many = "".join(json.dumps({"prompt": f"q{i}", "completion": "a"}) + "\n" for i in range(10001))
    files = {
        "llama.jsonl": (bad_line + "\n").encode(),
        "nova.jsonl": b'{"prompt": "x"}\n',
        "many.jsonl": many.encode(),
        "good.jsonl": _conversation(2),
    }
    _upload(strict, files)
    bedrock = strict.client("bedrock")
    west = _in_region(strict, "us-west-2")  # Llama is fine-tuned in us-west-2 only

    missing = _finetune(bedrock, "missing-data", trainingDataConfig={"s3Uri": f"s3://{BUCKET}/absent.jsonl"})
    malformed = _finetune(
        west, "malformed-llama", base=LLAMA_8B, trainingDataConfig={"s3Uri": f"s3://{BUCKET}/llama.jsonl"}
    )
    wrong_family = _finetune(
        bedrock, "wrong-family", trainingDataConfig={"s3Uri": f"s3://{BUCKET}/nova.jsonl"}
    )
    no_output = _finetune(
        bedrock,
        "no-output",
        trainingDataConfig={"s3Uri": f"s3://{BUCKET}/good.jsonl"},
        outputDataConfig={"s3Uri": "s3://absent-bucket/out/"},
    )
    too_many = _finetune(
        west, "too-many", base=LLAMA_8B, trainingDataConfig={"s3Uri": f"s3://{BUCKET}/many.jsonl"}
    )
    _after(strict, "validation")

    failed = bedrock.get_model_customization_job(jobIdentifier=missing)
    assert failed["status"] == "Failed"
    assert (
        failed["failureMessage"] == f"The training data file s3://{BUCKET}/absent.jsonl could not be found."
    )
    assert failed["statusDetails"]["validationDetails"]["status"] == "Failed"
    assert bedrock.get_custom_model(modelIdentifier="missing-data")["modelStatus"] == "Failed"

    llama = west.get_model_customization_job(jobIdentifier=malformed)
    assert llama["failureMessage"] == (
        "Input data at llama.jsonl must follow "
        """'{"prompt": "<input text>", "completion": "<output text>"}' format"""
    )
    nova = bedrock.get_model_customization_job(jobIdentifier=wrong_family)
    assert nova["status"] == "Failed"
    assert "bedrock-conversation-2024" in nova["failureMessage"]
    assert west.get_model_customization_job(jobIdentifier=too_many)["failureMessage"] == (
        "The number of records in the training and validation data (10001) exceeds the quota of 10000 "
        f"for {LLAMA_8B}."
    )
    assert bedrock.get_model_customization_job(jobIdentifier=no_output)["failureMessage"] == (
        "The output data bucket absent-bucket does not exist or is not accessible."
    )
    statuses = {
        j["jobName"]: j["status"]
        for j in bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    }
    assert statuses == {
        "missing-data-job": "Failed",
        "malformed-llama-job": "Failed",
        "wrong-family-job": "Failed",
        "too-many-job": "Failed",
        "no-output-job": "Failed",
    }


def test_customization_refusals_stop_and_distillation(strict: BedrockEmulator) -> None:
    _upload(strict, {"train.jsonl": _conversation(3)})
    bedrock = strict.client("bedrock")
    with pytest.raises(ClientError) as refused:
        _finetune(bedrock, "sonnet", base="anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert _error(refused) == (
        "ValidationException",
        "The base model anthropic.claude-sonnet-4-5-20250929-v1:0 doesn't support model customization.",
    )
    with pytest.raises(ClientError) as wrong_type:
        _finetune(bedrock, "cpt", customizationType="CONTINUED_PRE_TRAINING")
    assert "CONTINUED_PRE_TRAINING" in _error(wrong_type)[1]
    with pytest.raises(bedrock.exceptions.ValidationException):
        _finetune(bedrock, "bad-hp", hyperParameters={"epochCount": "many"})

    stopped = _finetune(bedrock, "to-stop")
    bedrock.stop_model_customization_job(jobIdentifier=stopped)
    assert bedrock.get_model_customization_job(jobIdentifier=stopped)["status"] == "Stopping"
    _after(strict, "stop")
    assert bedrock.get_model_customization_job(jobIdentifier=stopped)["status"] == "Stopped"
    assert bedrock.get_custom_model(modelIdentifier="to-stop")["modelStatus"] == "Failed"
    with pytest.raises(bedrock.exceptions.ValidationException):
        bedrock.stop_model_customization_job(jobIdentifier=stopped)

    teacher = {
        "distillationConfig": {"teacherModelConfig": {"teacherModelIdentifier": "us.amazon.nova-pro-v1:0"}}
    }
    distilled = _finetune(bedrock, "distilled", customizationType="DISTILLATION", customizationConfig=teacher)
    _after(strict, "validation", "data_processing", "training")
    job = bedrock.get_model_customization_job(jobIdentifier=distilled)
    assert (job["status"], job["customizationType"]) == ("Completed", "DISTILLATION")
    assert job["customizationConfig"] == teacher
    bad_teacher = {
        "distillationConfig": {"teacherModelConfig": {"teacherModelIdentifier": "amazon.nova-micro-v1:0"}}
    }
    with pytest.raises(bedrock.exceptions.ValidationException):
        _finetune(bedrock, "bad-teacher", customizationType="DISTILLATION", customizationConfig=bad_teacher)


# -- import and copy ---------------------------------------------------------------------------------


def test_an_import_job_makes_an_imported_model_that_answers(strict: BedrockEmulator) -> None:
    config = json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}).encode()
    _upload(
        strict,
        {
            "weights/config.json": config,
            "weights/model-00001-of-00001.safetensors": b"\0" * 16,
            "weights/tokenizer.json": b"{}",
            "broken/config.json": config,
        },
    )
    bedrock = strict.client("bedrock")
    runtime = strict.client("bedrock-runtime")
    job_arn = bedrock.create_model_import_job(
        jobName="import-llama",
        importedModelName="my-llama",
        roleArn=ROLE,
        modelDataSource={"s3DataSource": {"s3Uri": f"s3://{BUCKET}/weights/"}},
    )["jobArn"]
    assert bedrock.get_model_import_job(jobIdentifier=job_arn)["status"] == "InProgress"
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_imported_model(modelIdentifier="my-llama")
    _after(strict, "import")
    job = bedrock.get_model_import_job(jobIdentifier=job_arn)
    assert job["status"] == "Completed"
    model = bedrock.get_imported_model(modelIdentifier=job["importedModelArn"])
    assert (model["modelName"], model["modelArchitecture"], model["jobArn"]) == ("my-llama", "llama", job_arn)

    body = {"prompt": "Say hello.", "max_gen_len": 64}
    answer = json.loads(runtime.invoke_model(modelId=model["modelArn"], body=json.dumps(body))["body"].read())
    assert answer["generation"]
    assert runtime.converse(modelId=model["modelArn"], messages=HELLO)["output"]["message"]["content"]

    broken = bedrock.create_model_import_job(
        jobName="import-broken",
        importedModelName="broken",
        roleArn=ROLE,
        modelDataSource={"s3DataSource": {"s3Uri": f"s3://{BUCKET}/broken/"}},
    )["jobArn"]
    _after(strict, "import")
    failed = bedrock.get_model_import_job(jobIdentifier=broken)
    assert failed["status"] == "Failed"
    assert "safetensors" in failed["failureMessage"]
    assert [m["modelName"] for m in bedrock.list_imported_models()["modelSummaries"]] == ["my-llama"]

    bedrock.delete_imported_model(modelIdentifier="my-llama")
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.converse(modelId=model["modelArn"], messages=HELLO)


def test_a_copy_job_copies_a_custom_model(strict: BedrockEmulator) -> None:
    _upload(strict, {"train.jsonl": _conversation(2)})
    bedrock = strict.client("bedrock")
    _finetune(bedrock, "original")
    _after(strict, "validation", "data_processing", "training")
    source = bedrock.get_custom_model(modelIdentifier="original")["modelArn"]
    job = bedrock.create_model_copy_job(sourceModelArn=source, targetModelName="copied")["jobArn"]
    assert bedrock.get_model_copy_job(jobArn=job)["status"] == "InProgress"
    assert bedrock.get_custom_model(modelIdentifier="copied")["modelStatus"] == "Creating"
    _after(strict, "copy")
    copy = bedrock.get_model_copy_job(jobArn=job)
    assert (copy["status"], copy["sourceModelArn"], copy["sourceModelName"]) == (
        "Completed",
        source,
        "original",
    )
    target = bedrock.get_custom_model(modelIdentifier=copy["targetModelArn"])
    assert (target["modelStatus"], target["baseModelArn"]) == (
        "Active",
        bedrock.get_custom_model(modelIdentifier=source)["baseModelArn"],
    )
    assert len(bedrock.list_model_copy_jobs()["modelCopyJobSummaries"]) == 1


# -- foundation models and access --------------------------------------------------------------------


def test_foundation_model_reads_reflect_customization_and_provisioning(strict: BedrockEmulator) -> None:
    bedrock = strict.client("bedrock")
    tunable = bedrock.list_foundation_models(byCustomizationType="FINE_TUNING")["modelSummaries"]
    ids = {m["modelId"] for m in tunable}
    assert NOVA_MICRO in ids
    assert LLAMA_8B not in ids  # fine-tuned in us-west-2 only, where Nova is not
    assert all("FINE_TUNING" in m["customizationsSupported"] for m in tunable)
    west = {
        m["modelId"]
        for m in _in_region(strict, "us-west-2").list_foundation_models(byCustomizationType="FINE_TUNING")[
            "modelSummaries"
        ]
    }
    assert LLAMA_8B in west
    assert NOVA_MICRO not in west
    everything = [m["modelId"] for m in bedrock.list_foundation_models()["modelSummaries"]]
    assert (
        everything.index(NOVA_MICRO) == everything.index("amazon.nova-micro-v1:0") - 1
    )  # listed just before
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):  # past its end of life, as its base
        bedrock.get_foundation_model(modelIdentifier="anthropic.claude-3-sonnet-20240229-v1:0:28k")
    provisioned = {
        m["modelId"] for m in bedrock.list_foundation_models(byInferenceType="PROVISIONED")["modelSummaries"]
    }
    assert NOVA_MICRO in provisioned
    assert "amazon.nova-micro-v1:0" not in provisioned
    variant = bedrock.get_foundation_model(modelIdentifier=NOVA_MICRO)["modelDetails"]
    assert variant["inferenceTypesSupported"] == ["PROVISIONED"]
    assert variant["customizationsSupported"] == ["FINE_TUNING", "DISTILLATION"]
    base = bedrock.get_foundation_model(modelIdentifier="amazon.nova-micro-v1:0")["modelDetails"]
    assert base["customizationsSupported"] == []
    assert "ON_DEMAND" in base["inferenceTypesSupported"]


def test_model_access_agreements_use_case_and_marketplace_endpoints(strict: BedrockEmulator) -> None:
    bedrock = strict.client("bedrock")
    haiku = "anthropic.claude-haiku-4-5-20251001-v1:0"
    before = bedrock.get_foundation_model_availability(modelId=haiku)
    assert before["agreementAvailability"]["status"] == "NOT_AVAILABLE"
    assert before["regionAvailability"] == "AVAILABLE"
    offers = bedrock.list_foundation_model_agreement_offers(modelId=haiku)["offers"]
    with pytest.raises(bedrock.exceptions.ValidationException):
        bedrock.create_foundation_model_agreement(modelId=haiku, offerToken="not-a-token")
    bedrock.create_foundation_model_agreement(modelId=haiku, offerToken=offers[0]["offerToken"])
    assert (
        bedrock.get_foundation_model_availability(modelId=haiku)["agreementAvailability"]["status"]
        == "AVAILABLE"
    )
    bedrock.delete_foundation_model_agreement(modelId=haiku)
    assert (
        bedrock.get_foundation_model_availability(modelId=haiku)["agreementAvailability"]["status"]
        == "NOT_AVAILABLE"
    )
    nova = bedrock.get_foundation_model_availability(modelId="amazon.nova-micro-v1:0")
    assert nova["agreementAvailability"]["status"] == "AVAILABLE"

    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_use_case_for_model_access()
    form = json.dumps({"companyName": "Example", "useCase": "support"}).encode()
    bedrock.put_use_case_for_model_access(formData=form)
    assert bedrock.get_use_case_for_model_access()["formData"] == form

    source = "arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/example-model/1.0.0"
    config = {
        "sageMaker": {"initialInstanceCount": 1, "instanceType": "ml.g5.2xlarge", "executionRole": ROLE}
    }
    endpoint = bedrock.create_marketplace_model_endpoint(
        modelSourceIdentifier=source, endpointConfig=config, endpointName="my-endpoint", acceptEula=True
    )["marketplaceModelEndpoint"]
    assert (endpoint["status"], endpoint["endpointStatus"]) == ("REGISTERED", "Creating")
    _after(strict, "endpoint")
    arn = endpoint["endpointArn"]
    assert (
        bedrock.get_marketplace_model_endpoint(endpointArn=arn)["marketplaceModelEndpoint"]["endpointStatus"]
        == "InService"
    )
    assert [
        e["endpointArn"] for e in bedrock.list_marketplace_model_endpoints()["marketplaceModelEndpoints"]
    ] == [arn]
    bigger = {"sageMaker": {**config["sageMaker"], "initialInstanceCount": 2}}
    updated = bedrock.update_marketplace_model_endpoint(endpointArn=arn, endpointConfig=bigger)
    assert updated["marketplaceModelEndpoint"]["endpointStatus"] == "Updating"
    bedrock.deregister_marketplace_model_endpoint(endpointArn=arn)
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_marketplace_model_endpoint(endpointArn=arn)
    registered = bedrock.register_marketplace_model_endpoint(
        endpointIdentifier=arn, modelSourceIdentifier=source
    )
    assert registered["marketplaceModelEndpoint"]["status"] == "REGISTERED"
    bedrock.delete_marketplace_model_endpoint(endpointArn=arn)
    assert bedrock.list_marketplace_model_endpoints()["marketplaceModelEndpoints"] == []


def test_lenient_mode_serves_an_unknown_created_arn_with_the_default_model(
    bedrock_emulator: BedrockEmulator,
) -> None:
    from emulator.control.accounts import account_id

    runtime = bedrock_emulator.client("bedrock-runtime")
    arn = f"arn:aws:bedrock:us-east-1:{account_id(bedrock_emulator.tenant)}:provisioned-model/abcdefghijkl"
    assert runtime.converse(modelId=arn, messages=HELLO)["output"]["message"]["content"][0]["text"]
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: models-lenient-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.converse(modelId=arn, messages=HELLO)


def test_a_model_brought_from_s3_becomes_an_active_imported_custom_model(strict: BedrockEmulator) -> None:
    _upload(strict, {"trained/model.safetensors": b"\0"})
    bedrock = strict.client("bedrock")
    arn = bedrock.create_custom_model(
        modelName="brought-in", modelSourceConfig={"s3DataSource": {"s3Uri": f"s3://{BUCKET}/trained/"}}
    )["modelArn"]
    assert ":custom-model/imported/" in arn
    model = bedrock.get_custom_model(modelIdentifier=arn)
    assert (model["modelStatus"], model["customizationType"]) == ("Creating", "IMPORTED")
    _after(strict, "custom_model")
    assert bedrock.get_custom_model(modelIdentifier="brought-in")["modelStatus"] == "Active"


def test_continued_pre_training_reads_input_records(bedrock_emulator: BedrockEmulator) -> None:
    """Default mode: Titan Text Express (continued pre-training's model) is past its end of life, which
    strict mode refuses and lenient mode serves."""
    text = b"".join(json.dumps({"input": f"Domain text {i}."}).encode() + b"\n" for i in range(4))
    _upload(bedrock_emulator, {"train.jsonl": text, "prompts.jsonl": _conversation(1)})
    bedrock = bedrock_emulator.client("bedrock")
    titan = "amazon.titan-text-express-v1:0:8k"
    job = _finetune(bedrock, "titan-cpt", base=titan, customizationType="CONTINUED_PRE_TRAINING")
    wrong = _finetune(
        bedrock,
        "titan-cpt-wrong",
        base=titan,
        customizationType="CONTINUED_PRE_TRAINING",
        trainingDataConfig={"s3Uri": f"s3://{BUCKET}/prompts.jsonl"},
    )
    _after(bedrock_emulator, "validation", "data_processing", "training")
    done = bedrock.get_model_customization_job(jobIdentifier=job)
    assert (done["status"], done["customizationType"]) == ("Completed", "CONTINUED_PRE_TRAINING")
    failed = bedrock.get_model_customization_job(jobIdentifier=wrong)["failureMessage"]
    assert failed == """Input data at prompts.jsonl must follow '{"input": "<input text>"}' format"""
