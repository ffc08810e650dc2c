"""Advanced prompt optimization jobs: CreateAdvancedPromptOptimizationJob, GetAdvancedPromptOptimizationJob,
ListAdvancedPromptOptimizationJobs, StopAdvancedPromptOptimizationJob,
BatchDeleteAdvancedPromptOptimizationJob.

A job is InProgress; the first read after ``RUN_SECONDS`` of virtual clock writes its results
(``prompt_optimization_run``) and settles it Completed, or Failed (``failureMessage``). An input that does
not exist or is not the documented JSONL fails it from the start. Stop: Stopping -> Stopped; BatchDelete:
Deleting -> gone.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import jobs, prompt_optimization_run, tags
from emulator.bedrock_control.s3_uris import InputError
from emulator.control import lifecycle, resources
from emulator.control.request import params, without
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import pagination

SERVICE: Final = "bedrock"
JOB: Final = Kind("bedrock:advanced-prompt-optimization-job", "AdvancedPromptOptimizationJob")
RESOURCE_TYPE: Final = "advanced-prompt-optimization-job"
RUN_SECONDS: Final = 2.0
NOT_FOUND: Final = "The specified advanced prompt optimization job was not found."


def _settled(call: OperationCall, job: dict[str, Any]) -> dict[str, Any]:
    if not job.get("_due") or job.get("jobStatus") != "InProgress":
        return job
    failure = prompt_optimization_run.run(call, job)
    job.update({"_due": False, "lastModifiedTime": lifecycle.iso(float(job["_dueAt"]))})
    job.update(
        {"jobStatus": "Completed"} if failure is None else {"jobStatus": "Failed", "failureMessage": failure}
    )
    resources.save(call, JOB, job["_id"], job)
    return job


def create_advanced_prompt_optimization_job(call: OperationCall) -> Reply:
    values = params(call)
    job_id, arn = jobs.new_job(call, RESOURCE_TYPE)
    start = lifecycle.now(call)
    at = start + RUN_SECONDS
    try:
        prompt_optimization_run.templates(call, values["inputConfig"]["s3Uri"])
        final: dict[str, Any] = {"_due": True, "_dueAt": at}
    except InputError as error:
        final = {"jobStatus": "Failed", "failureMessage": str(error), "lastModifiedTime": lifecycle.iso(at)}
    job: dict[str, Any] = {
        **without(values, "tags"),
        "_id": job_id,
        "_arn": arn,
        "jobArn": arn,
        "jobStatus": "InProgress",
        "creationTime": lifecycle.iso(start),
        "lastModifiedTime": lifecycle.iso(start),
    }
    lifecycle.schedule(job, [(at, final)])
    resources.save(call, JOB, job_id, job)
    tags.attach(call, arn, values.get("tags"))
    return JsonReply({"jobArn": arn})


def _job(call: OperationCall) -> dict[str, Any]:
    return _settled(call, jobs.find(call, JOB, str(params(call)["jobIdentifier"]), NOT_FOUND))


def get_advanced_prompt_optimization_job(call: OperationCall) -> Reply:
    return JsonReply(view(_job(call), "GetAdvancedPromptOptimizationJobResponse", SERVICE))


def list_advanced_prompt_optimization_jobs(call: OperationCall) -> Reply:
    values = params(call)
    chosen = jobs.listed(
        (_settled(call, job) for _, job in resources.records(call, JOB)),
        values,
        time_member="creationTime",
        status_member="jobStatus",
    )
    summaries = [view(job, "AdvancedPromptOptimizationJobSummary", SERVICE) for job in chosen]
    return JsonReply(pagination.page(SERVICE, call.operation, summaries, values))


def stop_advanced_prompt_optimization_job(call: OperationCall) -> Reply:
    jobs.stop(call, JOB, _job(call), status_member="jobStatus", stoppable=frozenset({"InProgress"}))
    return JsonReply({})


def batch_delete_advanced_prompt_optimization_job(call: OperationCall) -> Reply:
    identifiers = [str(i) for i in params(call)["jobIdentifiers"]]
    items, errors = jobs.batch_delete(call, JOB, identifiers, status_member="jobStatus", message=NOT_FOUND)
    return JsonReply({"errors": errors, "advancedPromptOptimizationJobs": items})


HANDLERS = {
    "CreateAdvancedPromptOptimizationJob": create_advanced_prompt_optimization_job,
    "GetAdvancedPromptOptimizationJob": get_advanced_prompt_optimization_job,
    "ListAdvancedPromptOptimizationJobs": list_advanced_prompt_optimization_jobs,
    "StopAdvancedPromptOptimizationJob": stop_advanced_prompt_optimization_job,
    "BatchDeleteAdvancedPromptOptimizationJob": batch_delete_advanced_prompt_optimization_job,
}
