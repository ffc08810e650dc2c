"""Probe a running emulator the way an attacker or a fuzzer would, and print one figure per defect.

The hardening issue's list of defects, each measured from outside against ``bedrock-emulator serve`` in
its own process (RSS and thread counts read from /proc). ``--source DIR`` runs the server from another
checkout (``git worktree add /tmp/old 872028f``), so the same probes give the figures before and after.

    .venv/bin/python bench/hardening_probe.py [--source DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUTH = (
    "AWS4-HMAC-SHA256 Credential={key}/20261207/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host, Signature=00"
)
CONVERSE = "/model/amazon.nova-micro-v1:0/converse"
INVOKE = "/model/amazon.titan-text-express-v1/invoke"
SMALL = b'{"messages":[{"role":"user","content":[{"text":"hi"}]}]}'


class Server:
    def __init__(self, source: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(source), "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", "0"],
            cwd=source,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        self.port = 0
        while time.monotonic() < deadline and not self.port:
            line = self.process.stderr.readline()
            found = re.search(r"serving on http://[^:]+:(\d+)", line)
            if found:
                self.port = int(found.group(1))
        if not self.port:
            raise RuntimeError("the server did not start")
        threading.Thread(target=self._drain, daemon=True).start()
        # Warm up (handler modules, Faker) so what a probe measures is the probe's doing.
        _request(self, "POST", CONVERSE, SMALL, {"Content-Type": "application/json"})
        time.sleep(1.0)

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def status(self, field: str) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def rss_mb(self) -> float:
        return self.status("VmRSS") / 1024

    def connect(self, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def _request(
    server: Server,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    conn = server.connect(timeout)
    head = {"Host": "127.0.0.1", "Content-Length": str(len(body)), "Authorization": AUTH.format(key="probe")}
    head.update(headers or {})
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    with contextlib.suppress(OSError):  # a server may answer and close before the body is all sent
        conn.sendall(f"{method} {path} HTTP/1.1\r\n{lines}\r\n".encode() + body)
    data = b""
    try:
        while True:
            piece = conn.recv(1 << 20)
            if not piece:
                break
            data += piece
            if b"\r\n\r\n" in data:
                top, _, rest = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: (\d+)", top)
                if length and len(rest) >= int(length.group(1)):
                    break
    except OSError:
        pass  # reset after (or instead of) an answer: what arrived is the answer
    finally:
        conn.close()
    match = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return (int(match.group(1)) if match else 0), data


def probe_chunked(server: Server) -> str:
    before = server.rss_mb()
    conn = server.connect()
    conn.sendall(
        f"POST {CONVERSE} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH.format(key='p')}\r\n"
        "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc".encode()
    )
    conn.close()
    time.sleep(2)
    return f"RSS +{server.rss_mb() - before:.0f} MB 2 s after a forged chunk size"


def probe_big_bodies(server: Server) -> str:
    before = server.rss_mb()
    body = b'{"inputText":"' + b"a" * (50 << 20) + b'"}'
    statuses = [_request(server, "POST", INVOKE, body)[0] for _ in range(10)]
    return f"10 x 50 MB InvokeModel -> {sorted(set(statuses))}, RSS +{server.rss_mb() - before:.0f} MB"


def probe_cross_site_reset(server: Server) -> str:
    status, _ = _request(
        server,
        "POST",
        "/_emulator/reset",
        b"{}",
        {"Origin": "https://evil.example", "Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site"},
    )
    rebinding, _ = _request(server, "GET", "/_emulator/requests", headers={"Host": "evil.example:8484"})
    return f"cross-site POST /_emulator/reset -> {status}; Host evil.example -> {rebinding}"


def probe_traversal(server: Server) -> str:
    body = json.dumps(
        {
            "modelId": "amazon.nova-reel-v1:1",
            "modelInput": {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "x"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/../../../escaped"}},
        }
    ).encode()
    status, _ = _request(server, "POST", "/async-invoke", body, {"Content-Type": "application/json"})
    return f"StartAsyncInvoke s3://bucket/../../../escaped -> {status}"


def probe_garbage(server: Server) -> str:
    answers = []
    for raw in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"):
        conn = server.connect()
        conn.sendall(raw)
        data = b""
        with contextlib.suppress(OSError):
            while piece := conn.recv(65536):
                data += piece
        conn.close()
        answers.append(data.split(b"\r\n", 1)[0][:40].decode("latin-1") or "<closed>")
    return f"TLS hello -> {answers[0]!r}; HTTP/9.9 -> {answers[1]!r}"


def probe_auth_regex(server: Server) -> str:
    header = "Credential=" + "a/" * 32000 + "x"
    started = time.monotonic()
    _request(server, "POST", CONVERSE, SMALL, {"Authorization": header})
    return f"65 KB Authorization header answered in {time.monotonic() - started:.2f} s"


def probe_yaml_bomb(server: Server) -> str:
    levels = ["a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    for i in range(1, 6):
        ref = chr(96 + i)
        levels.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{ref}"] * 9) + "]")
    bomb = "name: bomb\nanchors:\n" + "".join(f"  {line}\n" for line in levels) + "rules: *f\n"
    status, data = _request(
        server, "PUT", "/_emulator/scenarios", bomb.encode(), {"Content-Type": "text/yaml"}
    )
    return f"{len(bomb)}-byte YAML alias bomb -> {status}, {len(data) / 1e6:.1f} MB answered"


def probe_idle_threads(server: Server) -> str:
    before = server.status("Threads")
    sockets = []
    for _ in range(3000):
        try:
            sockets.append(server.connect())
        except OSError:
            break
    time.sleep(2)
    during = server.status("Threads")
    for sock in sockets:
        sock.close()
    return f"{len(sockets)} idle connections: threads {before} -> {during}"


def probe_unsigned(server: Server) -> str:
    status, _ = _request(
        server, "POST", CONVERSE, SMALL, {"Authorization": "", "Content-Type": "application/json"}
    )
    return f"unsigned Converse (default settings) -> {status}"


PROBES: list[tuple[str, Callable[[Server], str]]] = [
    ("1 chunked", probe_chunked),
    ("2 body limit", probe_big_bodies),
    ("3 admin API", probe_cross_site_reset),
    ("4 traversal", probe_traversal),
    ("6 garbage", probe_garbage),
    ("7 auth regex", probe_auth_regex),
    ("7 YAML bomb", probe_yaml_bomb),
    ("8 threads", probe_idle_threads),
    ("10 signatures", probe_unsigned),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=ROOT)
    parser.add_argument("--only", help="comma-separated probe names (prefix match)")
    args = parser.parse_args()
    for name, probe in PROBES:
        if args.only and not any(name.split(" ", 1)[1].startswith(o) for o in args.only.split(",")):
            continue
        server = Server(args.source)
        try:
            print(f"{name:14} {probe(server)}", flush=True)
        except Exception as exc:  # a probe that kills the server is a finding too
            print(f"{name:14} probe failed: {type(exc).__name__}: {exc}", flush=True)
        finally:
            server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
