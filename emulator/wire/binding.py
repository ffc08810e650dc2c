"""HTTP request -> request values: the JSON body of a restJson1 request.

Bodies that are not JSON objects are refused the way AWS front ends refuse them, with a
``SerializationException`` rather than a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.wire.errors import AwsError


def parse_json_body(raw: bytes) -> Any:
    """A restJson1 request body: empty means ``{}``; anything else must be a JSON object."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AwsError("SerializationException", "Unable to parse the request body as JSON.") from exc
    if not isinstance(value, dict):
        raise AwsError("SerializationException", "Start of structure or map found where not expected.")
    return value
