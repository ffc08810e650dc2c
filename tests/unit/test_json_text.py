"""The prebuilt encoders write exactly what ``json`` writes (they are a speed-up, never a new format)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from emulator import json_text

VALUES: list[Any] = [
    {"output": {"message": {"role": "assistant", "content": [{"text": 'héllo \u2028 "q" \\ \n'}]}}},
    {"z": 1, "a": [1.5, -0.0, 1e300, 10**30, True, False, None], "m": {"": {}}},
    ["\ud800 lone surrogate", "\x00\x1f", "😀"],
    "just a string",
    42,
    3.25,
    None,
    {"n": math.inf, "nan": math.nan},
]


@pytest.mark.parametrize("value", VALUES)
def test_compact_is_json_dumps_compact_without_ascii_escapes(value: Any) -> None:
    assert json_text.compact(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("value", [*VALUES, {"b": b"bytes", "o": object}])
def test_sorted_default_repr_is_json_dumps_sorted_with_repr(value: Any) -> None:
    assert json_text.sorted_default_repr(value) == json.dumps(value, sort_keys=True, default=repr)


def test_compact_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text.compact({"b": b"bytes"})
