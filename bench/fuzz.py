"""Fuzz the emulator with seeded malformed requests and count its answers by status and error type.

The generator is ``emulator.wire.fuzz`` (the same one ``tests/wire/test_fuzz.py`` runs a few thousand
cases of); here it runs as many as asked, against an emulator in this process or one already serving
(``--endpoint``), from several keep-alive connections. Every answer must be below 500 and every 4xx
AWS-shaped; the violations are printed with the case that provoked them, grouped by cause.

    .venv/bin/python bench/fuzz.py [--cases 100000] [--seed 1] [--connections 4] [--endpoint URL]
    .venv/bin/python bench/fuzz.py --check-cost     # the shape type check's cost per Converse body
"""

from __future__ import annotations

import argparse
import collections
import sys
import threading
import time
import timeit
from collections.abc import Iterator
from urllib.parse import urlsplit

from emulator.wire import fuzz

CONVERSE = {
    "messages": [{"role": "user", "content": [{"text": "Summarise the plot of Hamlet in two sentences."}]}],
    "inferenceConfig": {"maxTokens": 200},
}
CONVERSE_WITH_TOOLS = {
    "messages": [
        {"role": "user", "content": [{"text": "Where is my order?"}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"orderId": "O1"}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"ok": True}}]}}],
        },
    ],
    "system": [{"text": "You are terse."}],
    "toolConfig": {
        "tools": [
            {
                "toolSpec": {
                    "name": "lookup",
                    "description": "Look an order up.",
                    "inputSchema": {
                        "json": {"type": "object", "properties": {"orderId": {"type": "string"}}}
                    },
                }
            }
        ]
    },
    "inferenceConfig": {"maxTokens": 200, "temperature": 0.5},
}


def check_cost() -> int:
    """Microseconds per call of the type check (parsing excluded) on two Converse bodies."""
    import copy
    import json

    from emulator.wire import shapes

    shapes.warm_up("bedrock-runtime")
    for name, body in (("plain Converse", CONVERSE), ("Converse with tools", CONVERSE_WITH_TOOLS)):
        fresh = copy.deepcopy(body)
        runs = 20_000
        seconds = min(
            timeit.repeat(
                lambda b=fresh: shapes.check("bedrock-runtime", "Converse", b), number=runs, repeat=5
            )
        )
        size = len(json.dumps(body))
        print(f"{name:22} ({size:4} bytes): {seconds / runs * 1e6:6.2f} µs per check")
    return 0


def _serve_here() -> tuple[str, int, object]:
    from emulator.app import create_app
    from emulator.server import EmulatorServer
    from emulator.settings import Settings

    server = EmulatorServer(create_app(Settings(port=0)), "127.0.0.1", 0).start()
    split = urlsplit(server.endpoint_url)
    return split.hostname or "127.0.0.1", split.port or 80, server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--endpoint", help="an emulator already serving, e.g. http://127.0.0.1:5000")
    parser.add_argument("--show", type=int, default=3, help="example cases printed per violation kind")
    parser.add_argument("--check-cost", action="store_true", help="measure the body type check and exit")
    args = parser.parse_args()
    if args.check_cost:
        return check_cost()

    server = None
    if args.endpoint:
        split = urlsplit(args.endpoint)
        host, port = split.hostname or "127.0.0.1", split.port or 80
    else:
        host, port, server = _serve_here()

    generated: Iterator[fuzz.Case] = fuzz.cases(args.seed, args.cases)
    take = threading.Lock()
    record = threading.Lock()
    by_outcome: collections.Counter[str] = collections.Counter()
    violations: dict[str, list[fuzz.Case]] = collections.defaultdict(list)
    by_cause: collections.Counter[tuple[str, str]] = collections.Counter()
    slowest: list[tuple[float, fuzz.Case, int]] = []

    def worker() -> None:
        client = fuzz.Client(host, port)
        while True:
            with take:
                case = next(generated, None)
            if case is None:
                break
            sent = time.perf_counter()
            answer = client.send(case)
            seconds = time.perf_counter() - sent
            broken = fuzz.violation(answer)
            with record:
                slowest.append((seconds, case, answer.status))
                slowest.sort(key=lambda item: -item[0])
                del slowest[5:]
                by_outcome[f"{answer.status} {answer.error_type}".strip()] += 1
                if broken is not None:
                    violations[broken].append(case)
                    by_cause[(broken, case.cause.split("+", 1)[0])] += 1
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if server is not None:
        server.stop()  # type: ignore[attr-defined]

    total = sum(by_outcome.values())
    print(f"{total} cases (seed {args.seed}) in {elapsed:.1f} s, {total / elapsed:.0f}/s")
    for outcome, count in sorted(by_outcome.items(), key=lambda item: -item[1]):
        print(f"  {count:7}  {outcome}")
    print("slowest:")
    for seconds, case, status in slowest:
        print(
            f"  {seconds * 1000:8.1f} ms  {status} #{case.index} {case.operation} {case.cause} ({len(case.body)} bytes)"
        )
    if not violations:
        print("no violations")
        return 0
    print(f"{sum(len(v) for v in violations.values())} violations:")
    for kind, cases in sorted(violations.items(), key=lambda item: -len(item[1])):
        causes = ", ".join(f"{cause} {n}" for (k, cause), n in by_cause.most_common() if k == kind)
        print(f"  {len(cases):6}  {kind}   [by cause: {causes}]")
        for case in cases[: args.show]:
            print(f"           #{case.index} {case.operation} {case.cause}: {case.method} {case.path[:100]}")
            print(f"             body {case.body[:160]!r}{' ...' if len(case.body) > 160 else ''}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
