"""ConverseStream events/s into a boto3 ``converse_stream`` consumer, for a 1,000-delta stream, against
raw framing: a bare Flask endpoint streaming the very same pre-encoded frames, on the same server stack.

Targets: >= 20,000 events/s, first event within 10 ms of the call.

    .venv/bin/python bench/stream_throughput.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator

import boto3
from botocore.config import Config
from flask import Flask, Response

from emulator import generation
from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings
from emulator.wire import eventstream

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
DELTAS = 1000


def _long_text() -> str:
    words = "the quick brown fox jumps over a lazy dog while streams flow".split()
    pieces: list[str] = []
    index = 0
    while len(generation.split_deltas("".join(pieces))) < DELTAS:
        pieces.append(" " + words[index % len(words)])
        index += 1
    return "".join(pieces).lstrip()


def _scenario(text: str) -> str:
    return json.dumps(
        {
            "version": 1,
            "name": "bench-long-stream",
            "rules": [{"id": "long", "match": {"operations": ["ConverseStream"]}, "answer": {"text": text}}],
        }
    )


def _bare_app(frames: list[bytes]) -> Flask:
    app = Flask("bare-stream")

    @app.post("/model/<path:model>/converse-stream")
    def stream(model: str) -> Response:
        def body() -> Iterator[bytes]:
            yield from frames

        return Response(body(), content_type="application/vnd.amazon.eventstream")

    return app


def _consume(client: object) -> tuple[float, float, int]:
    started = time.perf_counter()
    response = client.converse_stream(  # type: ignore[attr-defined]
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Tell me a very long story"}]}]
    )
    first = 0.0
    count = 0
    for _event in response["stream"]:
        if count == 0:
            first = time.perf_counter() - started
        count += 1
    return time.perf_counter() - started, first, count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = create_app(Settings(port=0, default_scenario="bench-long-stream"))
    app.extensions["bedrock_emulator"].engine.load_text(_scenario(_long_text()))
    emulator = EmulatorServer(app, "127.0.0.1", 0).start()
    config = Config(retries={"max_attempts": 1})
    creds = {"aws_access_key_id": "bench", "aws_secret_access_key": "x", "region_name": "us-east-1"}
    ours = boto3.client("bedrock-runtime", endpoint_url=emulator.endpoint_url, config=config, **creds)
    _consume(ours)  # warm-up, and the frames the baseline will replay
    state = app.extensions["bedrock_emulator"]
    events = state.journal.entries()[-1].response_events or []
    frames = [eventstream.encode_event(kind, payload) for kind, payload, _ in events]
    bare = EmulatorServer(_bare_app(frames), "127.0.0.1", 0).start()
    theirs = boto3.client("bedrock-runtime", endpoint_url=bare.endpoint_url, config=config, **creds)
    _consume(theirs)
    rows: dict[str, list[tuple[float, float, int]]] = {"raw framing": [], "converse-stream": []}
    for _ in range(args.rounds):
        rows["raw framing"].append(_consume(theirs))
        rows["converse-stream"].append(_consume(ours))
    bare.stop()
    emulator.stop()
    print(f"{len(frames)} events per stream ({DELTAS} deltas), {args.rounds} rounds, boto3 consumer")
    print(f"{'':16} {'events/s':>10} {'first event ms (median / max)':>32}")
    summary = {}
    for name, samples in rows.items():
        rate = statistics.median(count / total for total, _, count in samples)
        firsts = [first * 1000 for _, first, _ in samples]
        summary[name] = (rate, statistics.median(firsts), max(firsts))
        print(f"{name:16} {rate:10.0f} {statistics.median(firsts):15.2f} / {max(firsts):.2f}")
    rate, first_median, _ = summary["converse-stream"]
    print(
        f"ratio: {rate / summary['raw framing'][0]:.2%} of raw framing; target >= 20,000 events/s, first event <= 10 ms"
    )
    return 0 if rate >= 20_000 and first_median <= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
