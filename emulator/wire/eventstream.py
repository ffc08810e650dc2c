"""Exact encoder for ``application/vnd.amazon.eventstream`` frames (and a small decoder for tests).

Frame layout (botocore/eventstream.py is the decoder this must satisfy byte for byte)::

    total_length:uint32 | headers_length:uint32 | prelude_crc:uint32 | headers | payload | message_crc:uint32

Bedrock's events carry three string headers in this order: ``:event-type``, ``:content-type``,
``:message-type``; exception events carry ``:exception-type`` in place of ``:event-type``.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

_PRELUDE = struct.Struct("!II")
_UINT32 = struct.Struct("!I")
_STRING_TYPE = 7
_MAX_HEADERS = 128 * 1024
_MAX_PAYLOAD = 24 * 1024 * 1024
_JSON_CONTENT_TYPE = b"application/json"

# One event of a stream before it is framed: (event type, payload), as handlers and the models below them
# produce it and `encode_event` frames it.
StreamEvent = tuple[str, dict[str, Any]]


def _string_header(name: bytes, value: bytes) -> bytes:
    return bytes((len(name),)) + name + bytes((_STRING_TYPE,)) + struct.pack("!H", len(value)) + value


def encode_frame(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    """One frame with string-typed headers, in the given order."""
    encoded_headers = b"".join(_string_header(n.encode(), v.encode()) for n, v in headers)
    if len(encoded_headers) > _MAX_HEADERS or len(payload) > _MAX_PAYLOAD:
        raise ValueError("event-stream frame exceeds the protocol's header or payload limit")
    total = 16 + len(encoded_headers) + len(payload)
    prelude = _PRELUDE.pack(total, len(encoded_headers))
    prelude_crc = zlib.crc32(prelude)
    head = prelude + _UINT32.pack(prelude_crc)
    message_crc = zlib.crc32(payload, zlib.crc32(encoded_headers, zlib.crc32(head)))
    return head + encoded_headers + payload + _UINT32.pack(message_crc)


# The header block of an event depends only on its type, so it is built once per type.
_EVENT_HEADER_CACHE: dict[str, bytes] = {}


def _event_headers(event_type: str) -> bytes:
    cached = _EVENT_HEADER_CACHE.get(event_type)
    if cached is None:
        cached = (
            _string_header(b":event-type", event_type.encode())
            + _string_header(b":content-type", _JSON_CONTENT_TYPE)
            + _string_header(b":message-type", b"event")
        )
        _EVENT_HEADER_CACHE[event_type] = cached
    return cached


def encode_event(event_type: str, payload: dict[str, Any] | bytes) -> bytes:
    """An ``event`` frame; a dict payload is serialized as compact JSON."""
    body = payload if isinstance(payload, bytes) else _dumps(payload)
    headers = _event_headers(event_type)
    total = 16 + len(headers) + len(body)
    head = _PRELUDE.pack(total, len(headers))
    head += _UINT32.pack(zlib.crc32(head))
    crc = zlib.crc32(body, zlib.crc32(headers, zlib.crc32(head)))
    return head + headers + body + _UINT32.pack(crc)


def encode_exception(exception_type: str, payload: dict[str, Any]) -> bytes:
    """An ``exception`` frame, ``exception_type`` being the lower-camel stream member (``throttlingException``)."""
    return encode_frame(
        [
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        _dumps(payload),
    )


def corrupt_crc(frame: bytes) -> bytes:
    """The same frame with its message CRC flipped, for the corrupt-frame fault."""
    crc = _UINT32.unpack(frame[-4:])[0] ^ 0xFFFFFFFF
    return frame[:-4] + _UINT32.pack(crc)


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Frame:
    headers: dict[str, str]
    payload: bytes

    def json(self) -> Any:
        return json.loads(self.payload)


def decode_frames(data: bytes) -> list[Frame]:
    """Split a byte string into frames, checking both CRCs. String headers only (all Bedrock sends)."""
    frames: list[Frame] = []
    offset = 0
    while offset < len(data):
        total, headers_length = _PRELUDE.unpack_from(data, offset)
        (prelude_crc,) = _UINT32.unpack_from(data, offset + 8)
        if zlib.crc32(data[offset : offset + 8]) != prelude_crc:
            raise ValueError(f"prelude CRC mismatch at offset {offset}")
        end = offset + total
        (message_crc,) = _UINT32.unpack_from(data, end - 4)
        if zlib.crc32(data[offset : end - 4]) != message_crc:
            raise ValueError(f"message CRC mismatch at offset {offset}")
        headers: dict[str, str] = {}
        pos = offset + 12
        headers_end = pos + headers_length
        while pos < headers_end:
            name_length = data[pos]
            name = data[pos + 1 : pos + 1 + name_length].decode()
            pos += 1 + name_length
            if data[pos] != _STRING_TYPE:
                raise ValueError(f"unsupported header type {data[pos]} for {name}")
            (value_length,) = struct.unpack_from("!H", data, pos + 1)
            headers[name] = data[pos + 3 : pos + 3 + value_length].decode()
            pos += 3 + value_length
        frames.append(Frame(headers, data[headers_end : end - 4]))
        offset = end
    return frames
