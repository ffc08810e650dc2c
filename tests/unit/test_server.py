"""EmulatorServer over HTTP/1.1: lifecycle, keep-alive, the abort callable, and a quiet stderr."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask, Response, request

from emulator.server import ABORT_KEY, EmulatorServer

# Set by the streaming views' generators when they are closed, so tests can see the cleanup ran.
closed_generators: list[str] = []


def make_app() -> Flask:
    app = Flask("test_server")

    @app.get("/hello")
    def hello() -> dict[str, object]:
        return {"hello": "world", "port": request.environ["REMOTE_PORT"]}

    @app.post("/ignore-body")
    def ignore_body() -> str:
        return "not reading it"

    @app.post("/echo")
    def echo() -> bytes:
        return request.get_data()

    @app.get("/stream")
    def stream() -> Response:
        count, gap = int(request.args.get("n", "3")), float(request.args.get("gap", "0"))

        def chunks() -> Iterator[bytes]:
            try:
                for i in range(count):
                    yield b"chunk-%d;" % i
                    time.sleep(gap)
            finally:
                closed_generators.append("stream")

        return Response(chunks(), mimetype="text/plain")

    @app.get("/abort/before")
    def abort_before() -> str:
        request.environ[ABORT_KEY]()
        return "this must never reach the client"

    @app.get("/abort/mid")
    def abort_mid() -> Response:
        abort = request.environ[ABORT_KEY]

        def chunks() -> Iterator[bytes]:
            yield b"first;"
            abort()
            yield b"discarded;"

        return Response(chunks(), mimetype="text/plain")

    return app


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(make_app()) as running:
        yield running


_open_connections: list[http.client.HTTPConnection] = []


def connect(server: EmulatorServer) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    _open_connections.append(conn)
    return conn


@pytest.fixture(autouse=True)
def close_client_connections() -> Iterator[None]:
    yield
    while _open_connections:
        _open_connections.pop().close()


def test_start_returns_within_100ms_and_port_answers_at_once() -> None:
    server = EmulatorServer(make_app())
    began = time.perf_counter()
    server.start()
    elapsed = time.perf_counter() - began
    try:
        assert elapsed < 0.1
        assert server.port != 0
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        conn = connect(server)
        conn.request("GET", "/hello")
        response = conn.getresponse()
        assert response.status == 200
        assert response.version == 11
        assert b'"hello":"world"' in response.read()
        conn.close()
    finally:
        server.stop()


def test_keep_alive_serves_many_requests_on_one_connection(server: EmulatorServer) -> None:
    conn = connect(server)
    ports = set()
    for _ in range(3):
        conn.request("GET", "/hello")
        response = conn.getresponse()
        assert response.getheader("Connection") is None
        ports.add(response.read())
    # A chunked response and an unread request body must leave the connection usable too.
    conn.request("GET", "/stream?n=5")
    assert conn.getresponse().read() == b"chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;"
    conn.request("POST", "/ignore-body", body=b"x" * 100_000)
    assert conn.getresponse().read() == b"not reading it"
    conn.request("POST", "/echo", body=b"after")
    assert conn.getresponse().read() == b"after"
    conn.request("GET", "/hello")
    ports.add(conn.getresponse().read())
    conn.close()
    assert len(ports) == 1, "every response came from the same client port, so one TCP connection"


def test_connection_close_requested_by_client_is_honoured(server: EmulatorServer) -> None:
    conn = connect(server)
    conn.request("GET", "/hello", headers={"Connection": "close"})
    response = conn.getresponse()
    assert response.getheader("Connection") == "close"
    response.read()
    assert conn.sock is None or conn.sock.recv(1) == b""


def test_stop_releases_the_port_and_is_idempotent() -> None:
    server = EmulatorServer(make_app()).start()
    port = server.port
    idle = connect(server)
    idle.request("GET", "/hello")
    idle.getresponse().read()  # leaves an idle keep-alive connection open across stop()
    began = time.perf_counter()
    server.stop()
    assert time.perf_counter() - began < 1.0
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with socket.socket() as rebind:
        rebind.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        rebind.bind(("127.0.0.1", port))
    idle.close()


def test_busy_port_raises_oserror_instead_of_exiting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            EmulatorServer(make_app(), port=taken.getsockname()[1]).start()


def test_abort_before_response_drops_connection_without_a_byte(server: EmulatorServer) -> None:
    conn = connect(server)
    conn.request("GET", "/abort/before")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()


def test_abort_mid_stream_cuts_the_chunked_body(server: EmulatorServer) -> None:
    conn = connect(server)
    conn.request("GET", "/abort/mid")
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"first;"


def test_client_hanging_up_mid_stream_closes_the_generator_quietly(
    server: EmulatorServer, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bedrock_emulator.server")
    closed_generators.clear()
    with socket.create_connection((server.host, server.port), timeout=5) as raw:
        raw.sendall(b"GET /stream?n=2000&gap=0.001 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 200")
        # RST rather than FIN, so the server's next write fails at once.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    deadline = time.monotonic() + 3
    while not closed_generators and time.monotonic() < deadline:
        time.sleep(0.01)
    assert closed_generators == ["stream"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    _out, err = capfd.readouterr()
    assert err == ""


def test_serving_and_aborting_write_nothing_to_stderr(
    server: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> None:
    for path in ("/hello", "/abort/before", "/abort/mid", "/stream"):
        conn = connect(server)
        conn.request("GET", path)
        with contextlib.suppress(http.client.HTTPException, ConnectionError):
            conn.getresponse().read()
        conn.close()
    raw = socket.create_connection((server.host, server.port))
    raw.sendall(b"GET /hel")  # half a request, then gone
    raw.close()
    time.sleep(0.1)
    out, err = capfd.readouterr()
    assert err == ""
    assert out == ""


def test_app_error_mid_request_answers_500_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def broken(environ: object, start_response: object) -> list[bytes]:
        raise RuntimeError("boom")

    with EmulatorServer(broken) as server:
        conn = connect(server)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 500
        assert response.getheader("x-amzn-ErrorType") == "InternalServerException"
        assert json.loads(response.read()) == {"message": "bedrock-emulator internal error"}
    assert any("boom" in str(r.exc_info) for r in caplog.records if r.levelno == logging.ERROR)


def test_serve_forever_exits_cleanly_on_sigterm(tmp_path: object) -> None:
    script = textwrap.dedent(
        """
        import sys
        from emulator.server import EmulatorServer
        def app(environ, start_response):
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        server = EmulatorServer(app)
        import threading
        threading.Timer(0.05, lambda: print(server.port, flush=True)).start()
        server.serve_forever()
        print("stopped", flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"ok"
    conn.close()
    proc.terminate()
    out, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert out.strip() == "stopped"
    assert err == ""


def test_stop_from_another_thread_ends_serve_forever() -> None:
    server = EmulatorServer(make_app())
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    deadline = time.monotonic() + 2
    while server.port == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    server.stop()
    thread.join(2)
    assert not thread.is_alive()


def _raw_exchange(server: EmulatorServer, *pieces: bytes) -> bytes:
    """Send ``pieces`` as separate writes (a short pause between them) and read the whole answer."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        for index, piece in enumerate(pieces):
            if index:
                time.sleep(0.05)  # the server has read what came before: the head arrives in parts
            sock.sendall(piece)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_a_head_with_bare_lf_line_ends_splits_its_fields_as_crlf_ones(server: EmulatorServer) -> None:
    # A bare LF ends a field line too (RFC 9112 2.2): two fields, never one value holding a newline.
    answer = _raw_exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\nConnection: close\r\n\r\nhello",
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"\r\n\r\nhello")


def test_a_head_arriving_in_pieces_is_read_whole(server: EmulatorServer) -> None:
    answer = _raw_exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-",
        b"Length: 5\r\nConnection: close\r\n",
        b"\r\nhel",
        b"lo",
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"\r\n\r\nhello")


def test_a_request_without_header_fields_is_answered(server: EmulatorServer) -> None:
    answer = _raw_exchange(server, b"GET /hello HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b'"hello":"world"' in answer.replace(b" ", b"")


def test_pipelined_requests_with_small_bodies_are_answered_in_order(server: EmulatorServer) -> None:
    one = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
    two = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntwo"
    answer = _raw_exchange(server, one + two)
    assert answer.count(b"HTTP/1.1 200 ") == 2
    assert answer.index(b"\r\n\r\none") < answer.index(b"\r\n\r\ntwo")
