"""Converse requests/s over h2c and HTTP/1.1: the emulator, MiniStack and a bare Flask endpoint, side by side.

Every server runs in its own process and is loaded by h2load (Debian's ``nghttp2-client``) with the same
request, 8 connections, one request in flight each (``-c8 -m1``), for ``--seconds`` per run, taking the
best of ``--rounds`` rounds (these machines are noisy; only ratios within one run mean something).
Beside requests/s it prints each server's CPU time (user + system, all its threads, from ``/proc``) per
request, the median over the rounds: a figure that moves much less with the machine's load than req/s.

- the emulator: ``bedrock-emulator serve`` from this checkout;
- bare: a Flask endpoint returning a body of the same size, on the same server stack (``EmulatorServer``);
- MiniStack (``pip install ministack``, optional): the nearest other Bedrock emulator; give the path of its
  ``ministack`` script with ``--ministack`` or have it on PATH. Target: the emulator >= 1.5x MiniStack on
  both protocols.

    .venv/bin/python bench/protocol_throughput.py [--seconds 5] [--rounds 2] [--ministack PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/model/amazon.nova-micro-v1:0/converse"
BODY = b'{"messages":[{"role":"user","content":[{"text":"Hello there"}]}],"inferenceConfig":{"maxTokens":50}}'
AUTH = (
    "AWS4-HMAC-SHA256 Credential=bench/20261207/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=00"
)
_BARE = """
import sys
from flask import Flask, Response
sys.path.insert(0, {root!r})
from emulator.server import EmulatorServer
payload = b'{{"output":{{"message":{{"role":"assistant","content":[{{"text":"' + b"x" * 180 + b'"}}]}}}},"stopReason":"end_turn"}}'
app = Flask("bare")
@app.post("/model/<path:model>/converse")
def converse(model):
    return Response(payload, content_type="application/json")
EmulatorServer(app, "127.0.0.1", {port}).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            time.sleep(0.3)  # a warm-up beat: the first call loads handler modules
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process (all its threads), or None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _h2load(port: int, seconds: float, http1: bool, body: Path) -> tuple[float, int]:
    command = ["h2load", "-c8", "-m1", "-D", str(round(seconds)), "-d", str(body)]
    command += ["-H", f"Authorization: {AUTH}", "-H", "Content-Type: application/json"]
    if http1:
        command.append("--h1")
    command.append(f"http://127.0.0.1:{port}{PATH}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    out = done.stdout + done.stderr
    rate = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out)
    ok = re.search(r"status codes: (\d+) 2xx", out)
    if rate is None or ok is None or int(ok.group(1)) == 0:
        raise RuntimeError(f"h2load saw no successful requests:\n{out}")
    return float(rate.group(1)), int(ok.group(1))


def _start(name: str, port: int, ministack: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if name == "emulator":
        command = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--no-library"]
        env["PYTHONPATH"] = str(ROOT)
    elif name == "bare":
        command = [sys.executable, "-c", _BARE.format(root=str(ROOT), port=port)]
    else:
        assert ministack is not None
        command = [ministack]
        env["GATEWAY_PORT"] = str(port)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(port)
    return process


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ministack", default=shutil.which("ministack"))
    args = parser.parse_args()
    if shutil.which("h2load") is None:
        print("h2load not found: apt-get install nghttp2-client", file=sys.stderr)
        return 2
    servers = ["emulator", "bare"] + (["ministack"] if args.ministack else [])
    best: dict[tuple[str, str], float] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.json"
        body.write_bytes(BODY)
        for _ in range(args.rounds):
            for name in servers:
                port = _free_port()
                process = _start(name, port, args.ministack)
                try:
                    for protocol in ("h2c", "http/1.1"):
                        before = _cpu_seconds(process.pid)
                        rate, served = _h2load(port, args.seconds, protocol == "http/1.1", body)
                        after = _cpu_seconds(process.pid)
                        best[name, protocol] = max(rate, best.get((name, protocol), 0.0))
                        if before is not None and after is not None:
                            cpu.setdefault((name, protocol), []).append((after - before) / served * 1e6)
                finally:
                    process.terminate()
                    process.wait(timeout=10)
    print(f"Converse, h2load -c8 -m1, best of {args.rounds} x {args.seconds:g} s (req/s)")
    for protocol in ("h2c", "http/1.1"):
        emulator = best["emulator", protocol]
        line = f"  {protocol:9} emulator {emulator:7.0f}   bare {best['bare', protocol]:7.0f}"
        line += f" ({emulator / best['bare', protocol]:.0%} of bare)"
        if ("ministack", protocol) in best:
            line += f"   ministack {best['ministack', protocol]:7.0f} ({emulator / best['ministack', protocol]:.2f}x)"
        print(line)
    if cpu:
        print("Server CPU per request (user + system, all threads; median of the rounds, µs)")
        for protocol in ("h2c", "http/1.1"):
            figures = [
                f"{name} {statistics.median(cpu[name, protocol]):4.0f}"
                for name in servers
                if (name, protocol) in cpu
            ]
            print(f"  {protocol:9} " + "   ".join(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
