"""Custom model import (Create/Get/ListModelImportJob(s), Get/List/DeleteImportedModel) and model copy
(Create/Get/ListModelCopyJob(s)).

CreateModelImportJob lists the S3 prefix it names at once: Hugging Face weights need ``config.json``,
at least one ``.safetensors`` file and a tokenizer (``tokenizer.json``, ``tokenizer.model`` or
``tokenizer_config.json``), and ``config.json``'s ``model_type`` must be an architecture Bedrock imports.
The job is ``InProgress`` for ``DURATIONS["import"]``, then ``Completed``, and only then does the
imported model exist; or ``Failed`` with the reason, and no model. An imported model's ARN as a
``modelId`` is served by the catalogue model of its architecture (Llama 3.1 8B for ``llama``, Mistral 7B
for ``mistral``, Mixtral for ``mixtral``, Llama for the others), so InvokeModel takes that family's body.

CreateModelCopyJob copies one of the caller's custom models under a new name: a new custom model,
Creating, Active when the job completes (``DURATIONS["copy"]``).
"""

from __future__ import annotations

import json
from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import custom_models, records, s3_data, tags
from emulator.bedrock_control.durations import DURATIONS
from emulator.bedrock_control.records import COPY_JOB, CUSTOM_MODEL, HIDDEN, IMPORT_JOB, IMPORTED_MODEL
from emulator.bedrock_control.s3_data import DataError
from emulator.catalog import ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.lifecycle import schedule
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

# model_type in config.json -> the catalogue model that answers for it.
ARCHITECTURES: Final = {
    "llama": "meta.llama3-1-8b-instruct-v1:0",
    "mllama": "meta.llama3-1-8b-instruct-v1:0",
    "mistral": "mistral.mistral-7b-instruct-v0:2",
    "mixtral": "mistral.mixtral-8x7b-instruct-v0:1",
    "qwen2": "meta.llama3-1-8b-instruct-v1:0",
    "qwen2_vl": "meta.llama3-1-8b-instruct-v1:0",
    "qwen2_5_vl": "meta.llama3-1-8b-instruct-v1:0",
    "t5": "meta.llama3-1-8b-instruct-v1:0",
    "gpt_oss": "meta.llama3-1-8b-instruct-v1:0",
}
TOKENIZER_FILES: Final = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")
# Emulator's choices (wire-facts §21).
MISSING_FILE: Final = "The model files at {uri} don't include {what}."
BAD_CONFIG: Final = "The config.json file at {uri} isn't valid JSON with a model_type."
UNSUPPORTED: Final = "The model architecture {architecture} isn't supported for custom model import."


def _architecture(call: OperationCall, uri: str) -> str:
    """The ``model_type`` of the weights under ``uri``, or ``DataError``."""
    keys = s3_data.keys_under(call, uri, what="model data")
    if "config.json" not in keys:
        raise DataError(MISSING_FILE.format(uri=uri, what="config.json"))
    if not any(key.endswith(".safetensors") for key in keys):
        raise DataError(MISSING_FILE.format(uri=uri, what="model weights in the safetensors format"))
    if not any(key in TOKENIZER_FILES for key in keys):
        raise DataError(MISSING_FILE.format(uri=uri, what="tokenizer files"))
    try:
        config = json.loads(s3_data.read(call, s3_data.join(uri, "config.json"), what="model configuration"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataError(BAD_CONFIG.format(uri=uri)) from None
    architecture = config.get("model_type") if isinstance(config, dict) else None
    if not isinstance(architecture, str):
        raise DataError(BAD_CONFIG.format(uri=uri))
    if architecture not in ARCHITECTURES:
        raise DataError(UNSUPPORTED.format(architecture=architecture))
    return architecture


def create_model_import_job(call: OperationCall) -> Reply:
    values = params(call)
    records.refuse_name_in_use(call, IMPORT_JOB, values["jobName"])
    records.refuse_name_in_use(call, IMPORTED_MODEL, values["importedModelName"])
    uri = values["modelDataSource"]["s3DataSource"]["s3Uri"]
    job_id = records.new_resource_id(call, "model-import-job")
    start = lifecycle.now(call)
    done = start + DURATIONS["import"]
    moment, finished = lifecycle.iso(start), lifecycle.iso(done)
    record: dict[str, Any] = {
        "jobArn": records.arn(call, f"model-import-job/{job_id}"),
        "jobName": values["jobName"],
        "importedModelName": values["importedModelName"],
        "roleArn": values["roleArn"],
        "modelDataSource": values["modelDataSource"],
        "status": "InProgress",
        "creationTime": moment,
        "lastModifiedTime": moment,
        **{k: values[k] for k in ("vpcConfig",) if k in values},
        **(
            {"importedModelKmsKeyArn": values["importedModelKmsKeyId"]}
            if "importedModelKmsKeyId" in values
            else {}
        ),
    }
    try:
        architecture = _architecture(call, uri)
    except DataError as problem:
        schedule(
            record,
            [
                (
                    done,
                    {
                        "status": "Failed",
                        "failureMessage": str(problem),
                        "endTime": finished,
                        "lastModifiedTime": finished,
                    },
                )
            ],
        )
    else:
        model_id = records.new_resource_id(call, "imported-model")
        record["importedModelArn"] = records.arn(call, f"imported-model/{model_id}")
        schedule(record, [(done, {"status": "Completed", "endTime": finished, "lastModifiedTime": finished})])
        model: dict[str, Any] = {
            "modelArn": record["importedModelArn"],
            "modelName": values["importedModelName"],
            "jobName": values["jobName"],
            "jobArn": record["jobArn"],
            "modelDataSource": values["modelDataSource"],
            "creationTime": finished,
            "modelArchitecture": architecture,
            "instructSupported": True,
            "customModelUnits": {"customModelUnitsPerModelCopy": 1, "customModelUnitsVersion": "v1.0"},
            "_serves": ARCHITECTURES[architecture],
            HIDDEN: True,
        }
        if "importedModelKmsKeyArn" in record:
            model["modelKmsKeyArn"] = record["importedModelKmsKeyArn"]
        schedule(model, [(done, {HIDDEN: False})])
        resources.save(call, IMPORTED_MODEL, model_id, model)
        tags.attach(call, model["modelArn"], values.get("importedModelTags"))
    resources.save(call, IMPORT_JOB, job_id, record)
    tags.attach(call, record["jobArn"], values.get("jobTags"))
    return JsonReply({"jobArn": record["jobArn"]})


def get_model_import_job(call: OperationCall) -> Reply:
    _, record = records.require(call, IMPORT_JOB, params(call)["jobIdentifier"])
    shown = records.shown(record, "GetModelImportJobResponse")
    if record["status"] != "Completed":
        shown.pop("importedModelArn", None)
    return JsonReply(shown)


def list_model_import_jobs(call: OperationCall) -> Reply:
    values = params(call)
    kept = records.filtered(
        [r for _, r in records.live(call, IMPORT_JOB)], values, name="jobName", status="status"
    )
    summaries = [records.shown(record, "ModelImportJobSummary") for record in kept]
    for summary, record in zip(summaries, kept, strict=True):
        if record["status"] != "Completed":
            summary.pop("importedModelArn", None)
    return JsonReply(page(call.service, call.operation, summaries, values))


def get_imported_model(call: OperationCall) -> Reply:
    _, record = records.require(call, IMPORTED_MODEL, params(call)["modelIdentifier"])
    return JsonReply(records.shown(record, "GetImportedModelResponse"))


def list_imported_models(call: OperationCall) -> Reply:
    values = params(call)
    kept = records.filtered([r for _, r in records.live(call, IMPORTED_MODEL)], values, name="modelName")
    summaries = [records.shown(record, "ImportedModelSummary") for record in kept]
    return JsonReply(page(call.service, call.operation, summaries, values))


def delete_imported_model(call: OperationCall) -> Reply:
    record_key, record = records.require(call, IMPORTED_MODEL, params(call)["modelIdentifier"])
    resources.remove(call, IMPORTED_MODEL, record_key)
    tags.drop(call, record["modelArn"])
    return JsonReply({})


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """What an imported model's ARN serves (``model_targets``): the catalogue model of its architecture."""
    found = records.peek(call, IMPORTED_MODEL, model_id)
    if found is None:
        if call.strict:
            raise AwsError("ResourceNotFoundException", records.UNRESOLVED)
        return None
    model = catalog.get(str(found["_serves"]))
    assert model is not None  # ARCHITECTURES names catalogue models
    return records.served(call, model_id, model, "imported-model")


# -- model copy --------------------------------------------------------------------------------------


def create_model_copy_job(call: OperationCall) -> Reply:
    values = params(call)
    _, source = records.require(call, CUSTOM_MODEL, values["sourceModelArn"])
    job_id = records.new_resource_id(call, "model-copy-job")
    done = lifecycle.now(call) + DURATIONS["copy"]
    copied = {
        k: v
        for k, v in source.items()
        if not k.startswith("_")
        and k not in ("modelName", "modelArn", "creationTime", "modelStatus", "ownerAccountId")
    }
    if "modelKmsKeyId" in values:
        copied["modelKmsKeyArn"] = values["modelKmsKeyId"]
    target = custom_models.new_model(
        call,
        name=values["targetModelName"],
        variant=custom_models.variant_of(source),
        members=copied,
        model_tags=values.get("targetModelTags"),
        ready_at=done,
    )
    record: dict[str, Any] = {
        "jobArn": records.arn(call, f"model-copy-job/{job_id}"),
        "status": "InProgress",
        "creationTime": lifecycle.stamp(call),
        "targetModelArn": target["modelArn"],
        "targetModelName": values["targetModelName"],
        "sourceAccountId": account_id(call.tenant),
        "sourceModelArn": source["modelArn"],
        "sourceModelName": source["modelName"],
        **({"targetModelTags": values["targetModelTags"]} if values.get("targetModelTags") else {}),
        **({"targetModelKmsKeyArn": values["modelKmsKeyId"]} if "modelKmsKeyId" in values else {}),
    }
    schedule(record, [(done, {"status": "Completed"})])
    resources.save(call, COPY_JOB, job_id, record)
    tags.attach(call, record["jobArn"])
    return JsonReply({"jobArn": record["jobArn"]})


def get_model_copy_job(call: OperationCall) -> Reply:
    _, record = records.require(call, COPY_JOB, params(call)["jobArn"])
    return JsonReply(records.shown(record, "GetModelCopyJobResponse"))


def list_model_copy_jobs(call: OperationCall) -> Reply:
    values = params(call)
    mine = [r for _, r in records.live(call, COPY_JOB)]
    for member, wanted in (
        ("sourceAccountId", "sourceAccountEquals"),
        ("sourceModelArn", "sourceModelArnEquals"),
    ):
        if values.get(wanted) is not None:
            mine = [r for r in mine if r[member] == values[wanted]]
    kept = records.filtered(mine, values, name="targetModelName", status="status")
    summaries = [records.shown(record, "ModelCopyJobSummary") for record in kept]
    return JsonReply(page(call.service, call.operation, summaries, values))


HANDLERS = {
    "CreateModelImportJob": create_model_import_job,
    "GetModelImportJob": get_model_import_job,
    "ListModelImportJobs": list_model_import_jobs,
    "GetImportedModel": get_imported_model,
    "ListImportedModels": list_imported_models,
    "DeleteImportedModel": delete_imported_model,
    "CreateModelCopyJob": create_model_copy_job,
    "GetModelCopyJob": get_model_copy_job,
    "ListModelCopyJobs": list_model_copy_jobs,
}
