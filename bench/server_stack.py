"""Benchmark the server stack: requests/s and latency, and streaming chunks/s, over HTTP/1.1 and h2c.

Run: ``.venv/bin/python bench/server_stack.py [--seconds 3] [--connections 8]``

Serves a bare Flask app (a ~300 B JSON endpoint and a 1,000-chunk stream) with `EmulatorServer` and,
as the baseline in the same run, with Werkzeug's stock threaded server (which closes every connection
after one response). The load comes from Node.js when available (keep-alive `http.Agent`, and `http2`
sessions), so the generator is not the bottleneck; otherwise from Python threads (http.client, httpx).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Run from a checkout without installing: make `emulator` importable from the repo.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, Response
from werkzeug.serving import make_server

from emulator.server import EmulatorServer

CHUNKS = 1000
PAYLOAD = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello from the emulator! " * 4}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 34, "totalTokens": 46},
    "metrics": {"latencyMs": 123},
}


def make_app() -> Flask:
    app = Flask("bench")
    body = json.dumps(PAYLOAD).encode()

    @app.get("/json")
    def small_json() -> Response:
        return Response(body, mimetype="application/json")

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[bytes]:
            for i in range(CHUNKS):
                yield b'{"contentBlockDelta":{"delta":{"text":"token %04d "}}}\n' % i

        return Response(chunks(), mimetype="application/x-ndjson")

    return app


# The Node load generator: one "worker" per connection, each sending its next request as soon as the
# previous response ended, for a fixed duration. Prints one JSON line.
NODE_LOAD = r"""
const http = require('node:http');
const http2 = require('node:http2');
const [mode, base, path, conns, seconds] = process.argv.slice(2);
const until = process.hrtime.bigint() + BigInt(Math.round(Number(seconds) * 1e9));
const lat = []; let bytes = 0; let errors = 0;
function now() { return process.hrtime.bigint(); }
function h1Worker(agent) {
  return new Promise((done) => {
    const once = () => {
      if (now() > until) return done();
      const t0 = now();
      http.get(base + path, { agent }, (res) => {
        res.on('data', (d) => { bytes += d.length; });
        res.on('end', () => { lat.push(Number(now() - t0) / 1e6); once(); });
      }).on('error', () => { errors++; once(); });
    };
    once();
  });
}
function h2Worker() {
  return new Promise((done) => {
    const session = http2.connect(base);
    session.on('error', () => { errors++; });
    const once = () => {
      if (now() > until) { session.close(); return done(); }
      const t0 = now();
      const req = session.request({ ':path': path });
      req.on('data', (d) => { bytes += d.length; });
      req.on('end', () => { lat.push(Number(now() - t0) / 1e6); once(); });
      req.on('error', () => { errors++; once(); });
      req.end();
    };
    once();
  });
}
(async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conns) });
  const started = now();
  const workers = [];
  for (let i = 0; i < Number(conns); i++) workers.push(mode === 'h2' ? h2Worker() : h1Worker(agent));
  await Promise.all(workers);
  const elapsed = Number(now() - started) / 1e9;
  agent.destroy();
  console.log(JSON.stringify({ latencies: lat, elapsed, bytes, errors }));
})();
"""


def run_node(script: Path, mode: str, base: str, path: str, *, conns: int, seconds: float) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(script), mode, base, path, str(conns), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_python(mode: str, base: str, path: str, *, conns: int, seconds: float) -> dict[str, Any]:
    """Fallback load generator: one thread per connection (the GIL makes it the likely bottleneck)."""
    import http.client
    from urllib.parse import urlsplit

    import httpx

    latencies: list[float] = []
    total_bytes = 0
    lock = threading.Lock()
    until = time.perf_counter() + seconds
    url = urlsplit(base)

    def worker() -> None:
        nonlocal total_bytes
        fetch: Callable[[], bytes]
        if mode == "h2":
            client = httpx.Client(http1=False, http2=True)
            fetch = lambda: client.get(base + path).content  # noqa: E731 - two one-line fetchers
        else:
            conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80)

            def fetch() -> bytes:
                conn.request("GET", path)
                return conn.getresponse().read()

        while (start := time.perf_counter()) < until:
            data = fetch()
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
                total_bytes += len(data)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "elapsed": time.perf_counter() - began, "bytes": total_bytes, "errors": 0}


def summarize(result: dict[str, Any], chunks_per_response: int = 0) -> dict[str, float]:
    lat = sorted(result["latencies"])
    count = len(lat)
    quantiles = statistics.quantiles(lat, n=100) if count >= 2 else [lat[0]] * 99
    summary = {
        "requests": float(count),
        "rps": count / result["elapsed"],
        "p50": statistics.median(lat),
        "p99": quantiles[98],
        "errors": float(result["errors"]),
    }
    if chunks_per_response:
        summary["chunks_per_s"] = count * chunks_per_response / result["elapsed"]
    return summary


class StockWerkzeug:
    """Werkzeug's own threaded server, as the bare baseline."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.endpoint_url = f"http://127.0.0.1:{self._server.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> StockWerkzeug:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measured run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--python-load", action="store_true", help="use Python threads even if node exists")
    args = parser.parse_args()
    # No request logging from the stock server either: the comparison is about serving, not printing.
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    use_node = shutil.which("node") is not None and not args.python_load
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "load.js"
        script.write_text(NODE_LOAD)

        def load(mode: str, base: str, path: str, conns: int, seconds: float) -> dict[str, Any]:
            if use_node:
                return run_node(script, mode, base, path, conns=conns, seconds=seconds)
            return run_python(mode, base, path, conns=conns, seconds=seconds)

        app = make_app()
        rows: list[tuple[str, dict[str, float]]] = []
        cases = [
            ("werkzeug stock (conn: close)", "h1", "stock"),
            ("EmulatorServer HTTP/1.1", "h1", "ours"),
            ("EmulatorServer h2c", "h2", "ours"),
        ]
        for label, mode, which in cases:
            server: EmulatorServer | StockWerkzeug = (
                EmulatorServer(app).start() if which == "ours" else StockWerkzeug(app).start()
            )
            try:
                load(mode, server.endpoint_url, "/json", args.connections, 0.5)  # warm-up
                small = summarize(load(mode, server.endpoint_url, "/json", args.connections, args.seconds))
                # Streaming: one connection, responses back to back, so chunks/s is per stream.
                streamed = summarize(load(mode, server.endpoint_url, "/stream", 1, args.seconds), CHUNKS)
            finally:
                server.stop()
            rows.append((label, {**small, "chunks_per_s": streamed["chunks_per_s"]}))

    print(
        f"\nload generator: {'node ' + os.popen('node --version').read().strip() if use_node else 'python'}"
        f", {args.connections} keep-alive connections, {args.seconds:g}s per run, "
        f"~{len(json.dumps(PAYLOAD))} B JSON; stream = {CHUNKS} chunks per response, 1 connection"
    )
    header = f"{'server':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'stream chunks/s':>16}"
    print(header)
    print("-" * len(header))
    for label, s in rows:
        print(
            f"{label:32} {s['rps']:8.0f} {s['p50']:8.2f} {s['p99']:8.2f} {s['errors']:7.0f} "
            f"{s['chunks_per_s']:16.0f}"
        )


if __name__ == "__main__":
    main()
