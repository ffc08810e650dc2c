"""Run a WSGI app on one port that speaks HTTP/1.1 (keep-alive) and HTTP/2 cleartext, in threads.

`EmulatorServer` binds a socket, serves it from a daemon thread (or blocking, for the CLI) and stops
cleanly. It builds on Werkzeug's threaded server: one thread per connection, within the limits of
`emulator.serving.ServerLimits` (a connection cap with eviction of idle connections, idle and I/O
timeouts, bounded request heads and bodies). Each new connection is peeked at: if it opens with the HTTP/2 connection preface (prior knowledge h2c, what the AWS SDK for
JavaScript v3 sends to an ``http://`` endpoint) it is handed to `emulator.http2`; anything else is
served as HTTP/1.1 by the request handler below.

The HTTP/1.1 path writes responses itself instead of using Werkzeug's ``run_wsgi``, because that one
always answers ``Connection: close`` (no keep-alive) and cannot be told to cut a response short.
Requests that are not HTTP (a TLS hello, a malformed request line, an HTTP/9.9 version, an oversized
line or head) get a status line (400, 414, 431, 505) with a small JSON body and the connection closed.

Abort contract, the same on both protocols: the WSGI environ carries a callable under
``"bedrock_emulator.abort"`` (`ABORT_KEY`). Fault injection calls it to end an exchange without a proper
response, then returns or stops its iterable (anything yielded afterwards is discarded):

- HTTP/1.1: the socket is shut down at once. If nothing was sent yet the client sees the connection
  close with no response at all; mid-stream the chunked body is cut (no terminating chunk). Nothing
  further is written and nothing is logged above DEBUG.
- HTTP/2: that stream is reset with RST_STREAM(INTERNAL_ERROR); the connection stays up.

Client disconnects (broken pipe, reset) are ordinary and logged at DEBUG only; there are no per-request
access lines (the emulator keeps its own journal). Logger: ``bedrock_emulator.server``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from typing_extensions import override
from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, select_address_family
from werkzeug.wsgi import LimitedStream

from emulator.request_head import HeadError, RequestHead, parse_head, wsgi_environ
from emulator.serving import (
    ABORT_KEY,
    BODY_LIMIT_KEY,
    BUSY,
    CONNECTION_PREFACE,
    HEAD,
    IDLE,
    SERVER_SOFTWARE,
    BodyTooLargeError,
    ConnectionRegister,
    MalformedBodyError,
    ServerLimits,
    WsgiResponse,
    http_date,
    plain_error,
    send_now,
    set_kernel_timeouts,
)

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

    from emulator.http2 import StreamWorkers

__all__ = ["ABORT_KEY", "EmulatorServer", "ServerLimits"]

_log = logging.getLogger("bedrock_emulator.server")

# How long stop() waits for connection threads after cutting their sockets; an app stuck in a long
# sleep should not make stop() hang, its thread is a daemon anyway.
_JOIN_TIMEOUT = 2.0
# A client that sends part of the preface and stalls gets treated as HTTP/1.1 after this long.
_PREFACE_WAIT = 10.0
# Unread request body left after the response: drained to keep the connection if at most this big,
# otherwise the connection is closed (reading it would cost more than a reconnect).
_MAX_DRAIN = 1 << 20
_MAX_REQUEST_LINE = 16 << 10
_PIECE = 1 << 16
# Bodies up to this size (without ``Expect: 100-continue``) are read whole before the app runs.
_READ_AHEAD = 1 << 16
_BODYLESS_STATUSES = frozenset({204, 304})
_DISCONNECTS = (ConnectionError, TimeoutError)
_BUSY_REFUSAL = plain_error(
    503,
    "Service Unavailable",
    "Too many open connections; try again.",
    error_type="ServiceUnavailableException",
)
_TOO_LARGE = "RequestEntityTooLargeException"


class _WSGIServer(ThreadedWSGIServer):
    """Werkzeug's threaded server, with a register of open connections: a cap, eviction and stop()."""

    # We join connection threads ourselves, with a timeout (see EmulatorServer.stop).
    block_on_close = False

    def __init__(self, host: str, port: int, app: WSGIApplication, fd: int, limits: ServerLimits) -> None:
        self.limits = limits
        self.register = ConnectionRegister(limits)
        self._stream_workers: StreamWorkers | None = None
        self._workers_lock = threading.Lock()
        super().__init__(host, port, app, handler=_RequestHandler, fd=fd)
        self._server_version = SERVER_SOFTWARE

    def stream_workers(self) -> StreamWorkers:
        """This server's pool of HTTP/2 stream threads, made on the first h2c connection."""
        with self._workers_lock:
            if self._stream_workers is None:
                from emulator.http2 import StreamWorkers  # h2 is imported on the first h2c connection

                self._stream_workers = StreamWorkers(self.limits.max_stream_workers)
            return self._stream_workers

    @override
    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.register.admit(request):
            # Every connection is busy: say so rather than queue a thread beyond the cap.
            with contextlib.suppress(OSError):
                request.setblocking(False)
                request.send(_BUSY_REFUSAL)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    @override
    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback to stderr; the emulator logs instead.
        _log.exception("unhandled error serving %s", client_address)


class _Exchange(WsgiResponse):
    """One HTTP/1.1 request's response: WSGI start_response/write, keep-alive framing and abort."""

    def __init__(self, handler: _RequestHandler, environ: WSGIEnvironment) -> None:
        super().__init__()
        self._handler = handler
        self._environ = environ
        self._chunked = False
        self._bodyless = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        if self.aborted:
            return
        out = b"" if self.headers_sent else self._head()
        if data and not self._bodyless:
            # One sendall per chunk: the size line, data and CRLF leave in a single segment.
            out += b"%x\r\n%b\r\n" % (len(data), data) if self._chunked else data
        if out:
            send_now(self._handler.connection, out)

    def finish(self) -> None:
        if self.aborted:
            return
        if not self.headers_sent:
            self.write(b"")
        if self._chunked:
            send_now(self._handler.connection, b"0\r\n\r\n")

    def abort(self) -> None:
        self.aborted = True
        self._handler.close_connection = True
        with contextlib.suppress(OSError):
            self._handler.connection.shutdown(socket.SHUT_RDWR)

    def reset_for_error(self) -> bool:
        """Forget an unsent status so an error can replace it; False if the response already started."""
        if self.headers_sent:
            return False
        self._status = None
        return True

    def _head(self) -> bytes:
        if self._status is None:
            raise AssertionError("WSGI app wrote a body before calling start_response")
        handler = self._handler
        code = int(self._status.split(None, 1)[0])
        lines = [f"{handler.protocol_version} {self._status}\r\n"]
        names: set[str] = set()
        for name, value in self._headers:
            lines.append(f"{name}: {value}\r\n")
            lower = name.lower()
            names.add(lower)
            if lower == "connection" and "close" in value.lower():
                handler.close_connection = True
        if "server" not in names:
            lines.append(f"Server: {SERVER_SOFTWARE}\r\n")
        if "date" not in names:
            lines.append(f"Date: {http_date()}\r\n")
        if self._environ["REQUEST_METHOD"] == "HEAD" or code < 200 or code in _BODYLESS_STATUSES:
            self._bodyless = True
        elif "content-length" not in names:
            if handler.request_version >= "HTTP/1.1":
                self._chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                handler.close_connection = True  # HTTP/1.0: the body ends where the connection does
        if "connection" not in names:
            if handler.close_connection:
                lines.append("Connection: close\r\n")
            elif handler.request_version < "HTTP/1.1":
                lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        self.headers_sent = True
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug('"%s" %d (HTTP/1.1)', handler.requestline, code)
        return "".join(lines).encode("latin-1")


class _Dechunked:
    """``Transfer-Encoding: chunked`` read strictly: a chunk cut short is a disconnect, a bad size line or
    terminator is a malformed body, and a forged size costs nothing (reads stay 64 KiB at most).

    Werkzeug's own dechunker keeps counting down a forged ``ffffffffffffffff`` chunk after the client
    has gone, handing out empty reads as data: the unbounded read this class replaces.
    """

    def __init__(self, rfile: Any) -> None:
        self._rfile = rfile
        self._left = 0
        self._done = False

    def read(self, size: int | None = -1) -> bytes:
        want = _PIECE if size is None or size < 0 else size
        out = bytearray()
        while len(out) < want and not self._done:
            if self._left == 0:
                self._left = self._chunk_size()
                if self._left == 0:
                    self._trailer()
                    break
            piece = self._rfile.read(min(self._left, want - len(out), _PIECE))
            if not piece:
                raise ClientDisconnected()
            out += piece
            self._left -= len(piece)
            if self._left == 0:
                self._terminator()
        return bytes(out)

    def readline(self, size: int | None = -1) -> bytes:
        limit = _PIECE if size is None or size < 0 else size
        out = bytearray()
        while len(out) < limit and not out.endswith(b"\n"):
            piece = self.read(1)
            if not piece:
                break
            out += piece
        return bytes(out)

    def _chunk_size(self) -> int:
        line = self._rfile.readline(256)
        if not line:
            raise ClientDisconnected()
        digits = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not digits or len(digits) > 16:
            raise MalformedBodyError("invalid chunk size line")
        try:
            return int(digits, 16)
        except ValueError:
            raise MalformedBodyError("invalid chunk size line") from None

    def _terminator(self) -> None:
        if self._rfile.readline(3) not in (b"\r\n", b"\n"):
            raise MalformedBodyError("missing chunk terminator")

    def _trailer(self) -> None:
        self._done = True
        for _ in range(64):  # trailer fields, then the empty line
            line = self._rfile.readline(8192)
            if not line:
                raise ClientDisconnected()
            if line in (b"\r\n", b"\n"):
                return
        raise MalformedBodyError("too many trailer fields")


class _CappedInput:
    """wsgi.input for one request: refuses to read past the server's body cap, reads in bounded pieces,
    and sends the interim ``100 Continue`` only when the app first reads (an app that refuses a body
    from its Content-Length never asks the client for it)."""

    def __init__(self, stream: Any, limit: int, on_first_read: Callable[[], None] | None) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0
        self._on_first_read = on_first_read

    def read(self, size: int | None = -1) -> bytes:
        want = self._want(size)
        pieces: list[bytes] = []
        got = 0
        while got < want:
            piece = self._underlying(self._stream.read, min(want - got, _PIECE))
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        return self._count(b"".join(pieces))

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(self._underlying(self._stream.readline, min(self._want(size), _PIECE)))

    @staticmethod
    def _underlying(reader: Callable[[int], bytes], size: int) -> bytes:
        try:
            return reader(size)
        except ValueError as exc:  # Werkzeug's dechunker on a bad chunk header or a short chunk
            raise MalformedBodyError(str(exc)) from exc

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _want(self, size: int | None) -> int:
        if self._on_first_read is not None:
            first, self._on_first_read = self._on_first_read, None
            first()
        room = self._limit - self._read + 1  # one byte over tells "too large" from "exactly the cap"
        return room if size is None or size < 0 else min(size, room)

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise BodyTooLargeError(self._limit)
        return data


class _RequestHandler(WSGIRequestHandler):
    """Per connection: route h2c to `emulator.http2`, serve HTTP/1.1 with keep-alive otherwise."""

    protocol_version = "HTTP/1.1"
    # Malformed requests are answered with a status line, never in HTTP/0.9's headerless form.
    default_request_version = "HTTP/1.1"
    server: _WSGIServer
    head: RequestHead

    def setup(self) -> None:
        super().setup()
        set_kernel_timeouts(self.connection, self.server.limits.io_timeout)
        # Streamed chunks are small writes; Nagle plus delayed ACK would hold each for ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.register.attach(self.connection)

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):
                super().finish()
        finally:
            self.server.register.forget(self.connection)

    def handle(self) -> None:
        if self._opens_with_preface():
            client = self.client_address if isinstance(self.client_address, tuple) else ("", 0)
            from emulator.http2 import serve_h2c  # h2 is imported on the first HTTP/2 connection

            serve_h2c(
                self.connection,
                self.server.app,
                server_address=(str(self.server.server_address[0]), self.server.port),
                client_address=(str(client[0]), int(client[1])),
                limits=self.server.limits,
                register=self.server.register,
                workers=self.server.stream_workers(),
            )
            return
        super().handle()

    def _opens_with_preface(self) -> bool:
        deadline = time.monotonic() + _PREFACE_WAIT
        while True:
            try:
                head = self.connection.recv(len(CONNECTION_PREFACE), socket.MSG_PEEK)
            except OSError:
                return False  # the HTTP/1.1 path meets the same error and treats it as a disconnect
            if len(head) >= len(CONNECTION_PREFACE):
                return bool(head == CONNECTION_PREFACE)
            # A short peek that already differs is HTTP/1.1; waiting for 24 bytes would hang on a
            # short request such as "GET / HTTP/1.1\r\n\r\n" that fits in fewer.
            if not head or not CONNECTION_PREFACE.startswith(head) or time.monotonic() > deadline:
                return False
            # The data so far is a prefix of the preface; a peek returns at once while any data is
            # queued, so wait a little for the rest rather than spin.
            time.sleep(0.001)

    def handle_one_request(self) -> None:
        """One request: its line and headers within bounds, or a status line saying why not."""
        register, limits, conn = self.server.register, self.server.limits, self.connection
        self.command = ""
        self.request_version = self.default_request_version
        try:
            register.mark(conn, IDLE)
            if limits.idle_timeout != limits.io_timeout:
                set_kernel_timeouts(conn, limits.idle_timeout)
                self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
                set_kernel_timeouts(conn, limits.io_timeout)
            else:
                self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
            register.mark(conn, HEAD)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > _MAX_REQUEST_LINE:
                self.requestline = ""
                self.send_error(414, "Request-URI Too Long")
                return
            lines = self._read_head(limits.max_header_bytes)
            if lines is None:
                return
            self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
            try:
                head = parse_head(self.raw_requestline, lines)
            except HeadError as refused:
                self.send_error(refused.status, refused.message)
                return
            self.head = head
            self.command, self.path, self.request_version = head.method, head.target, head.version
            self.close_connection = not head.keep_alive
            register.mark(conn, BUSY)
            if self.command not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}:
                self.send_error(501, "Not Implemented")
                return
            self.run_wsgi()
        except TimeoutError as exc:
            _log.debug("connection from %s timed out: %r", self.client_address, exc)
            self.close_connection = True

    def _read_head(self, limit: int) -> list[bytes] | None:
        """The header field lines up to the empty line, or None after a 431 when over ``limit`` bytes."""
        # Nearly always the whole head has arrived with the request line: take it in one read. Only
        # CRLF-terminated lines qualify; a bare LF (which ends a line too) leaves it to the loop below.
        rfile = cast("io.BufferedReader", self.rfile)  # socketserver's buffered reader of the connection
        buffered = rfile.peek(limit)
        if buffered.startswith(b"\r\n"):
            rfile.read(2)
            return []
        end = buffered.find(b"\r\n\r\n", 0, limit)
        if end >= 0:
            block = buffered[: end + 2]
            if block.count(b"\n") == block.count(b"\r\n"):
                rfile.read(end + 4)
                return block.split(b"\r\n")[:-1]
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(limit + 1)
            total += len(line)
            if total > limit:
                self.send_error(431, "Request Header Fields Too Large")
                return None
            if line in (b"\r\n", b"\n", b""):
                return lines
            lines.append(line)

    def handle_expect_100(self) -> bool:
        return True  # sent by _CappedInput when the app first reads the body

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:  # noqa: ARG002 - http.server's signature
        """A transport-level refusal: a status line, a small JSON body, and close."""
        reason = self.responses.get(code, ("Error", ""))[0]
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.sendall(plain_error(code, reason, message or reason))

    def run_wsgi(self) -> None:
        head = self.head
        client = self.client_address if isinstance(self.client_address, tuple) else ("<local>", 0)
        self.environ = environ = wsgi_environ(
            head,
            self.rfile,
            server_name=str(self.server.server_address[0]),
            server_port=int(self.server.server_address[1]),
            client=(str(client[0]), int(client[1])),
            server_software=SERVER_SOFTWARE,
            connection=self.connection,
        )
        limits = self.server.limits
        declared = environ.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or len(declared) > 19:
            self.send_error(400, "Invalid Content-Length")
            return
        expect = (head.headers.get("Expect") or "").lower().strip(" \t") == "100-continue"
        length = int(declared)
        body: LimitedStream | None = None
        if 0 < length <= min(_READ_AHEAD, limits.max_body_bytes) and not head.chunked and not expect:
            # A small body whole, before the app runs: what nearly every request is, for the cost of one
            # read instead of two stream wrappers; it leaves nothing to drain.
            data = self.rfile.read(length)
            if data is None or len(data) < length:
                self.close_connection = True
                _log.debug("client %s went away in the middle of a request body", self.client_address)
                return
            environ["wsgi.input"] = io.BytesIO(data)
        else:
            body = self._bound_body(environ)
            if environ.get("wsgi.input_terminated"):
                environ["wsgi.input"] = _Dechunked(self.rfile)
            environ["wsgi.input"] = _CappedInput(
                environ["wsgi.input"], limits.max_body_bytes, self._send_continue if expect else None
            )
        environ[BODY_LIMIT_KEY] = limits.max_body_bytes
        exchange = _Exchange(self, environ)
        environ[ABORT_KEY] = exchange.abort
        try:
            self._execute(exchange, environ)
        except _DISCONNECTS as exc:
            self.close_connection = True
            _log.debug("client %s went away: %r", self.client_address, exc)
            return
        except OSError as exc:
            self.close_connection = True
            if not exchange.aborted:
                _log.debug("connection to %s failed: %r", self.client_address, exc)
            return
        if not self.close_connection:
            self._drain(environ, body)

    def _send_continue(self) -> None:
        self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _execute(self, exchange: _Exchange, environ: WSGIEnvironment) -> None:
        result = None
        try:
            result = self.server.app(environ, exchange.start_response)
            for chunk in result:
                if exchange.aborted:
                    break
                exchange.write(chunk)
            exchange.finish()
        except (*_DISCONNECTS, OSError):
            raise
        except (ClientDisconnected, BodyTooLargeError, MalformedBodyError) as exc:
            self.close_connection = True
            if isinstance(exc, BodyTooLargeError) and exchange.reset_for_error():
                self.connection.sendall(
                    plain_error(413, "Payload Too Large", "Request Entity Too Large", error_type=_TOO_LARGE)
                )
            elif isinstance(exc, MalformedBodyError) and exchange.reset_for_error():
                self.connection.sendall(plain_error(400, "Bad Request", "Malformed request body framing"))
        except Exception:
            if exchange.aborted:
                return  # the app tripped over the socket it asked us to cut: expected, not a bug
            _log.exception("WSGI app failed on %s %s", environ["REQUEST_METHOD"], environ["RAW_URI"])
            self.close_connection = True
            if exchange.reset_for_error():
                self.connection.sendall(
                    plain_error(
                        500,
                        "Internal Server Error",
                        "bedrock-emulator internal error",
                        error_type="InternalServerException",
                    )
                )
            # Mid-stream the status is gone; closing without the last chunk tells the client.
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    _log.exception("closing the response iterable failed")

    def _bound_body(self, environ: WSGIEnvironment) -> LimitedStream | None:
        """Fence wsgi.input at Content-Length so the app cannot read into the next request."""
        if environ.get("wsgi.input_terminated"):
            return None  # chunked: DechunkedInput already stops at the terminating chunk
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length <= 0:
            return None
        body = LimitedStream(environ["wsgi.input"], length)
        environ["wsgi.input"] = body
        return body

    def _drain(self, environ: WSGIEnvironment, body: LimitedStream | None) -> None:
        """Read any request body the app left, so the next request starts at a request line."""
        try:
            if body is not None:
                if not body.is_exhausted:
                    if body.limit > _MAX_DRAIN:
                        self.close_connection = True
                    else:
                        body.exhaust()
            elif environ.get("wsgi.input_terminated"):
                stream = environ["wsgi.input"]
                total = 0
                while chunk := stream.read(1 << 16):
                    total += len(chunk)
                    if total > _MAX_DRAIN:
                        self.close_connection = True
                        break
        except (ClientDisconnected, OSError, ValueError, BodyTooLargeError, MalformedBodyError):
            self.close_connection = True

    @override
    def connection_dropped(self, error: BaseException, environ: WSGIEnvironment | None = None) -> None:
        _log.debug("client %s went away: %r", self.client_address, error)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the emulator's journal records requests; _Exchange logs at DEBUG

    def log(self, type: str, message: str, *args: Any) -> None:
        _log.debug("%s: " + message, type, *args)


class EmulatorServer:
    """A WSGI app served on one port (HTTP/1.1 and h2c), from a thread or blocking.

    >>> with EmulatorServer(app) as server:
    ...     requests.get(server.endpoint_url + "/_emulator/health")
    """

    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: ServerLimits | None = None,
    ) -> None:
        self.app = app
        self.limits = limits or ServerLimits()
        self.host = host
        self.port = port
        self._server: _WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> EmulatorServer:
        """Bind and listen (connections queue from here on), then serve from a daemon thread."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("server already started")
            server = self._bind()
            self._server = server
            self.port = server.port
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},  # bounds how long stop() waits for the accept loop
                name=f"bedrock-emulator:{self.port}",
                daemon=True,
            )
            self._thread.start()
        _log.debug("serving on %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        """Stop accepting, close the listening socket, cut open connections and join; idempotent."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        server.server_close()
        # Idle keep-alive connections would otherwise keep their threads (and clients) waiting.
        open_connections = server.register.snapshot()
        for conn, _ in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for _, worker in open_connections:
            if worker is not None and worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))
        _log.debug("stopped %s", self.endpoint_url)

    def serve_forever(self, on_ready: Callable[[EmulatorServer], None] | None = None) -> None:
        """Serve until SIGINT or SIGTERM (when called from the main thread) or until stop().

        ``on_ready`` is called once the port is bound (with the real port when 0 was asked for).
        """
        done = threading.Event()
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():

            def on_signal(_signum: int, _frame: FrameType | None) -> None:
                done.set()

            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, on_signal)
        self.start()
        thread = self._thread
        if on_ready is not None:
            on_ready(self)
        try:
            # Wake now and then so stop() from another thread also ends this call.
            while not done.wait(0.2):
                if thread is None or not thread.is_alive():
                    break
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _bind(self) -> _WSGIServer:
        # Bound here rather than by Werkzeug, whose constructor prints and sys.exit()s on a busy port;
        # a library caller should get the OSError.
        family = select_address_family(self.host, self.port)
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
            # Werkzeug dups the descriptor, so ours is closed either way.
            return _WSGIServer(self.host, self.port, self.app, fd=listener.fileno(), limits=self.limits)
        finally:
            listener.close()
