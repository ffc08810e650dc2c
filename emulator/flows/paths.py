"""Node input expressions: the ``$.data`` path subset Bedrock Flows uses to pick part of an incoming value.

``$.data`` is the whole value; ``.key`` steps into an object and ``[n]`` into an array
(``$.data.invoice.lines[0].amount``). A step that does not exist is an error, like Bedrock's
"expression did not match" node failure.
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")
ROOT = "$.data"


class PathError(ValueError):
    """A malformed expression, or one that does not match the value it is applied to."""


def validate(expression: str) -> None:
    _steps(expression)


def select(expression: str, value: Any) -> Any:
    current = value
    for key, index in _steps(expression):
        if key is not None:
            if not isinstance(current, dict) or key not in current:
                raise PathError(f"The expression {expression} does not match the input: no field '{key}'.")
            current = current[key]
        else:
            if not isinstance(current, list) or index is None or index >= len(current):
                raise PathError(
                    f"The expression {expression} does not match the input: no element [{index}]."
                )
            current = current[index]
    return current


def _steps(expression: str) -> list[tuple[str | None, int | None]]:
    if not expression.startswith(ROOT):
        raise PathError(f"The expression {expression} must start with {ROOT}.")
    rest = expression[len(ROOT) :]
    steps: list[tuple[str | None, int | None]] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            raise PathError(f"The expression {expression} is malformed at '{rest[position:]}'.")
        steps.append((match.group(1), int(match.group(2)) if match.group(2) is not None else None))
        position = match.end()
    return steps
