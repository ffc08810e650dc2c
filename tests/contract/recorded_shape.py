"""The shape of a Bedrock answer, never its words: member paths with JSON value types, header names, and
the kinds of stream events in order. Used by ``test_recorded_shapes.py`` on our answers and (once, when
the fixtures were derived) on answers public projects recorded from real Bedrock."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from botocore.eventstream import EventStreamBuffer

# Members whose inside is the model's own output (tool arguments, free-form fields): typed as a whole.
OPAQUE = frozenset({"input", "additionalModelResponseFields", "json"})
# Transport headers a recording may or may not keep; not part of Bedrock's answer.
TRANSPORT_HEADERS = frozenset({"connection", "content-length", "transfer-encoding", "via", "keep-alive"})


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    return "object"


def paths(value: Any, prefix: str = "") -> set[str]:
    """Every member path of a JSON value with its type (``usage.inputTokens: integer``); list items
    share one ``[]`` path, so two text blocks and one have the same shape."""
    found: set[str] = set()
    if isinstance(value, dict) and value and prefix.rpartition(".")[2] not in OPAQUE:
        for key, member in value.items():
            found |= paths(member, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value:
        for item in value:
            found |= paths(item, f"{prefix}[]")
    else:
        found.add(f"{prefix}: {_kind(value)}")
    return found


def header_names(names: Iterable[str]) -> set[str]:
    return {n.lower() for n in names} - TRANSPORT_HEADERS


def _event_kind(event_type: str, payload: dict[str, Any]) -> str:
    """An event's kind: its type, with the block kind of a content block start or delta, or the inner
    ``type`` of an InvokeModel stream chunk (Anthropic's ``content_block_delta``...)."""
    if event_type in ("contentBlockDelta", "contentBlockStart"):
        inner = payload.get("delta") or payload.get("start") or {}
        return f"{event_type}.{next((k for k in sorted(inner) if k != 'p'), '?')}"
    if event_type == "chunk":
        inner = json.loads(base64.b64decode(payload["bytes"]))
        return f"chunk.{inner.get('type', '')}" if isinstance(inner.get("type"), str) else "chunk"
    return event_type


def _inner(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    if event_type == "chunk":
        outer = {k: v for k, v in payload.items() if k != "bytes"}
        return {**outer, "bytes": json.loads(base64.b64decode(payload["bytes"]))}
    return payload


def stream_shape(data: bytes) -> dict[str, Any]:
    """The event kinds in order (repeats collapsed) and the member paths of each kind's payloads."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    kinds: list[str] = []
    members: dict[str, set[str]] = {}
    for message in buffer:
        headers = message.headers
        event_type = str(headers.get(":event-type") or headers.get(":exception-type") or "?")
        payload = json.loads(message.payload) if message.payload else {}
        kind = _event_kind(event_type, payload)
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
        members.setdefault(kind, set()).update(paths(_inner(event_type, payload)))
    return {"events": kinds, "members": {k: sorted(v) for k, v in members.items()}}
