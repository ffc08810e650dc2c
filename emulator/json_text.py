"""JSON text for the per-request hot path, from C encoders built once.

``json.dumps`` with any option but the defaults, and ``JSONEncoder.encode``, build a new C encoder (and the
Python closures around it) on every call: about 1.5 µs of a Converse call's ~90, twice per call. The
encoders here are built once, at import, and each is checked there against ``json``'s own output for a
probe value; where the C encoder is missing or differs (another interpreter, another version), the
ordinary encoder is used instead, so the text is always exactly what ``json`` would write.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any

__all__ = ["compact", "sorted_default_repr"]

_PROBE = {"b": [1, -2.5, None, True, False, 'é\n"\\', 10**20], "a": {"y": [], "x": {}}, "": ""}


def _encoder(
    *, sort_keys: bool, separators: tuple[str, str], ensure_ascii: bool, default: Callable[[Any], Any] | None
) -> Callable[[Any], str]:
    reference = json.JSONEncoder(
        sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii, default=default
    )
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return reference.encode
    strings = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    try:
        chunks = make(
            None, reference.default, strings, None, separators[1], separators[0], sort_keys, False, True
        )

        def encode(value: Any) -> str:
            return "".join(chunks(value, 0))

        if encode(_PROBE) != reference.encode(_PROBE):
            return reference.encode
    except (TypeError, ValueError):
        return reference.encode
    return encode


# Compact, UTF-8 text kept as is: the bodies the emulator answers.
compact: Callable[[Any], str] = _encoder(
    sort_keys=False, separators=(",", ":"), ensure_ascii=False, default=None
)
# ``json.dumps(value, sort_keys=True, default=repr)``: a stable key of a request's parts.
sorted_default_repr: Callable[[Any], str] = _encoder(
    sort_keys=True, separators=(", ", ": "), ensure_ascii=True, default=repr
)
