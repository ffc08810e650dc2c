"""IngestKnowledgeBaseDocuments, DeleteKnowledgeBaseDocuments, GetKnowledgeBaseDocuments,
ListKnowledgeBaseDocuments: documents added to (or removed from) a data source directly.

As Bedrock documents it, a document's ``dataSourceType`` must be its data source's: an S3 data source
takes documents by S3 location only, a CUSTOM one inline (text, or bytes with their MIME type) or by S3
location; a document's metadata comes the same way as its content (inline attributes for inline
content, a ``.metadata.json`` object in S3 for S3 content). A request breaking these rules is refused
whole, before anything is written. Ingesting an identifier or S3 URI again replaces the document.

Each document is a record keyed ``<kb>/<ds>/<type>:<id>`` (``custom:<id>`` or ``s3:<uri>``) holding its
``identifier`` (the wire's DocumentIdentifier), its ``status`` and the ``document`` the request carried. An
ingested document is STARTING, then INDEXED after ``DURATIONS["document"]`` (FAILED with a
``statusReason`` when it cannot be read, is of an unsupported format or has invalid metadata); its text
is read, chunked with the data source's strategy and staged for retrieval at that moment
(``emulator.knowledge.content``). A deleted one is DELETING, then gone, and leaves the index then.
Documents an ingestion job indexed from an S3 data source are listed too (INDEXED), and can be deleted
the same way. Identifiers nobody ingested read as NOT_FOUND.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from emulator.control import kb_sync, lifecycle, resources
from emulator.control.data_sources import data_source, usable_knowledge_base
from emulator.control.kb_sync import DocumentFailedError
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import invalid
from emulator.control.request import params
from emulator.control.resources import DOCUMENT, key
from emulator.control.views import view
from emulator.knowledge import attributes, content, extraction
from emulator.knowledge.attributes import InvalidAttributesError
from emulator.knowledge.extraction import NoTextError
from emulator.s3 import S3StoreError, object_store
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

# wire-facts §17 (the rules are documented; these refusal texts are the emulator's).
WRONG_TYPE: Final = (
    "The dataSourceType {given} of document {index} doesn't match the type {expected} of data source {ds}."
)
S3_ONLY: Final = "Data sources of type S3 only take documents in an S3 location (document {index})."
NOT_DIRECT: Final = "Documents can't be ingested directly into a data source of type {kind}."
MISSING: Final = "Document {index} has no {member}."
METHODS_DIFFER: Final = (
    "The content and metadata of document {index} must be defined the same way: inline content takes "
    "inline attributes, content in S3 takes metadata in S3."
)
STATUS_REASONS: Final = {
    "format": "The file format of the document isn't supported.",
    "size": "The document exceeds the file size limit of 50 MB.",
    "text": "No text content was found in the document.",
    "semantic": "File body text exceeds size limit of 1000000 for semantic chunking.",
    "metadata": (
        "Invalid metadata attributes. Check that the attribute keys and values don't exceed the character "
        "quota, and that the attribute values are acceptable data types (strings, numbers, or Booleans)."
    ),
    "read": "The document could not be read from its S3 location.",
}


def identifier_of(document_content: Mapping[str, Any]) -> dict[str, Any]:
    """The DocumentIdentifier of a document's content."""
    kind = document_content.get("dataSourceType")
    if kind == "S3":
        return {
            "dataSourceType": "S3",
            "s3": {"uri": document_content.get("s3", {}).get("s3Location", {}).get("uri", "")},
        }
    custom = document_content.get("custom", {}).get("customDocumentIdentifier", {}).get("id", "")
    return {"dataSourceType": "CUSTOM", "custom": {"id": custom}}


def document_key_of(identifier: Mapping[str, Any]) -> str:
    """``s3:<uri>`` or ``custom:<id>``: a document's key within its data source."""
    if identifier.get("dataSourceType") == "S3":
        return f"s3:{identifier.get('s3', {}).get('uri', '')}"
    return f"custom:{identifier.get('custom', {}).get('id', '')}"


def document_key(kb_id: str, ds_id: str, identifier: Mapping[str, Any]) -> str:
    return key(kb_id, ds_id, document_key_of(identifier))


def ingest_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id, source = _source(call)
    documents = params(call).get("documents") or []
    kind = (source.get("dataSourceConfiguration") or {}).get("type")
    for index, document in enumerate(documents):
        _check(document, index, str(kind), ds_id)
    moment, done, now = stamp(call), later(call, "document"), lifecycle.now(call)
    chunking = kb_sync.chunking_of(source)
    details = []
    for document in documents:
        identifier = identifier_of(document["content"])
        record: dict[str, Any] = {
            "knowledgeBaseId": kb_id,
            "dataSourceId": ds_id,
            "identifier": identifier,
            "status": "STARTING",
            "updatedAt": moment,
            "document": _without_bytes(document),
        }
        final: dict[str, Any] = {"status": "INDEXED", "updatedAt": lifecycle.iso(done)}
        try:
            entry = _entry(call, document, chunking)
        except DocumentFailedError as failed:
            final.update({"status": "FAILED", "statusReason": STATUS_REASONS[failed.reason]})
        else:
            content.stage(
                call.state.store,
                call.tenant,
                kb_id,
                ds_id,
                document_key_of(identifier),
                entry,
                at=done,
                now=now,
            )
        schedule(record, [(done, final)])
        resources.save(call, DOCUMENT, document_key(kb_id, ds_id, identifier), record)
        details.append(view(record, "KnowledgeBaseDocumentDetail"))
    return JsonReply({"documentDetails": details})


def delete_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id, _ = _source(call)
    now, done = lifecycle.now(call), later(call, "document")
    details = []
    for identifier in params(call).get("documentIdentifiers") or []:
        record_key = document_key(kb_id, ds_id, identifier)
        record = resources.read(call, DOCUMENT, record_key) or _indexed(call, kb_id, ds_id, identifier)
        if record is None:
            details.append(_missing(kb_id, ds_id, identifier))
            continue
        record.update({"status": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(done, {lifecycle.GONE: True})])
        resources.save(call, DOCUMENT, record_key, record)
        content.stage(
            call.state.store, call.tenant, kb_id, ds_id, document_key_of(identifier), None, at=done, now=now
        )
        details.append(view(record, "KnowledgeBaseDocumentDetail"))
    return JsonReply({"documentDetails": details})


def get_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id, _ = _source(call)
    details = []
    for identifier in params(call).get("documentIdentifiers") or []:
        record = resources.read(call, DOCUMENT, document_key(kb_id, ds_id, identifier))
        record = record or _indexed(call, kb_id, ds_id, identifier)
        details.append(
            view(record, "KnowledgeBaseDocumentDetail") if record else _missing(kb_id, ds_id, identifier)
        )
    return JsonReply({"documentDetails": details})


def list_knowledge_base_documents(call: OperationCall) -> Reply:
    kb_id, ds_id, _ = _source(call)
    records = resources.records(call, DOCUMENT, key(kb_id, ds_id))
    listed = {record_key.split("/", 2)[2] for record_key, _ in records}
    details = [view(record, "KnowledgeBaseDocumentDetail") for _, record in records]
    now = lifecycle.now(call)
    for document_key_, entry in content.latest(call.state.store, call.tenant, kb_id, ds_id).items():
        if document_key_ in listed or entry.get("source") != "S3":
            continue
        if content.current(call.state.store, call.tenant, kb_id, ds_id, document_key_, now) is not None:
            identifier = {"dataSourceType": "S3", "s3": {"uri": entry["uri"]}}
            details.append(view(_indexed_record(kb_id, ds_id, identifier), "KnowledgeBaseDocumentDetail"))
    return JsonReply(page(call.service, call.operation, details, params(call)))


def _source(call: OperationCall) -> tuple[str, str, dict[str, Any]]:
    values = params(call)
    kb_id, ds_id = values["knowledgeBaseId"], values["dataSourceId"]
    usable_knowledge_base(call, kb_id)
    return kb_id, ds_id, data_source(call, kb_id, ds_id)


def _check(document: Mapping[str, Any], index: int, kind: str, ds_id: str) -> None:
    """Refuse a document its data source cannot take (before anything of the request is written)."""
    if kind not in ("S3", "CUSTOM"):
        raise invalid(NOT_DIRECT.format(kind=kind))
    document_content = document["content"]
    given = document_content["dataSourceType"]
    if given != kind:
        raise invalid(WRONG_TYPE.format(given=given, index=index, expected=kind, ds=ds_id))
    metadata = document.get("metadata")
    if kind == "S3":
        if "s3" not in document_content:
            raise invalid(S3_ONLY.format(index=index))
        inline = False
    else:
        custom = document_content.get("custom") or {}
        inline = custom.get("sourceType") == "IN_LINE"
        needed = "inlineContent" if inline else "s3Location"
        if needed not in custom:
            raise invalid(MISSING.format(index=index, member=f"content.custom.{needed}"))
        if inline:
            body = custom["inlineContent"]
            member = "textContent" if body.get("type") == "TEXT" else "byteContent"
            if member not in body:
                raise invalid(MISSING.format(index=index, member=f"content.custom.inlineContent.{member}"))
    if metadata is not None:
        if (metadata.get("type") == "IN_LINE_ATTRIBUTE") != inline:
            raise invalid(METHODS_DIFFER.format(index=index))
        needed = "inlineAttributes" if inline else "s3Location"
        if needed not in metadata:
            raise invalid(MISSING.format(index=index, member=f"metadata.{needed}"))


def _entry(
    call: OperationCall, document: Mapping[str, Any], chunking: Mapping[str, Any] | None
) -> content.Entry:
    """A document's indexed form; `DocumentFailedError` when it cannot be indexed."""
    document_content = document["content"]
    metadata = document.get("metadata")
    if document_content["dataSourceType"] == "S3":
        uri = document_content["s3"]["s3Location"]["uri"]
        source, identity = "S3", uri
        data, suffix = _read(call, uri), extraction.extension(uri)
    else:
        custom = document_content["custom"]
        source, identity = "CUSTOM", custom["customDocumentIdentifier"]["id"]
        if custom["sourceType"] == "IN_LINE":
            data, suffix = _inline(custom["inlineContent"])
        else:
            uri = custom["s3Location"]["uri"]
            data, suffix = _read(call, uri), extraction.extension(uri)
    if suffix not in extraction.SUPPORTED:
        raise DocumentFailedError("format")
    if len(data) > extraction.MAX_FILE_BYTES:
        raise DocumentFailedError("size")
    try:
        text = extraction.extract(data, suffix)
        values = _attributes(call, metadata)
    except NoTextError as error:
        raise DocumentFailedError("text") from error
    except InvalidAttributesError as error:
        raise DocumentFailedError("metadata") from error
    return kb_sync.document_entry(
        source, identity, text, values, chunking, contentDigest=kb_sync.digest_of(data)
    )


def _inline(body: Mapping[str, Any]) -> tuple[bytes, str]:
    if body["type"] == "TEXT":
        return str(body["textContent"]["data"]).encode(), ".txt"
    raw = body["byteContent"]
    try:
        data = base64.b64decode(str(raw["data"]), validate=True)
    except (binascii.Error, ValueError) as error:
        raise DocumentFailedError("text") from error
    mime = str(raw["mimeType"]).split(";", 1)[0].strip().lower()
    return data, extraction.MIME_TYPES.get(mime, "")


def _attributes(call: OperationCall, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if metadata["type"] == "IN_LINE_ATTRIBUTE":
        return attributes.from_inline(metadata["inlineAttributes"])
    try:
        return attributes.from_sidecar(_read(call, metadata["s3Location"]["uri"]))
    except DocumentFailedError as error:
        raise InvalidAttributesError("the metadata file could not be read") from error


def _read(call: OperationCall, uri: str) -> bytes:
    bucket, _, object_key = uri.removeprefix("s3://").partition("/")
    try:
        return object_store(call.state).get_object(call.tenant, bucket, object_key)
    except S3StoreError as error:
        raise DocumentFailedError("read") from error


def _without_bytes(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the record keeps it: inline bytes are indexed, not kept twice."""
    kept = dict(document)
    custom = (document.get("content") or {}).get("custom") or {}
    if "byteContent" in (custom.get("inlineContent") or {}):
        inline = {
            **custom["inlineContent"],
            "byteContent": {"mimeType": custom["inlineContent"]["byteContent"]["mimeType"]},
        }
        kept["content"] = {**document["content"], "custom": {**custom, "inlineContent": inline}}
    return kept


def _indexed(
    call: OperationCall, kb_id: str, ds_id: str, identifier: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A document an ingestion job indexed (it has no record of its own), as a record."""
    found = content.current(
        call.state.store, call.tenant, kb_id, ds_id, document_key_of(identifier), lifecycle.now(call)
    )
    return None if found is None else _indexed_record(kb_id, ds_id, identifier)


def _indexed_record(kb_id: str, ds_id: str, identifier: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "knowledgeBaseId": kb_id,
        "dataSourceId": ds_id,
        "identifier": dict(identifier),
        "status": "INDEXED",
    }


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
