"""Knowledge-base document reads: GetDocumentContent, GetIngestedDocumentAcl, CheckIngestedDocumentAcl.

A document's access list is the ``documentAcl`` object of its ``<file>.metadata.json`` sidecar, in the
exact shape GetIngestedDocumentAcl returns (an emulator convention: Bedrock reads ACLs from the source).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from emulator.knowledge import registry
from emulator.knowledge.documents import DocumentError, read_document
from emulator.knowledge.registry import Chunk, DataSource, Resolved
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint

_KB_IDENTIFIER = re.compile(
    r"^(?:arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:knowledge-base/)?([0-9a-zA-Z]{10})$"
)
_MIME_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".csv": "text/csv",
}


def handle_get_document_content(call: OperationCall) -> Reply:
    resolved, ds = _data_source(call)
    document_id: str = call.input["documentId"]
    chunk = _document(ds, document_id)
    output_format = call.input.get("outputFormat", "RAW")
    if output_format not in ("RAW", "EXTRACTED"):
        raise _constraint(
            "outputFormat", output_format, "Member must satisfy enum value set: [RAW, EXTRACTED]"
        )
    path = ds.directory / chunk.document_path
    if output_format == "RAW":
        length = path.stat().st_size
        mime = _MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
    else:
        try:
            text = read_document(path, chunk.document_path, ds.s3_prefix).text
        except (DocumentError, OSError, UnicodeDecodeError) as exc:
            raise AwsError("ValidationException", f"The document {document_id} cannot be extracted.") from exc
        length, mime = len(text.encode("utf-8")), "text/plain"
    return JsonReply(
        {
            "mimeType": mime,
            "presignedUrl": _presigned_url(call.region, chunk.source_uri, resolved.requested_id),
            "documentContentLength": length,
        }
    )


def handle_get_ingested_document_acl(call: OperationCall) -> Reply:
    _, ds = _data_source(call)
    document_id = _document_id(call.input)
    return JsonReply({"documentAcl": _acl(ds, _document(ds, document_id))})


def handle_check_ingested_document_acl(call: OperationCall) -> Reply:
    _, ds = _data_source(call)
    body = call.input
    document_id = _document_id(body)
    user = (body.get("userContext") or {}).get("userId")
    if not isinstance(user, str):
        raise _constraint("userContext.userId", user, "Member must not be null")
    acl = _acl(ds, _document(ds, document_id))
    return JsonReply({"hasAccess": has_access(acl, user)})


def has_access(acl: Mapping[str, Any], user_id: str) -> bool:
    """Deny wins; an empty or missing allow list lets everyone in. Only user ids can match (the request
    names no groups)."""
    deny = acl.get("denyList")
    if isinstance(deny, Mapping) and _member(deny, user_id, default=False):
        return False
    allow = acl.get("allowList")
    if not isinstance(allow, Mapping) or not allow.get("conditions"):
        return True
    return _member(allow, user_id, default=True)


def _member(membership: Mapping[str, Any], user_id: str, *, default: bool) -> bool:
    conditions = membership.get("conditions") or []
    if not conditions:
        return default
    outcomes = []
    for condition in conditions:
        users = [u.get("id") for u in condition.get("users") or [] if isinstance(u, Mapping)]
        groups = condition.get("groups") or []
        checks = [user_id in users] if users else []
        checks += [False] * len(groups)
        operator = condition.get("conditionOperator", "OR")
        outcomes.append(all(checks) if operator == "AND" and checks else any(checks))
    return all(outcomes) if membership.get("memberRelation") == "AND" else any(outcomes)


def _acl(ds: DataSource, chunk: Chunk) -> dict[str, Any]:
    sidecar = ds.directory / (chunk.document_path + ".metadata.json")
    if not sidecar.is_file():
        return {}
    try:
        acl = json.loads(sidecar.read_text("utf-8-sig")).get("documentAcl")
    except (ValueError, AttributeError):
        return {}
    return acl if isinstance(acl, dict) else {}


def _data_source(call: OperationCall) -> tuple[Resolved, DataSource]:
    identifier: str = call.input["knowledgeBaseId"]
    match = _KB_IDENTIFIER.match(identifier)
    if match is None:
        raise _constraint(
            "knowledgeBaseId", identifier, "Member must satisfy regular expression pattern: [0-9a-zA-Z]{10}"
        )
    reg = registry.current(call.state)
    resolved = reg.resolve(match.group(1), strict=call.strict)
    data_source_id: str = call.input["dataSourceId"]
    if not re.match(r"^[0-9a-zA-Z]{1,10}$", data_source_id):
        raise _constraint(
            "dataSourceId", data_source_id, "Member must satisfy regular expression pattern: [0-9a-zA-Z]+"
        )
    return resolved, reg.data_source(resolved, data_source_id, strict=call.strict)


def _document(ds: DataSource, document_id: str) -> Chunk:
    """The first chunk of the document, found by its S3 URI or its path inside the data source."""
    for chunk in ds.chunks:
        if document_id in (chunk.source_uri, chunk.document_path):
            return chunk
    raise AwsError(
        "ResourceNotFoundException", f"The document {document_id} was not found in the data source."
    )


def _document_id(body: Mapping[str, Any]) -> str:
    document_id = body.get("documentId")
    if not isinstance(document_id, str) or not document_id:
        raise _constraint("documentId", document_id, "Member must have length greater than or equal to 1")
    return document_id


def _presigned_url(region: str, source_uri: str, kb_id: str) -> str:
    bucket, _, key = source_uri.removeprefix("s3://").partition("/")
    signature = hashlib.sha256(f"{kb_id}|{source_uri}".encode()).hexdigest()
    return (
        f"https://{bucket}.s3.{region}.amazonaws.com/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )


DOCUMENT_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "GetDocumentContent": handle_get_document_content,
    "GetIngestedDocumentAcl": handle_get_ingested_document_acl,
    "CheckIngestedDocumentAcl": handle_check_ingested_document_acl,
}
