"""The transport holds under hostile input: bounded bodies, heads, connections and threads, real sockets.

Each test names the defect it guards (the hardening issue's list, probed on commit 872028f).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.errors
import h2.events
import pytest

from emulator.app import create_app
from emulator.server import EmulatorServer, ServerLimits
from emulator.settings import Settings

_AUTH = (
    "AWS4-HMAC-SHA256 Credential=limits/20260101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host, Signature=00"
)
_INVOKE = "/model/amazon.titan-text-express-v1/invoke"
_CONVERSE = "/model/amazon.nova-micro-v1:0/converse"
_CONVERSE_BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}).encode()
_PAYLOAD_TEXT = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: "
    "Member must have length less than or equal to 25000000"
)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    limits = ServerLimits(max_connections=40, idle_timeout=1.0, io_timeout=1.0, head_timeout=0.5)
    with EmulatorServer(create_app(Settings(library=False)), limits=limits) as running:
        yield running


def _connect(server: EmulatorServer) -> socket.socket:
    conn = socket.create_connection((server.host, server.port), timeout=5)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _head(path: str, extra: str = "", method: str = "POST") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {_AUTH}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def _response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body, read off the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            raise ConnectionError(f"closed after {data!r}")
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        piece = conn.recv(65536)
        if not piece:
            break
        rest += piece
    return status, headers, rest[:length]


def _closed(conn: socket.socket, within: float = 5.0) -> bool:
    conn.settimeout(within)
    try:
        while conn.recv(65536):
            pass
    except (TimeoutError, ConnectionError):
        return False
    return True


# 1. A forged chunk size must not make the server allocate what it names.
def _process_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_forged_chunk_size_costs_no_memory() -> None:
    """In a server process of its own, so nothing else in the test run moves its memory."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--no-library"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)

        def forge() -> int:
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(_head(_CONVERSE, "Transfer-Encoding: chunked\r\n") + b"ffffffffffffffff\r\nabc")
            conn.shutdown(socket.SHUT_WR)
            status = _response(conn)[0] if not _closed_at_once(conn) else 0
            conn.close()
            return status

        forge()  # the first one also loads what a chunked request needs (botocore's model)
        time.sleep(0.5)
        before = _process_rss_mb(process.pid)
        statuses = {forge() for _ in range(5)}
        time.sleep(1.0)
        assert _process_rss_mb(process.pid) - before < 20  # on 872028f: over 1 GB a second
        assert statuses <= {0, 400}  # a clean close or a 400, never a 200 or a 5xx
    finally:
        process.kill()
        process.wait()


def _closed_at_once(conn: socket.socket) -> bool:
    conn.settimeout(5)
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


# 2. Bodies over Bedrock's limits are refused from the declared length, without waiting for them.
def test_declared_payload_over_botocores_limit_is_refused_before_it_is_sent(server: EmulatorServer) -> None:
    conn = _connect(server)
    conn.sendall(_head(_INVOKE, "Content-Length: 500000000\r\n") + b"{" * 1024)
    started = time.monotonic()
    status, headers, body = _response(conn)
    assert time.monotonic() - started < 1.0
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("ValidationException")
    assert json.loads(body) == {"message": _PAYLOAD_TEXT}
    assert _closed(conn)  # the unread body is not drained


def test_sent_payload_over_the_limit_is_refused_by_the_same_rule_chunked(server: EmulatorServer) -> None:
    conn = _connect(server)
    conn.sendall(_head(_INVOKE, "Transfer-Encoding: chunked\r\n"))
    piece = b"x" * (1 << 20)
    chunk = b"%x\r\n%b\r\n" % (len(piece), piece)
    try:
        for _ in range(26):
            conn.sendall(chunk)
        conn.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server may answer and close before the last chunks
    status, _headers, body = _response(conn)
    assert status == 400
    assert json.loads(body)["message"] == _PAYLOAD_TEXT


def test_body_over_the_servers_cap_is_413_for_operations_without_a_model_limit() -> None:
    limits = ServerLimits(max_body_bytes=1 << 20)
    with EmulatorServer(create_app(Settings(library=False)), limits=limits) as server:
        conn = _connect(server)
        conn.sendall(_head(_CONVERSE, f"Content-Length: {2 << 20}\r\n"))
        status, headers, body = _response(conn)
        conn.close()
    assert status == 413
    assert headers["x-amzn-errortype"].startswith("RequestEntityTooLargeException")
    assert "message" in json.loads(body)


def test_declared_length_never_sent_times_out_instead_of_waiting_forever(server: EmulatorServer) -> None:
    conn = _connect(server)
    conn.sendall(_head(_CONVERSE, "Content-Length: 10000\r\n") + b"{")
    assert _closed(conn, within=5.0)  # io_timeout is 1 s in this fixture


def test_non_numeric_or_huge_content_length_gets_a_400_status_line(server: EmulatorServer) -> None:
    for value in ("abc", "9" * 40, "-5"):
        conn = _connect(server)
        conn.sendall(_head(_CONVERSE, f"Content-Length: {value}\r\n"))
        status, _, body = _response(conn)
        conn.close()
        assert status == 400, value
        assert "message" in json.loads(body)


# 6. HTTP-level garbage gets a status line (never a bare HTML page) or a clean close.
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32) + b"\r\n\r\n", 400),  # TLS hello
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n", 431),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nX-No-Colon\r\nContent-Length: 2\r\n\r\n{}", 400),
        (b"POST / HTTP/1.1\r\nX-A: b\r\n folded\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ],
    ids=[
        "tls-hello",
        "http-9.9",
        "no-version",
        "long-line",
        "big-header",
        "many-headers",
        "two-lengths",
        "length-and-chunked",
        "line-without-colon",
        "folded-line",
        "unknown-coding",
    ],
)
def test_http_garbage_gets_a_status_line(server: EmulatorServer, request_bytes: bytes, status: int) -> None:
    conn = _connect(server)
    conn.sendall(request_bytes)
    got, headers, body = _response(conn)
    assert got == status
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(body)
    assert _closed(conn)


# 8. Threads: idle connections are capped and time out; a flood evicts the idlest, not the busy.
def _threads() -> int:
    return threading.active_count()


def test_idle_connection_flood_costs_bounded_threads_and_times_out(server: EmulatorServer) -> None:
    base = _threads()
    flood = [_connect(server) for _ in range(200)]
    time.sleep(0.3)
    assert _threads() - base <= 40 + 2  # the cap, whatever the flood
    # A newcomer still gets served: it evicts an idle connection.
    conn = _connect(server)
    conn.sendall(_head(_CONVERSE, f"Content-Length: {len(_CONVERSE_BODY)}\r\n") + _CONVERSE_BODY)
    assert _response(conn)[0] == 200
    conn.close()
    deadline = time.monotonic() + 6
    while _threads() > base + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _threads() <= base + 2  # idle_timeout (1 s) closed the rest
    for sock in flood:
        sock.close()


def test_keep_alive_connection_survives_between_requests_within_the_idle_timeout(
    server: EmulatorServer,
) -> None:
    conn = _connect(server)
    for _ in range(3):
        conn.sendall(_head(_CONVERSE, f"Content-Length: {len(_CONVERSE_BODY)}\r\n") + _CONVERSE_BODY)
        assert _response(conn)[0] == 200
        time.sleep(0.3)
    conn.close()


# HTTP/2: the same bounds per stream and per connection.
class _H2Client:
    def __init__(self, server: EmulatorServer) -> None:
        self.sock = _connect(server)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(1 << 30)
        self.sock.sendall(self.h2.data_to_send())
        self.bodies: dict[int, bytes] = {}
        self.statuses: dict[int, int] = {}
        self.ended: set[int] = set()
        self.resets: set[int] = set()
        self.goaway: h2.errors.ErrorCodes | int | None = None

    def request(self, path: str, body: bytes, *, end: bool = True) -> int:
        stream_id = self.h2.get_next_available_stream_id()
        headers = [
            (":method", "POST"),
            (":path", path),
            (":scheme", "http"),
            (":authority", "127.0.0.1"),
            ("authorization", _AUTH),
            ("content-type", "application/json"),
        ]
        self.h2.send_headers(stream_id, headers, end_stream=not body and end)
        if body:
            self.send_body(stream_id, body, end=end)
        self.sock.sendall(self.h2.data_to_send())
        return stream_id

    def send_body(self, stream_id: int, body: bytes, *, end: bool) -> None:
        view = memoryview(body)
        while view:
            window = self.h2.local_flow_control_window(stream_id)
            size = min(len(view), window, self.h2.max_outbound_frame_size)
            if size <= 0:
                self.sock.sendall(self.h2.data_to_send())
                self.pump(
                    until=lambda: self.h2.local_flow_control_window(stream_id) > 0 or stream_id in self.resets
                )
                if stream_id in self.resets:
                    return
                continue
            last = end and size == len(view)
            self.h2.send_data(stream_id, view[:size].tobytes(), end_stream=last)
            view = view[size:]
        self.sock.sendall(self.h2.data_to_send())

    def pump(self, until: object, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.2)
        while not until() and time.monotonic() < deadline:  # type: ignore[operator]
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                continue
            if not data:
                return
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    self.statuses[event.stream_id] = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    self.bodies[event.stream_id] = self.bodies.get(event.stream_id, b"") + event.data
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    self.ended.add(event.stream_id)
                elif isinstance(event, h2.events.StreamReset):
                    self.resets.add(event.stream_id)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.goaway = event.error_code
            out = self.h2.data_to_send()
            if out:
                self.sock.sendall(out)


def test_h2_body_over_the_cap_is_413_and_the_connection_keeps_serving() -> None:
    limits = ServerLimits(max_body_bytes=1 << 20)
    with EmulatorServer(create_app(Settings(library=False)), limits=limits) as server:
        client = _H2Client(server)
        big = client.request(_CONVERSE, b"x" * (3 << 20))
        client.pump(until=lambda: big in client.ended or big in client.resets)
        assert client.statuses.get(big) == 413
        ok = client.request(_CONVERSE, _CONVERSE_BODY)
        client.pump(until=lambda: ok in client.ended)
        assert client.statuses[ok] == 200
        client.sock.close()


def test_h2_invoke_model_over_botocores_limit_gets_bedrocks_validation_text() -> None:
    with EmulatorServer(create_app(Settings(library=False))) as server:
        client = _H2Client(server)
        stream = client.request(_INVOKE, b" " * 25_000_001)
        client.pump(until=lambda: stream in client.ended, timeout=30)
        assert client.statuses[stream] == 400
        assert json.loads(client.bodies[stream]) == {"message": _PAYLOAD_TEXT}
        client.sock.close()


def test_h2_reset_streams_never_run_the_app_and_cost_bounded_threads() -> None:
    calls = 0
    lock = threading.Lock()

    def counting_app(environ: object, start_response: object) -> list[bytes]:
        nonlocal calls
        with lock:
            calls += 1
        start_response("200 OK", [("Content-Length", "2")])  # type: ignore[operator]
        return [b"ok"]

    limits = ServerLimits(max_stream_workers=8)
    with EmulatorServer(counting_app, limits=limits) as server:
        base = _threads()
        client = _H2Client(server)
        for _ in range(150):
            stream_id = client.h2.get_next_available_stream_id()
            client.h2.send_headers(
                stream_id,
                [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "x")],
                end_stream=True,
            )
            client.h2.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        client.sock.sendall(client.h2.data_to_send())  # all in one write: each reset is read with its request
        ok = client.request("/", b"")
        client.pump(until=lambda: ok in client.ended)
        assert client.statuses[ok] == 200
        assert calls == 1  # only the request nobody reset
        assert _threads() - base <= 8 + 2
        client.sock.close()


def test_h2_rapid_reset_flood_gets_goaway_enhance_your_calm() -> None:
    with EmulatorServer(create_app(Settings(library=False))) as server:
        client = _H2Client(server)
        for _ in range(400):
            stream_id = client.h2.get_next_available_stream_id()
            client.h2.send_headers(
                stream_id,
                [(":method", "POST"), (":path", _CONVERSE), (":scheme", "http"), (":authority", "x")],
                end_stream=False,
            )
            client.h2.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        with contextlib.suppress(OSError):
            client.sock.sendall(client.h2.data_to_send())
        client.pump(until=lambda: client.goaway is not None)
        assert client.goaway == h2.errors.ErrorCodes.ENHANCE_YOUR_CALM
        client.sock.close()


def test_h2_idle_connection_is_closed_after_the_idle_timeout() -> None:
    limits = ServerLimits(idle_timeout=0.5)
    with EmulatorServer(create_app(Settings(library=False)), limits=limits) as server:
        client = _H2Client(server)
        ok = client.request(_CONVERSE, _CONVERSE_BODY)
        client.pump(until=lambda: ok in client.ended)
        client.pump(until=lambda: client.goaway is not None, timeout=5)
        assert client.goaway == h2.errors.ErrorCodes.NO_ERROR
        client.sock.close()


def test_h2_upload_faster_than_dispatch_is_held_by_flow_control() -> None:
    """Unfinished uploads cannot make the server buffer beyond its cap: it stops crediting windows."""
    limits = ServerLimits(max_body_bytes=2 << 20)
    with EmulatorServer(create_app(Settings(library=False)), limits=limits) as server:
        client = _H2Client(server)
        streams = [client.request(_CONVERSE, b"", end=False) for _ in range(8)]
        piece = b"x" * ((1 << 20) - 1)  # under a stream's 1 MiB window, never ended
        for stream_id in streams:
            client.send_body(stream_id, piece, end=False)
        client.pump(until=lambda: False, timeout=0.5)
        credited = [s for s in streams if client.h2.local_flow_control_window(s) > 1024]
        # 8 MiB arrived; only about the 2 MiB cap's worth is credited back, the rest waits: the
        # other streams' windows stay spent, and so does the connection's share for them.
        assert 1 <= len(credited) <= 3
        assert client.h2.outbound_flow_control_window < 10 << 20
        client.sock.close()
