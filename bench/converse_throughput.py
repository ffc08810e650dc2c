"""Converse requests/s and p99 against a bare Flask endpoint returning a body of the same size.

Both are served by the same server stack (``EmulatorServer``) in the same run, one after the other, and
loaded by the same Node.js closed-loop generator (8 keep-alive connections), because these machines
are noisy and only the ratio means something. Targets: Converse >= 80% of the baseline; p99 <= 15 ms.

    .venv/bin/python bench/converse_throughput.py [--requests 4000] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from flask import Flask, Response

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings

HERE = Path(__file__).parent
MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
REQUEST = {
    "messages": [{"role": "user", "content": [{"text": "Summarise the plot of Hamlet in two sentences."}]}],
    "inferenceConfig": {"maxTokens": 200},
}


def _load(url: str, body: Path, requests: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["node", str(HERE / "loadgen.mjs"), url, str(requests), str(connections), str(body)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(out.stdout)


def _bare_app(payload: bytes) -> Flask:
    app = Flask("bare")

    @app.post("/model/<path:model>/converse")
    def converse(model: str) -> Response:  # noqa: ARG001  # Flask passes the URL label by name
        return Response(payload, content_type="application/json")

    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("node") is None:
        print("node is required for the load generator", file=sys.stderr)
        return 2

    emulator = EmulatorServer(create_app(Settings(port=0)), "127.0.0.1", 0).start()
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.json"
        body.write_text(json.dumps(REQUEST))
        url = f"{emulator.endpoint_url}/model/{MODEL}/converse"
        import urllib.request

        sample = urllib.request.urlopen(
            urllib.request.Request(url, data=body.read_bytes(), method="POST"), timeout=10
        ).read()
        bare = EmulatorServer(_bare_app(sample), "127.0.0.1", 0).start()
        bare_url = f"{bare.endpoint_url}/model/{MODEL}/converse"
        results: dict[str, list[dict[str, float]]] = {"bare": [], "converse": []}
        for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
            results["bare"].append(_load(bare_url, body, args.requests, args.connections))
            results["converse"].append(_load(url, body, args.requests, args.connections))
        bare.stop()
    emulator.stop()

    def best(name: str) -> dict[str, float]:
        return max(results[name], key=lambda r: r["rps"])

    base, ours = best("bare"), best("converse")
    ratio = ours["rps"] / base["rps"]
    print(
        f"response body: {len(sample)} bytes, {args.connections} connections, {args.requests} requests x {args.rounds} rounds"
    )
    print(f"{'':10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in (("bare", base), ("converse", ours)):
        print(f"{name:10} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:7.0f}")
    print(
        f"ratio converse/bare: {ratio:.2%} (target >= 80%); converse p99 {ours['p99']:.2f} ms (target <= 15 ms)"
    )
    return 0 if ratio >= 0.8 and ours["p99"] <= 15 and ours["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
