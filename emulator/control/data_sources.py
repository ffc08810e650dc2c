"""CreateDataSource, GetDataSource, UpdateDataSource, DeleteDataSource, ListDataSources.

A data source belongs to a knowledge base the caller created; it is AVAILABLE at once (as Bedrock
answers CreateDataSource), DELETING then gone on delete (with its ingestion jobs and documents). Under
a knowledge base nobody created, reads are the samples' (lenient) or ResourceNotFoundException.
"""

from __future__ import annotations

from typing import Any

from emulator.control import lifecycle, resources, samples
from emulator.control.ids import new_id
from emulator.control.knowledge_bases import created as created_knowledge_base
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import not_found, wrong_status
from emulator.control.request import params
from emulator.control.resources import DATA_SOURCE, KNOWLEDGE_BASE, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

UPDATABLE = (
    "name",
    "description",
    "dataSourceConfiguration",
    "dataDeletionPolicy",
    "serverSideEncryptionConfiguration",
    "vectorIngestionConfiguration",
)


def usable_knowledge_base(call: OperationCall, kb_id: str) -> dict[str, Any]:
    """The caller's knowledge base, refusing one that is being deleted."""
    record = resources.require(call, KNOWLEDGE_BASE, kb_id)
    if record["status"] == "DELETING":
        raise wrong_status(call.operation, record["status"])
    return record


def data_source(call: OperationCall, kb_id: str, ds_id: str) -> dict[str, Any]:
    """A data source of the caller's knowledge base, or ResourceNotFoundException."""
    record = resources.read(call, DATA_SOURCE, key(kb_id, ds_id))
    if record is None:
        raise not_found(DATA_SOURCE.label, ds_id)
    return record


def create_data_source(call: OperationCall) -> Reply:
    values = params(call)
    kb_id = values["knowledgeBaseId"]
    usable_knowledge_base(call, kb_id)
    resources.refuse_name_in_use(call, DATA_SOURCE, kb_id, values["name"])
    ds_id = new_id(call, "data-source")
    moment = stamp(call)
    record = {
        "dataDeletionPolicy": "DELETE",
        **values,
        "dataSourceId": ds_id,
        "status": "AVAILABLE",
        "createdAt": moment,
        "updatedAt": moment,
    }
    resources.save(call, DATA_SOURCE, key(kb_id, ds_id), record)
    return JsonReply({"dataSource": view(record, "DataSource")})


def get_data_source(call: OperationCall) -> Reply:
    values = params(call)
    if created_knowledge_base(call, values["knowledgeBaseId"]) is None:
        return samples.serve(call, not_found(KNOWLEDGE_BASE.label, values["knowledgeBaseId"]))
    record = data_source(call, values["knowledgeBaseId"], values["dataSourceId"])
    return JsonReply({"dataSource": view(record, "DataSource")})


def update_data_source(call: OperationCall) -> Reply:
    values = params(call)
    kb_id, ds_id = values["knowledgeBaseId"], values["dataSourceId"]
    usable_knowledge_base(call, kb_id)
    record = data_source(call, kb_id, ds_id)
    if record["status"] == "DELETING":
        raise wrong_status(call.operation, record["status"])
    resources.refuse_name_in_use(call, DATA_SOURCE, kb_id, values["name"], other_than=key(kb_id, ds_id))
    for member in UPDATABLE:
        record.pop(member, None)
    record.update({"dataDeletionPolicy": "DELETE"})
    record.update({k: v for k, v in values.items() if k in UPDATABLE})
    record["updatedAt"] = stamp(call)
    resources.save(call, DATA_SOURCE, key(kb_id, ds_id), record)
    return JsonReply({"dataSource": view(record, "DataSource")})


def delete_data_source(call: OperationCall) -> Reply:
    values = params(call)
    kb_id, ds_id = values["knowledgeBaseId"], values["dataSourceId"]
    resources.require(call, KNOWLEDGE_BASE, kb_id)
    record = data_source(call, kb_id, ds_id)
    if record["status"] != "DELETING":
        resources.remove_under(call, resources.INGESTION_JOB, key(kb_id, ds_id))
        resources.remove_under(call, resources.DOCUMENT, key(kb_id, ds_id))
        record.update({"status": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "delete"), {lifecycle.GONE: True})])
        resources.save(call, DATA_SOURCE, key(kb_id, ds_id), record)
    return JsonReply({"knowledgeBaseId": kb_id, "dataSourceId": ds_id, "status": "DELETING"})


def list_data_sources(call: OperationCall) -> Reply:
    values = params(call)
    kb_id = values["knowledgeBaseId"]
    if created_knowledge_base(call, kb_id) is None:
        return samples.serve(call, not_found(KNOWLEDGE_BASE.label, kb_id))
    summaries = [view(r, "DataSourceSummary") for _, r in resources.records(call, DATA_SOURCE, kb_id)]
    return JsonReply(page(call.service, call.operation, summaries, values))


HANDLERS = {
    "CreateDataSource": create_data_source,
    "GetDataSource": get_data_source,
    "UpdateDataSource": update_data_source,
    "DeleteDataSource": delete_data_source,
    "ListDataSources": list_data_sources,
}
