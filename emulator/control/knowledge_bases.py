"""CreateKnowledgeBase, GetKnowledgeBase, UpdateKnowledgeBase, DeleteKnowledgeBase, ListKnowledgeBases.

A knowledge base is CREATING for ``DURATIONS["create"]`` seconds of virtual clock, then ACTIVE; an update
is UPDATING, then ACTIVE again; a delete is DELETING, then gone, and takes its data sources, ingestion
jobs, documents, VPC configurations, resource policy and tags with it. Ids nobody created are the
samples' (lenient) or ResourceNotFoundException (strict).
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, lifecycle, resources, samples, tags
from emulator.control.ids import new_id
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import KNOWLEDGE_BASE_NAME_TAKEN, conflict, not_found, wrong_status
from emulator.control.request import params, without
from emulator.control.resources import KNOWLEDGE_BASE
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

# What UpdateKnowledgeBase replaces (absent optional members are removed, as a PUT does).
UPDATABLE = (
    "name",
    "description",
    "roleArn",
    "knowledgeBaseConfiguration",
    "storageConfiguration",
    "metadataConfigurations",
    "userContextModeForRetrieval",
    "trustedIdentitySources",
)
CHILDREN = (
    resources.DATA_SOURCE,
    resources.INGESTION_JOB,
    resources.DOCUMENT,
    resources.VPC_CONFIGURATION,
)


def created(call: OperationCall, kb_id: str) -> dict[str, Any] | None:
    """The caller's knowledge base with this id, as it stands now, or None."""
    return resources.read(call, KNOWLEDGE_BASE, kb_id)


def create_knowledge_base(call: OperationCall) -> Reply:
    values = params(call)
    name = values["name"]
    if resources.sibling_named(call, KNOWLEDGE_BASE, "", name) is not None:
        raise conflict(KNOWLEDGE_BASE_NAME_TAKEN.format(name=name))
    kb_id = new_id(call, "knowledge-base")
    moment = stamp(call)
    record = {
        **without(values, "tags"),
        "knowledgeBaseId": kb_id,
        "knowledgeBaseArn": arns.knowledge_base(call, kb_id),
        "status": "CREATING",
        "createdAt": moment,
        "updatedAt": moment,
    }
    done = later(call, "create")
    schedule(record, [(done, {"status": "ACTIVE", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, KNOWLEDGE_BASE, kb_id, record)
    tags.attach(call, record["knowledgeBaseArn"], values.get("tags"))
    return JsonReply({"knowledgeBase": view(record, "KnowledgeBase")})


def get_knowledge_base(call: OperationCall) -> Reply:
    kb_id = params(call)["knowledgeBaseId"]
    record = created(call, kb_id)
    if record is None:
        return samples.serve(call, not_found(KNOWLEDGE_BASE.label, kb_id))
    return JsonReply({"knowledgeBase": view(record, "KnowledgeBase")})


def update_knowledge_base(call: OperationCall) -> Reply:
    values = params(call)
    kb_id = values["knowledgeBaseId"]
    record = resources.require(call, KNOWLEDGE_BASE, kb_id)
    if record["status"] in ("CREATING", "UPDATING", "DELETING"):
        raise wrong_status(call.operation, record["status"])
    if resources.sibling_named(call, KNOWLEDGE_BASE, "", values["name"], other_than=kb_id) is not None:
        raise conflict(KNOWLEDGE_BASE_NAME_TAKEN.format(name=values["name"]))
    for member in UPDATABLE:
        record.pop(member, None)
    record.update({k: v for k, v in values.items() if k in UPDATABLE})
    record.update({"status": "UPDATING", "updatedAt": stamp(call)})
    done = later(call, "update")
    schedule(record, [(done, {"status": "ACTIVE", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, KNOWLEDGE_BASE, kb_id, record)
    return JsonReply({"knowledgeBase": view(record, "KnowledgeBase")})


def delete_knowledge_base(call: OperationCall) -> Reply:
    kb_id = params(call)["knowledgeBaseId"]
    record = resources.require(call, KNOWLEDGE_BASE, kb_id)
    if record["status"] != "DELETING":
        for kind in CHILDREN:
            resources.remove_under(call, kind, kb_id)
        resources.remove(call, resources.RESOURCE_POLICY, record["knowledgeBaseArn"])
        tags.drop(call, record["knowledgeBaseArn"])
        record.update({"status": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "delete"), {lifecycle.GONE: True})])
        resources.save(call, KNOWLEDGE_BASE, kb_id, record)
    return JsonReply({"knowledgeBaseId": kb_id, "status": "DELETING"})


def list_knowledge_bases(call: OperationCall) -> Reply:
    mine = [view(record, "KnowledgeBaseSummary") for _, record in resources.records(call, KNOWLEDGE_BASE)]
    ids = {summary["knowledgeBaseId"] for summary in mine}
    others = [
        s for s in samples.listed(call, "knowledgeBaseSummaries") if s.get("knowledgeBaseId") not in ids
    ]
    return JsonReply(page(call.service, call.operation, mine + others, params(call)))


HANDLERS = {
    "CreateKnowledgeBase": create_knowledge_base,
    "GetKnowledgeBase": get_knowledge_base,
    "UpdateKnowledgeBase": update_knowledge_base,
    "DeleteKnowledgeBase": delete_knowledge_base,
    "ListKnowledgeBases": list_knowledge_bases,
}
