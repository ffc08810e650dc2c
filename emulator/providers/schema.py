"""Validation of InvokeModel bodies against each family's JSON schema, worded like Bedrock's validator.

Bedrock checks a body with an everit-style JSON-schema validator before the model sees it and returns the
violations in ``Malformed input request: ..., please reformat your input and try again.``. The schemas here
are plain JSON-schema dicts (the subset those schemas use: type, required, properties,
additionalProperties, items, enum, minimum/maximum, minLength/maxLength, minItems/maxItems, anyOf, not).

Two renderings are seen in real responses, so each family picks one:

- ``"all"``: every leaf violation with its pointer, concatenated without a separator, e.g.
  ``#: required key [texts] not found#: required key [input_type] not found`` (Anthropic, Cohere, Llama,
  Titan Text, ... in 2024-2025 issue reports).
- ``"top"``: only the top-level message without pointer; several violations collapse to
  ``N schema violations found`` (Titan Embeddings: ``expected maxLength: 50000, actual: 160000``,
  ``2 schema violations found``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from emulator.wire.errors import AwsError, malformed_input

Schema = dict[str, Any]
Rendering = Literal["all", "top"]

# everit names a JSON type by the Java class org.json parses it into.
_EXPECTED: dict[str, str] = {
    "string": "String",
    "number": "Number",
    "integer": "Integer",
    "boolean": "Boolean",
    "array": "JSONArray",
    "object": "JSONObject",
    "null": "Null",
}


@dataclass(frozen=True)
class Violation:
    pointer: str  # "#", "#/messages/0/role"
    message: str

    def full(self) -> str:
        return f"{self.pointer}: {self.message}"


def found_type(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"  # org.json parses decimals as BigDecimal
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"


def _is_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return value is None


def _show(value: Any) -> str:
    """A value as Java's toString would print it inside a message."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _child(pointer: str, key: str | int) -> str:
    return f"{pointer}/{key}"


def check(value: Any, schema: Schema, pointer: str = "#") -> list[Violation]:
    """All violations of ``value`` against ``schema``, in the order the validator reports them."""
    if "not" in schema and not check(value, schema["not"], pointer):
        compact = json.dumps(schema["not"], separators=(",", ":"))
        return [Violation(pointer, f"subject must not be valid against schema {compact}")]
    if "anyOf" in schema:
        branches = [check(value, branch, pointer) for branch in schema["anyOf"]]
        if any(not branch for branch in branches):
            return []
        return [violation for branch in branches for violation in branch]
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        return [Violation(pointer, f"expected type: {_EXPECTED[kind]}, found: {found_type(value)}")]
    violations: list[Violation] = []
    if "enum" in schema and value not in schema["enum"]:
        violations.append(Violation(pointer, f"{_show(value)} is not a valid enum value"))
    if isinstance(value, dict):
        violations.extend(_check_object(value, schema, pointer))
    elif isinstance(value, list):
        violations.extend(_check_array(value, schema, pointer))
    elif isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            violations.append(
                Violation(pointer, f"expected minLength: {schema['minLength']}, actual: {len(value)}")
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            violations.append(
                Violation(pointer, f"expected maxLength: {schema['maxLength']}, actual: {len(value)}")
            )
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            violations.append(
                Violation(pointer, f"{_show(value)} is not greater or equal to {_show(schema['minimum'])}")
            )
        if "maximum" in schema and value > schema["maximum"]:
            violations.append(
                Violation(pointer, f"{_show(value)} is not less or equal to {_show(schema['maximum'])}")
            )
    return violations


def _check_object(value: dict[str, Any], schema: Schema, pointer: str) -> list[Violation]:
    # everit's order: required keys, then extraneous keys, then each property's own schema.
    violations = [
        Violation(pointer, f"required key [{key}] not found")
        for key in schema.get("required", ())
        if key not in value
    ]
    properties: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if extra is False:
        violations.extend(
            Violation(pointer, f"extraneous key [{key}] is not permitted")
            for key in value
            if key not in properties
        )
    for key, sub in properties.items():
        if key in value:
            violations.extend(check(value[key], sub, _child(pointer, key)))
    if isinstance(extra, dict):
        for key, item in value.items():
            if key not in properties:
                violations.extend(check(item, extra, _child(pointer, key)))
    return violations


def _check_array(value: list[Any], schema: Schema, pointer: str) -> list[Violation]:
    violations: list[Violation] = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        violations.append(
            Violation(pointer, f"expected minimum item count: {schema['minItems']}, found: {len(value)}")
        )
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        violations.append(
            Violation(pointer, f"expected maximum item count: {schema['maxItems']}, found: {len(value)}")
        )
    items = schema.get("items")
    if items is not None:
        for index, item in enumerate(value):
            violations.extend(check(item, items, _child(pointer, index)))
    return violations


def render(violations: list[Violation], rendering: Rendering = "all") -> AwsError:
    """The ValidationException Bedrock sends for these violations (at least one)."""
    if rendering == "top":
        detail = (
            violations[0].message if len(violations) == 1 else f"{len(violations)} schema violations found"
        )
    else:
        detail = "".join(violation.full() for violation in violations)
    return malformed_input(detail)


def validate(body: Any, schema: Schema, rendering: Rendering = "all") -> dict[str, Any]:
    """The body as a dict when it satisfies the schema (whose top level is an object); else the error."""
    violations = check(body, schema)
    if violations:
        raise render(violations, rendering)
    assert isinstance(body, dict)  # the schema's top-level type is object
    return body


# Small builders: the family schemas read like the AWS parameter tables.
def string(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def integer(minimum: int | None = None, maximum: int | None = None) -> Schema:
    return _ranged("integer", minimum, maximum)


def number(minimum: float | None = None, maximum: float | None = None) -> Schema:
    return _ranged("number", minimum, maximum)


def _ranged(kind: str, minimum: float | None, maximum: float | None) -> Schema:
    schema: Schema = {"type": kind}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def boolean() -> Schema:
    return {"type": "boolean"}


def array(items: Schema | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "array", **extra}
    if items is not None:
        schema["items"] = items
    return schema


def obj(
    properties: dict[str, Schema] | None = None, *, required: tuple[str, ...] = (), closed: bool = True
) -> Schema:
    """An object schema; ``closed`` forbids keys not listed (Bedrock's schemas are closed)."""
    schema: Schema = {"type": "object", "properties": properties or {}}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def enum(*values: Any) -> Schema:
    return {"enum": list(values)}
