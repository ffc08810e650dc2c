"""What both protocol front ends share: the abort contract, limits, the connection register and body reads.

`emulator.server` (HTTP/1.1, and the socket owner) and `emulator.http2` (h2c) both build on this module;
neither imports the other at module level.

Limits (`ServerLimits`, documented in docs/limits.md) bound what one client can cost:

- ``max_connections``: open connections, HTTP/1.1 and HTTP/2 alike, each one thread. At the cap a new
  connection evicts the connection idle the longest (a keep-alive connection between requests, an h2c
  connection with no open stream, or one still sending its request head after ``head_timeout``); when
  every connection is busy the newcomer gets a 503 and is closed.
- ``idle_timeout``: a connection with no request in flight is closed after this long.
- ``io_timeout``: once a request has started, any single read or write that makes no progress for this
  long ends the connection (a declared Content-Length that never arrives, a client that stops reading).
- ``max_body_bytes``: no request body is held beyond this, whatever the framing (Content-Length,
  chunked, HTTP/2 DATA); the data plane applies the smaller per-operation limits Bedrock documents.
- ``max_stream_workers``: threads running HTTP/2 streams, shared by all connections.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

    from _typeshed.wsgi import WSGIEnvironment

__all__ = [
    "ABORT_KEY",
    "BODY_LIMIT_KEY",
    "CONNECTION_PREFACE",
    "SERVER_SOFTWARE",
    "BodyTooLargeError",
    "ConnectionRegister",
    "MalformedBodyError",
    "ServerLimits",
    "WsgiResponse",
    "plain_error",
    "read_body",
    "send_now",
    "set_kernel_timeouts",
]

ABORT_KEY = "bedrock_emulator.abort"
# The server's hard cap on this request's body, for apps that read the body themselves.
BODY_LIMIT_KEY = "bedrock_emulator.max_body_bytes"
CONNECTION_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SERVER_SOFTWARE = "bedrock-emulator"

_READ_PIECE = 1 << 16


@dataclass(frozen=True)
class ServerLimits:
    max_connections: int = 512
    idle_timeout: float = 60.0
    io_timeout: float = 60.0
    head_timeout: float = 10.0
    max_header_bytes: int = 64 << 10
    max_body_bytes: int = 64 << 20
    max_stream_workers: int = 256
    max_concurrent_streams: int = 128


class MalformedBodyError(Exception):
    """The request body's framing is broken (a bad chunk header, a chunk cut short)."""


class BodyTooLargeError(Exception):
    """A request body went over a limit while it was read (or announced one that is over)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


def read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """The whole request body, refused with `BodyTooLargeError` beyond ``limit`` bytes.

    A declared Content-Length over the limit is refused before a byte is read; a chunked or
    undeclared body is read in 64 KiB pieces, so a forged chunk size cannot make one huge allocation.
    """
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    declared = environ.get("CONTENT_LENGTH")
    if declared:
        try:
            length = int(declared)
        except ValueError:
            return b""
        if length > limit:
            raise BodyTooLargeError(limit)
        if length <= 0:
            return b""
        return _read_pieces(stream, length, limit)
    if environ.get("wsgi.input_terminated"):
        return _read_pieces(stream, None, limit)
    return b""


def _read_pieces(stream: Any, length: int | None, limit: int) -> bytes:
    if length is not None and length <= _READ_PIECE:
        return bytes(stream.read(length))
    out = bytearray()
    while length is None or len(out) < length:
        want = _READ_PIECE if length is None else min(_READ_PIECE, length - len(out))
        piece = stream.read(want)
        if not piece:
            break
        out += piece
        if len(out) > limit:
            raise BodyTooLargeError(limit)
    return bytes(out)


def set_kernel_timeouts(sock: socket.socket, seconds: float) -> None:
    """Receive and send timeouts kept by the kernel (``SO_RCVTIMEO``/``SO_SNDTIMEO``), the socket left in
    blocking mode.

    Python's own socket timeout polls before every recv and send: one more system call, and one more
    hand-off of the GIL, per operation; on HTTP/1.1 that cost a third of Converse's throughput. A recv or
    send that times out here fails with ``EAGAIN`` instead (a short read, or ``BlockingIOError``), which
    the servers treat as the peer having gone.
    """
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


def _libc_send() -> Callable[[int, bytes, int, int], int] | None:
    """The C library's ``send``, called through ctypes *without* releasing the GIL (``PyDLL``); None
    where there is no C library to load (Windows)."""
    try:
        function = ctypes.PyDLL(None, use_errno=True).send
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
    function.restype = ctypes.c_ssize_t
    return function


_SEND_HOLDING_GIL = _libc_send()
_DONT_WAIT = getattr(socket, "MSG_DONTWAIT", 0) | getattr(socket, "MSG_NOSIGNAL", 0)


def send_now(sock: socket.socket, data: bytes) -> None:
    """``sock.sendall(data)``, first trying one non-blocking ``send`` that keeps the GIL.

    Every socket method of Python releases the GIL around its system call. For a response that fits in
    the socket's buffer (nearly all of them) the call never blocks, and releasing the GIL only hands it
    to another connection's thread, which this one then waits behind before it can read its next
    request: under eight busy connections that doubled the GIL handoffs (futex calls, context switches)
    per HTTP/1.1 request. What the non-blocking send leaves (a full buffer, an error) goes through
    ``sendall`` as before, which blocks within the socket's timeouts and raises the usual ``OSError``.
    """
    sent = 0
    if _SEND_HOLDING_GIL is not None and _DONT_WAIT and type(data) is bytes:
        sent = max(0, _SEND_HOLDING_GIL(sock.fileno(), data, len(data), _DONT_WAIT))
        if sent == len(data):
            return
    sock.sendall(memoryview(data)[sent:] if sent else data)


def plain_error(status: int, reason: str, message: str, *, error_type: str | None = None) -> bytes:
    """A complete HTTP/1.1 error response for the transport layer: a status line, JSON, then close."""
    body = json.dumps({"message": message}).encode()
    head = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json"]
    if error_type:
        head.append(f"x-amzn-ErrorType: {error_type}")
    head += [f"Content-Length: {len(body)}", f"Server: {SERVER_SOFTWARE}", "Connection: close", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


_ExcInfo = tuple[type[BaseException], BaseException, "TracebackType"] | tuple[None, None, None]


class WsgiResponse:
    """PEP 3333's ``start_response`` for one response; subclasses write the bytes (HTTP/1.1 or HTTP/2)."""

    def __init__(self) -> None:
        self._status: str | None = None
        self._headers: list[tuple[str, str]] = []
        self.headers_sent = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info and exc_info[1] is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self._status is not None:
            raise AssertionError("start_response called twice without exc_info")
        self._status = status
        self._headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        raise NotImplementedError


# Connection states, for eviction at the cap.
IDLE = 0  # between requests (HTTP/1.1) or no open stream (HTTP/2): safe to close
HEAD = 1  # receiving a request line and headers
BUSY = 2  # a request in flight


class _Tracked:
    __slots__ = ("evicted", "since", "state", "thread")

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.state = IDLE  # nothing asked yet: as closable as a keep-alive connection between requests
        self.since = time.monotonic()
        self.evicted = False


class ConnectionRegister:
    """Open connections and what each is doing; admits new ones within ``max_connections``."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._open: dict[socket.socket, _Tracked] = {}
        self._live = 0  # open and not evicted
        self.evictions = 0
        self.refusals = 0

    def admit(self, conn: socket.socket) -> bool:
        """Register a newly accepted connection, evicting an idle one at the cap; False to refuse it."""
        with self._lock:
            if self._live >= self.limits.max_connections:
                victim = self._victim()
                if victim is None:
                    self.refusals += 1
                    return False
                self._evict(victim)
            self._open[conn] = _Tracked()
            self._live += 1
            return True

    def attach(self, conn: socket.socket) -> None:
        """The serving thread of ``conn`` is the current one."""
        with self._lock:
            tracked = self._open.get(conn)
            if tracked is not None:
                tracked.thread = threading.current_thread()

    def mark(self, conn: socket.socket, state: int) -> None:
        with self._lock:
            tracked = self._open.get(conn)
            if tracked is not None:
                tracked.state = state
                tracked.since = time.monotonic()

    def forget(self, conn: socket.socket) -> None:
        with self._lock:
            tracked = self._open.pop(conn, None)
            if tracked is not None and not tracked.evicted:
                self._live -= 1

    def snapshot(self) -> list[tuple[socket.socket, threading.Thread | None]]:
        with self._lock:
            return [(conn, tracked.thread) for conn, tracked in self._open.items()]

    def __len__(self) -> int:
        with self._lock:
            return self._live

    def _victim(self) -> socket.socket | None:
        now = time.monotonic()
        best: tuple[float, socket.socket] | None = None
        for conn, tracked in self._open.items():
            if tracked.evicted:
                continue
            stalled_head = tracked.state == HEAD and now - tracked.since > self.limits.head_timeout
            if (tracked.state == IDLE or stalled_head) and (best is None or tracked.since < best[0]):
                best = (tracked.since, conn)
        return best[1] if best else None

    def _evict(self, conn: socket.socket) -> None:
        tracked = self._open[conn]
        tracked.evicted = True
        self._live -= 1
        self.evictions += 1
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header value (RFC 9110 IMF-fixdate), formatted once a second for both protocols."""
    global _date_cache  # noqa: PLW0603 - a one-entry cache; a stale read only formats again
    now = int(time.time())
    second, value = _date_cache
    if second != now:
        value = formatdate(now, usegmt=True)
        _date_cache = (now, value)
    return value
