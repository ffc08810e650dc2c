"""Bedrock's ``RetrievalFilter``: validating the union and testing a chunk's metadata against it.

Semantics follow the API reference: a comparison needs the key to be present, except ``notEquals`` and
``notIn``, which also match chunks that lack the key; ``listContains`` needs a list attribute;
``stringContains`` matches a string that contains the value, or a list with a member that does;
``greaterThan`` & co. compare numbers only; ``andAll`` / ``orAll`` take at least two filters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.wire.errors import AwsError

COMPARISONS = (
    "equals",
    "notEquals",
    "greaterThan",
    "greaterThanOrEquals",
    "lessThan",
    "lessThanOrEquals",
    "in",
    "notIn",
    "startsWith",
    "listContains",
    "stringContains",
)
GROUPS = ("andAll", "orAll")
_MEMBERS = frozenset(COMPARISONS + GROUPS)


def validate(spec: Any, path: str = "filter") -> None:
    """Raise a ValidationException for anything botocore would not have let through, plus type misuse."""
    if not isinstance(spec, dict):
        raise _invalid(f"{path} must be an object")
    members = [k for k in spec if spec[k] is not None]
    unknown = [k for k in members if k not in _MEMBERS]
    if unknown:
        raise _invalid(f"{path} has an unknown member {unknown[0]!r}")
    if len(members) != 1:
        raise _invalid(f"{path} must set exactly one of its members, it sets {len(members)}")
    (member,) = members
    value = spec[member]
    if member in GROUPS:
        if not isinstance(value, list) or len(value) < 2:
            raise _invalid(f"{path}.{member} must list at least 2 filters")
        for index, item in enumerate(value):
            validate(item, f"{path}.{member}.{index}")
        return
    if not isinstance(value, dict) or not isinstance(value.get("key"), str) or "value" not in value:
        raise _invalid(f"{path}.{member} needs a 'key' and a 'value'")
    if not 1 <= len(value["key"]) <= 100:
        raise _invalid(f"{path}.{member}.key must be 1 to 100 characters long")
    operand = value["value"]
    if member in ("in", "notIn") and not isinstance(operand, list):
        raise _invalid(f"{path}.{member}.value must be a list")
    if member in ("greaterThan", "greaterThanOrEquals", "lessThan", "lessThanOrEquals") and not _is_number(
        operand
    ):
        raise _invalid(f"{path}.{member}.value must be a number")
    if member in ("startsWith", "stringContains") and not isinstance(operand, str):
        raise _invalid(f"{path}.{member}.value must be a string")


def matches(spec: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Whether a chunk with ``metadata`` passes the (already validated) filter."""
    member, value = next((k, v) for k, v in spec.items() if v is not None)
    if member == "andAll":
        return all(matches(item, metadata) for item in value)
    if member == "orAll":
        return any(matches(item, metadata) for item in value)
    key, operand = value["key"], value["value"]
    if key not in metadata:
        return member in ("notEquals", "notIn")
    return _TESTS[member](metadata[key], operand)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(actual: Any, operand: Any) -> bool:
    if _is_number(actual) and _is_number(operand):
        return float(actual) == float(operand)
    return bool(type(actual) is type(operand) and actual == operand)


def _compare(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, operand: Any) -> bool:
        return _is_number(actual) and _is_number(operand) and test(float(actual), float(operand))

    return compare


def _string_contains(actual: Any, operand: Any) -> bool:
    if isinstance(actual, str):
        return operand in actual
    if isinstance(actual, list):
        return any(isinstance(item, str) and operand in item for item in actual)
    return False


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equal,
    "notEquals": lambda actual, operand: not _equal(actual, operand),
    "greaterThan": _compare(lambda a, b: a > b),
    "greaterThanOrEquals": _compare(lambda a, b: a >= b),
    "lessThan": _compare(lambda a, b: a < b),
    "lessThanOrEquals": _compare(lambda a, b: a <= b),
    "in": lambda actual, operand: any(_equal(actual, item) for item in operand),
    "notIn": lambda actual, operand: not any(_equal(actual, item) for item in operand),
    "startsWith": lambda actual, operand: isinstance(actual, str) and actual.startswith(operand),
    "listContains": lambda actual, operand: (
        isinstance(actual, list) and any(_equal(i, operand) for i in actual)
    ),
    "stringContains": _string_contains,
}


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)
