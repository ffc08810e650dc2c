"""The container health check: is the emulator in this container answering ``/_emulator/health``?

``serve`` writes the URL it actually serves on (loopback for a wildcard bind) to the file named by
``--endpoint-file`` / ``BEDROCK_EMULATOR_ENDPOINT_FILE`` once it listens, and removes it on exit; the
probe reads that file, so ``serve --port 9000`` is probed on 9000 whatever ``BEDROCK_EMULATOR_PORT`` says.
Without the file it falls back to ``BEDROCK_EMULATOR_HOST`` and ``BEDROCK_EMULATOR_PORT``.

Standard library only and no settings model: the image runs ``python -m emulator.healthcheck`` every
two seconds, which must stay cheap (~80 ms of CPU, against ~400 ms for importing the whole CLI).
Exit 0 when healthy, 1 when not (one line on stderr saying why), 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["add_arguments", "main", "probe_url", "publish", "run", "withdraw"]

ENDPOINT_FILE_VARIABLE = "BEDROCK_EMULATOR_ENDPOINT_FILE"
HEALTH_PATH = "/_emulator/health"


def probe_url(host: str, port: int) -> str:
    """The URL a client in the same container reaches a server bound to ``host``:``port`` at."""
    if host in ("", "0.0.0.0"):  # the wildcard bind, answered on loopback
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def publish(path: str, url: str) -> None:
    """Write ``url`` to ``path`` atomically (a reader never sees half a URL); OSError when it cannot."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_text(url + "\n", encoding="utf-8")
    os.replace(partial, target)


def withdraw(path: str, url: str) -> None:
    """Remove ``path`` if it still names ``url`` (another server may have taken it over since)."""
    with contextlib.suppress(OSError):
        if Path(path).read_text(encoding="utf-8").strip() == url:
            Path(path).unlink()


def _endpoint(environ: Mapping[str, str]) -> str:
    endpoint_file = environ.get(ENDPOINT_FILE_VARIABLE)
    if endpoint_file:
        with contextlib.suppress(OSError):
            url = Path(endpoint_file).read_text(encoding="utf-8").strip()
            if url:
                return url
    raw_port = environ.get("BEDROCK_EMULATOR_PORT")
    if raw_port:
        port = int(raw_port)  # ValueError: reported by run()
    else:
        from emulator.settings import DEFAULT_PORT  # only here: pydantic is the slow import

        port = DEFAULT_PORT
    return probe_url(environ.get("BEDROCK_EMULATOR_HOST") or "127.0.0.1", port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help=f"the emulator's URL (default: the one in ${ENDPOINT_FILE_VARIABLE}, else "
        "BEDROCK_EMULATOR_HOST and BEDROCK_EMULATOR_PORT)",
    )
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for the answer")


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    try:
        url = (args.url or _endpoint(environ)).rstrip("/")
    except ValueError:
        print(
            f"bedrock-emulator: BEDROCK_EMULATOR_PORT: expected an integer, got {environ.get('BEDROCK_EMULATOR_PORT')!r}",
            file=sys.stderr,
        )
        return 2
    import urllib.request  # here: `serve` imports this module too, and needs no HTTP client

    # No proxy: an HTTP_PROXY set for the container's other traffic must not carry a loopback probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + HEALTH_PATH, timeout=args.timeout) as response:
            health = json.loads(response.read())
    except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts, refused; bad JSON
        reason = getattr(exc, "reason", None) or exc
        print(f"unhealthy: {url}: {reason}", file=sys.stderr)
        return 1
    if not isinstance(health, dict) or health.get("status") != "ok":
        status = health.get("status") if isinstance(health, dict) else health
        print(f"unhealthy: {url}: status {status!r}", file=sys.stderr)
        return 1
    print(f"healthy: {url} (bedrock-emulator {health.get('version')})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulator.healthcheck",
        description="Exit 0 when the emulator answers its health check.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
