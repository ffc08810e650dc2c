"""Reading a journal for the report: from a running emulator's admin API, or from a file saved from it.

A URL (``http://127.0.0.1:8484``, with or without ``/_emulator/requests``) is read from
``/_emulator/requests/export?format=journal``: the calls and the virtual clock's advances in one answer
(an emulator without that endpoint is read from ``/_emulator/requests``). A file is what either endpoint
answered: ``{"requests": [...], "clock": {...}}``, a bare JSON list of calls, or JSON Lines.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from urllib.parse import urlsplit

from emulator.call_detail import OUTCOMES, classify
from emulator.report.progress import Progress

# More than any journal an emulator holds (10,000 calls of summaries by default): a bigger input is refused
# before it is read, rather than held in memory.
MAX_JOURNAL_BYTES = 256 << 20
_CHUNK = 64 << 10
_REQUIRED = ("time", "tenant", "operation", "status")
_JOURNAL_EXPORT = "/_emulator/requests/export?format=journal"
_REQUESTS = "/_emulator/requests"


class SourceError(Exception):
    """The journal could not be read: the message says why, for the command line."""


@dataclass
class RunJournal:
    calls: list[dict[str, Any]]
    advances: list[dict[str, float]] = field(default_factory=list)
    skipped: int = 0  # entries without the fields a call needs


def read(source: str, *, token: str | None = None, stderr: TextIO = sys.stderr) -> RunJournal:
    """The journal at ``source`` (a URL or a file path), with a progress bar on ``stderr`` if a TTY."""
    if urlsplit(source).scheme in ("http", "https"):
        raw = _fetch(source, token, stderr)
    else:
        raw = _read_file(Path(source), stderr)
    return parse(raw)


def parse(raw: bytes) -> RunJournal:
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        raise SourceError("the journal is empty")
    if text.startswith(("version:", "name:", "rules:", "description:")):
        raise SourceError(
            "this is a replay scenario (GET /_emulator/requests/export), which keeps neither times nor "
            "tenants; save the journal instead: GET /_emulator/requests/export?format=journal"
        )
    try:
        data: Any = json.loads(text)
    except ValueError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise SourceError(f"not a journal (JSON, or JSON Lines of calls): {exc}") from None
    advances: list[dict[str, float]] = []
    if isinstance(data, dict):
        clock = data.get("clock")
        if isinstance(clock, dict):
            advances = [a for a in clock.get("advances") or [] if _is_advance(a)]
        data = data.get("requests")
    if not isinstance(data, list):
        raise SourceError('not a journal: expected {"requests": [...]}, a list of calls, or JSON Lines')
    calls = [_normalised(item) for item in data if _is_call(item)]
    calls.sort(key=lambda c: (c["time"], c.get("sequence") or 0))
    return RunJournal(calls, advances, skipped=len(data) - len(calls))


def _is_call(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and all(key in item for key in _REQUIRED)
        and isinstance(item["time"], int | float)
        and isinstance(item["status"], int)
        and isinstance(item["tenant"], str)
        and isinstance(item["operation"], str)
    )


def _is_advance(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("time"), int | float)
        and isinstance(item.get("seconds"), int | float)
    )


def _normalised(call: dict[str, Any]) -> dict[str, Any]:
    latency = call.get("latency_ms")
    call["latency_ms"] = float(latency) if isinstance(latency, int | float) else 0.0
    ttft = call.get("ttft_ms")
    call["ttft_ms"] = float(ttft) if isinstance(ttft, int | float) else None
    if call.get("outcome") not in OUTCOMES:
        # A journal from before outcomes were journaled: what the summary alone tells.
        call["outcome"] = classify(call["status"], call.get("error_code"), call.get("stream_end"))
    for key in ("model", "rule", "error_code", "stream_end", "request_digest", "quota_window", "events_sent"):
        call.setdefault(key, None)
    call.setdefault("sequence", 0)
    return call


def _read_file(path: Path, stderr: TextIO) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_JOURNAL_BYTES:
            raise SourceError(f"{path}: {size} bytes is more than a journal ({MAX_JOURNAL_BYTES} at most)")
        with path.open("rb") as stream:
            return _drain(stream, size, stderr, f"reading {path.name}")
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from None


def _fetch(url: str, token: str | None, stderr: TextIO) -> bytes:
    base = url.rstrip("/")
    for suffix in (_REQUESTS, "/_emulator"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    # No proxy: the emulator is local to the job, and an HTTP_PROXY set for other traffic must not carry it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        return _get(opener.open, base + _JOURNAL_EXPORT, token, stderr)
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise SourceError(_refusal(base, exc)) from None
    except OSError as exc:
        raise SourceError(f"{base}: {getattr(exc, 'reason', None) or exc}") from None
    try:  # an emulator from before the journal export: its calls, without the clock's advances
        return _get(opener.open, base + _REQUESTS, token, stderr)
    except urllib.error.HTTPError as exc:
        raise SourceError(_refusal(base, exc)) from None
    except OSError as exc:
        raise SourceError(f"{base}: {getattr(exc, 'reason', None) or exc}") from None


def _get(open_url: Callable[..., Any], url: str, token: str | None, stderr: TextIO) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with open_url(request, timeout=60) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > MAX_JOURNAL_BYTES:
            raise SourceError(f"{url}: {total} bytes is more than a journal ({MAX_JOURNAL_BYTES} at most)")
        raw: bytes = _drain(response, total, stderr, "reading the journal")
        return raw


def _drain(stream: BinaryIO, total: int | None, stderr: TextIO, label: str) -> bytes:
    progress = Progress(stderr, label, total)
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > MAX_JOURNAL_BYTES:
            raise SourceError(f"more than {MAX_JOURNAL_BYTES} bytes: not a journal")
        chunks.append(chunk)
        progress.update(size)
    progress.finish()
    return b"".join(chunks)


def _refusal(base: str, exc: urllib.error.HTTPError) -> str:
    if exc.code == 401:
        return f"{base}: the admin API wants its token (--token, or BEDROCK_EMULATOR_ADMIN_TOKEN)"
    if exc.code == 403:
        return (
            f"{base}: the admin API refused this Host (DNS-rebinding check); start the emulator with "
            f"--allowed-host {urlsplit(base).hostname} (docs/admin-security.md)"
        )
    return f"{base}: HTTP {exc.code} {exc.reason}"


def default_token() -> str | None:
    return os.environ.get("BEDROCK_EMULATOR_ADMIN_TOKEN") or None
