"""Seed 003's "Fine-Tuning" and "Provisioned Throughput" snippets against the emulator: their calls, as the
article writes them, with only ``endpoint_url`` and the test's credentials added. The article's
``time.sleep(60)`` polling waits move the emulator's virtual clock instead of real time.

Both snippets name models the catalogue has past their end of life (Titan Text G1 - Express, 2025-12-29;
Claude 3 Haiku, 2026-09-10), so they run in the default (lenient) mode, which serves retired models; in
``--strict`` mode Bedrock's end-of-life refusal comes back, as asserted below. Where the article is wrong
against Bedrock, the test asserts what Bedrock answers:

- the fine-tuning comment says the custom model's ARN can be passed to InvokeModel: Bedrock serves a
  custom model only through provisioned throughput or a custom model deployment, so the ARN itself is
  refused, and a provisioned model on it answers;
- the provisioned-throughput snippet invokes the provisioned model right after buying it: it is still
  ``Creating`` then (minutes on AWS, ten seconds on the emulator's clock), so that call is refused, and
  succeeds once ``get_provisioned_model_throughput`` reports ``InService``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator

TRAINING = [
    {
        "prompt": "Classify the sentiment of this support ticket: 'The product broke on day 1 and support is "
        "unresponsive.'",
        "completion": "NEGATIVE",
    },
    {
        "prompt": "Classify the sentiment of this support ticket: 'Setup was seamless and the team loves it!'",
        "completion": "POSITIVE",
    },
    {
        "prompt": "Classify the sentiment of this support ticket: 'Works as expected, nothing special.'",
        "completion": "NEUTRAL",
    },
]
END_OF_LIFE = "This model version has reached the end of its life. Please refer to the AWS documentation for more details."


def _client(emulator: BedrockEmulator, service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=emulator.tenant,
        aws_secret_access_key="x",
    )


@pytest.fixture
def virtual_sleep(bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The article's ``time.sleep`` calls, skipped: each moves the emulator's clock as far instead."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        bedrock_emulator.advance_clock(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return slept


def _upload_training_data(emulator: BedrockEmulator) -> None:
    """ "Upload to S3 before starting the job": the article's three example lines, as train and val."""
    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="my-training-data")
    body = "\n".join(json.dumps(line) for line in TRAINING).encode()
    s3.put_object(Bucket="my-training-data", Key="fine-tune/train.jsonl", Body=body)
    s3.put_object(Bucket="my-training-data", Key="fine-tune/val.jsonl", Body=body)


def _article_fine_tuning(bedrock: Any) -> tuple[str, str | None]:
    """The article's job and polling loop, as written; (final status, custom model ARN)."""
    response = bedrock.create_model_customization_job(
        jobName="support-ticket-classifier-v1",
        customModelName="support-classifier-titan",
        roleArn="arn:aws:iam::123456789012:role/BedrockCustomizationRole",
        baseModelIdentifier="amazon.titan-text-express-v1",
        customizationType="FINE_TUNING",
        trainingDataConfig={
            "s3Uri": "s3://my-training-data/fine-tune/train.jsonl",
        },
        validationDataConfig={"validators": [{"s3Uri": "s3://my-training-data/fine-tune/val.jsonl"}]},
        outputDataConfig={
            "s3Uri": "s3://my-training-data/fine-tune/output/",
        },
        hyperParameters={
            "epochCount": "5",
            "batchSize": "8",
            "learningRate": "0.00005",
        },
    )
    job_arn = response["jobArn"]
    print(f"Fine-tuning job ARN: {job_arn}")
    while True:
        status = bedrock.get_model_customization_job(jobIdentifier=job_arn)
        job_status = status["status"]
        print(f"Status: {job_status}")
        if job_status in ("Completed", "Failed", "Stopped"):
            break
        time.sleep(60)
    custom_model_arn = None
    if job_status == "Completed":
        custom_model_arn = status["outputModelArn"]
        print(f"Custom model ARN: {custom_model_arn}")
    return job_status, custom_model_arn


def _article_provisioned_throughput(bedrock: Any) -> str:
    pt_response = bedrock.create_provisioned_model_throughput(
        provisionedModelName="production-claude-haiku",
        modelId="anthropic.claude-3-haiku-20240307-v1:0",
        modelUnits=1,  # 1 MU = ~1,000 tokens/minute for Haiku
        commitmentDuration="OneMonth",  # "OneMonth" or "SixMonths" (6-month gets ~40% discount)
    )
    provisioned_model_arn: str = pt_response["provisionedModelArn"]
    print(f"Provisioned model ARN: {provisioned_model_arn}")
    return provisioned_model_arn


def _article_invoke(client: Any, provisioned_model_arn: str) -> str:
    response = client.invoke_model(
        modelId=provisioned_model_arn,  # Use provisioned ARN for guaranteed throughput
        body=json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 256,
                "messages": [{"role": "user", "content": "Classify this ticket: billing issue"}],
            }
        ),
        contentType="application/json",
        accept="application/json",
    )
    text: str = json.loads(response["body"].read())["content"][0]["text"]
    return text


def test_seed_003_fine_tuning_runs_to_a_custom_model(
    bedrock_emulator: BedrockEmulator, virtual_sleep: list[float]
) -> None:
    _upload_training_data(bedrock_emulator)
    bedrock = _client(bedrock_emulator, "bedrock")
    job_status, custom_model_arn = _article_fine_tuning(bedrock)
    assert job_status == "Completed"
    assert virtual_sleep == [60]  # one poll "a minute" later, the job is done
    assert custom_model_arn is not None
    assert ":custom-model/amazon.titan-text-express-v1:0:8k/" in custom_model_arn

    model = bedrock.get_custom_model(modelIdentifier=custom_model_arn)
    assert model["modelStatus"] == "Active"
    assert model["hyperParameters"] == {"epochCount": "5", "batchSize": "8", "learningRate": "0.00005"}
    job = bedrock.get_model_customization_job(jobIdentifier="support-ticket-classifier-v1")
    assert job["trainingMetrics"]["trainingLoss"] > 0
    s3 = _client(bedrock_emulator, "s3")
    written = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket="my-training-data", Prefix="fine-tune/output/")["Contents"]
    ]
    job_id = job["jobArn"].rsplit("/", 1)[1]
    assert (
        f"fine-tune/output/model-customization-job-{job_id}/training_artifacts/step_wise_training_metrics.csv"
        in written
    )

    runtime = _client(bedrock_emulator, "bedrock-runtime")
    titan_body = json.dumps(
        {"inputText": "Classify: the product broke on day 1.", "textGenerationConfig": {"maxTokenCount": 20}}
    )
    with pytest.raises(runtime.exceptions.ValidationException):  # the article's comment: not on demand
        runtime.invoke_model(modelId=custom_model_arn, body=titan_body)
    provisioned = bedrock.create_provisioned_model_throughput(
        provisionedModelName="support-classifier", modelId=custom_model_arn, modelUnits=1
    )["provisionedModelArn"]
    time.sleep(60)
    answer = json.loads(runtime.invoke_model(modelId=provisioned, body=titan_body)["body"].read())
    assert answer["results"][0]["outputText"]


def test_seed_003_provisioned_throughput_serves_claude_haiku_once_in_service(
    bedrock_emulator: BedrockEmulator, virtual_sleep: list[float]
) -> None:
    bedrock = _client(bedrock_emulator, "bedrock")
    client = _client(bedrock_emulator, "bedrock-runtime")
    provisioned_model_arn = _article_provisioned_throughput(bedrock)
    assert bedrock.get_provisioned_model_throughput(provisionedModelId=provisioned_model_arn)[
        "modelArn"
    ].endswith("foundation-model/anthropic.claude-3-haiku-20240307-v1:0:200k")
    with pytest.raises(client.exceptions.ValidationException) as refused:
        _article_invoke(client, provisioned_model_arn)
    assert "Creating" in refused.value.response["Error"]["Message"]

    while (
        bedrock.get_provisioned_model_throughput(provisionedModelId=provisioned_model_arn)["status"]
        != "InService"
    ):
        time.sleep(1)
    assert len(virtual_sleep) <= 11  # ten seconds on the clock
    assert _article_invoke(client, provisioned_model_arn)


def test_seed_003_snippets_in_strict_mode_meet_the_end_of_life_refusal(
    bedrock_emulator: BedrockEmulator,
) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: seed-003-models-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    _upload_training_data(bedrock_emulator)
    bedrock = _client(bedrock_emulator, "bedrock")
    for snippet in (_article_fine_tuning, _article_provisioned_throughput):
        with pytest.raises(ClientError) as refused:
            snippet(bedrock)
        error = refused.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", END_OF_LIFE)
