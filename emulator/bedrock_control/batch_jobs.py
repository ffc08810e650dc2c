"""Batch inference: CreateModelInvocationJob, GetModelInvocationJob, ListModelInvocationJobs,
StopModelInvocationJob.

A job moves Submitted -> Validating -> Scheduled -> InProgress on the virtual clock (``DURATIONS``), and
the first read after its run time has passed runs the records (``batch_run.run``) and settles it:
Completed (with the record counts; records that failed are counted in ``errorRecordCount`` and carry
their error in the output file), or Failed with a ``message``. A job whose input is missing or not JSONL,
or whose output bucket does not exist, fails at Validating. StopModelInvocationJob: Stopping -> Stopped,
nothing written.

Models: batch inference takes the models Bedrock's "Supported Regions and models for batch inference"
page lists (``supports_batch``); any other is refused with Bedrock's ValidationException.
"""

from __future__ import annotations

from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import batch_run, jobs, tags
from emulator.catalog import FoundationModel
from emulator.control import lifecycle, resources
from emulator.control.request import params, without
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import pagination
from emulator.wire.errors import validation

SERVICE: Final = "bedrock"
JOB: Final = Kind("bedrock:model-invocation-job", "ModelInvocationJob")
RESOURCE_TYPE: Final = "model-invocation-job"
# Seconds of virtual clock from submission (docs/bedrock-jobs.md).
DURATIONS: Final = {"Validating": 0.2, "Scheduled": 0.4, "InProgress": 0.6, "done": 1.5}
TERMINAL: Final = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
RUNNING: Final = frozenset({"Submitted", "Validating", "Scheduled", "InProgress"})
DEFAULT_TIMEOUT_HOURS: Final = 168
UNSUPPORTED: Final = "Batch inference is not supported for the requested model"  # wire-facts §19.1
NOT_FOUND: Final = "The specified batch inference job was not found."

# Body families of the models the batch-inference page lists (Anthropic Claude 3 and later, Amazon
# Nova, Titan embeddings, Meta Llama 3 and later, Mistral Large, DeepSeek, OpenAI gpt-oss).
_BATCH_FAMILIES: Final = frozenset(
    {
        "anthropic-messages",
        "nova",
        "titan-embed-v1",
        "titan-embed-v2",
        "llama",
        "mistral-chat",
        "deepseek",
        "openai-chat",
    }
)
_BATCH_EXTRA: Final = frozenset({"amazon.titan-embed-image-v1"})


def supports_batch(model: FoundationModel) -> bool:
    if model.model_id in _BATCH_EXTRA:
        return True
    return model.body_family in _BATCH_FAMILIES and not model.model_id.startswith("meta.llama2")


def _invocable_id(call: OperationCall, model_id: str) -> str:
    """The model id the records are run with, after refusing a model batch inference does not take."""
    bare = catalog.get(model_id)
    if bare is not None:  # a foundation model: batch takes it even where on-demand needs a profile
        if not supports_batch(bare):
            raise validation(UNSUPPORTED)
        if bare.on_demand:
            return model_id
        prefixes = [p for p in catalog.profile_prefixes_for_region(call.region) if p in bare.profile_prefixes]
        return f"{prefixes[0]}.{model_id}" if prefixes else model_id
    if model_id.startswith("arn:"):
        from emulator.bedrock_control import model_targets

        created = model_targets.resolve(call, model_id)
        if created is not None:
            if not supports_batch(created.model):
                raise validation(UNSUPPORTED)
            return model_id
    resolved = catalog.resolve(model_id, region=call.region, strict=call.strict)
    if not supports_batch(resolved.model):
        raise validation(UNSUPPORTED)
    return model_id


def _settled(call: OperationCall, job: dict[str, Any]) -> dict[str, Any]:
    """The job with its run carried out if its time has come (once: the result is saved)."""
    if not job.get("_due") or job.get("status") in TERMINAL:
        return job
    totals, failure = batch_run.run(call, job)
    end = lifecycle.iso(float(job["_dueAt"]))
    job.update({"_due": False, "endTime": end, "lastModifiedTime": end})
    if totals is None:
        job.update({"status": "Failed", "message": failure})
    else:
        job.update(
            {
                "status": "Completed",
                "totalRecordCount": totals.total,
                "processedRecordCount": totals.success + totals.errors,
                "successRecordCount": totals.success,
                "errorRecordCount": totals.errors,
            }
        )
    resources.save(call, JOB, job["_id"], job)
    return job


def _job(call: OperationCall, identifier: str) -> dict[str, Any]:
    return _settled(call, jobs.find(call, JOB, identifier, NOT_FOUND))


def create_model_invocation_job(call: OperationCall) -> Reply:
    values = params(call)
    if "s3InputDataConfig" not in values["inputDataConfig"]:
        raise validation("inputDataConfig must contain s3InputDataConfig.")
    if "s3OutputDataConfig" not in values["outputDataConfig"]:
        raise validation("outputDataConfig must contain s3OutputDataConfig.")
    invoke_id = _invocable_id(call, str(values["modelId"]))
    job_id, arn = jobs.new_job(call, RESOURCE_TYPE)
    start = lifecycle.now(call)
    hours = int(values.get("timeoutDurationInHours") or DEFAULT_TIMEOUT_HOURS)
    job: dict[str, Any] = {
        **without(values, "tags"),
        "_id": job_id,
        "_arn": arn,
        "_invokeModelId": invoke_id,
        "jobArn": arn,
        "status": "Submitted",
        "submitTime": lifecycle.iso(start),
        "lastModifiedTime": lifecycle.iso(start),
        "timeoutDurationInHours": hours,
        "jobExpirationTime": lifecycle.iso(start + hours * 3600.0),
        "modelInvocationType": values.get("modelInvocationType") or "InvokeModel",
    }
    failure = batch_run.validate(call, job)

    def step(name: str, changes: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        at = start + DURATIONS[name]
        return at, {**changes, "lastModifiedTime": lifecycle.iso(at)}

    steps = [step("Validating", {"status": "Validating"})]
    if failure is not None:
        steps.append(
            step(
                "Scheduled",
                {
                    "status": "Failed",
                    "message": failure,
                    "endTime": lifecycle.iso(start + DURATIONS["Scheduled"]),
                },
            )
        )
    else:
        steps += [
            step("Scheduled", {"status": "Scheduled"}),
            step("InProgress", {"status": "InProgress"}),
            step("done", {"_due": True, "_dueAt": start + DURATIONS["done"]}),
        ]
    lifecycle.schedule(job, steps)
    resources.save(call, JOB, job_id, job)
    tags.attach(call, arn, values.get("tags"))
    return JsonReply({"jobArn": arn})


def get_model_invocation_job(call: OperationCall) -> Reply:
    job = _job(call, str(params(call)["jobIdentifier"]))
    return JsonReply(view(job, "GetModelInvocationJobResponse", SERVICE))


def list_model_invocation_jobs(call: OperationCall) -> Reply:
    values = params(call)
    every = [_settled(call, job) for _, job in resources.records(call, JOB)]
    chosen = jobs.listed(
        every, values, time_member="submitTime", after="submitTimeAfter", before="submitTimeBefore"
    )
    summaries = [view(job, "ModelInvocationJobSummary", SERVICE) for job in chosen]
    return JsonReply(pagination.page(SERVICE, call.operation, summaries, values))


def stop_model_invocation_job(call: OperationCall) -> Reply:
    job = _job(call, str(params(call)["jobIdentifier"]))
    jobs.stop(call, JOB, job, status_member="status", stoppable=RUNNING)
    return JsonReply({})


HANDLERS = {
    "CreateModelInvocationJob": create_model_invocation_job,
    "GetModelInvocationJob": get_model_invocation_job,
    "ListModelInvocationJobs": list_model_invocation_jobs,
    "StopModelInvocationJob": stop_model_invocation_job,
}
