"""Evaluation jobs: CreateEvaluationJob, GetEvaluationJob, ListEvaluationJobs, StopEvaluationJob,
BatchDeleteEvaluationJob.

A job is InProgress from creation; the first read after ``RUN_SECONDS`` of virtual clock evaluates it
(``evaluation_run.run``) and settles it Completed, or Failed with ``failureMessages`` (a dataset that
is missing or not JSONL, an output bucket that does not exist). Stop: Stopping -> Stopped. BatchDelete:
Deleting -> gone, with a per-identifier error for a job the caller does not have.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import evaluation_run, jobs, tags
from emulator.control import lifecycle, resources
from emulator.control.request import params, without
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import pagination
from emulator.wire.errors import validation

SERVICE: Final = "bedrock"
JOB: Final = Kind("bedrock:evaluation-job", "EvaluationJob")
RESOURCE_TYPE: Final = "evaluation-job"
RUN_SECONDS: Final = 2.0
NOT_FOUND: Final = "The specified evaluation job was not found."
TERMINAL: Final = frozenset({"Completed", "Failed", "Stopped"})


def _settled(call: OperationCall, job: dict[str, Any]) -> dict[str, Any]:
    if not job.get("_due") or job.get("status") in TERMINAL:
        return job
    failure = evaluation_run.run(call, job)
    job.update({"_due": False, "lastModifiedTime": lifecycle.iso(float(job["_dueAt"]))})
    if failure is None:
        job["status"] = "Completed"
    else:
        job.update({"status": "Failed", "failureMessages": [failure]})
    resources.save(call, JOB, job["_id"], job)
    return job


def _job(call: OperationCall, identifier: str) -> dict[str, Any]:
    return _settled(call, jobs.find(call, JOB, identifier, NOT_FOUND))


def _summary_members(values: dict[str, Any]) -> dict[str, Any]:
    """What EvaluationSummary shows besides the request's own members."""
    config = values["evaluationConfig"]
    kind = "automated" if "automated" in config else "human"
    metric_configs = (config.get(kind) or {}).get("datasetMetricConfigs", [])
    models = values["inferenceConfig"].get("models") or []
    bedrock = [m["bedrockModel"]["modelIdentifier"] for m in models if "bedrockModel" in m]
    precomputed = [
        m["precomputedInferenceSource"]["inferenceSourceIdentifier"]
        for m in models
        if "precomputedInferenceSource" in m
    ]
    evaluators = [
        e["modelIdentifier"]
        for e in ((config.get("automated") or {}).get("evaluatorModelConfig") or {}).get(
            "bedrockEvaluatorModels", []
        )
    ]
    members: dict[str, Any] = {
        "jobType": "Automated" if kind == "automated" else "Human",
        "evaluationTaskTypes": list(dict.fromkeys(c["taskType"] for c in metric_configs)),
        "modelIdentifiers": bedrock,
        "inferenceConfigSummary": {
            "modelConfigSummary": {
                "bedrockModelIdentifiers": bedrock,
                "precomputedInferenceSourceIdentifiers": precomputed,
            }
        },
    }
    if evaluators:
        members["evaluatorModelIdentifiers"] = evaluators
    return members


def create_evaluation_job(call: OperationCall) -> Reply:
    values = params(call)
    config = values["evaluationConfig"]
    if ("automated" in config) == ("human" in config):
        raise validation("evaluationConfig must contain exactly one of automated or human.")
    inference = values["inferenceConfig"]
    if not inference.get("models") and not inference.get("ragConfigs"):
        raise validation("inferenceConfig must contain models or ragConfigs.")
    for model in inference.get("models") or []:
        if ("bedrockModel" in model) == ("precomputedInferenceSource" in model):
            raise validation(
                "Each model configuration must contain exactly one of bedrockModel or precomputedInferenceSource."
            )
        try:
            evaluation_run.inference_params(model.get("bedrockModel") or {})
        except ValueError:
            raise validation(
                'inferenceParams must be a JSON object such as {"inferenceConfig": {"maxTokens": 512}}.'
            ) from None
    job_id, arn = jobs.new_job(call, RESOURCE_TYPE)
    start = lifecycle.now(call)
    rag = bool(inference.get("ragConfigs"))
    job: dict[str, Any] = {
        **without(values, "jobTags"),
        **_summary_members(values),
        "_id": job_id,
        "_arn": arn,
        "jobArn": arn,
        "status": "InProgress",
        "applicationType": values.get("applicationType") or ("RagEvaluation" if rag else "ModelEvaluation"),
        "creationTime": lifecycle.iso(start),
        "lastModifiedTime": lifecycle.iso(start),
    }
    at = start + RUN_SECONDS
    lifecycle.schedule(job, [(at, {"_due": True, "_dueAt": at})])
    resources.save(call, JOB, job_id, job)
    tags.attach(call, arn, values.get("jobTags"))
    return JsonReply({"jobArn": arn})


def get_evaluation_job(call: OperationCall) -> Reply:
    job = _job(call, str(params(call)["jobIdentifier"]))
    return JsonReply(view(job, "GetEvaluationJobResponse", SERVICE))


def list_evaluation_jobs(call: OperationCall) -> Reply:
    values = params(call)
    every = [_settled(call, job) for _, job in resources.records(call, JOB)]
    chosen = jobs.listed(
        every, values, time_member="creationTime", after="creationTimeAfter", before="creationTimeBefore"
    )
    wanted = values.get("applicationTypeEquals")
    if wanted:
        chosen = [job for job in chosen if job.get("applicationType") == wanted]
    summaries = [view(job, "EvaluationSummary", SERVICE) for job in chosen]
    return JsonReply(pagination.page(SERVICE, call.operation, summaries, values))


def stop_evaluation_job(call: OperationCall) -> Reply:
    job = _job(call, str(params(call)["jobIdentifier"]))
    jobs.stop(call, JOB, job, status_member="status", stoppable=frozenset({"InProgress"}))
    return JsonReply({})


def batch_delete_evaluation_job(call: OperationCall) -> Reply:
    identifiers = [str(i) for i in params(call)["jobIdentifiers"]]
    items, errors = jobs.batch_delete(call, JOB, identifiers, status_member="status", message=NOT_FOUND)
    return JsonReply({"errors": errors, "evaluationJobs": items})


HANDLERS = {
    "CreateEvaluationJob": create_evaluation_job,
    "GetEvaluationJob": get_evaluation_job,
    "ListEvaluationJobs": list_evaluation_jobs,
    "StopEvaluationJob": stop_evaluation_job,
    "BatchDeleteEvaluationJob": batch_delete_evaluation_job,
}
