"""The server side of one HTTP/2 connection (RFC 9113), sans I/O: bytes in, events and bytes out.

`emulator.http2` owns the socket, the threads and the WSGI app; this module owns the protocol: the
connection preface, frame parsing, stream states, both directions of flow control, SETTINGS and PING
acknowledgements, and header compression (decoding with the ``hpack`` package; encoding our own
responses as literals that never touch the dynamic table, which needs no state and costs a few
concatenations). It replaces the general-purpose ``h2`` state machine, which spent ~150 us of CPU per
small request here (a third of an h2c Converse): this one is written for what a server needs.

What it enforces, with the error codes RFC 9113 names:

- connection errors (``ProtocolError``: the caller sends what ``data_to_send`` holds, a GOAWAY, and
  hangs up): a bad preface, frames too large for our SETTINGS_MAX_FRAME_SIZE or of the wrong size for
  their type, frames on stream 0 that belong to a stream and the reverse, even or decreasing stream ids
  from the client, PUSH_PROMISE from a client, broken CONTINUATION sequences, HPACK errors, receive
  windows overrun, send windows pushed past 2^31-1, invalid SETTINGS values;
- stream errors (RST_STREAM, the connection lives on): malformed requests (RFC 9113 8.1.1: missing or
  unknown pseudo-header fields, upper-case or connection-specific fields, a content-length the DATA
  does not match), DATA after END_STREAM, a zero or overflowing WINDOW_UPDATE on a stream.

Frames for streams we already closed (we reset them, or answered them) are dropped, their DATA still
credited to the connection window; unknown frame types and PRIORITY are ignored, as RFC 9113 asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import hpack
import hpack.exceptions

PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

_DATA, _HEADERS, _PRIORITY, _RST_STREAM, _SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
_PUSH_PROMISE, _PING, _GOAWAY, _WINDOW_UPDATE, _CONTINUATION = 0x5, 0x6, 0x7, 0x8, 0x9
_END_STREAM, _ACK, _END_HEADERS, _PADDED, _PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

_MAX_WINDOW: Final = (1 << 31) - 1
_DEFAULT_WINDOW: Final = 65535
_DEFAULT_FRAME_SIZE: Final = 16384
_MAX_FRAME_SIZE_LIMIT: Final = (1 << 24) - 1


class ErrorCodes(IntEnum):
    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    INTERNAL_ERROR = 0x2
    FLOW_CONTROL_ERROR = 0x3
    SETTINGS_TIMEOUT = 0x4
    STREAM_CLOSED = 0x5
    FRAME_SIZE_ERROR = 0x6
    REFUSED_STREAM = 0x7
    CANCEL = 0x8
    COMPRESSION_ERROR = 0x9
    CONNECT_ERROR = 0xA
    ENHANCE_YOUR_CALM = 0xB
    INADEQUATE_SECURITY = 0xC
    HTTP_1_1_REQUIRED = 0xD


class SettingCodes(IntEnum):
    HEADER_TABLE_SIZE = 0x1
    ENABLE_PUSH = 0x2
    MAX_CONCURRENT_STREAMS = 0x3
    INITIAL_WINDOW_SIZE = 0x4
    MAX_FRAME_SIZE = 0x5
    MAX_HEADER_LIST_SIZE = 0x6


class H2Error(Exception):
    """Something cannot be sent: the stream or the connection is closed, or a window is too small."""


class StreamClosedError(H2Error):
    pass


class ProtocolError(H2Error):
    """The peer broke the protocol; a GOAWAY with ``error_code`` is queued in ``data_to_send``."""

    def __init__(self, message: str, error_code: ErrorCodes) -> None:
        super().__init__(message)
        self.error_code = error_code


# -- events ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RequestReceived:
    stream_id: int
    headers: list[tuple[bytes, bytes]]


@dataclass(slots=True)
class DataReceived:
    stream_id: int
    data: bytes
    flow_controlled_length: int  # what to hand back with ``acknowledge_received_data`` (padding included)


@dataclass(slots=True)
class StreamEnded:
    stream_id: int


@dataclass(slots=True)
class StreamReset:
    """A stream ended without its exchange finishing: reset by the client (``remote``) or by us for a
    stream error the client caused."""

    stream_id: int
    error_code: int
    remote: bool = True


@dataclass(slots=True)
class ConnectionTerminated:
    error_code: int
    last_stream_id: int


Event = RequestReceived | DataReceived | StreamEnded | StreamReset | ConnectionTerminated


class _StreamError(Exception):
    def __init__(self, stream_id: int, error_code: ErrorCodes) -> None:
        super().__init__(stream_id, error_code)
        self.stream_id = stream_id
        self.error_code = error_code


class _Stream:
    __slots__ = (
        "acked",
        "announced",
        "expected_length",
        "received_length",
        "recv_closed",
        "send_closed",
        "send_window",
        "used",
    )

    def __init__(self, send_window: int) -> None:
        self.send_window = send_window
        self.recv_closed = False
        self.send_closed = False
        self.announced = False  # RequestReceived was emitted: its end must be reported too
        self.expected_length: int | None = None  # the request's content-length, if it gave one
        self.received_length = 0
        self.used = 0  # of our receive window: bytes the client sent that we have not credited back
        self.acked = 0  # of those, what the app consumed (credited with the next WINDOW_UPDATE)


# -- request header checks (RFC 9113 8.2, 8.3) -------------------------------------------------------

_REQUEST_PSEUDO: Final = frozenset({b":method", b":scheme", b":authority", b":path"})
_CONNECTION_SPECIFIC: Final = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)
# Field names: lower-case visible ASCII without separators' forbidden bytes (8.2.1: no 0x00-0x20,
# no A-Z, no 0x7f-0xff); values: no NUL, CR or LF, no leading or trailing space or tab.
_BAD_NAME: Final = re.compile(rb"[\x00-\x20A-Z\x7f-\xff]")
_BAD_VALUE: Final = re.compile(rb"[\x00\r\n]|^[ \t]|[ \t]$")


def _well_formed_request(headers: list[tuple[bytes, bytes]]) -> bool:
    seen_regular = False
    pseudo: dict[bytes, bytes] = {}
    for name, value in headers:
        if not name or _BAD_NAME.search(name[1:] if name[0] == 0x3A else name) or _BAD_VALUE.search(value):
            return False
        if name[0] == 0x3A:  # ":"
            if seen_regular or name not in _REQUEST_PSEUDO or name in pseudo:
                return False
            pseudo[name] = value
            continue
        seen_regular = True
        if name in _CONNECTION_SPECIFIC or (name == b"te" and value != b"trailers"):
            return False
    method = pseudo.get(b":method")
    if method is None:
        return False
    if method == b"CONNECT":
        return b":authority" in pseudo and b":scheme" not in pseudo and b":path" not in pseudo
    return bool(pseudo.get(b":scheme")) and bool(pseudo.get(b":path"))


def _well_formed_trailers(headers: list[tuple[bytes, bytes]]) -> bool:
    return all(
        name and name[0] != 0x3A and not _BAD_NAME.search(name) and not _BAD_VALUE.search(value)
        for name, value in headers
    )


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The request's content-length, None when absent; ValueError when malformed or contradictory."""
    found: int | None = None
    for name, value in headers:
        if name == b"content-length":
            if not value.isdigit() or len(value) > 19 or (found is not None and int(value) != found):
                raise ValueError(value)
            found = int(value)
    return found


# -- HPACK encoding of our responses -------------------------------------------------------------------

# RFC 7541 Appendix A: the static table entries worth naming by index in a response.
_STATIC_STATUS: Final = {b"200": 8, b"204": 9, b"206": 10, b"304": 11, b"400": 12, b"404": 13, b"500": 14}
_STATIC_NAMES: Final = {
    b":status": 8,
    b"content-length": 28,
    b"content-type": 31,
    b"date": 33,
    b"server": 54,
    b"cache-control": 24,
    b"content-encoding": 26,
    b"retry-after": 53,
}


def _integer(value: int, prefix_bits: int, first: int) -> bytes:
    """RFC 7541 5.1: ``value`` with an N-bit prefix, the first byte's high bits taken from ``first``."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _string(text: bytes) -> bytes:
    return _integer(len(text), 7, 0) + text  # not Huffman-coded: H bit 0


def encode_headers(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """A header block of literals "without indexing" (RFC 7541 6.2.2): never adds to, nor refers to,
    the peer's dynamic table, so no encoder state is needed. Names must already be lower-case."""
    out = []
    for name, value in headers:
        if name == b":status" and value in _STATIC_STATUS:
            out.append(bytes((0x80 | _STATIC_STATUS[value],)))  # indexed field (6.1)
            continue
        index = _STATIC_NAMES.get(name)
        if index is not None:
            out.append(_integer(index, 4, 0x00) + _string(value))
        else:
            out.append(b"\x00" + _string(name) + _string(value))
    return b"".join(out)


def _frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return (
        len(payload).to_bytes(3, "big")
        + bytes((kind, flags))
        + (stream_id & _MAX_WINDOW).to_bytes(4, "big")
        + payload
    )


def _settings_payload(settings: dict[SettingCodes, int]) -> bytes:
    return b"".join(
        int(code).to_bytes(2, "big") + value.to_bytes(4, "big") for code, value in settings.items()
    )


# -- the connection ---------------------------------------------------------------------------------


class ServerConnection:
    """One connection's protocol state. Not thread-safe: the caller serialises every call."""

    def __init__(
        self,
        *,
        initial_window: int = _DEFAULT_WINDOW,
        connection_window: int = _DEFAULT_WINDOW,
        max_concurrent_streams: int = 100,
        max_header_list_size: int = 64 << 10,
    ) -> None:
        self._out = bytearray()
        self._buffer = bytearray()
        self._preface_seen = False
        self._settings_seen = False
        self._closed = False
        self._streams: dict[int, _Stream] = {}
        self._highest_stream = 0
        # What we receive: our SETTINGS (the peer may not have applied them yet: being larger than the
        # defaults, they only make us more lenient until it does).
        self._initial_window = initial_window
        self._connection_window = connection_window
        self._max_concurrent_streams = max_concurrent_streams
        self._max_header_list_size = max_header_list_size
        self._recv_window = connection_window
        self._recv_unacked = 0
        self._decoder = hpack.Decoder(max_header_list_size=max_header_list_size)
        # A header block split over CONTINUATION frames: its stream, flags, and the fragments so far.
        self._partial: tuple[int, int, bytearray] | None = None
        self._max_block = 2 * max_header_list_size
        # What we send: the peer's SETTINGS.
        self._send_window = _DEFAULT_WINDOW
        self._peer_initial_window = _DEFAULT_WINDOW
        self.max_outbound_frame_size = _DEFAULT_FRAME_SIZE
        # Our blocks never use the dynamic table; a size update to 0 on the first block we send (and
        # after the peer changes its SETTINGS_HEADER_TABLE_SIZE) says so.
        self._table_size_update = True

    # -- outgoing connection-level frames -----------------------------------------------------------

    def initiate_connection(self) -> None:
        settings = {
            SettingCodes.ENABLE_PUSH: 0,
            SettingCodes.MAX_CONCURRENT_STREAMS: self._max_concurrent_streams,
            SettingCodes.INITIAL_WINDOW_SIZE: self._initial_window,
            SettingCodes.MAX_HEADER_LIST_SIZE: self._max_header_list_size,
        }
        self._out += _frame(_SETTINGS, 0, 0, _settings_payload(settings))
        if self._connection_window > _DEFAULT_WINDOW:
            increment = self._connection_window - _DEFAULT_WINDOW
            self._out += _frame(_WINDOW_UPDATE, 0, 0, increment.to_bytes(4, "big"))

    def close_connection(self, error_code: ErrorCodes = ErrorCodes.NO_ERROR) -> None:
        if self._closed:
            return
        payload = self._highest_stream.to_bytes(4, "big") + int(error_code).to_bytes(4, "big")
        self._out += _frame(_GOAWAY, 0, 0, payload)
        self._closed = True

    def data_to_send(self) -> bytes:
        if not self._out:
            return b""
        data = bytes(self._out)
        self._out.clear()
        return data

    # -- receiving ------------------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Parse what arrived; return what it means. Raises ``ProtocolError`` (GOAWAY queued)."""
        events: list[Event] = []
        if self._closed:
            return events
        buffer = self._buffer
        buffer += data
        if not self._preface_seen:
            if len(buffer) < len(PREFACE):
                if not PREFACE.startswith(bytes(buffer)):
                    raise self._connection_error("invalid connection preface", ErrorCodes.PROTOCOL_ERROR)
                return events
            if not buffer.startswith(PREFACE):
                raise self._connection_error("invalid connection preface", ErrorCodes.PROTOCOL_ERROR)
            del buffer[: len(PREFACE)]
            self._preface_seen = True
        offset = 0
        try:
            while len(buffer) - offset >= 9:
                length = int.from_bytes(buffer[offset : offset + 3], "big")
                if length > _DEFAULT_FRAME_SIZE:  # our SETTINGS_MAX_FRAME_SIZE: the default
                    raise self._connection_error("frame too large", ErrorCodes.FRAME_SIZE_ERROR)
                end = offset + 9 + length
                if len(buffer) < end:
                    break
                kind = buffer[offset + 3]
                flags = buffer[offset + 4]
                stream_id = int.from_bytes(buffer[offset + 5 : offset + 9], "big") & _MAX_WINDOW
                payload = bytes(buffer[offset + 9 : end])
                offset = end
                try:
                    self._receive_frame(kind, flags, stream_id, payload, events)
                except _StreamError as error:
                    self._reset(error.stream_id, error.error_code, events)
                if self._closed:
                    break
        finally:
            del buffer[:offset]
        return events

    def _receive_frame(
        self, kind: int, flags: int, stream_id: int, payload: bytes, events: list[Event]
    ) -> None:
        if not self._settings_seen and kind != _SETTINGS:
            raise self._connection_error(
                "the preface must be followed by SETTINGS", ErrorCodes.PROTOCOL_ERROR
            )
        if self._partial is not None and (kind != _CONTINUATION or stream_id != self._partial[0]):
            raise self._connection_error("header block interrupted", ErrorCodes.PROTOCOL_ERROR)
        if kind == _DATA:
            self._receive_data_frame(flags, stream_id, payload, events)
        elif kind == _HEADERS:
            self._receive_headers(flags, stream_id, payload, events)
        elif kind == _CONTINUATION:
            self._receive_continuation(flags, stream_id, payload, events)
        elif kind == _SETTINGS:
            self._receive_settings(flags, stream_id, payload)
        elif kind == _WINDOW_UPDATE:
            self._receive_window_update(stream_id, payload)
        elif kind == _PING:
            if stream_id != 0:
                raise self._connection_error("PING on a stream", ErrorCodes.PROTOCOL_ERROR)
            if len(payload) != 8:
                raise self._connection_error("PING of the wrong size", ErrorCodes.FRAME_SIZE_ERROR)
            if not flags & _ACK:
                self._out += _frame(_PING, _ACK, 0, payload)
        elif kind == _RST_STREAM:
            self._receive_rst_stream(stream_id, payload, events)
        elif kind == _PRIORITY:
            if stream_id == 0:
                raise self._connection_error("PRIORITY on stream 0", ErrorCodes.PROTOCOL_ERROR)
            if len(payload) != 5:
                raise _StreamError(stream_id, ErrorCodes.FRAME_SIZE_ERROR)
        elif kind == _GOAWAY:
            if stream_id != 0:
                raise self._connection_error("GOAWAY on a stream", ErrorCodes.PROTOCOL_ERROR)
            if len(payload) < 8:
                raise self._connection_error("GOAWAY too short", ErrorCodes.FRAME_SIZE_ERROR)
            last = int.from_bytes(payload[:4], "big") & _MAX_WINDOW
            code = int.from_bytes(payload[4:8], "big")
            events.append(ConnectionTerminated(code, last))
            # A graceful GOAWAY (NO_ERROR) only says the client opens no more streams: the ones in flight
            # go on to their end (RFC 9113 6.8). Any other code ends the connection now.
            if code != ErrorCodes.NO_ERROR:
                self._closed = True
        elif kind == _PUSH_PROMISE:
            raise self._connection_error("a client cannot push", ErrorCodes.PROTOCOL_ERROR)
        # Any other type is an extension we do not know: ignored (RFC 9113 5.5).

    def _receive_settings(self, flags: int, stream_id: int, payload: bytes) -> None:
        if stream_id != 0:
            raise self._connection_error("SETTINGS on a stream", ErrorCodes.PROTOCOL_ERROR)
        if flags & _ACK:
            if payload:
                raise self._connection_error("SETTINGS ack with a payload", ErrorCodes.FRAME_SIZE_ERROR)
            return
        if len(payload) % 6:
            raise self._connection_error("SETTINGS of the wrong size", ErrorCodes.FRAME_SIZE_ERROR)
        self._settings_seen = True
        for start in range(0, len(payload), 6):
            code = int.from_bytes(payload[start : start + 2], "big")
            value = int.from_bytes(payload[start + 2 : start + 6], "big")
            if code == SettingCodes.HEADER_TABLE_SIZE:
                self._table_size_update = True
            elif code == SettingCodes.ENABLE_PUSH and value > 1:
                raise self._connection_error("invalid SETTINGS_ENABLE_PUSH", ErrorCodes.PROTOCOL_ERROR)
            elif code == SettingCodes.INITIAL_WINDOW_SIZE:
                if value > _MAX_WINDOW:
                    raise self._connection_error(
                        "invalid SETTINGS_INITIAL_WINDOW_SIZE", ErrorCodes.FLOW_CONTROL_ERROR
                    )
                delta = value - self._peer_initial_window
                self._peer_initial_window = value
                for stream in self._streams.values():
                    stream.send_window += delta
                    if stream.send_window > _MAX_WINDOW:
                        raise self._connection_error("stream window overflow", ErrorCodes.FLOW_CONTROL_ERROR)
            elif code == SettingCodes.MAX_FRAME_SIZE:
                if not _DEFAULT_FRAME_SIZE <= value <= _MAX_FRAME_SIZE_LIMIT:
                    raise self._connection_error("invalid SETTINGS_MAX_FRAME_SIZE", ErrorCodes.PROTOCOL_ERROR)
                self.max_outbound_frame_size = value
        self._out += _frame(_SETTINGS, _ACK, 0)

    def _receive_window_update(self, stream_id: int, payload: bytes) -> None:
        if len(payload) != 4:
            raise self._connection_error("WINDOW_UPDATE of the wrong size", ErrorCodes.FRAME_SIZE_ERROR)
        increment = int.from_bytes(payload, "big") & _MAX_WINDOW
        if stream_id == 0:
            if increment == 0:
                raise self._connection_error("WINDOW_UPDATE of zero", ErrorCodes.PROTOCOL_ERROR)
            self._send_window += increment
            if self._send_window > _MAX_WINDOW:
                raise self._connection_error("connection window overflow", ErrorCodes.FLOW_CONTROL_ERROR)
            return
        stream = self._streams.get(stream_id)
        if stream is None:
            if stream_id > self._highest_stream:
                raise self._connection_error("WINDOW_UPDATE on an idle stream", ErrorCodes.PROTOCOL_ERROR)
            return  # a closed stream: ignored
        if increment == 0:
            raise _StreamError(stream_id, ErrorCodes.PROTOCOL_ERROR)
        stream.send_window += increment
        if stream.send_window > _MAX_WINDOW:
            raise _StreamError(stream_id, ErrorCodes.FLOW_CONTROL_ERROR)

    def _receive_rst_stream(self, stream_id: int, payload: bytes, events: list[Event]) -> None:
        if stream_id == 0:
            raise self._connection_error("RST_STREAM on stream 0", ErrorCodes.PROTOCOL_ERROR)
        if len(payload) != 4:
            raise self._connection_error("RST_STREAM of the wrong size", ErrorCodes.FRAME_SIZE_ERROR)
        if stream_id > self._highest_stream:
            raise self._connection_error("RST_STREAM on an idle stream", ErrorCodes.PROTOCOL_ERROR)
        stream = self._streams.pop(stream_id, None)
        if stream is not None and stream.announced:
            events.append(StreamReset(stream_id, int.from_bytes(payload, "big")))

    def _receive_data_frame(self, flags: int, stream_id: int, payload: bytes, events: list[Event]) -> None:
        if stream_id == 0:
            raise self._connection_error("DATA on stream 0", ErrorCodes.PROTOCOL_ERROR)
        flow_length = len(payload)
        self._recv_window -= flow_length
        if self._recv_window < 0:
            raise self._connection_error("connection receive window overrun", ErrorCodes.FLOW_CONTROL_ERROR)
        stream = self._streams.get(stream_id)
        if stream is None or stream.recv_closed:
            self._acknowledge_connection(flow_length)  # nobody will read it
            if stream_id > self._highest_stream:
                raise self._connection_error("DATA on an idle stream", ErrorCodes.PROTOCOL_ERROR)
            if stream is None:
                return  # closed by us or long finished: frames in flight are dropped
            raise _StreamError(stream_id, ErrorCodes.STREAM_CLOSED)
        data = self._unpad(flags, payload)
        stream.received_length += len(data)
        if stream.expected_length is not None and stream.received_length > stream.expected_length:
            self._acknowledge_connection(flow_length)
            raise _StreamError(stream_id, ErrorCodes.PROTOCOL_ERROR)
        stream.used += flow_length
        if stream.used > self._initial_window:
            self._acknowledge_connection(flow_length)
            raise _StreamError(stream_id, ErrorCodes.FLOW_CONTROL_ERROR)
        events.append(DataReceived(stream_id, data, flow_length))
        if flags & _END_STREAM:
            self._end_of_request(stream_id, stream, events)

    def _end_of_request(self, stream_id: int, stream: _Stream, events: list[Event]) -> None:
        if stream.expected_length is not None and stream.received_length != stream.expected_length:
            raise _StreamError(stream_id, ErrorCodes.PROTOCOL_ERROR)
        stream.recv_closed = True
        events.append(StreamEnded(stream_id))
        if stream.send_closed:
            del self._streams[stream_id]

    def _unpad(self, flags: int, payload: bytes) -> bytes:
        if not flags & _PADDED:
            return payload
        if not payload or payload[0] >= len(payload):
            raise self._connection_error("padding longer than the frame", ErrorCodes.PROTOCOL_ERROR)
        return payload[1 : len(payload) - payload[0]]

    def _receive_headers(self, flags: int, stream_id: int, payload: bytes, events: list[Event]) -> None:
        if stream_id == 0:
            raise self._connection_error("HEADERS on stream 0", ErrorCodes.PROTOCOL_ERROR)
        fragment = self._unpad(flags, payload)
        if flags & _PRIORITY_FLAG:
            if len(fragment) < 5:
                raise self._connection_error(
                    "HEADERS too short for its priority", ErrorCodes.FRAME_SIZE_ERROR
                )
            fragment = fragment[5:]
        if flags & _END_HEADERS:
            self._header_block(stream_id, flags, fragment, events)
        else:
            self._partial = (stream_id, flags, bytearray(fragment))

    def _receive_continuation(self, flags: int, stream_id: int, payload: bytes, events: list[Event]) -> None:
        if self._partial is None:
            raise self._connection_error("CONTINUATION without HEADERS", ErrorCodes.PROTOCOL_ERROR)
        _, first_flags, block = self._partial
        block += payload
        if len(block) > self._max_block:
            raise self._connection_error("header block too large", ErrorCodes.ENHANCE_YOUR_CALM)
        if flags & _END_HEADERS:
            self._partial = None
            self._header_block(stream_id, first_flags, bytes(block), events)

    def _header_block(self, stream_id: int, flags: int, block: bytes, events: list[Event]) -> None:
        try:
            headers = [(bytes(name), bytes(value)) for name, value in self._decoder.decode(block, raw=True)]
        except hpack.exceptions.OversizedHeaderListError as exc:
            raise self._connection_error(
                f"header list too large: {exc}", ErrorCodes.ENHANCE_YOUR_CALM
            ) from exc
        except hpack.exceptions.HPACKError as exc:
            raise self._connection_error(
                f"header block undecodable: {exc}", ErrorCodes.COMPRESSION_ERROR
            ) from exc
        stream = self._streams.get(stream_id)
        if stream is not None:  # trailers
            if stream.recv_closed:
                raise _StreamError(stream_id, ErrorCodes.STREAM_CLOSED)
            if not flags & _END_STREAM or not _well_formed_trailers(headers):
                raise _StreamError(stream_id, ErrorCodes.PROTOCOL_ERROR)
            self._end_of_request(stream_id, stream, events)
            return
        if stream_id % 2 == 0:
            raise self._connection_error("a client stream id must be odd", ErrorCodes.PROTOCOL_ERROR)
        if stream_id <= self._highest_stream:
            raise self._connection_error("HEADERS on a closed stream", ErrorCodes.STREAM_CLOSED)
        self._highest_stream = stream_id
        stream = _Stream(self._peer_initial_window)
        self._streams[stream_id] = stream
        try:
            stream.expected_length = _content_length(headers)
        except ValueError:
            raise _StreamError(stream_id, ErrorCodes.PROTOCOL_ERROR) from None
        if not _well_formed_request(headers):
            raise _StreamError(stream_id, ErrorCodes.PROTOCOL_ERROR)
        stream.announced = True
        events.append(RequestReceived(stream_id, headers))
        if flags & _END_STREAM:
            self._end_of_request(stream_id, stream, events)

    def _reset(self, stream_id: int, error_code: ErrorCodes, events: list[Event]) -> None:
        """A stream error: RST_STREAM, and tell the caller if it knew of the stream."""
        self._out += _frame(_RST_STREAM, 0, stream_id, int(error_code).to_bytes(4, "big"))
        stream = self._streams.pop(stream_id, None)
        if stream is not None and stream.announced:
            events.append(StreamReset(stream_id, int(error_code), remote=False))

    def _connection_error(self, message: str, error_code: ErrorCodes) -> ProtocolError:
        self.close_connection(error_code)
        return ProtocolError(message, error_code)

    # -- flow control of what we receive ------------------------------------------------------------

    def acknowledge_received_data(self, acknowledged_size: int, stream_id: int) -> None:
        """The app has consumed ``acknowledged_size`` bytes of ``stream_id``'s body: credit them back,
        in WINDOW_UPDATEs batched to half a window (so small requests cost none)."""
        self._acknowledge_connection(acknowledged_size)
        stream = self._streams.get(stream_id)
        if stream is None or stream.recv_closed:
            return  # the client will send this stream nothing more
        stream.acked += acknowledged_size
        if stream.acked >= self._initial_window // 2:
            self._out += _frame(_WINDOW_UPDATE, 0, stream_id, stream.acked.to_bytes(4, "big"))
            stream.used -= stream.acked
            stream.acked = 0

    def _acknowledge_connection(self, size: int) -> None:
        self._recv_unacked += size
        if self._recv_unacked >= self._connection_window // 2:
            self._out += _frame(_WINDOW_UPDATE, 0, 0, self._recv_unacked.to_bytes(4, "big"))
            self._recv_window += self._recv_unacked
            self._recv_unacked = 0

    # -- sending --------------------------------------------------------------------------------------

    def local_flow_control_window(self, stream_id: int) -> int:
        stream = self._sendable(stream_id)
        return min(self._send_window, stream.send_window)

    def send_headers(
        self, stream_id: int, headers: Iterable[tuple[bytes, bytes]], end_stream: bool = False
    ) -> None:
        stream = self._sendable(stream_id)
        block = encode_headers(headers)
        if self._table_size_update:
            block = b"\x20" + block  # dynamic table size update to 0 (RFC 7541 6.3)
            self._table_size_update = False
        flags = _END_STREAM if end_stream else 0
        limit = self.max_outbound_frame_size
        if len(block) <= limit:
            self._out += _frame(_HEADERS, flags | _END_HEADERS, stream_id, block)
        else:
            self._out += _frame(_HEADERS, flags, stream_id, block[:limit])
            for start in range(limit, len(block), limit):
                last = start + limit >= len(block)
                self._out += _frame(
                    _CONTINUATION, _END_HEADERS if last else 0, stream_id, block[start : start + limit]
                )
        if end_stream:
            self._end_sending(stream_id, stream)

    def send_data(self, stream_id: int, data: bytes, end_stream: bool = False) -> None:
        stream = self._sendable(stream_id)
        size = len(data)
        if size > min(self._send_window, stream.send_window) or size > self.max_outbound_frame_size:
            raise H2Error(f"cannot send {size} bytes: the flow-control window or frame size is smaller")
        self._send_window -= size
        stream.send_window -= size
        self._out += _frame(_DATA, _END_STREAM if end_stream else 0, stream_id, data)
        if end_stream:
            self._end_sending(stream_id, stream)

    def end_stream(self, stream_id: int) -> None:
        stream = self._sendable(stream_id)
        self._out += _frame(_DATA, _END_STREAM, stream_id)
        self._end_sending(stream_id, stream)

    def reset_stream(self, stream_id: int, error_code: ErrorCodes = ErrorCodes.NO_ERROR) -> None:
        if self._closed:
            raise StreamClosedError("the connection is closed")
        stream = self._streams.pop(stream_id, None)
        if stream is None:
            raise StreamClosedError(f"stream {stream_id} is closed")
        self._out += _frame(_RST_STREAM, 0, stream_id, int(error_code).to_bytes(4, "big"))

    def _sendable(self, stream_id: int) -> _Stream:
        if self._closed:
            raise StreamClosedError("the connection is closed")
        stream = self._streams.get(stream_id)
        if stream is None or stream.send_closed:
            raise StreamClosedError(f"stream {stream_id} is closed")
        return stream

    def _end_sending(self, stream_id: int, stream: _Stream) -> None:
        stream.send_closed = True
        if stream.recv_closed:
            del self._streams[stream_id]
