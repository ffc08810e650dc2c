"""A stored record as an output shape shows it: only the members botocore's model declares.

Records keep everything a request carried plus private bookkeeping (``_timeline``, stored documents);
``view(record, "KnowledgeBaseSummary")`` walks the record along the named shape of bedrock-agent's
model and keeps what the shape declares, at every depth, so one record serves its Get, its summary in a
List and its Create/Update answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.wire import shapes

SERVICE = "bedrock-agent"


def view(record: Mapping[str, Any], shape: str, *, service: str = SERVICE) -> dict[str, Any]:
    """The members of ``record`` that ``shape`` (a structure of ``service``'s model) declares."""
    model = shapes.model(service)
    if model is None:  # botocore always ships the model; without it, show the record as it is
        return {k: v for k, v in record.items() if not k.startswith("_")}
    shown = _walk(model["shapes"], shape, record)
    return shown if isinstance(shown, dict) else {}


def _walk(shapes_by_name: Mapping[str, Any], name: str, value: Any) -> Any:
    shape = shapes_by_name[name]
    kind = shape["type"]
    if shape.get("document"):
        return value
    if kind == "structure":
        if not isinstance(value, Mapping):
            return value
        members: Mapping[str, Any] = shape.get("members", {})
        return {
            key: _walk(shapes_by_name, members[key]["shape"], item)
            for key, item in value.items()
            if key in members and item is not None
        }
    if kind == "list" and isinstance(value, list):
        return [_walk(shapes_by_name, shape["member"]["shape"], item) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {key: _walk(shapes_by_name, shape["value"]["shape"], item) for key, item in value.items()}
    return value
