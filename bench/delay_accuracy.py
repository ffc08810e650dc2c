"""How exactly an injected delay reaches a client: a scenario's ``delay: 0.2`` on Converse, seen by boto3.

The emulator runs in its own process (``python -m emulator serve --port 0 --scenario FILE``), so client
and server do not share a GIL. Under light load (one client, sequential calls) the delayed calls (access
key ``delay-200ms``, which selects the scenario) alternate with undelayed ones (another key, no scenario)
so both see the same machine. Reported: p50 / p99 / max of (observed - 200 ms) for the delayed calls and
of the observed time for the baseline; the target is p99 of |observed - baseline median - 200 ms| <= 10 ms.

    .venv/bin/python bench/delay_accuracy.py [--calls 200]

Exit status 0 when the target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

DELAY_S = 0.2
TOLERANCE_MS = 10.0
SCENARIO_NAME = "delay-200ms"
SCENARIO = f"""\
version: 1
description: Every Converse waits {DELAY_S} s before answering.
rules:
  - id: fixed-delay
    match: {{operations: [Converse]}}
    delay: {DELAY_S}
"""
MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "One sentence about the sea."}]}]
SERVING_LINE = re.compile(r"serving on (http://\S+)")


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _client(endpoint_url: str, access_key: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="bench",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=10),
    )


def _timed(client: Any) -> tuple[float, str | None]:
    started = time.perf_counter()
    response = client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 20})
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms, response["ResponseMetadata"]["HTTPHeaders"].get("x-bedrock-emulator-rule")


def _start_server(scenario: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "emulator",
        "serve",
        "--port",
        "0",
        "--no-library",
        "--scenario",
        str(scenario),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()
    match = SERVING_LINE.search(line)
    if match is None:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line}{process.stderr.read()}")
    return process, match.group(1)


def _row(label: str, values: list[float]) -> str:
    return (
        f"{label:<34} p50 {_percentile(values, 0.5):8.2f}   p99 {_percentile(values, 0.99):8.2f}   "
        f"max {max(values):8.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="delayed calls (and as many baseline calls)")
    parser.add_argument("--warm-up", type=int, default=20, dest="warm_up")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / f"{SCENARIO_NAME}.yaml"
        scenario.write_text(SCENARIO)
        process, endpoint_url = _start_server(scenario)
        try:
            delayed_client = _client(endpoint_url, SCENARIO_NAME)
            baseline_client = _client(endpoint_url, "baseline")
            for _ in range(args.warm_up):
                _timed(baseline_client)
            _timed(delayed_client)
            delayed: list[float] = []
            baseline: list[float] = []
            for _ in range(args.calls):
                elapsed, rule = _timed(delayed_client)
                if rule != f"{SCENARIO_NAME}/fixed-delay":
                    raise SystemExit(f"the delay rule did not fire (rule header {rule!r})")
                delayed.append(elapsed)
                elapsed, rule = _timed(baseline_client)
                if rule is not None:
                    raise SystemExit(f"a baseline call was shaped by {rule!r}")
                baseline.append(elapsed)
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()

    delay_ms = DELAY_S * 1000
    baseline_median = _percentile(baseline, 0.5)
    excess = [value - delay_ms for value in delayed]
    error = [abs(value - baseline_median - delay_ms) for value in delayed]
    p99_error = _percentile(error, 0.99)
    print(
        f"{args.calls} delayed + {args.calls} baseline sequential Converse calls via boto3, server in its own process"
    )
    print("milliseconds:")
    print(_row("delayed: observed - 200 ms", excess))
    print(_row("baseline: observed (no delay)", baseline))
    print(_row("|observed - baseline p50 - 200|", error))
    verdict = "PASS" if p99_error <= TOLERANCE_MS else "FAIL"
    print(f"{verdict}: p99 deviation {p99_error:.2f} ms (target <= {TOLERANCE_MS:.0f} ms)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
