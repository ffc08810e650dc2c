"""A minimal valid boto3 call for each ``bedrock`` operation of the jobs-and-settings area (batch inference,
invocation logging, evaluation, advanced prompt optimization, projects, data retention, trusted access,
resource policies), with what it needs created first.

``CALLS[operation](world)`` returns the keyword arguments of one call that must succeed, in default and
strict mode. Shared by tests/contract/test_bedrock_jobs_control.py (every call, both modes) and the
output-shape audit (tests/wire/test_shape_conformance.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

Params = dict[str, Any]

ROLE = "arn:aws:iam::123456789012:role/service-role/JobsRole"
BUCKET = "jobs-calls"
MODEL = "amazon.nova-micro-v1:0"
NOVA_BODY = {"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}
STORAGE = {
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
    "s3BucketArn": "arn:aws:s3:::retained",
    "s3BucketOwner": "123456789012",
}
PROGRAM = "emulator-sample-program"


class World:
    """Creates what a call refers to through boto3 clients of one tenant, once per test."""

    def __init__(self, client: Callable[[str], Any]) -> None:
        self.bedrock = client("bedrock")
        self.s3 = client("s3")

    @cached_property
    def bucket(self) -> str:
        self.s3.create_bucket(Bucket=BUCKET)
        record = json.dumps({"recordId": "R1", "modelInput": NOVA_BODY})
        self.s3.put_object(Bucket=BUCKET, Key="in/records.jsonl", Body=record.encode())
        self.s3.put_object(
            Bucket=BUCKET, Key="in/prompts.jsonl", Body=b'{"prompt": "Hi", "referenceResponse": "Hello"}\n'
        )
        template = {
            "version": "bedrock-2026-05-14",
            "templateId": "t1",
            "promptTemplate": "Summarize {{text}}",
        }
        self.s3.put_object(Bucket=BUCKET, Key="in/templates.jsonl", Body=json.dumps(template).encode())
        return BUCKET

    def batch_job(self) -> Params:
        return {
            "jobName": "calls-batch",
            "roleArn": ROLE,
            "modelId": MODEL,
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{self.bucket}/in/records.jsonl"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{self.bucket}/out/"}},
        }

    @cached_property
    def batch_arn(self) -> str:
        arn: str = self.bedrock.create_model_invocation_job(**self.batch_job())["jobArn"]
        return arn

    def evaluation_job(self) -> Params:
        return {
            "jobName": "calls-eval",
            "roleArn": ROLE,
            "evaluationConfig": {
                "automated": {
                    "datasetMetricConfigs": [
                        {
                            "taskType": "Generation",
                            "dataset": {
                                "name": "prompts",
                                "datasetLocation": {"s3Uri": f"s3://{self.bucket}/in/prompts.jsonl"},
                            },
                            "metricNames": ["Builtin.Accuracy"],
                        }
                    ]
                }
            },
            "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": MODEL}}]},
            "outputDataConfig": {"s3Uri": f"s3://{self.bucket}/eval/"},
        }

    @cached_property
    def evaluation_arn(self) -> str:
        arn: str = self.bedrock.create_evaluation_job(**self.evaluation_job())["jobArn"]
        return arn

    def optimization_job(self) -> Params:
        return {
            "jobName": "calls-optimize",
            "inputConfig": {"s3Uri": f"s3://{self.bucket}/in/templates.jsonl"},
            "outputConfig": {"s3Uri": f"s3://{self.bucket}/optimized/"},
            "modelConfigurations": [{"modelId": MODEL}],
        }

    @cached_property
    def optimization_arn(self) -> str:
        arn: str = self.bedrock.create_advanced_prompt_optimization_job(**self.optimization_job())["jobArn"]
        return arn

    @cached_property
    def project_id(self) -> str:
        project_id: str = self.bedrock.create_project(name="calls-project")["id"]
        return project_id

    def storage(self, scope: str) -> Params:
        extra = {"projectIdentifier": self.project_id} if scope == "project" else {}
        getattr(self.bedrock, f"put_{scope}_data_retention_storage")(
            modelProvider="anthropic",
            storageDestination="customer_managed",
            storageConfiguration=STORAGE,
            **extra,
        )
        return {"modelProvider": "anthropic", **extra}

    def put_storage(self, scope: str) -> Params:
        extra = {"projectIdentifier": self.project_id} if scope == "project" else {}
        return {"modelProvider": "openai", "storageDestination": "amazon_managed", **extra}

    def after(self, resource: str, params: Params) -> Params:
        """``params``, once the named resource (a cached property: ``batch_arn``, ``bucket``...) exists."""
        getattr(self, resource)
        return params

    def policy(self) -> Params:
        self.bedrock.put_resource_policy(resourceArn=self.batch_arn, resourcePolicy=POLICY)
        return {"resourceArn": self.batch_arn}

    def logging(self) -> Params:
        assert self.bucket
        self.bedrock.put_model_invocation_logging_configuration(loggingConfig=LOGGING)
        return {}


POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})
LOGGING = {"s3Config": {"bucketName": BUCKET, "keyPrefix": "logs"}, "textDataDeliveryEnabled": True}

CALLS: dict[str, Callable[[World], Params]] = {
    "CreateModelInvocationJob": lambda w: w.batch_job(),
    "GetModelInvocationJob": lambda w: {"jobIdentifier": w.batch_arn},
    "ListModelInvocationJobs": lambda w: w.after("batch_arn", {"maxResults": 10}),
    "StopModelInvocationJob": lambda w: {"jobIdentifier": w.batch_arn},
    "PutModelInvocationLoggingConfiguration": lambda w: w.after("bucket", {"loggingConfig": LOGGING}),
    "GetModelInvocationLoggingConfiguration": lambda w: w.logging(),
    "DeleteModelInvocationLoggingConfiguration": lambda w: w.logging(),
    "CreateEvaluationJob": lambda w: w.evaluation_job(),
    "GetEvaluationJob": lambda w: {"jobIdentifier": w.evaluation_arn},
    "ListEvaluationJobs": lambda w: w.after("evaluation_arn", {}),
    "StopEvaluationJob": lambda w: {"jobIdentifier": w.evaluation_arn},
    "BatchDeleteEvaluationJob": lambda w: {"jobIdentifiers": [w.evaluation_arn]},
    "CreateAdvancedPromptOptimizationJob": lambda w: w.optimization_job(),
    "GetAdvancedPromptOptimizationJob": lambda w: {"jobIdentifier": w.optimization_arn},
    "ListAdvancedPromptOptimizationJobs": lambda w: w.after("optimization_arn", {}),
    "StopAdvancedPromptOptimizationJob": lambda w: {"jobIdentifier": w.optimization_arn},
    "BatchDeleteAdvancedPromptOptimizationJob": lambda w: {"jobIdentifiers": [w.optimization_arn]},
    "CreateProject": lambda w: {"name": "another", "tags": [{"key": "team", "value": "a"}]},
    "GetProject": lambda w: {"projectIdentifier": w.project_id},
    "ListProjects": lambda w: w.after("project_id", {}),
    "UpdateProject": lambda w: {"projectIdentifier": w.project_id, "name": "renamed"},
    "ArchiveProject": lambda w: {"projectIdentifier": w.project_id},
    "GetAccountDataRetention": lambda w: {},
    "PutAccountDataRetention": lambda w: {"mode": "none"},
    "GetAccountDataRetentionStorage": lambda w: w.storage("account"),
    "PutAccountDataRetentionStorage": lambda w: w.put_storage("account"),
    "DeleteAccountDataRetentionStorage": lambda w: w.storage("account"),
    "GetOrganizationDataRetentionStorage": lambda w: w.storage("organization"),
    "PutOrganizationDataRetentionStorage": lambda w: w.put_storage("organization"),
    "DeleteOrganizationDataRetentionStorage": lambda w: w.storage("organization"),
    "GetProjectDataRetentionStorage": lambda w: w.storage("project"),
    "PutProjectDataRetentionStorage": lambda w: w.put_storage("project"),
    "DeleteProjectDataRetentionStorage": lambda w: w.storage("project"),
    "GetTrustedAccessProgram": lambda w: {"programIdentifier": PROGRAM},
    "ListTrustedAccessPrograms": lambda w: {},
    "GetTrustedAccessProgramAccountEnrollment": lambda w: {"programIdentifier": PROGRAM},
    "GetTrustedAccessProgramOrganizationEnrollment": lambda w: {"programIdentifier": PROGRAM},
    "GetTrustedAccessProgramProjectEnrollment": lambda w: {
        "programIdentifier": PROGRAM,
        "projectIdentifier": w.project_id,
    },
    "PutTrustedAccessProgramAccountEnrollment": lambda w: {"programIdentifier": PROGRAM, "optIn": "enabled"},
    "PutTrustedAccessProgramOrganizationEnrollment": lambda w: {
        "programIdentifier": PROGRAM,
        "optIn": "disabled",
    },
    "PutTrustedAccessProgramProjectEnrollment": lambda w: {
        "programIdentifier": PROGRAM,
        "projectIdentifier": w.project_id,
        "optIn": "inherit",
    },
    "StartTrustedAccessProgramAccountApplication": lambda w: {"programIdentifier": PROGRAM},
    "StartTrustedAccessProgramOrganizationApplication": lambda w: {"programIdentifier": PROGRAM},
    "StartTrustedAccessProgramProjectApplication": lambda w: {
        "programIdentifier": PROGRAM,
        "projectIdentifier": w.project_id,
    },
    "PutResourcePolicy": lambda w: {"resourceArn": w.batch_arn, "resourcePolicy": POLICY},
    "GetResourcePolicy": lambda w: w.policy(),
    "DeleteResourcePolicy": lambda w: w.policy(),
}
