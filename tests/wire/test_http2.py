"""HTTP/2 cleartext (prior knowledge) on the EmulatorServer port, seen from real HTTP/2 clients.

httpx (over the `h2` client state machine) covers most behaviour, a hand-driven `h2` client covers what
httpx hides (client RST_STREAM, PING, connection identity), and Node's own http2 module proves a
non-Python stack interoperates: that is what the AWS SDK for JavaScript v3 uses.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.errors
import h2.events
import httpx
import pytest
from flask import Flask, Response, request

from emulator.server import ABORT_KEY, EmulatorServer

BIG = bytes(range(256)) * (5 * 1024 * 1024 // 256)  # 5 MiB, not compressible into a lucky window fit
ARN_PATH = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx/converse"


class Signals:
    """Cross-thread handshakes between a test and the views it calls."""

    def __init__(self) -> None:
        self.first_chunk_read = threading.Event()
        self.generator_closed = threading.Event()
        self.barrier = threading.Barrier(20, timeout=5)


def make_app(signals: Signals) -> Flask:
    app = Flask("test_http2")

    @app.route("/<path:_rest>", methods=["GET", "POST", "PUT"])
    def echo(_rest: str) -> Response:
        env = request.environ
        described = {
            "method": env["REQUEST_METHOD"],
            "raw_uri": env["RAW_URI"],
            "request_uri": env["REQUEST_URI"],
            "path_info": env["PATH_INFO"],
            "query": env["QUERY_STRING"],
            "protocol": env["SERVER_PROTOCOL"],
            "host": env.get("HTTP_HOST"),
            "content_type": env.get("CONTENT_TYPE"),
            "custom": env.get("HTTP_X_CUSTOM"),
            "body_len": len(request.get_data()),
            "body_sha": hashlib.sha256(request.get_data()).hexdigest(),
            "remote_port": env["REMOTE_PORT"],
        }
        response = Response(json.dumps(described), mimetype="application/json")
        response.headers["x-amzn-RequestId"] = "req-1"
        # Illegal over HTTP/2: the server must drop them or the client fails the response.
        response.headers["Connection"] = "keep-alive"
        response.headers["Keep-Alive"] = "timeout=5"
        return response

    @app.get("/big")
    def big() -> Response:
        return Response(BIG, mimetype="application/octet-stream")

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[bytes]:
            yield b"chunk-0000;"
            # Only a client that already received chunk 0 can release the rest: proves streaming.
            if not signals.first_chunk_read.wait(5):
                yield b"TIMED-OUT-WAITING-FOR-CLIENT"
                return
            for i in range(1, 1000):
                yield b"chunk-%04d;" % i

        return Response(chunks(), mimetype="text/plain")

    @app.get("/endless")
    def endless() -> Response:
        def chunks() -> Iterator[bytes]:
            try:
                while True:
                    yield b"tick;"
                    time.sleep(0.005)
            finally:
                signals.generator_closed.set()

        return Response(chunks(), mimetype="text/plain")

    @app.get("/together")
    def together() -> dict[str, object]:
        signals.barrier.wait()  # raises BrokenBarrierError unless all 20 run at the same time
        return {"remote_port": request.environ["REMOTE_PORT"]}

    @app.get("/abort")
    def abort() -> str:
        request.environ[ABORT_KEY]()
        return "never sent"

    @app.get("/abort-mid")
    def abort_mid() -> Response:
        abort = request.environ[ABORT_KEY]

        def chunks() -> Iterator[bytes]:
            yield b"first;"
            abort()
            yield b"discarded;"

        return Response(chunks(), mimetype="text/plain")

    return app


@pytest.fixture
def signals() -> Signals:
    return Signals()


@pytest.fixture
def server(signals: Signals) -> Iterator[EmulatorServer]:
    with EmulatorServer(make_app(signals)) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(http1=False, http2=True, base_url=server.endpoint_url, timeout=10) as h2c:
        yield h2c


def test_get_is_served_over_http2_with_headers(client: httpx.Client) -> None:
    response = client.get("/hello?x=1&y=%2F", headers={"x-custom": "yes"})
    assert response.http_version == "HTTP/2"
    assert response.status_code == 200
    assert response.headers["x-amzn-requestid"] == "req-1"
    assert response.headers["content-type"] == "application/json"
    assert "connection" not in response.headers
    assert "keep-alive" not in response.headers
    seen = response.json()
    assert seen["protocol"] == "HTTP/2"
    assert seen["method"] == "GET"
    assert seen["query"] == "x=1&y=%2F"
    assert seen["custom"] == "yes"
    assert seen["host"] == client.base_url.netloc.decode()


def test_post_body_and_content_type_reach_the_app(client: httpx.Client) -> None:
    body = b'{"messages": []}'
    seen = client.post("/model/m/converse", content=body, headers={"content-type": "application/json"})
    assert seen.json()["body_sha"] == hashlib.sha256(body).hexdigest()
    assert seen.json()["content_type"] == "application/json"


def test_large_request_body_flows_through_receive_windows(client: httpx.Client) -> None:
    seen = client.put("/upload", content=BIG).json()
    assert seen["body_len"] == len(BIG)
    assert seen["body_sha"] == hashlib.sha256(BIG).hexdigest()


def test_percent_encoded_path_is_kept_raw_in_raw_uri(client: httpx.Client) -> None:
    seen = client.get(ARN_PATH).json()
    assert seen["raw_uri"] == ARN_PATH
    assert seen["request_uri"] == ARN_PATH
    assert seen["path_info"] == "/model/arn:aws:bedrock:us-east-1::foundation-model/x/converse"
    raw_colon = "/model/arn:aws:bedrock:us-east-1::foundation-model%2Fx/invoke?q=%3A"
    seen = client.get(raw_colon).json()
    assert seen["raw_uri"] == raw_colon
    assert seen["path_info"] == "/model/arn:aws:bedrock:us-east-1::foundation-model/x/invoke"


def test_streamed_response_arrives_before_the_generator_finishes(
    client: httpx.Client, signals: Signals
) -> None:
    with client.stream("GET", "/stream") as response:
        pieces = response.iter_raw()
        first = next(pieces)
        assert first.startswith(b"chunk-0000;")
        signals.first_chunk_read.set()
        body = first + b"".join(pieces)
    assert body == b"".join(b"chunk-%04d;" % i for i in range(1000))


def test_five_megabyte_response_respects_flow_control(client: httpx.Client) -> None:
    response = client.get("/big")
    assert len(response.content) == len(BIG)
    assert response.content == BIG


def test_twenty_concurrent_requests_run_in_parallel_on_one_connection(server: EmulatorServer) -> None:
    # One thread writes all twenty requests before reading any answer (httpx's HTTP/2 client is not safe to
    # share between threads: two of them can take the same stream id). The app waits on a barrier of 20.
    import h2.config
    import h2.connection
    import h2.events

    host, port = server.endpoint_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        # Twice: the second burst runs on reused worker threads, which must not serialize streams either.
        for _ in range(2):
            statuses: dict[int, int] = {}
            ended: set[int] = set()
            for _ in range(20):
                stream_id = conn.get_next_available_stream_id()
                conn.send_headers(
                    stream_id,
                    [(":method", "GET"), (":scheme", "http"), (":authority", host), (":path", "/together")],
                    end_stream=True,
                )
                statuses[stream_id] = 0
            sock.sendall(conn.data_to_send())
            while len(ended) < 20:
                data = sock.recv(65536)
                assert data, "the server closed the connection"
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.ResponseReceived):
                        statuses[event.stream_id] = int(dict(event.headers)[b":status"])
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        ended.add(event.stream_id)
                sock.sendall(conn.data_to_send())
            assert sorted(statuses.values()) == [200] * 20


def test_abort_resets_only_that_stream(client: httpx.Client) -> None:
    before = client.get("/before").json()["remote_port"]
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/abort")
    with client.stream("GET", "/abort-mid") as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()
    after = client.get("/after")
    assert after.status_code == 200
    assert after.json()["remote_port"] == before


def test_plain_http11_still_works_on_the_same_port(server: EmulatorServer, client: httpx.Client) -> None:
    assert client.get("/h2").json()["protocol"] == "HTTP/2"
    with httpx.Client(base_url=server.endpoint_url) as h11:
        response = h11.get(ARN_PATH)
    assert response.http_version == "HTTP/1.1"
    assert response.json()["raw_uri"] == ARN_PATH
    assert response.json()["protocol"] == "HTTP/1.1"


class RawH2Client:
    """A hand-driven h2 client, for frames httpx never sends."""

    def __init__(self, server: EmulatorServer) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=5)
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.conn.initiate_connection()
        self.flush()

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def get(self, path: str) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        headers = [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "t")]
        self.conn.send_headers(stream_id, headers, end_stream=True)
        self.flush()
        return stream_id

    def events(self) -> Iterator[h2.events.Event]:
        while True:
            data = self.sock.recv(65536)
            if not data:
                return
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived) and event.stream_id:
                    self.conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
                yield event
            self.flush()

    def close(self) -> None:
        self.sock.close()


def test_client_reset_stops_the_generator_and_keeps_the_connection(
    server: EmulatorServer, signals: Signals
) -> None:
    raw = RawH2Client(server)
    try:
        endless = raw.get("/endless")
        for event in raw.events():
            if isinstance(event, h2.events.DataReceived) and event.stream_id == endless:
                break
        raw.conn.reset_stream(endless, h2.errors.ErrorCodes.CANCEL)
        raw.conn.ping(b"12345678")
        raw.flush()
        assert signals.generator_closed.wait(3), "the reset stream's generator was never closed"

        follow_up = raw.get("/after-reset")
        got_ping_ack, body = False, b""
        for event in raw.events():
            if isinstance(event, h2.events.PingAckReceived):
                got_ping_ack = True
            elif isinstance(event, h2.events.DataReceived) and event.stream_id == follow_up:
                body += event.data or b""
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == follow_up:
                break
        assert got_ping_ack
        assert json.loads(body)["raw_uri"] == "/after-reset"
    finally:
        raw.close()


def test_client_vanishing_mid_stream_closes_the_generator_quietly(
    server: EmulatorServer, signals: Signals, capfd: pytest.CaptureFixture[str]
) -> None:
    raw = RawH2Client(server)
    endless = raw.get("/endless")
    for event in raw.events():
        if isinstance(event, h2.events.DataReceived) and event.stream_id == endless:
            break
    # RST instead of FIN so the server's next write fails at once.
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    assert signals.generator_closed.wait(3)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_stop_does_not_wait_for_an_open_http2_connection(signals: Signals) -> None:
    server = EmulatorServer(make_app(signals)).start()
    with httpx.Client(http1=False, http2=True, base_url=server.endpoint_url) as h2c:
        assert h2c.get("/up").status_code == 200
        began = time.perf_counter()
        server.stop()
        assert time.perf_counter() - began < 1.0
        with pytest.raises(httpx.TransportError):
            h2c.get("/down")


NODE_CLIENT = """
const http2 = require('node:http2');
const session = http2.connect(process.argv[1]);
const req = session.request(
  {':method': 'POST', ':path': process.argv[2], 'content-type': 'application/json'});
let status = 0, body = '';
req.setEncoding('utf8');
req.on('response', (headers) => { status = headers[':status']; });
req.on('data', (chunk) => { body += chunk; });
req.on('end', () => { console.log(status + ' ' + body); session.close(); });
req.on('error', (err) => { console.error(err); process.exit(2); });
req.end('{"from": "node"}');
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js (node) is not installed")
def test_node_http2_client_interoperates(server: EmulatorServer) -> None:
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "-e", NODE_CLIENT, server.endpoint_url, ARN_PATH],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status, _, body = done.stdout.strip().partition(" ")
    assert status == "200"
    seen = json.loads(body)
    assert seen["protocol"] == "HTTP/2"
    assert seen["raw_uri"] == ARN_PATH
    assert seen["body_sha"] == hashlib.sha256(b'{"from": "node"}').hexdigest()
