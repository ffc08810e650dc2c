"""Which handler module serves each (service, operation): the index behind the lazy operation table.

One job: the committed file ``emulator/data/handlers.json`` and its two ends. The data plane looks an
operation up here and imports only that module (a Converse imports ``emulator.services.runtime``'s chain,
not the knowledge-base index, numpy or the flow engine); ``build()`` imports every module of
``handlers.HANDLER_MODULES`` and records, per service, which one serves each operation.

``python -m emulator.services.handler_index`` (part of ``make protocol``) regenerates the file and a test
fails when it is stale. A stale index still serves correctly: an operation it does not list, or a module
list that differs from ``HANDLER_MODULES``, sends ``handlers.handler_for`` to the full table instead
(every module imported), so a handler added without regenerating works, only slower to reach the first
time.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FORMAT = 1
INDEX_FILE = Path(__file__).resolve().parent.parent / "data" / "handlers.json"


@functools.cache
def load() -> Mapping[str, Any]:
    """``{"format", "modules": [HANDLER_MODULES' names, in order], "operations": {service: {op: module}}}``."""
    try:
        with INDEX_FILE.open("rb") as handle:
            data: Mapping[str, Any] = json.load(handle)
    except FileNotFoundError:
        return {"format": FORMAT, "modules": [], "operations": {}}
    return data


def module_for(service: str, operation: str, modules: tuple[str, ...]) -> str | None:
    """The module serving an operation, or None when the index does not know (or is not for ``modules``)."""
    data = load()
    if data.get("format") != FORMAT or tuple(data.get("modules", ())) != modules:
        return None
    module: str | None = data["operations"].get(service, {}).get(operation)
    return module


def build() -> dict[str, Any]:
    """The index as the handler modules declare it today (imports every one of them)."""
    from emulator.services import handlers

    operations: dict[str, dict[str, str]] = {}
    for (service, operation), (module, _) in sorted(handlers.bindings().items()):
        operations.setdefault(service, {})[operation] = module
    return {
        "format": FORMAT,
        "modules": [entry.module for entry in handlers.HANDLER_MODULES],
        "operations": operations,
    }


def render(data: Mapping[str, Any]) -> str:
    """Compact JSON with one line per operation, for readable diffs."""
    services = [
        json.dumps(service)
        + ":{\n"
        + ",\n".join(f"{json.dumps(op)}:{json.dumps(module)}" for op, module in ops.items())
        + "}"
        for service, ops in data["operations"].items()
    ]
    modules = json.dumps(data["modules"], separators=(",", ":"))
    return (
        f'{{"format":{data["format"]},\n"modules":{modules},\n"operations":{{\n'
        + ",\n".join(services)
        + "}}\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Regenerate ``emulator/data/handlers.json`` (``--check``: only compare)."""
    from emulator.wire.protocol_data import regenerate

    return regenerate(INDEX_FILE, render(build()), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
