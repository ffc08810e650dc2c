"""The name of the S3 operation a request is (for the request log line), read off botocore's S3 model.

Each operation's ``http`` binding gives its method, its path (``/``, ``/{Bucket}`` or
``/{Bucket}/{Key+}``) and the literal query keys of its ``requestUri`` (``?tagging``, ``?list-type=2``);
operations sharing those (GetObject and ListParts, PutObject and CopyObject and UploadPart) are told apart
by the required query and header members each binds (``uploadId``, ``x-amz-copy-source``). The request is
the operation whose binding it satisfies most specifically.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from emulator.s3.hosts import virtual_host_bucket
from emulator.wire import shapes

ROOT, BUCKET, OBJECT = 0, 1, 2


@dataclass(frozen=True)
class _Binding:
    name: str
    method: str
    target: int  # ROOT, BUCKET or OBJECT
    query: frozenset[str]  # literal keys of the requestUri, and required querystring members
    headers: frozenset[str]  # required header members, lower-cased

    @property
    def specificity(self) -> int:
        return len(self.query) + len(self.headers)


_lock = threading.Lock()
_table: list[_Binding] | None = None


def operation_name(environ: Mapping[str, Any]) -> str:
    """``GetObject``, ``ListObjectsV2``, ...; "" when no operation of the model fits."""
    method = str(environ.get("REQUEST_METHOD", "GET"))
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
    path = raw.split("?", 1)[0]
    host = str(environ.get("HTTP_HOST", ""))
    query = {name for name, _ in parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)}
    headers = {key[5:].replace("_", "-").lower() for key in environ if key.startswith("HTTP_")}
    return _match(method, _target(host, path), query, headers)


def _target(host: str, path: str) -> int:
    if virtual_host_bucket(host) is not None:
        return BUCKET if path in ("", "/") else OBJECT
    bucket, _, key = path[1:].partition("/")
    return OBJECT if key else BUCKET if bucket else ROOT


def _match(method: str, target: int, query: Collection[str], headers: Collection[str]) -> str:
    best: _Binding | None = None
    for binding in _bindings():
        if binding.method != method or binding.target != target:
            continue
        if not binding.query <= set(query) or not binding.headers <= set(headers):
            continue
        if best is None or binding.specificity > best.specificity:
            best = binding
    return best.name if best else ""


def _bindings() -> list[_Binding]:
    global _table  # noqa: PLW0603 - built once per process from botocore's model, then read only
    if _table is None:
        with _lock:
            if _table is None:
                _table = _build(shapes.model("s3") or {})
    return _table


def _build(model: Mapping[str, Any]) -> list[_Binding]:
    table = []
    all_shapes = model.get("shapes", {})
    for name, operation in model.get("operations", {}).items():
        http = operation.get("http", {})
        path, _, literal = str(http.get("requestUri", "/")).partition("?")
        target = OBJECT if "{Key+}" in path else BUCKET if "{Bucket}" in path else ROOT
        query = {
            pair.partition("=")[0] for pair in literal.split("&") if pair and not pair.startswith("x-id=")
        }
        headers: set[str] = set()
        shape = all_shapes.get(operation.get("input", {}).get("shape", ""), {})
        for member_name in shape.get("required", ()):
            member = shape.get("members", {}).get(member_name, {})
            if member.get("location") == "querystring":
                query.add(member.get("locationName", member_name))
            elif member.get("location") == "header":
                headers.add(str(member.get("locationName", member_name)).lower())
        table.append(
            _Binding(name, str(http.get("method", "GET")), target, frozenset(query), frozenset(headers))
        )
    return table
