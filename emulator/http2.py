"""Serve one HTTP/2 cleartext (h2c, prior knowledge) connection to a WSGI application.

`emulator.server` peeks at each new connection; when it starts with the HTTP/2 connection preface it
hands the socket to `serve_h2c`, which runs on that connection's thread until the peer goes away.

Shape of a connection:

- The calling thread is the *reader*: it feeds socket bytes to an `h2` state machine, answers what `h2`
  answers by itself (SETTINGS acks, PING acks), hands every received DATA byte straight back as window
  credit (so large request bodies never stall), and wakes writers when the peer opens its windows.
- Each complete request (END_STREAM seen) runs the WSGI app in its own worker thread, so the streams a
  client multiplexes on one connection (the AWS SDK for JavaScript does) are served in parallel.
- Response bodies stream: each chunk the app's iterable yields is framed and written before the next
  one is asked for, waiting on the stream's and the connection's flow-control windows as needed.
- One condition variable guards both the `h2` state machine and every socket write, so frames from
  concurrent streams never interleave mid-frame and `h2` (not thread-safe) sees one caller at a time.

The WSGI environ matches what Werkzeug's HTTP/1.1 server builds for the same request: notably
``RAW_URI``/``REQUEST_URI`` keep the path still percent-encoded (the router works on it) while
``PATH_INFO`` is decoded; ``SERVER_PROTOCOL`` is ``"HTTP/2"``.

Abort contract (shared with the HTTP/1.1 path in `emulator.server`): the environ carries a callable
under `ABORT_KEY` (``"bedrock_emulator.abort"``). Calling it ends the exchange without a proper
response: over HTTP/2 it resets *that stream* with RST_STREAM(INTERNAL_ERROR) and leaves the
connection and its other streams alone. After calling it the app should return or stop its iterable;
anything it still yields is discarded. Calling it twice, or after the stream has ended, is harmless.

A stream the client resets, or a connection that goes away, stops its response at the next chunk: the
worker notices before writing and calls the iterable's ``close()`` (so a generator's ``finally`` runs).
A stream reset before its worker starts never runs the app.

Bounds (`emulator.serving.ServerLimits`): stream workers are a pool shared by the server's connections
(``max_stream_workers``; beyond it streams wait their turn); a connection keeps at most
``max_concurrent_streams`` requests in flight (more are refused with RST_STREAM(REFUSED_STREAM)); a
request body over ``max_body_bytes`` is answered 413 and its stream reset; received DATA is credited
back to the client only while the connection's undispatched bodies stay within ``max_body_bytes``, so
a client that uploads faster than requests are dispatched is held by flow control; a client that resets
streams it opened faster than ``_RESET_BUDGET`` per ``_RESET_WINDOW`` seconds (the "rapid reset" flood)
gets GOAWAY(ENHANCE_YOUR_CALM); a connection with no open stream closes after ``idle_timeout``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import queue
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from emulator import h2_protocol as h2p
from emulator.serving import (
    ABORT_KEY,
    BODY_LIMIT_KEY,
    BUSY,
    CONNECTION_PREFACE,
    IDLE,
    SERVER_SOFTWARE,
    ConnectionRegister,
    ServerLimits,
    WsgiResponse,
    http_date,
    send_now,
    set_kernel_timeouts,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["ABORT_KEY", "CONNECTION_PREFACE", "StreamWorkers", "serve_h2c"]


_log = logging.getLogger("bedrock_emulator.server")

# Connection-specific headers are illegal in HTTP/2 (RFC 9113 section 8.2.2); a WSGI app written for
# HTTP/1.1 may still set them, so they are dropped rather than failing the response.
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"te"}
)
# Our receive windows: acknowledging every byte at once means these only bound what sits in flight;
# bigger than the 64 KiB default so a multi-megabyte upload does not wait a round trip per 64 KiB.
_STREAM_WINDOW = 1 << 20
_CONNECTION_WINDOW = 16 << 20
_RECV_SIZE = 1 << 16
_MAX_HEADER_LIST = 64 << 10
# Streams the client opens and resets before their answer: more than this many in this many seconds
# is the "rapid reset" attack (CVE-2023-44487), answered with GOAWAY(ENHANCE_YOUR_CALM).
_RESET_BUDGET = 200
_RESET_WINDOW = 10.0
_TOO_LARGE_BODY = b'{"message":"Request Entity Too Large"}'


class StreamWorkers:
    """Threads for stream work, at most ``limit`` of them: an idle one is reused, else a new one starts
    while under the limit, else the task waits for the next free worker. Reuse because starting a
    thread costs ~120 us here; it raised small-request h2c throughput by about a fifth."""

    def __init__(self, limit: int, idle_timeout: float = 30.0) -> None:
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._limit = limit
        self._threads = 0
        # Waiting workers not yet promised a task; a submit promises one by decrementing.
        self._idle = 0
        self._idle_timeout = idle_timeout

    @property
    def threads(self) -> int:
        return self._threads

    def submit(self, task: Callable[[], None]) -> None:
        with self._lock:
            start = False
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < self._limit:
                self._threads += 1
                start = True
        self._tasks.put(task)
        if start:
            threading.Thread(target=self._work, name="h2c-stream", daemon=True).start()

    def _work(self) -> None:
        # Invariant: tasks queued beyond the waiting workers are picked up as busy workers finish.
        while True:
            try:
                task = self._tasks.get(timeout=self._idle_timeout)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # nobody was promised our slot: retire
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue  # a submit promised a waiting worker a task that is on its way
            try:
                task()
            except Exception:
                _log.exception("h2c stream task failed")
            with self._lock:
                self._idle += 1


class _StreamGoneError(Exception):
    """The stream can take no more frames: reset by either side, or the connection closed."""


class _Stream:
    """One request/response exchange on the connection."""

    __slots__ = (
        "body",
        "cancelled",
        "counted",
        "deferred",
        "dispatched",
        "duplex",
        "ended",
        "headers",
        "refused",
        "stream_id",
    )

    def __init__(self, stream_id: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.stream_id = stream_id
        self.headers = headers
        self.duplex = _is_duplex(headers)  # the app starts at once and reads the body as it arrives
        self.ended = False  # END_STREAM seen (duplex streams: the body pipe reads end of file)
        self.body = bytearray()
        self.cancelled = False
        self.dispatched = False  # handed to a worker: the body is the app's now
        self.refused = False  # answered by the connection itself (body over the limit)
        self.deferred = 0  # received bytes not yet credited back to the client (flow control)
        self.counted = 0  # bytes of body counted in the connection's undispatched buffer


class _Connection:
    """State shared by the reader loop and the stream workers of one h2c connection."""

    def __init__(
        self,
        sock: socket.socket,
        app: WSGIApplication,
        server_address: tuple[str, int],
        client_address: tuple[str, int],
        limits: ServerLimits,
        register: ConnectionRegister | None,
        workers: StreamWorkers,
    ) -> None:
        self._sock = sock
        self._app = app
        self._server_address = server_address
        self._client_address = client_address
        self._limits = limits
        self._register = register
        self._workers = workers
        self.server_header = SERVER_SOFTWARE.encode("latin-1")
        self._h2 = h2p.ServerConnection(
            initial_window=_STREAM_WINDOW,
            connection_window=_CONNECTION_WINDOW,
            max_concurrent_streams=limits.max_concurrent_streams,
            max_header_list_size=_MAX_HEADER_LIST,
        )
        self._cond = threading.Condition()
        self._streams: dict[int, _Stream] = {}
        self._closed = False
        self._buffered = 0  # bytes of request bodies not yet dispatched
        self._resets: deque[float] = deque()
        self._ready: list[_Stream] = []  # complete requests of the batch being read
        self._state = IDLE

    # -- reader side -------------------------------------------------------------------------

    def serve(self) -> None:
        limits = self._limits
        with self._cond:
            self._h2.initiate_connection()
            self._flush()
        set_kernel_timeouts(self._sock, limits.idle_timeout)
        try:
            while not self._closed:
                try:
                    data = self._sock.recv(_RECV_SIZE)
                except (TimeoutError, BlockingIOError):  # the kernel's receive timeout
                    with self._cond:
                        if self._streams:
                            continue  # requests in flight: their workers keep the connection busy
                        _log.debug("h2c connection from %s idle; closing", self._client_address)
                        self._h2.close_connection()
                        self._flush()
                    break
                except OSError as exc:
                    _log.debug("h2c connection from %s dropped: %r", self._client_address, exc)
                    break
                if not data:
                    break
                with self._cond:
                    try:
                        events = self._h2.receive_data(data)
                    except h2p.ProtocolError as exc:
                        # It has queued a GOAWAY naming the error; send it and hang up.
                        _log.debug("h2c protocol error from %s: %s", self._client_address, exc)
                        self._flush()
                        break
                    for event in events:
                        self._handle_event(event)
                    # Requests complete in this batch start only now, so a reset that came in the
                    # same read (the "rapid reset" pattern) means their app never runs.
                    for stream in self._ready:
                        if not stream.cancelled:
                            self._workers.submit(functools.partial(self._run_stream, stream))
                    self._ready.clear()
                    self._flush()
                    self._cond.notify_all()
                    self._note_state()
        finally:
            with self._cond:
                self._closed = True
                for stream in self._streams.values():
                    stream.cancelled = True
                self._cond.notify_all()

    def _note_state(self) -> None:
        """Tell the register whether this connection may be evicted (no stream in flight)."""
        state = BUSY if self._streams else IDLE
        if state != self._state and self._register is not None:
            self._state = state
            self._register.mark(self._sock, state)

    def _handle_event(self, event: h2p.Event) -> None:
        if isinstance(event, h2p.RequestReceived):
            if len(self._streams) >= self._limits.max_concurrent_streams:
                # The protocol counts open streams only; ours also holds closed ones whose app still runs.
                self._h2.reset_stream(event.stream_id, h2p.ErrorCodes.REFUSED_STREAM)
                return
            opened = _Stream(event.stream_id, event.headers)
            self._streams[event.stream_id] = opened
            if opened.duplex:
                opened.dispatched = True
                self._ready.append(opened)
        elif isinstance(event, h2p.DataReceived):
            self._receive(event.stream_id, event.data, event.flow_controlled_length)
        elif isinstance(event, h2p.StreamEnded):
            ended = self._streams.get(event.stream_id)
            if ended is not None:
                ended.ended = True
                if not ended.refused and not ended.duplex:
                    self._dispatch(ended)
        elif isinstance(event, h2p.StreamReset):
            stream = self._streams.pop(event.stream_id, None)
            if stream is not None:
                stream.cancelled = True
                self._release(stream)
                _log.debug("h2c stream %d reset by client (%s)", event.stream_id, event.error_code)
                self._count_reset()
        elif isinstance(event, h2p.ConnectionTerminated):
            # A graceful GOAWAY lets the streams in flight finish (the AWS SDK for JavaScript closes its
            # session that way while a bidirectional stream is still open); an error ends them all.
            _log.debug("h2c GOAWAY from %s (%s)", self._client_address, event.error_code)
            if event.error_code != h2p.ErrorCodes.NO_ERROR:
                self._closed = True
        # SETTINGS and PING are acknowledged by the protocol itself; WINDOW_UPDATE only needs the notify_all
        # the reader does after every batch; priority and unknown frames carry nothing we use.

    def _receive(self, stream_id: int, data: bytes, flow_length: int) -> None:
        stream = self._streams.get(stream_id)
        if stream is not None and stream.duplex and not stream.cancelled:
            # Held until the app reads it (``_BodyPipe``), which is when it is credited back: the
            # stream's receive window bounds what a duplex stream buffers.
            stream.body += data
            stream.deferred += flow_length
            return
        if stream is None or stream.refused or stream.dispatched:
            self._h2.acknowledge_received_data(flow_length, stream_id)  # nobody will read it
            return
        if len(stream.body) + len(data) > self._limits.max_body_bytes:
            self._refuse_too_large(stream)
            self._h2.acknowledge_received_data(flow_length, stream_id)
            return
        stream.body += data
        stream.counted += len(data)
        self._buffered += len(data)
        if self._buffered <= self._limits.max_body_bytes:
            self._h2.acknowledge_received_data(flow_length, stream_id)
        else:
            stream.deferred += flow_length  # credited when buffered bodies are dispatched

    def _dispatch(self, stream: _Stream) -> None:
        stream.dispatched = True
        self._release(stream)
        self._ready.append(stream)

    def _release(self, stream: _Stream) -> None:
        """Stop counting ``stream``'s body as buffered; credit deferred bytes that now fit."""
        self._buffered -= stream.counted
        stream.counted = 0
        if stream.deferred:
            self._credit(stream)
        if self._buffered <= self._limits.max_body_bytes:
            for other in self._streams.values():
                if other.deferred:
                    self._credit(other)

    def _credit(self, stream: _Stream) -> None:
        # The connection window is credited even when the stream itself is already closed.
        amount, stream.deferred = stream.deferred, 0
        self._h2.acknowledge_received_data(amount, stream.stream_id)

    def _refuse_too_large(self, stream: _Stream) -> None:
        """Answer 413 at once and reset the stream, so the client stops uploading."""
        stream.refused = True
        self._release(stream)
        stream.body = bytearray()
        headers = [
            (b":status", b"413"),
            (b"content-type", b"application/json"),
            (b"x-amzn-errortype", b"RequestEntityTooLargeException"),
            (b"content-length", str(len(_TOO_LARGE_BODY)).encode()),
            (b"server", self.server_header),
        ]
        with contextlib.suppress(h2p.H2Error):
            self._h2.send_headers(stream.stream_id, headers)
            self._h2.send_data(stream.stream_id, _TOO_LARGE_BODY, end_stream=True)
            self._h2.reset_stream(stream.stream_id, h2p.ErrorCodes.NO_ERROR)
        self._streams.pop(stream.stream_id, None)

    def _count_reset(self) -> None:
        now = time.monotonic()
        resets = self._resets
        resets.append(now)
        while resets and now - resets[0] > _RESET_WINDOW:
            resets.popleft()
        if len(resets) > _RESET_BUDGET:
            _log.warning("h2c client %s resets streams too fast; closing", self._client_address)
            self._h2.close_connection(h2p.ErrorCodes.ENHANCE_YOUR_CALM)
            self._flush()
            self._closed = True

    def _flush(self) -> None:
        """Send what h2 has queued; the caller holds the condition's lock."""
        data = self._h2.data_to_send()
        if not data or self._closed:
            return
        try:
            send_now(self._sock, data)
        except OSError as exc:
            _log.debug("h2c write to %s failed: %r", self._client_address, exc)
            self._closed = True
            for stream in self._streams.values():
                stream.cancelled = True
            self._cond.notify_all()

    # -- worker side -------------------------------------------------------------------------

    def _run_stream(self, stream: _Stream) -> None:
        if stream.cancelled:  # reset (or the connection lost) while it waited for a worker
            with self._cond:
                self._streams.pop(stream.stream_id, None)
                self._note_state()
            return
        environ = self._environ(stream)
        responder = _Responder(self, stream)
        environ[ABORT_KEY] = responder.abort
        result: Iterable[bytes] | None = None
        try:
            result = self._app(environ, responder.start_response)
            if isinstance(result, list | tuple):
                # A whole response (every unary call): headers, data and END_STREAM in one write.
                responder.respond(b"".join(result))
            else:
                for chunk in result:
                    responder.write(chunk)
                responder.finish()
        except _StreamGoneError:
            _log.debug("h2c stream %d gone before its response ended", stream.stream_id)
        except Exception:
            _log.exception("WSGI app failed on h2c stream %d", stream.stream_id)
            responder.fail()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    _log.exception("closing the response of h2c stream %d failed", stream.stream_id)
            with self._cond:
                self._streams.pop(stream.stream_id, None)
                self._note_state()

    def _environ(self, stream: _Stream) -> WSGIEnvironment:
        pseudo: dict[bytes, bytes] = {}
        regular: list[tuple[bytes, bytes]] = []
        for name, value in stream.headers:
            if name.startswith(b":"):
                pseudo[name] = value
            else:
                regular.append((name, value))
        raw_uri = pseudo.get(b":path", b"/").decode("latin-1")
        path, _, query = raw_uri.partition("?")
        environ: WSGIEnvironment = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": pseudo.get(b":scheme", b"http").decode("latin-1"),
            "wsgi.input": _BodyPipe(self, stream) if stream.duplex else io.BytesIO(bytes(stream.body)),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": SERVER_SOFTWARE,
            BODY_LIMIT_KEY: self._limits.max_body_bytes,
            "REQUEST_METHOD": pseudo.get(b":method", b"GET").decode("latin-1"),
            "SCRIPT_NAME": "",
            # Same result as Werkzeug's unquote-then-latin-1 dance for UTF-8 paths.
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": raw_uri,
            "RAW_URI": raw_uri,
            "REMOTE_ADDR": self._client_address[0],
            "REMOTE_PORT": self._client_address[1],
            "SERVER_NAME": self._server_address[0],
            "SERVER_PORT": str(self._server_address[1]),
            "SERVER_PROTOCOL": "HTTP/2",
        }
        for name, value in regular:
            if b"_" in name:
                continue  # as Werkzeug: "_" and "-" would collide in CGI names
            key = name.decode("latin-1").upper().replace("-", "_")
            text = value.decode("latin-1")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = f"HTTP_{key}"
                if key in environ:
                    # HTTP/2 clients may split cookies into several fields (RFC 9113 8.2.3).
                    sep = "; " if key == "HTTP_COOKIE" else ","
                    text = f"{environ[key]}{sep}{text}"
            environ[key] = text
        if b":authority" in pseudo:
            environ["HTTP_HOST"] = pseudo[b":authority"].decode("latin-1")
        # An HTTP/2 request body is framed by END_STREAM, so a client may omit content-length; the WSGI
        # app needs it to read the body at all, and we hold the whole body anyway.
        if stream.duplex:
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True  # read to end of file, not to a length
        elif stream.body or "CONTENT_LENGTH" in environ:
            environ["CONTENT_LENGTH"] = str(len(stream.body))
        return environ

    def read_body(self, stream: _Stream, size: int) -> bytes:
        """Up to ``size`` bytes of a duplex stream's body as they arrive (b"" at its end), crediting
        what is taken back to the client; waits at most the idle timeout for more."""
        deadline = time.monotonic() + self._limits.idle_timeout
        with self._cond:
            while not stream.body and not stream.ended:
                if stream.cancelled or self._closed:
                    raise OSError("the client reset the stream or went away")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no request data within the idle timeout")
                self._cond.wait(remaining)
            taken = bytes(stream.body[:size])
            del stream.body[:size]
            if stream.deferred and (len(stream.body) < _RECV_SIZE or stream.ended):
                self._credit(stream)
                self._flush()
            return taken

    def send_headers(
        self, stream: _Stream, headers: list[tuple[bytes, bytes]], *, end: bool, flush: bool
    ) -> None:
        with self._cond:
            self._check(stream)
            try:
                self._h2.send_headers(stream.stream_id, headers, end_stream=end)
            except h2p.H2Error as exc:
                raise _StreamGoneError from exc
            if flush:
                self._flush()

    def send_data(self, stream: _Stream, data: bytes) -> None:
        """Send one chunk, blocking on flow control, flushed before returning (so streaming streams)."""
        with self._cond:
            self._send_data(stream, memoryview(data), end=False)

    def send_response(self, stream: _Stream, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Headers, the whole body and END_STREAM, in as few writes as flow control allows."""
        with self._cond:
            self._check(stream)
            try:
                self._h2.send_headers(stream.stream_id, headers, end_stream=not body)
            except h2p.H2Error as exc:
                raise _StreamGoneError from exc
            if body:
                self._send_data(stream, memoryview(body), end=True)
            else:
                self._flush()

    def _send_data(self, stream: _Stream, view: memoryview, *, end: bool) -> None:
        """Frame ``view`` as DATA (the last frame ending the stream when ``end``); holds the lock."""
        while view:
            self._check(stream)
            try:
                window = self._h2.local_flow_control_window(stream.stream_id)
                if window <= 0:
                    # Headers may be queued unsent; let the client see them while we wait.
                    self._flush()
                    self._cond.wait()
                    continue
                frame_max = self._h2.max_outbound_frame_size
                while view and window > 0:
                    size = min(len(view), window, frame_max)
                    last = end and size == len(view)
                    self._h2.send_data(stream.stream_id, view[:size].tobytes(), end_stream=last)
                    view = view[size:]
                    window -= size
            except h2p.H2Error as exc:
                raise _StreamGoneError from exc
        self._flush()

    def end_stream(self, stream: _Stream) -> None:
        with self._cond:
            self._check(stream)
            try:
                self._h2.end_stream(stream.stream_id)
            except h2p.H2Error as exc:
                raise _StreamGoneError from exc
            self._flush()

    def reset_stream(self, stream: _Stream) -> None:
        with self._cond:
            if stream.cancelled or self._closed:
                return
            stream.cancelled = True
            try:
                self._h2.reset_stream(stream.stream_id, h2p.ErrorCodes.INTERNAL_ERROR)
            except h2p.H2Error:
                return  # already closed on h2's side: nothing left to reset
            self._flush()
            self._cond.notify_all()

    def _check(self, stream: _Stream) -> None:
        if stream.cancelled or self._closed:
            raise _StreamGoneError


# Requests whose body the client keeps writing while it reads the answer: Bedrock's bidirectional event
# streams (InvokeModelWithBidirectionalStream). The app starts when their headers arrive.
_DUPLEX_PATH_SUFFIX = b"/invoke-with-bidirectional-stream"


def _is_duplex(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b":path":
            return value.partition(b"?")[0].endswith(_DUPLEX_PATH_SUFFIX)
    return False


class _BodyPipe(io.RawIOBase):
    """``wsgi.input`` of a duplex stream: reads block until the client sends more or ends the stream."""

    def __init__(self, conn: _Connection, stream: _Stream) -> None:
        super().__init__()
        self._conn = conn
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._conn.read_body(self._stream, len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Responder(WsgiResponse):
    """WSGI start_response/write for one stream, and the abort callable handed to the app."""

    def __init__(self, conn: _Connection, stream: _Stream) -> None:
        super().__init__()
        self._conn = conn
        self._stream = stream
        self._aborted = False

    def write(self, data: bytes) -> None:
        if self._aborted:
            return
        if not self.headers_sent:
            # With data to follow, headers ride in the same socket write as the first DATA frame.
            self._send_headers(end=False, flush=not data)
        if data:
            self._conn.send_data(self._stream, data)

    def respond(self, body: bytes) -> None:
        """The whole response at once (the app returned a list of byte strings)."""
        if self._aborted:
            return
        if self.headers_sent:
            if body:
                self._conn.send_data(self._stream, body)
            self._conn.end_stream(self._stream)
            return
        self.headers_sent = True
        self._conn.send_response(self._stream, self._header_block(), body)

    def finish(self) -> None:
        if self._aborted:
            return
        if not self.headers_sent:
            self._send_headers(end=True, flush=True)
        else:
            self._conn.end_stream(self._stream)

    def fail(self) -> None:
        """The app raised: a 500 if nothing went out yet, else reset the stream."""
        if self._aborted:
            return
        if self.headers_sent:
            self.abort()
            return
        self._status = "500 Internal Server Error"
        self._headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "InternalServerException"),
        ]
        with contextlib.suppress(_StreamGoneError):
            self.respond(b'{"message":"bedrock-emulator internal error"}')

    def abort(self) -> None:
        self._aborted = True
        self._conn.reset_stream(self._stream)

    def _send_headers(self, *, end: bool, flush: bool) -> None:
        headers = self._header_block()
        self.headers_sent = True
        self._conn.send_headers(self._stream, headers, end=end, flush=flush)

    def _header_block(self) -> list[tuple[bytes, bytes]]:
        if self._status is None:
            raise AssertionError("WSGI app wrote a body before calling start_response")
        code = self._status.split(None, 1)[0].encode("ascii")
        headers = [(b":status", code)]
        for name, value in self._headers:
            key = name.lower().encode("latin-1")
            if key not in _HOP_BY_HOP:
                headers.append((key, value.encode("latin-1")))
        # Same defaults as the HTTP/1.1 path; AWS SDKs read `date` to correct clock skew.
        present = {name for name, _ in headers}
        if b"server" not in present:
            headers.append((b"server", self._conn.server_header))
        if b"date" not in present:
            headers.append((b"date", http_date().encode("ascii")))
        return headers


def serve_h2c(
    sock: socket.socket,
    app: WSGIApplication,
    *,
    server_address: tuple[str, int],
    client_address: tuple[str, int],
    limits: ServerLimits | None = None,
    register: ConnectionRegister | None = None,
    workers: StreamWorkers | None = None,
) -> None:
    """Serve HTTP/2 on `sock` (preface not yet consumed) until the peer leaves; the caller closes it."""
    limits = limits or ServerLimits()
    workers = workers or StreamWorkers(limits.max_stream_workers)
    _Connection(sock, app, server_address, client_address, limits, register, workers).serve()
