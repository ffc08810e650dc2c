"""ConverseStream events/s into a boto3 ``converse_stream`` consumer, for a 1,000-delta stream, against
raw framing: a bare Flask endpoint streaming the very same frames, one write per frame, on the same
server stack.

Each server runs in a process of its own, as ``bedrock-emulator serve`` does for users: in one process the
consumer and the server would share one GIL and measure each other. Targets: >= 20,000 events/s, first
event within 10 ms of the call.

    .venv/bin/python bench/stream_throughput.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
DELTAS = 1000
SCENARIO = "bench-long-stream"
REQUEST = {"messages": [{"role": "user", "content": [{"text": "Tell me a very long story"}]}]}


def _long_text() -> str:
    from emulator import generation

    words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "streams", "flow"]
    pieces: list[str] = []
    index = 0
    while len(generation.split_deltas("".join(pieces))) < DELTAS:
        pieces.append(" " + words[index % len(words)])
        index += 1
    return "".join(pieces).lstrip()


def _scenario(text: str) -> dict[str, Any]:
    rule = {"id": "long", "match": {"operations": ["ConverseStream"]}, "answer": {"text": text}}
    return {"version": 1, "name": SCENARIO, "rules": [rule]}


def _spawn(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()
    if "serving on " not in line:
        process.kill()
        raise RuntimeError(f"server did not start: {line}")
    return process, line.rsplit("serving on ", 1)[1].strip()


def _serve_frames(path: str) -> None:
    """The baseline server: the recorded frames, one write per frame, behind a bare Flask endpoint."""
    from flask import Flask, Response

    from emulator.server import EmulatorServer
    from emulator.wire import eventstream

    raw = Path(path).read_bytes()
    frames = [
        eventstream.encode_frame(list(f.headers.items()), f.payload) for f in eventstream.decode_frames(raw)
    ]
    app = Flask("bare-stream")

    @app.post("/model/<path:model>/converse-stream")
    def stream(model: str) -> Response:  # noqa: ARG001  # Flask passes the URL label by name
        def body() -> Iterator[bytes]:
            yield from frames

        return Response(body(), content_type="application/vnd.amazon.eventstream")

    def announce(server: EmulatorServer) -> None:
        print(f"bare serving on {server.endpoint_url}", file=sys.stderr, flush=True)

    EmulatorServer(app, "127.0.0.1", 0).serve_forever(on_ready=announce)


def _consume(client: Any) -> tuple[float, float, int]:
    started = time.perf_counter()
    response = client.converse_stream(modelId=MODEL, **REQUEST)
    first = 0.0
    count = 0
    for _event in response["stream"]:
        if count == 0:
            first = time.perf_counter() - started
        count += 1
    return time.perf_counter() - started, first, count


def _record_frames(url: str, path: Path) -> int:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "POST",
        f"/model/{MODEL}/converse-stream",
        body=json.dumps(REQUEST),
        headers={"content-type": "application/json"},
    )
    raw = connection.getresponse().read()
    connection.close()
    path.write_bytes(raw)
    from emulator.wire import eventstream

    return len(eventstream.decode_frames(raw))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--serve-frames", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_frames:
        _serve_frames(args.serve_frames)
        return 0

    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    creds = {"aws_access_key_id": "bench", "aws_secret_access_key": "x", "region_name": "us-east-1"}
    with tempfile.TemporaryDirectory() as tmp:
        scenario_file = Path(tmp) / f"{SCENARIO}.json"
        scenario_file.write_text(json.dumps(_scenario(_long_text())))
        emulator, emulator_url = _spawn(
            [
                sys.executable,
                "-m",
                "emulator",
                "serve",
                "--port",
                "0",
                "--scenario",
                str(scenario_file),
                "--default-scenario",
                SCENARIO,
            ]
        )
        frames_file = Path(tmp) / "frames.bin"
        events = _record_frames(emulator_url, frames_file)
        bare, bare_url = _spawn([sys.executable, __file__, "--serve-frames", str(frames_file)])
        try:
            ours = boto3.client("bedrock-runtime", endpoint_url=emulator_url, config=config, **creds)
            theirs = boto3.client("bedrock-runtime", endpoint_url=bare_url, config=config, **creds)
            _consume(ours)
            _consume(theirs)
            rows: dict[str, list[tuple[float, float, int]]] = {"raw framing": [], "converse-stream": []}
            for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
                rows["raw framing"].append(_consume(theirs))
                rows["converse-stream"].append(_consume(ours))
        finally:
            for process in (emulator, bare):
                process.terminate()
                process.wait(timeout=10)
    print(
        f"{events} events per stream ({DELTAS} deltas), {args.rounds} rounds, boto3 consumer, servers in their own processes"
    )
    print(f"{'':16} {'events/s':>10} {'first event ms (median / max)':>32}")
    summary = {}
    for name, samples in rows.items():
        rate = statistics.median(count / total for total, _, count in samples)
        firsts = [first * 1000 for _, first, _ in samples]
        summary[name] = (rate, statistics.median(firsts))
        print(f"{name:16} {rate:10.0f} {statistics.median(firsts):15.2f} / {max(firsts):.2f}")
    rate, first_median = summary["converse-stream"]
    print(
        f"ratio: {rate / summary['raw framing'][0]:.2%} of raw framing; target >= 20,000 events/s, first event <= 10 ms"
    )
    return 0 if rate >= 20_000 and first_median <= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
