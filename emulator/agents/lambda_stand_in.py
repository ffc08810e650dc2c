"""What an action group's Lambda function "returns" when a created agent calls it.

The emulator cannot call Lambda, so it answers as if the function had returned a deterministic body:

- a scenario's scripted ``invoke_body`` on the InvokeAgent call, when there is one (a JSON string is
  sent as it is, any other JSON value as its JSON text);
- else, for an OpenAPI operation that documents a JSON response (``responses`` 200/201/2XX/default ->
  ``content`` -> ``application/json`` -> ``schema``), a value of that schema: a property named like one
  of the call's parameters takes the parameter's value, enums take one of their values, other leaves
  are stable type-correct values derived from the seed, the operation and the property's path;
- else ``{"action": <function or operationId>, "parameters": {...}, "status": "OK"}``.

The same seed, action and parameters always give the same body.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from emulator.agents.definition import ResultFunction

_MAX_DEPTH: Final = 6
_SUCCESS_STATUSES: Final = ("200", "201", "2XX", "2xx", "default")


def stand_in(
    name: str, response_schema: Mapping[str, Any] | None, seed: int, override: Any = None
) -> ResultFunction:
    """The result function of one action (``Action.result``)."""

    def result(parameters: Mapping[str, str]) -> str:
        return body(name, parameters, response_schema, seed, override)

    return result


def body(
    name: str,
    parameters: Mapping[str, str],
    response_schema: Mapping[str, Any] | None,
    seed: int,
    override: Any = None,
) -> str:
    if override is not None:
        return override if isinstance(override, str) else json.dumps(override, sort_keys=True)
    if response_schema is not None:
        value = _sample(response_schema, f"{seed}|{name}", parameters, depth=0)
        if value is not None:
            return json.dumps(value, sort_keys=True)
    return json.dumps({"action": name, "parameters": dict(parameters), "status": "OK"}, sort_keys=True)


def response_schema(operation: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON schema of an OpenAPI operation's successful response, if it documents one."""
    responses = operation.get("responses")
    if not isinstance(responses, Mapping):
        return None
    for status in _SUCCESS_STATUSES:
        response = responses.get(status)
        if status == "200" and response is None:
            response = responses.get(200)
        content = response.get("content") if isinstance(response, Mapping) else None
        media = content.get("application/json") if isinstance(content, Mapping) else None
        schema = media.get("schema") if isinstance(media, Mapping) else None
        if isinstance(schema, Mapping):
            return schema
    return None


def _sample(schema: Mapping[str, Any], path: str, parameters: Mapping[str, str], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return None
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[_number(path) % len(enum)]
    kind = schema.get("type")
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), Mapping)):
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            return {}
        value: dict[str, Any] = {}
        for prop, spec in properties.items():
            if str(prop) in parameters:
                value[str(prop)] = _typed(parameters[str(prop)], spec)
            elif isinstance(spec, Mapping):
                value[str(prop)] = _sample(spec, f"{path}.{prop}", parameters, depth + 1)
        return value
    if kind == "array":
        items = schema.get("items")
        return [_sample(items, f"{path}[0]", parameters, depth + 1)] if isinstance(items, Mapping) else []
    return _leaf(kind, path)


def _leaf(kind: Any, path: str) -> Any:
    number = _number(path)
    if kind == "integer":
        return number % 1000
    if kind == "number":
        return round(number % 100000 / 100, 2)
    if kind == "boolean":
        return number % 2 == 0
    name = path.rsplit(".", 1)[-1].removesuffix("[0]") if "." in path else "value"
    return f"{name}-{number % 16**6:06x}"


def _typed(value: str, spec: Any) -> Any:
    """A parameter's (string) value in the type the response schema gives the property."""
    kind = spec.get("type") if isinstance(spec, Mapping) else None
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return value.lower() == "true"
    return value


def _number(path: str) -> int:
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big")
