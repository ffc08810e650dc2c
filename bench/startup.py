"""Start-up: from process start to the first Converse *answered*, the emulator and MiniStack side by side.

Measured from outside, as a test suite or a container health check sees it: the clock starts just before
the process is spawned, the port is polled with connect() every millisecond, one Converse is sent over
HTTP/1.1 as soon as a connection is accepted, and the clock stops when its whole response has been read.
Runs alternate between the servers (emulator, MiniStack, emulator, ...) so that machine noise falls on
both; the best and the median of ``--runs`` runs are printed, with the time to the first accepted
connection beside them, and the CPU time the server process had used when its answer was read (from
``/proc``, Linux only): on a busy machine that figure moves much less than the wall-clock ones.

- the emulator: ``bedrock-emulator serve --port P`` (the console script beside this interpreter);
- MiniStack (optional): ``/tmp/ministack-venv/bin/ministack`` or ``--ministack PATH``, port from
  ``GATEWAY_PORT``; it takes Converse on the same path with a SigV4-looking Authorization header;
- a baseline (optional, ``--baseline DIR``): another checkout's ``emulator`` package (``git archive <commit>
  emulator | tar -x -C DIR``), served by ``python -m emulator serve`` with ``PYTHONPATH=DIR`` in this venv,
  so a change is measured against its parent under the same load.

Bytecode is compiled first (``compileall``), as ``make run`` and the container image do.
Target: the emulator at or below MiniStack's time (about 350 ms on the 2-core CI machine).

    .venv/bin/python bench/startup.py [--runs 10] [--ministack PATH] [--no-ministack] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MINISTACK = "/tmp/ministack-venv/bin/ministack"
MODEL = "amazon.nova-micro-v1:0"
BODY = json.dumps(
    {
        "messages": [{"role": "user", "content": [{"text": "Hello there"}]}],
        "inferenceConfig": {"maxTokens": 50},
    }
).encode()
AUTH = (
    "AWS4-HMAC-SHA256 Credential=startup/20260101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=00"
)
TIMEOUT = 30.0


@dataclass
class Run:
    listening: float  # seconds from spawn to the first accepted connection
    answered: float  # seconds from spawn to the first Converse's whole response
    cpu: float | None  # CPU seconds (user + system) the server had used by then, where /proc tells


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(port: int) -> bytes:
    path = f"/model/{MODEL.replace(':', '%3A')}/converse"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"X-Amz-Date: 20260101T000000Z\r\nAuthorization: {AUTH}\r\nContent-Length: {len(BODY)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + BODY


def _connect(port: int, deadline: float) -> socket.socket:
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"nothing listening on {port} after {TIMEOUT:g} s") from None
            time.sleep(0.001)


def _read_response(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _command(
    name: str, port: int, ministack: str | None, baseline: str | None
) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if name == "emulator":
        script = Path(sys.executable).with_name("bedrock-emulator")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]
        return [*command, "serve", "--port", str(port)], env
    if name == "baseline":
        assert baseline is not None
        env["PYTHONPATH"] = baseline
        return [sys.executable, "-m", "emulator", "serve", "--port", str(port)], env
    assert ministack is not None
    env["GATEWAY_PORT"] = str(port)
    return [ministack], env


def measure(name: str, ministack: str | None, baseline: str | None = None) -> Run:
    port = _free_port()
    command, env = _command(name, port, ministack, baseline)
    started = time.perf_counter()
    # A baseline runs from its own directory: ``-m`` puts the working directory ahead of PYTHONPATH.
    where = baseline if name == "baseline" else None
    process = subprocess.Popen(
        command, env=env, cwd=where, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        sock = _connect(port, started + TIMEOUT)
        listening = time.perf_counter() - started
        with sock:
            sock.sendall(_request(port))
            response = _read_response(sock)
        answered = time.perf_counter() - started
        cpu = _cpu_seconds(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    status_line = response.split(b"\r\n", 1)[0]
    if b" 200 " not in status_line + b" ":
        raise RuntimeError(f"{name}: the first Converse was answered with {status_line!r}")
    return Run(listening, answered, cpu)


def _summary(runs: list[Run]) -> str:
    answered = sorted(run.answered * 1000 for run in runs)
    listening = sorted(run.listening * 1000 for run in runs)
    cpu = sorted(run.cpu * 1000 for run in runs if run.cpu is not None)
    line = (
        f"first Converse answered: best {answered[0]:6.0f} ms, median {statistics.median(answered):6.0f} ms"
        f"   (listening: best {listening[0]:4.0f} ms, median {statistics.median(listening):4.0f} ms)"
    )
    if cpu:
        line += f"   CPU: median {statistics.median(cpu):4.0f} ms"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--ministack", default=None, help=f"MiniStack's script (default {DEFAULT_MINISTACK})")
    parser.add_argument("--no-ministack", action="store_true", help="measure the emulator alone")
    parser.add_argument("--baseline", help="another checkout's directory holding its emulator package")
    args = parser.parse_args()
    ministack = None
    if not args.no_ministack:
        ministack = args.ministack or (DEFAULT_MINISTACK if Path(DEFAULT_MINISTACK).exists() else None)
        ministack = ministack or shutil.which("ministack")
    compileall.compile_dir(str(ROOT / "emulator"), quiet=1)
    if args.baseline:
        compileall.compile_dir(str(Path(args.baseline) / "emulator"), quiet=1)
    servers = ["emulator"] + (["baseline"] if args.baseline else []) + (["ministack"] if ministack else [])
    results: dict[str, list[Run]] = {name: [] for name in servers}
    for name in servers:
        measure(name, ministack, args.baseline)  # one unmeasured start each: the OS's file cache, not ours
    for _ in range(args.runs):
        for name in servers:
            results[name].append(measure(name, ministack, args.baseline))
    print(f"Start-up to the first Converse answered, {args.runs} runs each (spawn -> connect -> response)")
    for name in servers:
        print(f"  {name:9} {_summary(results[name])}")
    if ministack:
        ours = statistics.median(run.answered for run in results["emulator"])
        theirs = statistics.median(run.answered for run in results["ministack"])
        print(f"  median ratio emulator/ministack: {ours / theirs:.2f}")
    else:
        print("  (MiniStack not found: pass --ministack PATH to compare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
