"""bedrock's jobs and account settings through real boto3 over a socket in ``--strict`` mode: batch
inference from JSONL in the emulator's S3 to output records and manifest (one record failed by a
scenario rule), invocation logs written to S3 after model calls, evaluation job results in S3, and a
minimal valid call of every other operation of the area (prompt optimization, projects, data retention,
trusted access programs, resource policies)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from typing import Any

import boto3
import pytest
from bedrock_jobs_calls import CALLS
from bedrock_jobs_calls import World as CallsWorld
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator

ROLE = "arn:aws:iam::123456789012:role/service-role/BatchRole"
BUCKET = "batch-data"
MODEL = "amazon.nova-micro-v1:0"


def _scenario(emulator: BedrockEmulator, rules: str = "rules: []\n") -> None:
    name = f"jobs-{emulator.tenant}-{abs(hash(rules)) % 10**8}"
    emulator.use_scenario(emulator.load_scenario(f"version: 1\nname: {name}\nstrict: true\n{rules}"))


class World:
    def __init__(self, emulator: BedrockEmulator) -> None:
        self.emulator = emulator
        self.bedrock = emulator.client("bedrock")
        self.runtime = emulator.client("bedrock-runtime")
        self.s3 = emulator.client("s3")
        self.s3.create_bucket(Bucket=BUCKET)

    def put_jsonl(self, key: str, records: list[Any]) -> None:
        body = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())

    def read(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def batch(self, name: str, input_key: str, **extra: Any) -> str:
        arn: str = self.bedrock.create_model_invocation_job(
            jobName=name,
            roleArn=ROLE,
            modelId=extra.pop("modelId", MODEL),
            inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/{input_key}"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/out/"}},
            **extra,
        )["jobArn"]
        return arn


@pytest.fixture
def world(bedrock_emulator: BedrockEmulator) -> World:
    _scenario(bedrock_emulator)
    return World(bedrock_emulator)


def _nova(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}], "inferenceConfig": {"maxTokens": 50}}


# -- batch inference ---------------------------------------------------------------------------------


def test_batch_job_writes_records_and_manifest_and_a_scenario_rule_fails_one_record(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _scenario(
        bedrock_emulator,
        "rules:\n"
        "  - id: refuse-poison\n"
        "    match: {operations: [InvokeModel], body: [{path: 'messages[0].content[0].text', contains: POISON}]}\n"
        "    error: ThrottlingException\n",
    )
    world = World(bedrock_emulator)
    world.put_jsonl(
        "in/prompts.jsonl",
        [
            {"recordId": "REC0000001", "modelInput": _nova("Name a colour.")},
            {"recordId": "REC0000002", "modelInput": _nova("POISON pill")},
            {"modelInput": _nova("Name a fruit.")},
        ],
    )
    arn = world.batch("nightly-1", "in/prompts.jsonl", tags=[{"key": "team", "value": "ml"}])
    job_id = arn.rsplit("/", 1)[-1]
    assert arn.startswith("arn:aws:bedrock:us-east-1:")
    assert len(job_id) == 12

    first = world.bedrock.get_model_invocation_job(jobIdentifier=arn)
    if first["status"] != "Completed":  # (a slow machine may take the 1.5 s a job runs)
        assert first["status"] in ("Submitted", "Validating", "Scheduled", "InProgress")
        assert world.keys(f"out/{job_id}/") == []  # nothing is written before the job completes
    bedrock_emulator.advance_clock(5)
    done = world.bedrock.get_model_invocation_job(jobIdentifier=job_id)
    assert done["status"] == "Completed"
    assert (done["totalRecordCount"], done["successRecordCount"], done["errorRecordCount"]) == (3, 2, 1)
    assert done["endTime"] >= done["submitTime"]

    assert world.keys(f"out/{job_id}/") == [
        f"out/{job_id}/manifest.json.out",
        f"out/{job_id}/prompts.jsonl.out",
    ]
    lines = [json.loads(line) for line in world.read(f"out/{job_id}/prompts.jsonl.out").decode().splitlines()]
    assert [line["recordId"] for line in lines[:2]] == ["REC0000001", "REC0000002"]
    assert len(lines[2]["recordId"]) == 11
    ok = lines[0]["modelOutput"]
    assert ok["output"]["message"]["role"] == "assistant"
    assert ok["usage"]["outputTokens"] > 0
    assert lines[1]["error"]["errorCode"] == 429
    assert "modelOutput" not in lines[1]
    assert lines[1]["modelInput"] == _nova("POISON pill")
    manifest = json.loads(world.read(f"out/{job_id}/manifest.json.out"))
    assert manifest["totalRecordCount"] == 3
    assert manifest["errorRecordCount"] == 1
    assert manifest["successRecordCount"] == 2
    assert manifest["processedRecordCount"] == 3
    assert manifest["inputTokenCount"] > 0
    assert manifest["outputTokenCount"] > 0

    # The same record sent to InvokeModel gets the same answer (same generation).
    direct = world.runtime.invoke_model(modelId=MODEL, body=json.dumps(_nova("Name a colour.")))
    assert json.loads(direct["body"].read())["output"] == ok["output"]

    listed = world.bedrock.list_model_invocation_jobs(nameContains="nightly")["invocationJobSummaries"]
    assert [job["jobArn"] for job in listed] == [arn]
    tags = world.bedrock.list_tags_for_resource(resourceARN=arn)["tags"]
    assert tags == [{"key": "team", "value": "ml"}]


def test_batch_job_with_missing_or_malformed_input_fails(
    world: World, bedrock_emulator: BedrockEmulator
) -> None:
    missing = world.batch("missing", "in/nothing.jsonl")
    world.put_jsonl("in/bad.jsonl", ["{not json"])
    malformed = world.batch("malformed", "in/bad.jsonl")
    bedrock_emulator.advance_clock(5)
    for arn, reason in (
        (missing, f"No input files were found at s3://{BUCKET}/in/nothing.jsonl"),
        (malformed, "not valid JSONL"),
    ):
        job = world.bedrock.get_model_invocation_job(jobIdentifier=arn)
        assert job["status"] == "Failed"
        assert reason in job["message"]
        assert job["endTime"] >= job["submitTime"]
    failed = world.bedrock.list_model_invocation_jobs(statusEquals="Failed")["invocationJobSummaries"]
    assert {job["jobArn"] for job in failed} == {missing, malformed}


def test_another_tenant_sees_none_of_the_jobs(world: World, bedrock_emulator: BedrockEmulator) -> None:
    world.put_jsonl("in/one.jsonl", [{"recordId": "A", "modelInput": _nova("hi")}])
    arn = world.batch("mine", "in/one.jsonl")
    stranger = boto3.client(
        "bedrock",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{bedrock_emulator.tenant}-stranger",
        aws_secret_access_key="x",
    )
    try:
        assert stranger.list_model_invocation_jobs()["invocationJobSummaries"] == []
        with pytest.raises(ClientError) as error:
            stranger.get_model_invocation_job(jobIdentifier=arn.rsplit("/", 1)[-1])
        assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        stranger.close()


def test_batch_job_on_a_model_without_batch_support_is_refused(world: World) -> None:
    with pytest.raises(ClientError) as error:
        world.batch("images", "in/x.jsonl", modelId="stability.stable-diffusion-xl-v1")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert (
        error.value.response["Error"]["Message"] == "Batch inference is not supported for the requested model"
    )


def test_batch_job_stops_and_is_idempotent_per_token(world: World, bedrock_emulator: BedrockEmulator) -> None:
    world.put_jsonl("in/one.jsonl", [{"recordId": "A", "modelInput": _nova("hi")}])
    arn = world.batch("stopper", "in/one.jsonl", clientRequestToken="token-1")
    assert world.batch("stopper", "in/one.jsonl", clientRequestToken="token-1") == arn
    world.bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert world.bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] == "Stopping"
    bedrock_emulator.advance_clock(5)
    assert world.bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] == "Stopped"
    with pytest.raises(ClientError) as error:
        world.bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    hour = dt.timedelta(hours=1)
    now = dt.datetime.now(dt.UTC)
    recent = world.bedrock.list_model_invocation_jobs(submitTimeAfter=now - hour)["invocationJobSummaries"]
    assert [job["jobArn"] for job in recent] == [arn]
    assert (
        world.bedrock.list_model_invocation_jobs(submitTimeBefore=now - hour)["invocationJobSummaries"] == []
    )
    with pytest.raises(ClientError) as missing:
        world.bedrock.get_model_invocation_job(jobIdentifier="abcdefabcdef")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_converse_batch_jobs_take_converse_bodies(world: World, bedrock_emulator: BedrockEmulator) -> None:
    body = {"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}
    world.put_jsonl("conv/a.jsonl", [{"recordId": "C1", "modelInput": body}])
    arn = world.batch("conv", "conv/", modelInvocationType="Converse")
    bedrock_emulator.advance_clock(5)
    job = world.bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert job["status"] == "Completed"
    assert job["modelInvocationType"] == "Converse"
    line = json.loads(world.read(f"out/{arn.rsplit('/', 1)[-1]}/a.jsonl.out"))
    assert line["modelOutput"]["stopReason"]
    assert line["modelOutput"]["output"]["message"]["content"]


# -- model invocation logging ------------------------------------------------------------------------


def _log_records(world: World, prefix: str) -> list[dict[str, Any]]:
    records = []
    for key in world.keys(prefix):
        if not key.endswith(".json.gz"):
            continue
        records += [json.loads(line) for line in gzip.decompress(world.read(key)).decode().splitlines()]
    return records


def test_invocation_logs_appear_in_s3_after_model_calls(world: World) -> None:
    assert "loggingConfig" not in world.bedrock.get_model_invocation_logging_configuration()
    world.runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "unlogged"}]}])
    config = {"s3Config": {"bucketName": BUCKET, "keyPrefix": "logs"}, "textDataDeliveryEnabled": True}
    world.bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    assert world.bedrock.get_model_invocation_logging_configuration()["loggingConfig"] == config

    answer = world.runtime.converse(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": "Hi there"}]}],
        requestMetadata={"chat": "c-1"},
    )
    invoked = world.runtime.invoke_model(modelId=MODEL, body=json.dumps(_nova("Invoke me")))
    invoked_body = json.loads(invoked["body"].read())
    stream = world.runtime.converse_stream(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Flow"}]}]
    )
    events = list(stream["stream"])
    chunks = list(
        world.runtime.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(_nova("Chunks")))[
            "body"
        ]
    )

    (check,) = [k for k in world.keys("logs/AWSLogs/") if not k.endswith(".json.gz")]
    assert check.endswith("/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check")
    records = _log_records(world, "logs/AWSLogs/")
    assert [r["operation"] for r in records if r["operation"] == "Converse"] == ["Converse"]
    assert sorted(r["operation"] for r in records) == [
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
    ]
    keys = [k for k in world.keys("logs/AWSLogs/") if k.endswith(".json.gz")]
    assert len(keys) == 4
    account_id = keys[0].split("/")[2]
    assert all(k.startswith(f"logs/AWSLogs/{account_id}/BedrockModelInvocationLogs/us-east-1/") for k in keys)
    converse = next(r for r in records if r["operation"] == "Converse")
    assert converse["schemaType"] == "ModelInvocationLog"
    assert converse["schemaVersion"] == "1.0"
    assert converse["accountId"] == account_id
    assert converse["region"] == "us-east-1"
    assert converse["modelId"] == MODEL
    assert converse["identity"]["arn"].startswith("arn:aws:")
    assert converse["requestId"] == answer["ResponseMetadata"]["RequestId"]
    assert converse["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"] == "Hi there"
    assert converse["input"]["inputTokenCount"] == answer["usage"]["inputTokens"]
    assert converse["requestMetadata"] == {"chat": "c-1"}
    assert converse["output"]["outputBodyJson"]["output"] == answer["output"]
    assert converse["output"]["outputTokenCount"] == answer["usage"]["outputTokens"]
    invoke = next(r for r in records if r["operation"] == "InvokeModel")
    assert invoke["output"]["outputBodyJson"] == invoked_body
    streamed = next(r for r in records if r["operation"] == "ConverseStream")
    assert len(streamed["output"]["outputBodyJson"]) == len(events)
    invoked_stream = next(r for r in records if r["operation"] == "InvokeModelWithResponseStream")
    decoded = [json.loads(chunk["chunk"]["bytes"]) for chunk in chunks]
    assert invoked_stream["output"]["outputBodyJson"] == decoded

    world.bedrock.delete_model_invocation_logging_configuration()
    assert "loggingConfig" not in world.bedrock.get_model_invocation_logging_configuration()
    world.runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "after"}]}])
    assert len(world.keys("logs/AWSLogs/")) == len(keys) + 1  # the permission check stays


def test_a_reset_tenant_logs_nothing(world: World, bedrock_emulator: BedrockEmulator) -> None:
    config = {"s3Config": {"bucketName": BUCKET}}
    world.bedrock.put_model_invocation_logging_configuration(loggingConfig=config)
    bedrock_emulator.reset()
    world.s3.create_bucket(Bucket=BUCKET)
    world.runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "forgotten"}]}])
    assert world.keys("AWSLogs/") == []
    assert "loggingConfig" not in world.bedrock.get_model_invocation_logging_configuration()


def test_invocation_logging_to_a_bucket_that_does_not_exist_is_refused(world: World) -> None:
    with pytest.raises(ClientError) as error:
        world.bedrock.put_model_invocation_logging_configuration(
            loggingConfig={"s3Config": {"bucketName": "nowhere"}}
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"] == "Failed to validate permissions for bucket: nowhere"
    assert "loggingConfig" not in world.bedrock.get_model_invocation_logging_configuration()


# -- evaluation jobs ---------------------------------------------------------------------------------


def _evaluation(world: World, name: str, dataset_uri: str | None, **extra: Any) -> str:
    dataset: dict[str, Any] = {"name": "faq"}
    if dataset_uri is not None:
        dataset["datasetLocation"] = {"s3Uri": dataset_uri}
    arn: str = world.bedrock.create_evaluation_job(
        jobName=name,
        roleArn=ROLE,
        evaluationConfig={
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "QuestionAndAnswer",
                        "dataset": dataset,
                        "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"],
                    }
                ]
            }
        },
        inferenceConfig={
            "models": [
                {
                    "bedrockModel": {
                        "modelIdentifier": MODEL,
                        "inferenceParams": '{"inferenceConfig": {"maxTokens": 64}}',
                    }
                }
            ]
        },
        outputDataConfig={"s3Uri": f"s3://{BUCKET}/eval/"},
        **extra,
    )["jobArn"]
    return arn


def test_evaluation_job_writes_deterministic_scores_to_s3(
    world: World, bedrock_emulator: BedrockEmulator
) -> None:
    world.put_jsonl(
        "datasets/faq.jsonl",
        [
            {"prompt": "What is the capital of Italy?", "referenceResponse": "Rome", "category": "Geography"},
            {"prompt": "How many legs has a spider?", "referenceResponse": "Eight"},
        ],
    )
    arn = _evaluation(
        world, "faq-eval", f"s3://{BUCKET}/datasets/faq.jsonl", jobTags=[{"key": "k", "value": "v"}]
    )
    job_id = arn.rsplit("/", 1)[-1]
    assert world.bedrock.get_evaluation_job(jobIdentifier=arn)["status"] in ("InProgress", "Completed")
    bedrock_emulator.advance_clock(5)
    job = world.bedrock.get_evaluation_job(jobIdentifier=arn)
    assert job["status"] == "Completed"
    assert job["jobType"] == "Automated"
    assert job["applicationType"] == "ModelEvaluation"

    keys = world.keys(f"eval/faq-eval/{job_id}/")
    assert len(keys) == 1
    prefix = f"eval/faq-eval/{job_id}/models/{MODEL}/taskTypes/QuestionAndAnswer/datasets/faq/"
    assert keys[0].startswith(prefix)
    assert keys[0].endswith("_output.jsonl")
    lines = [json.loads(line) for line in world.read(keys[0]).decode().splitlines()]
    assert [line["inputRecord"]["prompt"] for line in lines] == [
        "What is the capital of Italy?",
        "How many legs has a spider?",
    ]
    scores = lines[0]["automatedEvaluationResult"]["scores"]
    assert [s["metricName"] for s in scores] == ["Builtin.Accuracy", "Builtin.Robustness"]
    assert all(0.0 <= s["result"] <= 1.0 for s in scores)
    assert lines[0]["modelResponses"][0]["modelIdentifier"] == MODEL
    assert lines[0]["modelResponses"][0]["response"]

    again = _evaluation(world, "faq-eval-2", f"s3://{BUCKET}/datasets/faq.jsonl")
    bedrock_emulator.advance_clock(5)
    assert world.bedrock.get_evaluation_job(jobIdentifier=again)["status"] == "Completed"
    (other,) = world.keys(f"eval/faq-eval-2/{again.rsplit('/', 1)[-1]}/")
    other_lines = [json.loads(line) for line in world.read(other).decode().splitlines()]
    assert [line["modelResponses"] for line in other_lines] == [line["modelResponses"] for line in lines]

    summaries = world.bedrock.list_evaluation_jobs(sortOrder="Ascending")["jobSummaries"]
    assert [s["jobArn"] for s in summaries] == [arn, again]
    assert summaries[0]["evaluationTaskTypes"] == ["QuestionAndAnswer"]
    assert summaries[0]["modelIdentifiers"] == [MODEL]
    assert world.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "k", "value": "v"}]

    deleted = world.bedrock.batch_delete_evaluation_job(jobIdentifiers=[arn, arn[:-12] + "zzzzzzzzzzzz"])
    assert deleted["evaluationJobs"] == [{"jobIdentifier": arn, "jobStatus": "Deleting"}]
    assert deleted["errors"][0]["code"] == "ResourceNotFoundException"
    bedrock_emulator.advance_clock(5)
    with pytest.raises(ClientError) as gone:
        world.bedrock.get_evaluation_job(jobIdentifier=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_evaluation_job_fails_on_a_missing_dataset_and_stops(
    world: World, bedrock_emulator: BedrockEmulator
) -> None:
    missing = _evaluation(world, "no-data", f"s3://{BUCKET}/datasets/none.jsonl")
    builtin = _evaluation(world, "builtin", None)
    world.bedrock.stop_evaluation_job(jobIdentifier=builtin)
    bedrock_emulator.advance_clock(5)
    failed = world.bedrock.get_evaluation_job(jobIdentifier=missing)
    assert failed["status"] == "Failed"
    assert failed["failureMessages"]
    assert world.bedrock.get_evaluation_job(jobIdentifier=builtin)["status"] == "Stopped"
    with pytest.raises(ClientError) as bad_params:
        world.bedrock.create_evaluation_job(
            jobName="bad-params",
            roleArn=ROLE,
            evaluationConfig={
                "automated": {
                    "datasetMetricConfigs": [
                        {
                            "taskType": "Generation",
                            "dataset": {"name": "Builtin.BoolQ"},
                            "metricNames": ["Builtin.Accuracy"],
                        }
                    ]
                }
            },
            inferenceConfig={
                "models": [{"bedrockModel": {"modelIdentifier": MODEL, "inferenceParams": "not json"}}]
            },
            outputDataConfig={"s3Uri": f"s3://{BUCKET}/eval/"},
        )
    assert bad_params.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as error:
        world.bedrock.stop_evaluation_job(jobIdentifier=builtin)
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_evaluation_of_precomputed_responses_and_a_bad_model_configuration(
    world: World, bedrock_emulator: BedrockEmulator
) -> None:
    world.put_jsonl(
        "datasets/byo.jsonl",
        [
            {
                "prompt": "2+2?",
                "referenceResponse": "4",
                "modelResponses": [{"response": "4", "modelIdentifier": "mine"}],
            }
        ],
    )
    arn = world.bedrock.create_evaluation_job(
        jobName="byo",
        roleArn=ROLE,
        evaluationConfig={
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "Generation",
                        "dataset": {
                            "name": "byo",
                            "datasetLocation": {"s3Uri": f"s3://{BUCKET}/datasets/byo.jsonl"},
                        },
                        "metricNames": ["Builtin.Correctness"],
                    }
                ]
            }
        },
        inferenceConfig={"models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": "mine"}}]},
        outputDataConfig={"s3Uri": f"s3://{BUCKET}/eval/"},
    )["jobArn"]
    bedrock_emulator.advance_clock(5)
    assert world.bedrock.get_evaluation_job(jobIdentifier=arn)["status"] == "Completed"
    (key,) = world.keys(f"eval/byo/{arn.rsplit('/', 1)[-1]}/models/mine/")
    line = json.loads(world.read(key))
    assert line["modelResponses"] == [{"response": "4", "modelIdentifier": "mine"}]
    unchecked = world.emulator.client(
        "bedrock", parameter_validation=False
    )  # the union, refused by the server
    with pytest.raises(ClientError) as error:
        unchecked.create_evaluation_job(
            jobName="neither",
            roleArn=ROLE,
            evaluationConfig={
                "automated": {
                    "datasetMetricConfigs": [
                        {
                            "taskType": "Generation",
                            "dataset": {"name": "Builtin.BoolQ"},
                            "metricNames": ["Builtin.Accuracy"],
                        }
                    ]
                }
            },
            inferenceConfig={"models": [{}]},
            outputDataConfig={"s3Uri": f"s3://{BUCKET}/eval/"},
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_batch_job_whose_output_bucket_does_not_exist_fails(
    world: World, bedrock_emulator: BedrockEmulator
) -> None:
    world.put_jsonl("in/one.jsonl", [{"recordId": "A", "modelInput": _nova("hi")}])
    arn = world.bedrock.create_model_invocation_job(
        jobName="nowhere",
        roleArn=ROLE,
        modelId=MODEL,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/in/one.jsonl"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://no-such-bucket/out/"}},
    )["jobArn"]
    bedrock_emulator.advance_clock(5)
    job = world.bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert job["status"] == "Failed"
    assert "no-such-bucket" in job["message"]


# -- the rest of the area: one minimal valid call each --------------------------------------------------


def test_prompt_optimization_jobs(world: World, bedrock_emulator: BedrockEmulator) -> None:
    template = {
        "version": "bedrock-2026-05-14",
        "templateId": "summary",
        "promptTemplate": "Summarize {{text}}",
    }
    world.put_jsonl("prompts/in.jsonl", [template])
    world.put_jsonl("prompts/bad.jsonl", [{"templateId": "no-version", "promptTemplate": "x"}])

    def create(name: str, key: str) -> str:
        arn: str = world.bedrock.create_advanced_prompt_optimization_job(
            jobName=name,
            inputConfig={"s3Uri": f"s3://{BUCKET}/prompts/{key}"},
            outputConfig={"s3Uri": f"s3://{BUCKET}/prompts/out/"},
            modelConfigurations=[{"modelId": MODEL}, {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}],
        )["jobArn"]
        return arn

    arn, stopped, bad = (
        create("tune-1", "in.jsonl"),
        create("tune-2", "in.jsonl"),
        create("tune-3", "bad.jsonl"),
    )
    assert world.bedrock.get_advanced_prompt_optimization_job(jobIdentifier=arn)["jobStatus"] == "InProgress"
    world.bedrock.stop_advanced_prompt_optimization_job(jobIdentifier=stopped)
    bedrock_emulator.advance_clock(5)
    assert world.bedrock.get_advanced_prompt_optimization_job(jobIdentifier=arn)["jobStatus"] == "Completed"
    failed = world.bedrock.get_advanced_prompt_optimization_job(jobIdentifier=bad)
    assert failed["jobStatus"] == "Failed"
    assert "version" in failed["failureMessage"]
    (line,) = world.read(
        f"prompts/out/{arn.rsplit('/', 1)[-1]}/advanced_prompt_optimization_results.jsonl"
    ).splitlines()
    result = json.loads(line)
    assert result["promptTemplateId"] == "summary"
    assert [r["modelId"] for r in result["promptOptimizationResults"]] == [
        MODEL,
        "anthropic.claude-3-haiku-20240307-v1:0",
    ]
    assert "{{text}}" in result["promptOptimizationResults"][0]["optimizedPromptTemplate"]
    listed = world.bedrock.list_advanced_prompt_optimization_jobs()["jobSummaries"]
    assert {(j["jobArn"], j["jobStatus"]) for j in listed} == {
        (arn, "Completed"),
        (stopped, "Stopped"),
        (bad, "Failed"),
    }
    deleted = world.bedrock.batch_delete_advanced_prompt_optimization_job(jobIdentifiers=[arn])
    assert deleted["advancedPromptOptimizationJobs"] == [{"jobIdentifier": arn, "jobStatus": "Deleting"}]
    assert deleted["errors"] == []


def test_projects_and_data_retention(world: World) -> None:
    created = world.bedrock.create_project(name="research", tags=[{"key": "t", "value": "1"}])
    assert created["status"] == "active"
    assert created["dataRetention"] == {"mode": "inherit"}
    project_id = created["id"]
    assert world.bedrock.get_project(projectIdentifier=created["arn"])["name"] == "research"
    updated = world.bedrock.update_project(projectIdentifier=project_id, dataRetention={"mode": "none"})
    assert updated["dataRetention"] == {"mode": "none"}
    assert [p["id"] for p in world.bedrock.list_projects()["projectSummaries"]] == [project_id]

    assert world.bedrock.get_account_data_retention()["mode"] == "default"
    put = world.bedrock.put_account_data_retention(mode="none")
    assert put["mode"] == "none"
    assert "updatedAt" in put
    assert world.bedrock.get_account_data_retention()["mode"] == "none"

    storage = {
        "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
        "s3BucketArn": "arn:aws:s3:::retained",
        "s3BucketOwner": "123456789012",
    }
    for scope, extra in (
        ("account", {}),
        ("organization", {}),
        ("project", {"projectIdentifier": project_id}),
    ):
        put_storage = getattr(world.bedrock, f"put_{scope}_data_retention_storage")
        get_storage = getattr(world.bedrock, f"get_{scope}_data_retention_storage")
        delete_storage = getattr(world.bedrock, f"delete_{scope}_data_retention_storage")
        answer = put_storage(
            modelProvider="anthropic",
            storageDestination="customer_managed",
            storageConfiguration=storage,
            **extra,
        )
        assert answer["scope"] == scope
        assert answer["s3BucketStatus"] == "active"
        assert get_storage(modelProvider="anthropic", **extra)["storageConfiguration"] == storage
        delete_storage(modelProvider="anthropic", **extra)
        with pytest.raises(ClientError) as error:
            get_storage(modelProvider="anthropic", **extra)
        assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"

    archived = world.bedrock.archive_project(projectIdentifier=project_id)
    assert archived["status"] == "archived"
    assert "archivedAt" in archived
    with pytest.raises(ClientError) as conflict:
        world.bedrock.update_project(projectIdentifier=project_id, name="again")
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as missing:
        world.bedrock.get_project(projectIdentifier="nothere")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_trusted_access_programs(world: World) -> None:
    (program,) = world.bedrock.list_trusted_access_programs()["programSummaries"]
    program_id = program["programId"]
    assert program["optIn"] == "inherit"
    assert program["status"] == "eligible"
    stored = world.bedrock.get_trusted_access_program_account_enrollment(programIdentifier=program_id)
    assert stored["optIn"] == "inherit"
    assert "updatedAt" not in stored
    enrolled = world.bedrock.put_trusted_access_program_account_enrollment(
        programIdentifier=program_id, optIn="enabled"
    )
    assert enrolled["optIn"] == "enabled"
    resolved = world.bedrock.get_trusted_access_program(programIdentifier=program_id)
    assert (resolved["status"], resolved["source"], resolved["optIn"]) == ("enabled", "account", "enabled")
    world.bedrock.put_trusted_access_program_organization_enrollment(
        programIdentifier=program_id, optIn="disabled"
    )
    assert (
        world.bedrock.get_trusted_access_program_organization_enrollment(programIdentifier=program_id)[
            "optIn"
        ]
        == "disabled"
    )
    project_id = world.bedrock.create_project(name="p")["id"]
    world.bedrock.put_trusted_access_program_project_enrollment(
        programIdentifier=program_id, projectIdentifier=project_id, optIn="disabled"
    )
    assert (
        world.bedrock.get_trusted_access_program_project_enrollment(
            programIdentifier=program_id, projectIdentifier=project_id
        )["optIn"]
        == "disabled"
    )
    for_project = world.bedrock.get_trusted_access_program(
        programIdentifier=program_id, projectIdentifier=project_id
    )
    assert (for_project["status"], for_project["source"]) == ("disabled", "project")
    for start in (
        world.bedrock.start_trusted_access_program_account_application(programIdentifier=program_id),
        world.bedrock.start_trusted_access_program_organization_application(programIdentifier=program_id),
        world.bedrock.start_trusted_access_program_project_application(
            programIdentifier=program_id, projectIdentifier=project_id
        ),
    ):
        assert start["result"]["providerHandoff"]["applicationToken"]
    with pytest.raises(ClientError) as missing:
        world.bedrock.get_trusted_access_program(programIdentifier="no-such-program")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_resource_policies(world: World) -> None:
    world.put_jsonl("in/one.jsonl", [{"recordId": "A", "modelInput": _nova("hi")}])
    arn = world.batch("policy-target", "in/one.jsonl")
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    assert world.bedrock.put_resource_policy(resourceArn=arn, resourcePolicy=policy)["resourceArn"] == arn
    assert world.bedrock.get_resource_policy(resourceArn=arn)["resourcePolicy"] == policy
    world.bedrock.delete_resource_policy(resourceArn=arn)
    with pytest.raises(ClientError) as missing:
        world.bedrock.get_resource_policy(resourceArn=arn)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad:
        world.bedrock.put_resource_policy(resourceArn=arn, resourcePolicy="not json")
    assert bad.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "default"])
@pytest.mark.parametrize("operation", sorted(CALLS))
def test_every_operation_of_the_area_answers_a_minimal_call(
    bedrock_emulator: BedrockEmulator, operation: str, *, strict: bool
) -> None:
    if strict:
        _scenario(bedrock_emulator)
    world = CallsWorld(bedrock_emulator.client)
    client = world.bedrock
    answer = getattr(client, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower())(**CALLS[operation](world))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] in (200, 201, 202)
