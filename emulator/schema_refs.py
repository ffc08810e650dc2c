"""Local ``$ref``s of a JSON schema followed, for the generators (tool inputs, structured output), which do
not follow references themselves: Pydantic writes nested models as ``$defs`` and references them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["has_refs", "inlined", "target"]

_MAX_REF_DEPTH: Final = 8  # local $refs followed in a row before a recursive schema is cut
_MAX_INLINED: Final = 5_000  # schema nodes the copy with references followed may have


def has_refs(value: Any) -> bool:
    if isinstance(value, dict):
        return "$ref" in value or any(has_refs(item) for item in value.values())
    if isinstance(value, list):
        return any(has_refs(item) for item in value)
    return False


def target(root: Mapping[str, Any], ref: str) -> Any:
    """What a local reference points at inside ``root``; None for one outside it or pointing nowhere."""
    if not ref.startswith("#"):
        return None
    found: Any = root
    for part in ref[1:].strip("/").split("/") if ref.strip("#/") else []:
        found = found.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(found, dict) else None
    return found


def inlined(schema: Mapping[str, Any]) -> Any:
    """The schema with its local references replaced by what they point at; one pointing nowhere is left
    without its reference. Bounded: a recursive reference ends as ``{}`` after a few levels, and so does
    every reference once the copy has ``_MAX_INLINED`` nodes, so no schema can make it blow up."""
    if not has_refs(schema):
        return schema
    return _inlined(schema, schema, 0, [_MAX_INLINED])


def _inlined(schema: Any, root: Mapping[str, Any], depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if isinstance(schema, list):
        return [_inlined(item, root, depth, budget) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if depth >= _MAX_REF_DEPTH or budget[0] <= 0:
            return {}
        pointed = target(root, ref)
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        return _inlined({**pointed, **rest} if isinstance(pointed, dict) else rest, root, depth + 1, budget)
    return {key: _inlined(value, root, depth, budget) for key, value in schema.items()}
