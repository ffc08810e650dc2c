"""Unusable settings, said the way a user fixes them: one line per problem, naming the flag or the
``BEDROCK_EMULATOR_*`` variable the value came from, what it expects and what it got::

    BEDROCK_EMULATOR_PORT: expected an integer 0-65535, got 'abc'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from annotated_types import Ge, Le
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

__all__ = ["ConfigError", "explain"]

_INTEGER_ERRORS = frozenset(
    {
        "int_parsing",
        "int_type",
        "int_from_float",
        "greater_than_equal",
        "less_than_equal",
    }
)
_BOOL_ERRORS = frozenset({"bool_parsing", "bool_type"})


class ConfigError(ValueError):
    """Settings that cannot be used; ``str()`` is one line per problem."""


def explain(error: ValidationError, model: type[BaseModel], origins: Mapping[str, str]) -> ConfigError:
    """A `ConfigError` for pydantic's ``error``; ``origins`` maps a field to the flag or variable that
    set it."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        info = model.model_fields.get(field)
        source = origins.get(field, field)
        expectation = _expectation(problem, info)
        lines.append(f"{source}: {expectation}" if source else expectation)
    return ConfigError("\n".join(lines))


def _expectation(problem: ErrorDetails, info: FieldInfo | None) -> str:
    kind = problem["type"]
    if kind in _INTEGER_ERRORS:
        wanted = "an integer" + _bounds(info)
    elif kind in _BOOL_ERRORS:
        wanted = "true or false (1/0, yes/no, on/off)"
    elif kind == "literal_error":
        wanted = str(problem.get("ctx", {}).get("expected", "one of the listed values"))
    elif kind == "value_error":
        # Our own validators say "expected ..."; pydantic prefixes "Value error, ".
        return str(problem["msg"]).removeprefix("Value error, ")
    else:
        wanted = str(problem["msg"])
    if info is not None and _is_secret(info):
        return f"expected {wanted}"
    return f"expected {wanted}, got {_shown(problem['input'])}"


def _bounds(info: FieldInfo | None) -> str:
    metadata = info.metadata if info is not None else []
    low = next((c.ge for c in metadata if isinstance(c, Ge)), None)
    high = next((c.le for c in metadata if isinstance(c, Le)), None)
    if low is not None and high is not None:
        return f" {low}-{high}"
    if low is not None:
        return f" >= {low}"
    return f" <= {high}" if high is not None else ""


def _is_secret(info: FieldInfo) -> bool:
    return info.annotation is SecretStr or SecretStr in get_args(info.annotation)


def _shown(value: Any) -> str:
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    return repr(value if isinstance(value, str) else str(value))
