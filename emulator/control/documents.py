"""IngestKnowledgeBaseDocuments, DeleteKnowledgeBaseDocuments, GetKnowledgeBaseDocuments,
ListKnowledgeBaseDocuments: documents added to (or removed from) a data source directly.

Each document is a record keyed ``<kb>/<ds>/<type>:<id>`` (``custom:<id>`` or ``s3:<uri>``) holding its
``identifier`` (the wire's DocumentIdentifier), its ``status`` and the whole ``document`` the request
carried (content and metadata), which retrieval reads. An ingested document is STARTING, then INDEXED
after ``DURATIONS["document"]``; a deleted one DELETING, then gone. Identifiers nobody ingested read as
NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.control import lifecycle, resources
from emulator.control.data_sources import data_source, usable_knowledge_base
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.request import params
from emulator.control.resources import DOCUMENT, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page


def identifier_of(content: Mapping[str, Any]) -> dict[str, Any]:
    """The DocumentIdentifier of a document's content."""
    kind = content.get("dataSourceType")
    if kind == "S3":
        return {
            "dataSourceType": "S3",
            "s3": {"uri": content.get("s3", {}).get("s3Location", {}).get("uri", "")},
        }
    custom = content.get("custom", {}).get("customDocumentIdentifier", {}).get("id", "")
    return {"dataSourceType": "CUSTOM", "custom": {"id": custom}}


def document_key(kb_id: str, ds_id: str, identifier: Mapping[str, Any]) -> str:
    if identifier.get("dataSourceType") == "S3":
        return key(kb_id, ds_id, f"s3:{identifier.get('s3', {}).get('uri', '')}")
    return key(kb_id, ds_id, f"custom:{identifier.get('custom', {}).get('id', '')}")


def ingest_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id = _source(call)
    moment = stamp(call)
    done = later(call, "document")
    details = []
    for document in params(call).get("documents") or []:
        identifier = identifier_of(document.get("content", {}))
        record = {
            "knowledgeBaseId": kb_id,
            "dataSourceId": ds_id,
            "identifier": identifier,
            "status": "STARTING",
            "updatedAt": moment,
            "document": document,
        }
        schedule(record, [(done, {"status": "INDEXED", "updatedAt": lifecycle.iso(done)})])
        resources.save(call, DOCUMENT, document_key(kb_id, ds_id, identifier), record)
        details.append(view(record, "KnowledgeBaseDocumentDetail"))
    return JsonReply({"documentDetails": details})


def delete_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id = _source(call)
    details = []
    for identifier in params(call).get("documentIdentifiers") or []:
        record_key = document_key(kb_id, ds_id, identifier)
        record = resources.read(call, DOCUMENT, record_key)
        if record is None:
            details.append(_missing(kb_id, ds_id, identifier))
            continue
        record.update({"status": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "document"), {lifecycle.GONE: True})])
        resources.save(call, DOCUMENT, record_key, record)
        details.append(view(record, "KnowledgeBaseDocumentDetail"))
    return JsonReply({"documentDetails": details})


def get_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id = _source(call)
    details = []
    for identifier in params(call).get("documentIdentifiers") or []:
        record = resources.read(call, DOCUMENT, document_key(kb_id, ds_id, identifier))
        details.append(
            view(record, "KnowledgeBaseDocumentDetail") if record else _missing(kb_id, ds_id, identifier)
        )
    return JsonReply({"documentDetails": details})


def list_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id = _source(call)
    details = [
        view(record, "KnowledgeBaseDocumentDetail")
        for _, record in resources.records(call, DOCUMENT, key(kb_id, ds_id))
    ]
    return JsonReply(page(call.service, call.operation, details, params(call)))


def _source(call: OperationCall) -> tuple[str, str]:
    values = params(call)
    kb_id, ds_id = values["knowledgeBaseId"], values["dataSourceId"]
    usable_knowledge_base(call, kb_id)
    data_source(call, kb_id, ds_id)
    return kb_id, ds_id


def _missing(kb_id: str, ds_id: str, identifier: Mapping[str, Any]) -> dict[str, Any]:
    return view(
        {"knowledgeBaseId": kb_id, "dataSourceId": ds_id, "identifier": identifier, "status": "NOT_FOUND"},
        "KnowledgeBaseDocumentDetail",
    )


HANDLERS = {
    "IngestKnowledgeBaseDocuments": ingest_knowledge_base_documents,
    "DeleteKnowledgeBaseDocuments": delete_knowledge_base_documents,
    "GetKnowledgeBaseDocuments": get_knowledge_base_documents,
    "ListKnowledgeBaseDocuments": list_knowledge_base_documents,
}
