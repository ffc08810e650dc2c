"""StartIngestionJob, GetIngestionJob, ListIngestionJobs, StopIngestionJob.

A job on a created data source is STARTING, IN_PROGRESS after ``DURATIONS["ingest_start"]`` seconds
and COMPLETE (or FAILED) after ``DURATIONS["ingest_run"]``; StopIngestionJob makes it STOPPING, then
STOPPED. ``run`` gives a job its effect (``emulator.control.kb_sync``): the data source is read and what
it indexes is staged to become searchable when the job completes, with the job's statistics and failure
reasons, which the job shows from then on. Stopping a job withdraws what it staged. Jobs on knowledge
bases nobody created are the samples' (lenient mode) or ResourceNotFoundException (strict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.control import kb_sync, lifecycle, resources, samples
from emulator.control.data_sources import data_source, usable_knowledge_base
from emulator.control.ids import new_id
from emulator.control.knowledge_bases import created as created_knowledge_base
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import not_found, wrong_status
from emulator.control.request import params
from emulator.control.resources import INGESTION_JOB, key
from emulator.control.views import view
from emulator.knowledge import content
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

STATISTICS = kb_sync.STATISTICS
RUNNING = ("STARTING", "IN_PROGRESS")


@dataclass(frozen=True)
class IngestionStart:
    """What ``run`` gets: the accepted call, the knowledge base and data source records as they stand,
    and the new job record, which ``run`` may change (statistics, failureReasons, steps) before it is
    saved."""

    call: OperationCall
    knowledge_base: dict[str, Any]
    data_source: dict[str, Any]
    job: dict[str, Any]


def run(start: IngestionStart) -> None:
    """Give a new job its effect. Called once, under the control-plane lock, when StartIngestionJob
    accepts the job: the data source is read now, what it indexes is staged for the moment the job
    completes, and the job's final status, statistics and failure reasons are scheduled with it."""
    started = lifecycle.now(start.call)
    in_progress = started + lifecycle.DURATIONS["ingest_start"]
    complete = started + lifecycle.DURATIONS["ingest_run"]
    outcome = kb_sync.sync(
        start.call,
        start.job["knowledgeBaseId"],
        start.data_source,
        start.job["ingestionJobId"],
        at=complete,
        now=started,
    )
    final: dict[str, Any] = {
        "status": outcome.status,
        "updatedAt": lifecycle.iso(complete),
        "statistics": outcome.statistics,
    }
    reasons = outcome.failure_reasons()
    if reasons:
        final["failureReasons"] = reasons
    schedule(
        start.job,
        [
            (in_progress, {"status": "IN_PROGRESS", "updatedAt": lifecycle.iso(in_progress)}),
            (complete, final),
        ],
    )


def start_ingestion_job(call: OperationCall) -> Reply:
    values = params(call)
    kb_id, ds_id = values["knowledgeBaseId"], values["dataSourceId"]
    if created_knowledge_base(call, kb_id) is None:
        return samples.serve(call, not_found(resources.KNOWLEDGE_BASE.label, kb_id))
    knowledge_base = usable_knowledge_base(call, kb_id)
    source = data_source(call, kb_id, ds_id)
    if source["status"] == "DELETING":
        raise wrong_status(call.operation, source["status"])
    job_id = new_id(call, "ingestion-job")
    moment = stamp(call)
    job: dict[str, Any] = {
        "knowledgeBaseId": kb_id,
        "dataSourceId": ds_id,
        "ingestionJobId": job_id,
        "status": "STARTING",
        "statistics": dict.fromkeys(STATISTICS, 0),
        "startedAt": moment,
        "updatedAt": moment,
    }
    for member in ("description", "clientToken"):
        if member in values:
            job[member] = values[member]
    run(IngestionStart(call, knowledge_base, source, job))
    resources.save(call, INGESTION_JOB, key(kb_id, ds_id, job_id), job)
    return JsonReply({"ingestionJob": view(job, "IngestionJob")})


def get_ingestion_job(call: OperationCall) -> Reply:
    values = params(call)
    kb_id = values["knowledgeBaseId"]
    if created_knowledge_base(call, kb_id) is None:
        return samples.serve(call, not_found(resources.KNOWLEDGE_BASE.label, kb_id))
    job = _job(call, kb_id, values["dataSourceId"], values["ingestionJobId"])
    return JsonReply({"ingestionJob": view(job, "IngestionJob")})


def list_ingestion_jobs(call: OperationCall) -> Reply:
    values = params(call)
    kb_id, ds_id = values["knowledgeBaseId"], values["dataSourceId"]
    if created_knowledge_base(call, kb_id) is None:
        return samples.serve(call, not_found(resources.KNOWLEDGE_BASE.label, kb_id))
    data_source(call, kb_id, ds_id)
    jobs = [job for _, job in resources.records(call, INGESTION_JOB, key(kb_id, ds_id))]
    for spec in values.get("filters") or []:
        wanted = set(spec.get("values") or [])
        jobs = [job for job in jobs if job["status"] in wanted]
    sort = values.get("sortBy")
    if isinstance(sort, dict):
        member = "status" if sort.get("attribute") == "STATUS" else "startedAt"
        jobs.sort(key=lambda job: str(job[member]), reverse=sort.get("order") == "DESCENDING")
    summaries = [view(job, "IngestionJobSummary") for job in jobs]
    return JsonReply(page(call.service, call.operation, summaries, values))


def stop_ingestion_job(call: OperationCall) -> Reply:
    values = params(call)
    kb_id, ds_id, job_id = values["knowledgeBaseId"], values["dataSourceId"], values["ingestionJobId"]
    resources.require(call, resources.KNOWLEDGE_BASE, kb_id)
    job = _job(call, kb_id, ds_id, job_id)
    if job["status"] not in RUNNING:
        raise wrong_status(call.operation, job["status"])
    job.update({"status": "STOPPING", "updatedAt": stamp(call)})
    content.withdraw(call.state.store, call.tenant, kb_id, ds_id, job_id, lifecycle.now(call))
    done = later(call, "update")
    schedule(job, [(done, {"status": "STOPPED", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, INGESTION_JOB, key(kb_id, ds_id, job_id), job)
    return JsonReply({"ingestionJob": view(job, "IngestionJob")})


def _job(call: OperationCall, kb_id: str, ds_id: str, job_id: str) -> dict[str, Any]:
    data_source(call, kb_id, ds_id)
    job = resources.read(call, INGESTION_JOB, key(kb_id, ds_id, job_id))
    if job is None:
        raise not_found(INGESTION_JOB.label, job_id)
    return job


HANDLERS = {
    "StartIngestionJob": start_ingestion_job,
    "GetIngestionJob": get_ingestion_job,
    "ListIngestionJobs": list_ingestion_jobs,
    "StopIngestionJob": stop_ingestion_job,
}
