"""What a model does beyond the catalogue's limits: prompt caching (its minimum prefix, maximum cache
points, TTLs, the request fields that take cache points) and the answer shapes that differ by family.

The table is data (``emulator/data/model_features.json``), keyed by bare foundation-model id; a model it
does not name has none of these features. docs/wire-facts.md §24 cites where each figure comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

__all__ = ["Caching", "Features", "features_of"]


@dataclass(frozen=True)
class Caching:
    """A model's explicit prompt caching, as AWS's prompt caching page lists it."""

    min_tokens: int  # a cache point is created only when the prefix before it has this many tokens
    max_points: int  # cache points a request may carry
    ttls: tuple[str, ...]  # "5m", and "1h" where offered
    fields: frozenset[str]  # request parts that take cache points: tools, system, messages
    usage_always: bool  # Converse usage carries the cache counts even when the request has no cache point
    details: bool  # Converse usage breaks written tokens down by TTL (cacheDetails)
    lookback: int = 0  # block boundaries before a cache point where a read may also hit (Claude: about 20)


@dataclass(frozen=True)
class Features:
    caching: Caching | None = None
    tool_use_type: bool = False  # Converse toolUse blocks (and their stream starts) carry type: tool_use
    # Extended thinking: "budget" (type enabled), "adaptive" (type adaptive too), "always" (unasked), None
    reasoning: str | None = None
    structured_output: bool = False  # JSON-schema answers (outputConfig.textFormat, output_config)
    reasoning_last: bool = False  # Converse puts the reasoning block after the text (DeepSeek-R1)
    citations: bool = False  # document citations (Claude but Claude 3 Haiku, Sonnet, Opus and 3.5 Sonnet v1)
    server_tools: frozenset[str] = frozenset()  # the systemTool names a model runs (Nova: wire-facts §34)


_NONE: Final = Features()


def _caching(spec: dict[str, Any], model: dict[str, Any]) -> Caching:
    return Caching(
        min_tokens=int(model.get("min_tokens", spec.get("min_tokens", 1024))),
        max_points=int(spec["max_points"]),
        ttls=tuple(str(t) for t in model.get("ttls", ["5m"])),
        fields=frozenset(str(f) for f in spec["fields"]),
        usage_always=bool(spec["usage_always"]),
        details=bool(spec["details"]),
        lookback=int(spec.get("lookback", 0)),
    )


def data() -> dict[str, Any]:
    """``data/model_features.json`` as read once (its ``rules`` section is ``emulator.model_rules``')."""
    return _DATA


_DATA: Final[dict[str, Any]] = json.loads(
    resources.files("emulator").joinpath("data/model_features.json").read_text(encoding="utf-8")
)


def _load() -> dict[str, Features]:
    data = _DATA
    families: dict[str, dict[str, Any]] = data["families"]
    table: dict[str, Features] = {}
    for model_id, model in data["models"].items():
        family = families[model["family"]]
        caching = family.get("caching")
        table[model_id] = Features(
            caching=_caching(caching, model) if caching else None,
            tool_use_type=bool(family.get("tool_use_type", False)),
            reasoning=model.get("reasoning"),
            structured_output=bool(model.get("structured_output", False)),
            reasoning_last=bool(family.get("reasoning_last", False)),
            citations=bool(model.get("citations", family.get("citations", False))),
            server_tools=frozenset(str(name) for name in model.get("server_tools", ())),
        )
    return table


_TABLE: Final = _load()


def features_of(model_id: str) -> Features:
    """The features of a bare foundation-model id (none for a model the table does not name)."""
    return _TABLE.get(model_id, _NONE)
