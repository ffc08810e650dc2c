"""Model customization jobs: Create/Get/List/StopModelCustomizationJob (fine-tuning, continued
pre-training, distillation).

CreateModelCustomizationJob checks the request (a base model that supports the customization type, a
distillation teacher), then reads the training and validation JSONL from S3 at once and counts its
records in the base model's format (``training_data``). The job is ``InProgress`` with its
``statusDetails`` moving validation -> data processing -> training on the virtual clock
(``DURATIONS``), then ``Completed`` with training and validation loss; data that is missing, out of
format or over the record quota makes it ``Failed`` after validation, with the reason as
``failureMessage``. StopModelCustomizationJob: ``Stopping``, then ``Stopped``.

The custom model exists from the start (``custom_models``): Creating, then Active or Failed with the
job. When a job is first read ``Completed``, its metrics files are written under the output prefix as
AWS documents them: ``model-customization-job-<id>/training_artifacts/step_wise_training_metrics.csv``
and ``.../validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import custom_models, customizable, records, s3_data, tags, training_data
from emulator.bedrock_control.durations import DURATIONS
from emulator.bedrock_control.records import CUSTOM_MODEL, CUSTOMIZATION_JOB
from emulator.bedrock_control.s3_data import DataError
from emulator.control import lifecycle, resources
from emulator.control.lifecycle import schedule
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation
from emulator.wire.pagination import page

WRITTEN: Final = "_artifacts_written"
MAX_METRIC_ROWS: Final = 10000  # rows of step_wise_training_metrics.csv, at most
MAX_EPOCHS: Final = 10  # epochCount's upper bound (Titan, Llama, Claude 3 Haiku; Nova documents 5)
# Emulator's choices (wire-facts §21).
NOT_CUSTOMIZABLE: Final = "The base model {model} doesn't support model customization."
WRONG_TYPE: Final = "The base model {model} doesn't support the customization type {type}."
BAD_TEACHER: Final = "The teacher model {model} isn't supported for model distillation."
NO_TEACHER: Final = "A distillation job needs customizationConfig.distillationConfig with a teacher model."
TOO_MANY: Final = (
    "The number of records in the training and validation data ({count}) exceeds the quota of {limit} "
    "for {model}."
)
BAD_HYPERPARAMETER: Final = "The hyperparameter {name} has the value {value}, which isn't valid."
NOT_STOPPABLE: Final = "The job {name} is {status} and can't be stopped."


def _variant(
    call: OperationCall, identifier: str, customization_type: str
) -> tuple[customizable.Variant, str]:
    """The variant a job customizes and the ARN shown as its base model (a custom model's own ARN when
    the job continues customizing one)."""
    custom = custom_models.find_usable(call, identifier)
    if custom is not None:
        return custom_models.variant_of(custom), str(custom["modelArn"])
    variant = customizable.variant(identifier)
    model_id = customizable.bare_id(identifier)
    if variant is None:
        raise validation(NOT_CUSTOMIZABLE.format(model=model_id))
    if not variant.customizations_in(call.region):
        raise validation(NOT_CUSTOMIZABLE.format(model=model_id))
    if customization_type not in variant.customizations:
        raise validation(WRONG_TYPE.format(model=model_id, type=customization_type))
    if call.strict and variant.base.is_retired():
        raise AwsError("ResourceNotFoundException", catalog.END_OF_LIFE_MESSAGE)
    return variant, variant.arn_in(call.region)


def _check_teacher(values: dict[str, Any]) -> None:
    config = (values.get("customizationConfig") or {}).get("distillationConfig")
    if config is None:
        raise validation(NO_TEACHER)
    teacher = customizable.bare_id(config["teacherModelConfig"]["teacherModelIdentifier"])
    profile_free = teacher.split(".", 1)[1] if teacher.split(".", 1)[0] in catalog.GEO_PREFIXES else teacher
    if profile_free not in customizable.TEACHERS:
        raise validation(BAD_TEACHER.format(model=teacher))


def _epochs(values: dict[str, Any]) -> tuple[int, int]:
    """(epochs, batch size) from the hyperparameters, which must be numbers where they are given."""
    given = values.get("hyperParameters") or {}
    for name, value in given.items():
        try:
            float(value)
        except ValueError:
            raise validation(BAD_HYPERPARAMETER.format(name=name, value=value)) from None
    epochs = int(float(given.get("epochCount", "2")))
    batch = int(float(given.get("batchSize", "1")))
    if not 1 <= epochs <= MAX_EPOCHS or not 1 <= batch <= 4096:
        raise validation(BAD_HYPERPARAMETER.format(name="epochCount/batchSize", value=f"{epochs}/{batch}"))
    return epochs, batch


def _count_data(
    call: OperationCall, values: dict[str, Any], variant: customizable.Variant, kind: str
) -> tuple[int, int]:
    """(training records, validation records), or ``DataError``."""
    data_format = training_data.record_format(variant, kind)
    distill = kind == customizable.DISTILLATION
    uri = values["trainingDataConfig"].get("s3Uri")
    training = 0
    if uri is not None:  # a distillation job may read invocation logs instead
        data = s3_data.read(call, uri, what="training data")
        training = training_data.count_records(
            data, uri, data_format, limit=variant.max_records, distillation=distill
        )
    validating = 0
    for validator in (values.get("validationDataConfig") or {}).get("validators", []):
        data = s3_data.read(call, validator["s3Uri"], what="validation data")
        validating += training_data.count_records(
            data, validator["s3Uri"], data_format, limit=variant.max_records, distillation=distill
        )
    s3_data.keys_under(call, values["outputDataConfig"]["s3Uri"], what="output data")  # the bucket must exist
    if training + validating > variant.max_records:
        raise DataError(
            TOO_MANY.format(count=training + validating, limit=variant.max_records, model=variant.model_id)
        )
    return training, validating


def _loss(call: OperationCall, job_id: str, step: int, steps: int) -> float:
    """The training loss at ``step`` of ``steps``: a decreasing curve, the same for the same seed, tenant
    and job."""
    digest = hashlib.blake2b(f"{call.seed}|{call.tenant}|{job_id}".encode(), digest_size=8).digest()
    start = 2.0 + (digest[0] / 255.0)
    floor = 0.2 + (digest[1] / 255.0) * 0.3
    return round(floor + (start - floor) * math.exp(-3.0 * step / max(steps, 1)), 6)


def _logged_steps(steps: int) -> range:
    """The steps the metrics file has a row for: every one, or every n-th past ``MAX_METRIC_ROWS`` (the
    last always)."""
    stride = max(1, math.ceil(steps / MAX_METRIC_ROWS))
    return range((steps - 1) % stride, steps, stride)


def create_model_customization_job(call: OperationCall) -> Reply:
    values = params(call)
    kind = values.get("customizationType", customizable.FINE_TUNING)
    variant, base_arn = _variant(call, values["baseModelIdentifier"], kind)
    if kind == customizable.DISTILLATION:
        _check_teacher(values)
    epochs, batch = _epochs(values)
    records.refuse_name_in_use(call, CUSTOMIZATION_JOB, values["jobName"])
    records.refuse_name_in_use(call, CUSTOM_MODEL, values["customModelName"])
    try:
        counts: tuple[int, int] | None = _count_data(call, values, variant, kind)
        problem = None
    except DataError as error:
        counts, problem = None, str(error)

    job_id = records.new_resource_id(call, "model-customization-job")
    start = lifecycle.now(call)
    validated = start + DURATIONS["validation"]
    processed = validated + DURATIONS["data_processing"]
    trained = processed + DURATIONS["training"]
    moment = lifecycle.iso(start)
    kept = {
        k: v
        for k, v in values.items()
        if k
        in ("hyperParameters", "trainingDataConfig", "outputDataConfig", "vpcConfig", "customizationConfig")
    }
    kept["validationDataConfig"] = values.get("validationDataConfig") or {"validators": []}
    model = custom_models.new_model(
        call,
        name=values["customModelName"],
        variant=variant,
        members={
            **kept,
            "jobName": values["jobName"],
            "jobArn": records.arn(call, f"model-customization-job/{variant.model_id}/{job_id}"),
            "customizationType": kind,
            **({"modelKmsKeyArn": values["customModelKmsKeyId"]} if "customModelKmsKeyId" in values else {}),
        },
        model_tags=values.get("customModelTags"),
        ready_at=None,
    )
    record: dict[str, Any] = {
        **kept,
        "jobArn": model["jobArn"],
        "jobName": values["jobName"],
        "outputModelName": values["customModelName"],
        "outputModelArn": model["modelArn"],
        "customModelName": values["customModelName"],
        "customModelArn": model["modelArn"],
        "roleArn": values["roleArn"],
        "baseModelArn": base_arn,
        "customizationType": kind,
        "status": "InProgress",
        "statusDetails": _details(moment, "InProgress", "NotStarted", "NotStarted"),
        "creationTime": moment,
        "lastModifiedTime": moment,
        **({"clientRequestToken": values["clientRequestToken"]} if "clientRequestToken" in values else {}),
        **(
            {"outputModelKmsKeyArn": values["customModelKmsKeyId"]} if "customModelKmsKeyId" in values else {}
        ),
    }
    if counts is None:
        assert problem is not None
        at = lifecycle.iso(validated)
        failed: dict[str, Any] = {
            "status": "Failed",
            "failureMessage": problem,
            "endTime": at,
            "lastModifiedTime": at,
        }
        failed["statusDetails"] = _details(at, "Failed", "NotStarted", "NotStarted")
        schedule(record, [(validated, failed)])
        schedule(model, [(validated, {"modelStatus": "Failed", "failureMessage": problem})])
    else:
        training, validating = counts
        steps = epochs * max(1, math.ceil(training / batch)) if training else epochs
        final = _loss(call, job_id, steps - 1, steps)
        record["_steps"] = {"epochs": epochs, "steps": steps, "validating": validating}
        metrics: dict[str, Any] = {"trainingMetrics": {"trainingLoss": final}}
        if validating:
            metrics["validationMetrics"] = [{"validationLoss": round(final * 1.08, 6)}]
        at_v, at_p, at_t = lifecycle.iso(validated), lifecycle.iso(processed), lifecycle.iso(trained)
        schedule(
            record,
            [
                (
                    validated,
                    {
                        "statusDetails": _details(at_v, "Completed", "InProgress", "NotStarted"),
                        "lastModifiedTime": at_v,
                    },
                ),
                (
                    processed,
                    {
                        "statusDetails": _details(at_p, "Completed", "Completed", "InProgress"),
                        "lastModifiedTime": at_p,
                    },
                ),
                (
                    trained,
                    {
                        "status": "Completed",
                        "statusDetails": _details(at_t, "Completed", "Completed", "Completed"),
                        "endTime": at_t,
                        "lastModifiedTime": at_t,
                        **metrics,
                    },
                ),
            ],
        )
        schedule(model, [(trained, {"modelStatus": "Active", **metrics})])
    resources.save(call, CUSTOMIZATION_JOB, job_id, record)
    resources.save(call, CUSTOM_MODEL, model["modelArn"].rsplit("/", 1)[1], model)
    tags.attach(call, record["jobArn"], values.get("jobTags"))
    return JsonReply({"jobArn": record["jobArn"]})


def _details(moment: str, validating: str, processing: str, training: str) -> dict[str, Any]:
    def one(status: str) -> dict[str, Any]:
        return {"status": status, "creationTime": moment, "lastModifiedTime": moment}

    return {
        "validationDetails": one(validating),
        "dataProcessingDetails": one(processing),
        "trainingDetails": one(training),
    }


def _current(call: OperationCall, identifier: str) -> tuple[str, dict[str, Any]]:
    job_key, record = records.require(call, CUSTOMIZATION_JOB, identifier)
    return job_key, _with_artifacts(call, job_key, record)


def _with_artifacts(call: OperationCall, job_key: str, record: dict[str, Any]) -> dict[str, Any]:
    """Write a completed job's metrics files the first time it is read completed."""
    if record["status"] != "Completed" or record.get(WRITTEN):
        return record
    plan = record.get("_steps", {})
    steps = int(plan.get("steps", 1)) or 1
    epochs = int(plan.get("epochs", 1)) or 1
    per_epoch = max(1, math.ceil(steps / epochs))
    folder = s3_data.join(record["outputDataConfig"]["s3Uri"], f"model-customization-job-{job_key}")
    rows = ["step_number,epoch_number,training_loss,perplexity"]
    for step in _logged_steps(steps):
        loss = _loss(call, job_key, step, steps)
        rows.append(f"{step},{step // per_epoch},{loss},{round(math.exp(loss), 6)}")
    s3_data.write(
        call,
        s3_data.join(folder, "training_artifacts", "step_wise_training_metrics.csv"),
        _csv(rows),
        "text/csv",
    )
    if plan.get("validating"):
        rows = ["step_number,epoch_number,validation_loss,perplexity"]
        for epoch in range(epochs):
            step = min(steps, (epoch + 1) * per_epoch) - 1
            loss = round(_loss(call, job_key, step, steps) * 1.08, 6)
            rows.append(f"{step},{epoch},{loss},{round(math.exp(loss), 6)}")
        path = ("validation_artifacts", "post_fine_tuning_validation", "validation", "validation_metrics.csv")
        s3_data.write(call, s3_data.join(folder, *path), _csv(rows), "text/csv")
    record[WRITTEN] = True
    resources.save(call, CUSTOMIZATION_JOB, job_key, record)
    return record


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def get_model_customization_job(call: OperationCall) -> Reply:
    _, record = _current(call, params(call)["jobIdentifier"])
    return JsonReply(records.shown(record, "GetModelCustomizationJobResponse"))


def list_model_customization_jobs(call: OperationCall) -> Reply:
    values = params(call)
    mine = [_with_artifacts(call, key, record) for key, record in records.live(call, CUSTOMIZATION_JOB)]
    kept = records.filtered(mine, values, name="jobName", status="status")
    summaries = [records.shown(record, "ModelCustomizationJobSummary") for record in kept]
    return JsonReply(page(call.service, call.operation, summaries, values))


def stop_model_customization_job(call: OperationCall) -> Reply:
    job_key, record = _current(call, params(call)["jobIdentifier"])
    if record["status"] != "InProgress":
        raise validation(NOT_STOPPABLE.format(name=record["jobName"], status=record["status"]))
    moment = lifecycle.stamp(call)
    done = lifecycle.now(call) + DURATIONS["stop"]
    record.update({"status": "Stopping", "lastModifiedTime": moment})
    stopped_at = lifecycle.iso(done)
    schedule(record, [(done, {"status": "Stopped", "endTime": stopped_at, "lastModifiedTime": stopped_at})])
    resources.save(call, CUSTOMIZATION_JOB, job_key, record)
    found = records.find(call, CUSTOM_MODEL, record["outputModelArn"])
    if found is not None:
        model_key, model = found
        schedule(
            model,
            [(done, {"modelStatus": "Failed", "failureMessage": "The model customization job was stopped."})],
        )
        resources.save(call, CUSTOM_MODEL, model_key, model)
    return JsonReply({})


HANDLERS = {
    "CreateModelCustomizationJob": create_model_customization_job,
    "GetModelCustomizationJob": get_model_customization_job,
    "ListModelCustomizationJobs": list_model_customization_jobs,
    "StopModelCustomizationJob": stop_model_customization_job,
}
