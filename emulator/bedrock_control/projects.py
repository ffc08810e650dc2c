"""Projects: CreateProject, GetProject, ListProjects, UpdateProject, ArchiveProject.

A project is ``active`` from creation and ``archived`` (with ``archivedAt``) after ArchiveProject; it
keeps its data retention mode (``inherit`` unless given). Ids are twelve lower-case letters and digits;
the ARN is ``arn:aws:bedrock:<region>:<account>:project/<id>``. ``project(call, identifier)`` is how the
other areas (data retention storage, trusted access enrollments) find a caller's project.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import jobs, tags
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import pagination
from emulator.wire.errors import AwsError

SERVICE: Final = "bedrock"
PROJECT: Final = Kind("bedrock:project", "Project")
ARCHIVED_CONFLICT: Final = "The project is archived and can't be changed."


def project(call: OperationCall, identifier: str) -> dict[str, Any]:
    """The caller's project ``identifier`` names: ValidationException for an ARN of another account or
    Region, ResourceNotFoundException for an id the caller has no project by."""
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        if len(parts) < 6 or parts[3] != call.region or parts[4] != account_id(call.tenant):
            raise AwsError(
                "ValidationException", "The project ARN must belong to the calling account and Region."
            )
    record = resources.read(call, PROJECT, jobs.id_of(identifier))
    if record is None:
        raise AwsError("ResourceNotFoundException", f"Project {jobs.id_of(identifier)} was not found.")
    return record


def _shown(record: dict[str, Any]) -> dict[str, Any]:
    return view(record, "GetProjectResponse", SERVICE)


def create_project(call: OperationCall) -> Reply:
    values = params(call)
    name = str(values["name"])
    if any(
        r.get("name") == name and r.get("status") == "active" for _, r in resources.records(call, PROJECT)
    ):
        raise AwsError("ConflictException", f"A project named {name} already exists.")
    project_id, arn = jobs.new_job(call, "project")
    record = {
        "id": project_id,
        "arn": arn,
        "name": name,
        "status": "active",
        "createdAt": lifecycle.stamp(call),
        "dataRetention": values.get("dataRetention") or {"mode": "inherit"},
    }
    resources.save(call, PROJECT, project_id, record)
    tags.attach(call, arn, values.get("tags"))
    return JsonReply(_shown(record))


def get_project(call: OperationCall) -> Reply:
    return JsonReply(_shown(project(call, str(params(call)["projectIdentifier"]))))


def list_projects(call: OperationCall) -> Reply:
    values = params(call)
    chosen = [r for _, r in resources.records(call, PROJECT)]
    wanted = values.get("statusFilter")
    if wanted:
        chosen = [r for r in chosen if r.get("status") == wanted]
    summaries = [view(r, "ProjectSummary", SERVICE) for r in chosen]
    return JsonReply(pagination.page(SERVICE, call.operation, summaries, values))


def update_project(call: OperationCall) -> Reply:
    values = params(call)
    record = project(call, str(values["projectIdentifier"]))
    if record["status"] == "archived":
        raise AwsError("ConflictException", ARCHIVED_CONFLICT)
    for member in ("name", "dataRetention"):
        if member in values:
            record[member] = values[member]
    resources.save(call, PROJECT, record["id"], record)
    return JsonReply(_shown(record))


def archive_project(call: OperationCall) -> Reply:
    record = project(call, str(params(call)["projectIdentifier"]))
    if record["status"] == "archived":
        raise AwsError("ConflictException", "The project is already archived.")
    record.update({"status": "archived", "archivedAt": lifecycle.stamp(call)})
    resources.save(call, PROJECT, record["id"], record)
    return JsonReply(_shown(record))


HANDLERS = {
    "CreateProject": create_project,
    "GetProject": get_project,
    "ListProjects": list_projects,
    "UpdateProject": update_project,
    "ArchiveProject": archive_project,
}
