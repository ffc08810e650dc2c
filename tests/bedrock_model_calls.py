"""A minimal valid boto3 call for each of the ``bedrock`` model operations (provisioned throughput,
customization, custom models and deployments, import and copy, model access, marketplace endpoints),
with what it needs created first.

``CALLS[operation](world)`` returns the keyword arguments of one call that must succeed, in default and
in strict mode. ``World`` uploads training data and model files to the emulator's S3 and creates the
resources a call refers to, once per test, moving the clock past their transitions instead of sleeping.
Shared by tests/contract/test_bedrock_models_operations.py and tests/wire/test_shape_conformance.py.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

from emulator.bedrock_control.durations import DURATIONS

Params = dict[str, Any]

ROLE = "arn:aws:iam::123456789012:role/BedrockModelCalls"
BASE = "amazon.nova-micro-v1:0:128k"
BUCKET = "model-calls"
THIRD_PARTY = "anthropic.claude-haiku-4-5-20251001-v1:0"
HUB_MODEL = "arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/example-model/1.0.0"
ENDPOINT_CONFIG = {
    "sageMaker": {"initialInstanceCount": 1, "instanceType": "ml.g5.2xlarge", "executionRole": ROLE}
}
RECORD = {
    "schemaVersion": "bedrock-conversation-2024",
    "messages": [
        {"role": "user", "content": [{"text": "Hello?"}]},
        {"role": "assistant", "content": [{"text": "Hello."}]},
    ],
}
_names = itertools.count(1)


def name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


class World:
    """Resources created on first use through the test tenant's ``bedrock`` and ``s3`` clients."""

    def __init__(self, client: Any, s3: Any, advance_clock: Callable[[float], None]) -> None:
        self.client = client
        self.s3 = s3
        self.advance = advance_clock

    def settle(self) -> None:
        self.advance(max(DURATIONS.values()) + 1)

    @cached_property
    def bucket(self) -> str:
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_object(Bucket=BUCKET, Key="train.jsonl", Body=json.dumps(RECORD).encode() + b"\n")
        self.s3.put_object(Bucket=BUCKET, Key="weights/config.json", Body=b'{"model_type": "llama"}')
        self.s3.put_object(Bucket=BUCKET, Key="weights/model.safetensors", Body=b"\0")
        self.s3.put_object(Bucket=BUCKET, Key="weights/tokenizer.json", Body=b"{}")
        return BUCKET

    def job_request(self) -> Params:
        model = name("custom")
        return {
            "jobName": f"{model}-job",
            "customModelName": model,
            "roleArn": ROLE,
            "baseModelIdentifier": BASE,
            "trainingDataConfig": {"s3Uri": f"s3://{self.bucket}/train.jsonl"},
            "outputDataConfig": {"s3Uri": f"s3://{self.bucket}/output/"},
        }

    @cached_property
    def job(self) -> str:
        arn: str = self.client.create_model_customization_job(**self.job_request())["jobArn"]
        self.settle()
        return arn

    @cached_property
    def custom_model(self) -> str:
        arn: str = self.client.get_model_customization_job(jobIdentifier=self.job)["outputModelArn"]
        return arn

    def new_custom_model(self) -> str:
        arn: str = self.client.create_custom_model(
            modelName=name("brought"),
            modelSourceConfig={"s3DataSource": {"s3Uri": f"s3://{self.bucket}/weights/"}},
        )["modelArn"]
        self.settle()
        return arn

    @cached_property
    def provisioned(self) -> str:
        arn: str = self.client.create_provisioned_model_throughput(
            provisionedModelName=name("pt"), modelId=BASE, modelUnits=1
        )["provisionedModelArn"]
        self.settle()
        return arn

    def deployment_request(self) -> Params:
        return {"modelDeploymentName": name("deployment"), "modelArn": self.custom_model}

    @cached_property
    def deployment(self) -> str:
        arn: str = self.client.create_custom_model_deployment(**self.deployment_request())[
            "customModelDeploymentArn"
        ]
        self.settle()
        return arn

    def import_request(self) -> Params:
        model = name("imported")
        return {
            "jobName": f"{model}-job",
            "importedModelName": model,
            "roleArn": ROLE,
            "modelDataSource": {"s3DataSource": {"s3Uri": f"s3://{self.bucket}/weights/"}},
        }

    @cached_property
    def import_job(self) -> str:
        arn: str = self.client.create_model_import_job(**self.import_request())["jobArn"]
        self.settle()
        return arn

    @cached_property
    def imported_model(self) -> str:
        arn: str = self.client.get_model_import_job(jobIdentifier=self.import_job)["importedModelArn"]
        return arn

    @cached_property
    def copy_job(self) -> str:
        arn: str = self.client.create_model_copy_job(
            sourceModelArn=self.custom_model, targetModelName=name("copy")
        )["jobArn"]
        return arn

    def endpoint_request(self) -> Params:
        return {
            "modelSourceIdentifier": HUB_MODEL,
            "endpointConfig": ENDPOINT_CONFIG,
            "endpointName": name("endpoint"),
        }

    @cached_property
    def endpoint(self) -> str:
        arn: str = self.client.create_marketplace_model_endpoint(**self.endpoint_request())[
            "marketplaceModelEndpoint"
        ]["endpointArn"]
        self.settle()
        return arn

    @cached_property
    def offer_token(self) -> str:
        token: str = self.client.list_foundation_model_agreement_offers(modelId=THIRD_PARTY)["offers"][0][
            "offerToken"
        ]
        return token


Call = Callable[[World], Params]

CALLS: dict[str, Call] = {
    # provisioned throughput
    "CreateProvisionedModelThroughput": lambda w: {
        "provisionedModelName": name("pt"),
        "modelId": BASE,
        "modelUnits": 1,
    },
    "GetProvisionedModelThroughput": lambda w: {"provisionedModelId": w.provisioned},
    "ListProvisionedModelThroughputs": lambda w: {},
    "UpdateProvisionedModelThroughput": lambda w: {
        "provisionedModelId": w.provisioned,
        "desiredProvisionedModelName": name("pt"),
    },
    "DeleteProvisionedModelThroughput": lambda w: {"provisionedModelId": w.provisioned},
    # customization
    "CreateModelCustomizationJob": lambda w: w.job_request(),
    "GetModelCustomizationJob": lambda w: {"jobIdentifier": w.job},
    "ListModelCustomizationJobs": lambda w: {},
    "StopModelCustomizationJob": lambda w: {
        "jobIdentifier": w.client.create_model_customization_job(**w.job_request())["jobArn"]
    },
    # custom models and deployments
    "CreateCustomModel": lambda w: {
        "modelName": name("brought"),
        "modelSourceConfig": {"s3DataSource": {"s3Uri": f"s3://{w.bucket}/weights/"}},
    },
    "GetCustomModel": lambda w: {"modelIdentifier": w.custom_model},
    "ListCustomModels": lambda w: {},
    "DeleteCustomModel": lambda w: {"modelIdentifier": w.new_custom_model()},
    "CreateCustomModelDeployment": lambda w: w.deployment_request(),
    "GetCustomModelDeployment": lambda w: {"customModelDeploymentIdentifier": w.deployment},
    "ListCustomModelDeployments": lambda w: {},
    "UpdateCustomModelDeployment": lambda w: {
        "customModelDeploymentIdentifier": w.deployment,
        "modelArn": w.custom_model,
    },
    "DeleteCustomModelDeployment": lambda w: {"customModelDeploymentIdentifier": w.deployment},
    # import and copy
    "CreateModelImportJob": lambda w: w.import_request(),
    "GetModelImportJob": lambda w: {"jobIdentifier": w.import_job},
    "ListModelImportJobs": lambda w: {},
    "GetImportedModel": lambda w: {"modelIdentifier": w.imported_model},
    "ListImportedModels": lambda w: {},
    "DeleteImportedModel": lambda w: {"modelIdentifier": w.imported_model},
    "CreateModelCopyJob": lambda w: {"sourceModelArn": w.custom_model, "targetModelName": name("copy")},
    "GetModelCopyJob": lambda w: {"jobArn": w.copy_job},
    "ListModelCopyJobs": lambda w: {},
    # model access
    "GetFoundationModelAvailability": lambda w: {"modelId": THIRD_PARTY},
    "ListFoundationModelAgreementOffers": lambda w: {"modelId": THIRD_PARTY},
    "CreateFoundationModelAgreement": lambda w: {"modelId": THIRD_PARTY, "offerToken": w.offer_token},
    "DeleteFoundationModelAgreement": lambda w: {"modelId": THIRD_PARTY},
    "PutUseCaseForModelAccess": lambda w: {"formData": b'{"companyName": "Example"}'},
    "GetUseCaseForModelAccess": lambda w: (
        w.client.put_use_case_for_model_access(formData=b"{'use': 'case'}") and {}
    ),
    # marketplace endpoints
    "CreateMarketplaceModelEndpoint": lambda w: w.endpoint_request(),
    "GetMarketplaceModelEndpoint": lambda w: {"endpointArn": w.endpoint},
    "ListMarketplaceModelEndpoints": lambda w: {},
    "UpdateMarketplaceModelEndpoint": lambda w: {
        "endpointArn": w.endpoint,
        "endpointConfig": ENDPOINT_CONFIG,
    },
    "DeleteMarketplaceModelEndpoint": lambda w: {"endpointArn": w.endpoint},
    "RegisterMarketplaceModelEndpoint": lambda w: {
        "endpointIdentifier": w.endpoint,
        "modelSourceIdentifier": HUB_MODEL,
    },
    "DeregisterMarketplaceModelEndpoint": lambda w: {"endpointArn": w.endpoint},
}
