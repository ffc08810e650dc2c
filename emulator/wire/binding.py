"""HTTP request -> request values: the JSON body of a restJson1 request, read within bounds.

Bodies that are not JSON objects are refused the way AWS front ends refuse them, with a
``SerializationException`` rather than a traceback (wire-facts.md §9). Reading is bounded before the
decoder recurses: a body nested deeper than ``MAX_DEPTH`` is refused without being decoded, so neither
``json.loads`` nor any handler that walks the value recursively can run out of stack. Number literals
JSON does not have (``NaN``, ``Infinity``) and numbers too large for a double (``1e999``) are refused
too; integers with more digits than Python converts (4300) fail inside the decoder and are refused the
same way.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from emulator.wire.errors import AwsError

# Deeper than any request Bedrock documents (tool schemas, filters, flow documents) and shallow enough
# that a handler's recursive walk (two or three frames a level) stays far inside Python's 1000 frames.
MAX_DEPTH = 128

UNREADABLE = "Unable to parse the request body as JSON."
START_OF_LIST = "Start of list found where not expected"
START_OF_MAP = "Start of structure or map found where not expected"

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
# Depth change per byte once only brackets are left: +1 for an opening one, -1 for a closing one.
_STEP = tuple(1 if b in b"[{" else -1 for b in range(256))


def _refuse_number(literal: str) -> Any:
    raise ValueError(f"{literal} is not a JSON number")


def _finite(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"{literal} is out of range for a double")
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse_number, parse_float=_finite)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, counted outside its strings.

    Linear in the size of the body and done by C loops (regex, translate, accumulate): escapes go first
    so no quote inside a string survives, then whole strings, then every byte that is not a bracket.
    Text that is not JSON still gets a number; the decoder refuses it afterwards.
    """
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class TooDeepError(ValueError):
    """A JSON text nested deeper than ``MAX_DEPTH``."""

    def __init__(self, depth: int) -> None:
        super().__init__(f"Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DEPTH})")


def read_json(raw: bytes) -> Any:
    """Any JSON value from UTF-8 bytes (a leading byte-order mark allowed), within the bounds above.

    Raises ``TooDeepError`` past ``MAX_DEPTH`` and ``ValueError`` for anything else it will not read.
    """
    # A text cannot nest deeper than it has opening brackets: the common case costs two counts.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        depth = nesting_depth(raw)
        if depth > MAX_DEPTH:
            raise TooDeepError(depth)
    try:
        text = raw.decode("utf-8")
        value = _DECODER.decode(text[1:] if text.startswith("\ufeff") else text)
    except RecursionError as exc:  # cannot happen within MAX_DEPTH; kept so it can never escape
        raise ValueError("too deep for this thread's stack") from exc
    if _SURROGATE_ESCAPE.search(raw):
        value = _without_lone_surrogates(value)
    return value


def parse_json_body(raw: bytes) -> Any:
    """A restJson1 request body: empty means ``{}``; anything else must be a JSON object."""
    if not raw.strip():
        return {}
    try:
        value = read_json(raw)
    except TooDeepError as exc:
        raise AwsError("SerializationException", str(exc)) from exc
    except ValueError as exc:  # UnicodeDecodeError is one
        raise AwsError("SerializationException", UNREADABLE) from exc
    if isinstance(value, dict):
        return value
    raise AwsError("SerializationException", START_OF_LIST if isinstance(value, list) else UNREADABLE)


def _without_lone_surrogates(value: Any) -> Any:
    """The value with each lone surrogate (``"\\ud800"`` unpaired) read as ``?``, as a Java front end
    re-encoding the string to UTF-8 would; nothing downstream can encode a lone surrogate."""
    text = json.dumps(value, ensure_ascii=False)
    return _DECODER.decode(text.encode("utf-8", "replace").decode("utf-8"))
