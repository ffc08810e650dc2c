"""What the ``bedrock`` job kinds share (batch inference, evaluation, advanced prompt optimization): ids
and ARNs, finding a job by identifier, and the filters and sort orders of their List operations.

Job ids are twelve lower-case letters and digits (botocore's ``...JobArn`` patterns end in
``[a-z0-9]{12}``), minted by ``emulator.control.ids`` from the seed, the tenant and a counter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.bedrock_control import tags
from emulator.control import ids, lifecycle, resources
from emulator.control.accounts import bedrock_arn
from emulator.control.resources import Kind
from emulator.services.exchange import OperationCall
from emulator.wire.errors import AwsError


def new_job(call: OperationCall, resource_type: str) -> tuple[str, str]:
    """A fresh job id and its ARN (``arn:aws:bedrock:<region>:<account>:<resource_type>/<id>``)."""
    job_id = ids.new_id(call, resource_type, alphabet=ids.LOWER, length=12)
    return job_id, bedrock_arn(call.region, call.tenant, f"{resource_type}/{job_id}")


def id_of(identifier: str) -> str:
    """A job identifier's id: the id itself, or the last segment of the ARN it is given as."""
    return identifier.rsplit("/", 1)[-1]


def find(call: OperationCall, kind: Kind, identifier: str, message: str) -> dict[str, Any]:
    """The caller's job ``identifier`` names (an ARN of another account's or Region's names none), or
    ResourceNotFoundException with ``message``."""
    job_id = id_of(identifier)
    record = resources.read(call, kind, job_id)
    if record is None or (identifier.startswith("arn:") and identifier != record.get("_arn")):
        raise AwsError("ResourceNotFoundException", message)
    return record


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def listed(
    records: Iterable[dict[str, Any]],
    params: Mapping[str, Any],
    *,
    time_member: str,
    status_member: str = "status",
    name_member: str = "jobName",
    after: str = "",
    before: str = "",
) -> list[dict[str, Any]]:
    """The records a List call asks for: ``statusEquals``, ``nameContains`` and the time window
    (members ``after`` / ``before``) applied, sorted by creation time (``sortOrder``, Descending by
    default, as Bedrock lists newest first)."""
    chosen = list(records)
    status = params.get("statusEquals")
    if status:
        chosen = [r for r in chosen if r.get(status_member) == status]
    name = params.get("nameContains")
    if name:
        chosen = [r for r in chosen if str(name) in str(r.get(name_member, ""))]
    start = _moment(params.get(after)) if after else None
    end = _moment(params.get(before)) if before else None
    if start is not None or end is not None:
        kept = []
        for record in chosen:
            moment = _moment(record.get(time_member))
            if moment is None:
                continue
            if (start is None or moment > start) and (end is None or moment < end):
                kept.append(record)
        chosen = kept
    chosen.sort(key=lambda r: str(r.get(time_member, "")), reverse=params.get("sortOrder") != "Ascending")
    return chosen


STOP_SECONDS = 0.5  # Stopping -> Stopped
DELETE_SECONDS = 0.5  # Deleting -> gone


def stop(
    call: OperationCall, kind: Kind, job: dict[str, Any], *, status_member: str, stoppable: frozenset[str]
) -> None:
    """Stopping now, Stopped (with ``endTime``, where the job's shape has one) after ``STOP_SECONDS``;
    ValidationException unless the job's status is one of ``stoppable``."""
    status = job.get(status_member)
    if status not in stoppable:
        raise AwsError("ValidationException", f"The job can't be stopped because its status is {status}.")
    now = lifecycle.now(call)
    at = now + STOP_SECONDS
    job.update({status_member: "Stopping", "lastModifiedTime": lifecycle.iso(now), "_due": False})
    stopped = {status_member: "Stopped", "lastModifiedTime": lifecycle.iso(at), "endTime": lifecycle.iso(at)}
    lifecycle.schedule(job, [(at, stopped)])
    resources.save(call, kind, job["_id"], job)


def batch_delete(
    call: OperationCall, kind: Kind, identifiers: list[str], *, status_member: str, message: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deleting each job (gone after ``DELETE_SECONDS``): the deleted items and the per-job errors."""
    items, errors = [], []
    for identifier in identifiers:
        try:
            job = find(call, kind, identifier, message)
        except AwsError as error:
            errors.append({"jobIdentifier": identifier, "code": error.code, "message": error.message})
            continue
        at = lifecycle.now(call) + DELETE_SECONDS
        job.update({status_member: "Deleting", "_due": False})
        lifecycle.schedule(job, [(at, {lifecycle.GONE: True})])
        resources.save(call, kind, job["_id"], job)
        tags.drop(call, job["_arn"])
        items.append({"jobIdentifier": identifier, "jobStatus": "Deleting"})
    return items, errors
