"""Soak: a loopback load for a fixed time while the server's resident memory is sampled every second.

The server runs in its own process (``bedrock-emulator serve --port 0`` from this checkout; the port is read from its
"serving on" line) so its RSS is its own, read from ``/proc/<pid>/status``. Two tenant modes:

- ``fixed``: every call from one of a few tenants, the usual CI shape; memory should level off;
- ``new-tenant``: every call from a tenant never seen before, the worst case for per-tenant state.

Prints RSS at start, peak and end, the slope over the whole run and over its second half (after
warm-up), in MB per minute, and the calls served. It measures; it does not judge.

    .venv/bin/python bench/soak.py [--seconds 100] [--mode fixed|new-tenant|both] [--connections 4]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CONVERSE = json.dumps(
    {
        "messages": [
            {"role": "user", "content": [{"text": "Summarise the plot of Hamlet in two sentences."}]}
        ],
        "inferenceConfig": {"maxTokens": 120},
    }
).encode()
INVOKE = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 80,
        "messages": [{"role": "user", "content": "What is the refund policy?"}],
    }
).encode()
# (method, path, body): a mix of unary, streamed and provider-body calls.
CALLS = (
    ("POST", "/model/amazon.nova-micro-v1:0/converse", CONVERSE),
    ("POST", "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream", CONVERSE),
    ("POST", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", INVOKE),
)
ROOT = Path(__file__).resolve().parent.parent
FIXED_TENANTS = 8
AUTH = "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"


class Server:
    """``bedrock-emulator serve --port 0`` in a child process; stopped by its own pid."""

    def __init__(self) -> None:
        # ``python -m emulator`` is the ``bedrock-emulator`` script, run from this checkout (not whatever
        # the virtualenv installed), so the soak measures the code beside it.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", "0"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        self.port = 0
        deadline = time.monotonic() + 30
        while not self.port and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            found = re.search(r"bedrock-emulator serving on http://[^:\s]+:(\d+)", line)
            if found:
                self.port = int(found.group(1))
        if not self.port:
            self.stop()
            raise RuntimeError("bedrock-emulator did not report a port")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                self.ok += 1
            else:
                self.failed += 1


def _load(
    port: int, mode: str, deadline: float, tally: Tally, worker: int, counter: itertools.count[int]
) -> None:
    connection: http.client.HTTPConnection | None = None
    for call_index in itertools.count(worker):
        if time.monotonic() >= deadline:
            break
        if mode == "fixed":
            key = f"AKIASOAKFIXED{call_index % FIXED_TENANTS:07d}"
        else:
            key = f"AKIASOAKNEW{next(counter):09d}"
        method, path, body = CALLS[call_index % len(CALLS)]
        headers = {"Content-Type": "application/json", "Authorization": AUTH.format(key=key)}
        try:
            connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            tally.add(response.status)
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            tally.add(0)
            if connection is not None:
                connection.close()
            connection = None
    if connection is not None:
        connection.close()


def _slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of RSS over time, in MB per minute."""
    if len(samples) < 2:
        return 0.0
    count = len(samples)
    mean_t = sum(t for t, _ in samples) / count
    mean_r = sum(r for _, r in samples) / count
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (r - mean_r) for t, r in samples) / spread * 60


def soak(mode: str, seconds: float, connections: int) -> None:
    server = Server()
    try:
        tally = Tally()
        counter = itertools.count()
        started = time.monotonic()
        deadline = started + seconds
        workers = [
            threading.Thread(target=_load, args=(server.port, mode, deadline, tally, index, counter))
            for index in range(connections)
        ]
        samples: list[tuple[float, float]] = [(0.0, server.rss_mb())]
        for thread in workers:
            thread.start()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            elapsed = time.monotonic() - started
            samples.append((elapsed, server.rss_mb()))
            if int(elapsed) % 10 == 0:
                print(
                    f"  {elapsed:5.0f} s  RSS {samples[-1][1]:7.1f} MB  calls {tally.ok + tally.failed}",
                    flush=True,
                )
        for thread in workers:
            thread.join()
        samples.append((time.monotonic() - started, server.rss_mb()))
    finally:
        server.stop()
    calls = tally.ok + tally.failed
    second_half = [sample for sample in samples if sample[0] >= seconds / 2]
    print(
        f"mode {mode}: {calls} calls in {seconds:.0f} s ({calls / seconds:.0f}/s), statuses {tally.statuses}"
    )
    print(
        f"  RSS start {samples[0][1]:.1f} MB, peak {max(r for _, r in samples):.1f} MB, end {samples[-1][1]:.1f} MB"
    )
    print(
        f"  slope {_slope(samples):+.2f} MB/min over the run, {_slope(second_half):+.2f} MB/min over its second half"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=100.0)
    parser.add_argument("--mode", choices=("fixed", "new-tenant", "both"), default="both")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    for mode in ("fixed", "new-tenant") if args.mode == "both" else (args.mode,):
        soak(mode, args.seconds, args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
