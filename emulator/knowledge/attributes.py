"""A document's metadata attributes, as a knowledge base reads them.

Two sources: a ``<file>.metadata.json`` sidecar next to an S3 document, holding
``{"metadataAttributes": {...}}`` with plain values (``"year": 2024``) or typed ones
(``"year": {"value": {"type": "NUMBER", "numberValue": 2024}, "includeForEmbedding": true}``), at most
10 KB; or IngestKnowledgeBaseDocuments' ``metadata`` (inline ``MetadataAttribute`` objects, or the S3 URI
of such a sidecar). Values are strings, numbers, booleans or lists of strings; anything else makes the
whole document fail with Bedrock's "invalid metadata attributes" reason (wire-facts §17).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

MAX_SIDECAR_BYTES: Final = 10 * 1024
_TYPED_MEMBERS: Final = {
    "STRING": "stringValue",
    "NUMBER": "numberValue",
    "BOOLEAN": "booleanValue",
    "STRING_LIST": "stringListValue",
}


class InvalidAttributesError(ValueError):
    """Metadata a knowledge base refuses (the document is not indexed)."""


def from_sidecar(data: bytes) -> dict[str, Any]:
    """The attributes of a ``.metadata.json`` file."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise InvalidAttributesError(f"the metadata file is larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidAttributesError(f"the metadata file is not JSON: {exc}") from exc
    attributes = document.get("metadataAttributes") if isinstance(document, dict) else None
    if not isinstance(attributes, dict):
        raise InvalidAttributesError("the metadata file has no metadataAttributes object")
    return {str(key): _plain(value) for key, value in attributes.items()}


def from_inline(attributes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """IngestKnowledgeBaseDocuments' inline attributes (``[{"key", "value": {"type", ...}}]``)."""
    return {str(item["key"]): _typed(item["value"]) for item in attributes}


def digest(attributes: Mapping[str, Any]) -> str:
    """What tells a changed set of attributes from the previous one."""
    return hashlib.sha256(json.dumps(attributes, sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("value"), dict):
        return _typed(value["value"])
    return _checked(value)


def _typed(value: Mapping[str, Any]) -> Any:
    member = _TYPED_MEMBERS.get(str(value.get("type", "")).upper())
    if member is None or member not in value:
        raise InvalidAttributesError(f"unsupported attribute value {value!r}")
    return _checked(value[member])


def _checked(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise InvalidAttributesError(f"unsupported attribute value {value!r}")
