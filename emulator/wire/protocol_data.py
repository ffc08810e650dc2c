"""The protocol data of the four Bedrock services, generated from botocore's service models.

One job: the committed file ``emulator/data/protocol.json`` and the two ends of it. ``build()`` reads
botocore's models (the contract) and keeps what the wire layer needs of each operation: its route
(method, URI template, success status), its declared errors, its output event stream (the member, its
event members and its exception members), and, per service, every error shape's HTTP status and extra
members. ``load()`` reads the committed file once (one ``json.load`` of a compact file, no botocore),
which is what the route table, the declared-errors table and the error statuses are built from.

``python -m emulator.wire.protocol_data`` (``make protocol``) regenerates the file; a test fails when
regenerating would change it, so a botocore upgrade shows up as a failing test and a one-command diff.

Two services declaring the same method and URI (bedrock-agent-runtime's and bedrock-agent's tagging
operations, ``/tags/{resourceArn}``) cannot be told apart by the path alone; for those operations the file
also keeps each URI label's pattern, which the router uses to choose (``emulator/wire/routing.py``).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Precedence order: data planes first (their calls are the hot path, and they win ties).
SERVICES: tuple[str, ...] = ("bedrock-runtime", "bedrock-agent-runtime", "bedrock", "bedrock-agent")
FORMAT = 1
DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "protocol.json"

# The members every error shape carries, which are therefore not "extra" members.
_MESSAGE_MEMBERS = frozenset({"message", "Message"})


@functools.cache
def load() -> Mapping[str, Any]:
    """The committed protocol data (read once per process)."""
    with DATA_FILE.open("rb") as handle:
        data: Mapping[str, Any] = json.load(handle)
    if data.get("format") != FORMAT:
        raise RuntimeError(f"{DATA_FILE} has format {data.get('format')!r}, expected {FORMAT}")
    return data


def services() -> Mapping[str, Mapping[str, Any]]:
    """Service name -> ``{"apiVersion", "errors", "operations"}``, in precedence order."""
    result: Mapping[str, Mapping[str, Any]] = load()["services"]
    return result


def error_status(service: str, code: str) -> int | None:
    """The HTTP status of an error shape a service declares (its ``httpStatusCode``), or None."""
    entry = services().get(service, {}).get("errors", {}).get(code)
    return None if entry is None else int(entry["status"])


def error_members(service: str, code: str) -> frozenset[str]:
    """Members an error shape carries besides ``message`` (e.g. ``originalStatusCode``)."""
    entry = services().get(service, {}).get("errors", {}).get(code)
    return frozenset(entry.get("members", ())) if entry is not None else frozenset()


# -- generation (botocore is imported only here) ------------------------------------------------------


def build() -> dict[str, Any]:
    """The protocol data as botocore's installed service models declare it."""
    import botocore.loaders

    loader = botocore.loaders.Loader()
    models = {service: loader.load_service_model(service, "service-2") for service in SERVICES}
    shared = _shared_routes(models)
    return {
        "format": FORMAT,
        "services": {
            service: _service(model, shared.get(service, frozenset())) for service, model in models.items()
        },
    }


def _shared_routes(models: Mapping[str, Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Service -> its operations whose method and URI another service declares too."""
    by_route: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for service, model in models.items():
        for name, operation in model["operations"].items():
            http = operation["http"]
            by_route.setdefault((http["method"], http["requestUri"]), []).append((service, name))
    shared: dict[str, set[str]] = {}
    for holders in by_route.values():
        if len(holders) > 1:
            for service, name in holders:
                shared.setdefault(service, set()).add(name)
    return {service: frozenset(names) for service, names in shared.items()}


def _service(model: Mapping[str, Any], shared: frozenset[str]) -> dict[str, Any]:
    shapes: Mapping[str, Any] = model["shapes"]
    errors = {name: _error(shape) for name, shape in sorted(shapes.items()) if shape.get("exception") is True}
    operations = {
        name: _operation(operation, shapes, with_patterns=name in shared)
        for name, operation in sorted(model["operations"].items())
    }
    return {"apiVersion": model["metadata"]["apiVersion"], "errors": errors, "operations": operations}


def _error(shape: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": shape["error"]["httpStatusCode"]}
    members = sorted(set(shape.get("members", {})) - _MESSAGE_MEMBERS)
    if members:
        entry["members"] = members
    return entry


def _operation(
    operation: Mapping[str, Any], shapes: Mapping[str, Any], *, with_patterns: bool
) -> dict[str, Any]:
    http = operation["http"]
    entry: dict[str, Any] = {
        "http": [http["method"], http["requestUri"], http.get("responseCode", 200)],
        "errors": sorted(error["shape"] for error in operation.get("errors", ())),
    }
    stream = _stream(operation, shapes)
    if stream is not None:
        entry["stream"] = stream
    if with_patterns:
        entry["labelPatterns"] = _label_patterns(operation, shapes)
    return entry


def _stream(operation: Mapping[str, Any], shapes: Mapping[str, Any]) -> dict[str, Any] | None:
    """The output member holding an event stream: its events in declared order, its exception members."""
    output = operation.get("output", {}).get("shape")
    if output is None:
        return None
    for member_name, member in shapes[output].get("members", {}).items():
        union = shapes[member["shape"]]
        if union.get("eventstream"):
            members = union["members"]
            return {
                "member": member_name,
                "events": [m for m, ref in members.items() if not shapes[ref["shape"]].get("exception")],
                "exceptions": sorted(
                    m for m, ref in members.items() if shapes[ref["shape"]].get("exception")
                ),
            }
    return None


def _label_patterns(operation: Mapping[str, Any], shapes: Mapping[str, Any]) -> dict[str, str]:
    """URI label -> the pattern its input member's shape declares (labels without one are left out)."""
    input_name = operation.get("input", {}).get("shape")
    patterns: dict[str, str] = {}
    for name, member in shapes[input_name].get("members", {}).items() if input_name else ():
        if member.get("location") == "uri":
            pattern = shapes[member["shape"]].get("pattern")
            if pattern is not None:
                patterns[member.get("locationName", name)] = pattern
    return patterns


def render(data: Mapping[str, Any]) -> str:
    """The file's text: compact JSON with one line per operation and per error shape, for readable diffs."""
    return _render(data, 0) + "\n"


_EXPANDED_DEPTH = 3  # the file, services, a service, and its errors/operations maps are spread over lines


def _render(value: Any, depth: int) -> str:
    if isinstance(value, Mapping) and depth <= _EXPANDED_DEPTH and value:
        items = [f"{json.dumps(key)}:{_render(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "}"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    """Regenerate ``emulator/data/protocol.json`` from the installed botocore (``--check``: only compare)."""
    return regenerate(DATA_FILE, render(build()), sys.argv[1:] if argv is None else argv)


def regenerate(path: Path, text: str, args: list[str]) -> int:
    """Write a generated data file when it changed; with ``--check``, only say whether it is stale (1)."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if "--check" in args:
        if text != current:
            print(f"{path} is stale: run `make protocol`", file=sys.stderr)
            return 1
        return 0
    if text != current:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
