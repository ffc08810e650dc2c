"""Advanced prompt optimization jobs: CreateAdvancedPromptOptimizationJob, GetAdvancedPromptOptimizationJob,
ListAdvancedPromptOptimizationJobs, StopAdvancedPromptOptimizationJob,
BatchDeleteAdvancedPromptOptimizationJob.

Plausible state only: a job is InProgress, then Completed after ``RUN_SECONDS`` of virtual clock, or
Failed (``failureMessage``) when its input object does not exist at creation. Nothing is written to the
output prefix (no public material shows the files this job writes). Stop: Stopping -> Stopped;
BatchDelete: Deleting -> gone.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import jobs, s3_uris, tags
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


def create_advanced_prompt_optimization_job(call: OperationCall) -> Reply:
    values = params(call)
    job_id, arn = jobs.new_job(call, RESOURCE_TYPE)
    start = lifecycle.now(call)
    at = start + RUN_SECONDS
    try:
        s3_uris.read_inputs(call, values["inputConfig"]["s3Uri"], suffix="")
        final: dict[str, Any] = {"jobStatus": "Completed"}
    except InputError as error:
        final = {"jobStatus": "Failed", "failureMessage": str(error)}
    job: dict[str, Any] = {
        **without(values, "tags"),
        "_id": job_id,
        "_arn": arn,
        "jobArn": arn,
        "jobStatus": "InProgress",
        "creationTime": lifecycle.iso(start),
        "lastModifiedTime": lifecycle.iso(start),
    }
    lifecycle.schedule(job, [(at, {**final, "lastModifiedTime": lifecycle.iso(at)})])
    resources.save(call, JOB, job_id, job)
    tags.attach(call, arn, values.get("tags"))
    return JsonReply({"jobArn": arn})


def _job(call: OperationCall) -> dict[str, Any]:
    return jobs.find(call, JOB, str(params(call)["jobIdentifier"]), NOT_FOUND)


def get_advanced_prompt_optimization_job(call: OperationCall) -> Reply:
    return JsonReply(view(_job(call), "GetAdvancedPromptOptimizationJobResponse", SERVICE))


def list_advanced_prompt_optimization_jobs(call: OperationCall) -> Reply:
    values = params(call)
    chosen = jobs.listed(
        (job for _, job in resources.records(call, JOB)),
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
