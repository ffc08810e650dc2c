"""HTTP request -> request values: JSON bodies and the header-bound members of each operation.

restJson1 bodies that are not JSON objects are refused the way AWS front ends refuse them, with a
``SerializationException``-style error rather than a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.wire.errors import AwsError

# Members that botocore binds to HTTP headers, by operation (request side).
HEADER_MEMBERS: dict[str, dict[str, str]] = {
    "InvokeModel": {
        "contentType": "content-type",
        "accept": "accept",
        "trace": "x-amzn-bedrock-trace",
        "guardrailIdentifier": "x-amzn-bedrock-guardrailidentifier",
        "guardrailVersion": "x-amzn-bedrock-guardrailversion",
        "performanceConfigLatency": "x-amzn-bedrock-performanceconfig-latency",
        "serviceTier": "x-amzn-bedrock-service-tier",
    },
    "InvokeModelWithResponseStream": {
        "contentType": "content-type",
        "accept": "x-amzn-bedrock-accept",
        "trace": "x-amzn-bedrock-trace",
        "guardrailIdentifier": "x-amzn-bedrock-guardrailidentifier",
        "guardrailVersion": "x-amzn-bedrock-guardrailversion",
        "performanceConfigLatency": "x-amzn-bedrock-performanceconfig-latency",
        "serviceTier": "x-amzn-bedrock-service-tier",
    },
}


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


def header_members(operation: str, headers: dict[str, str]) -> dict[str, str]:
    """The header-bound members present on a request, by member name."""
    return {
        member: headers[header]
        for member, header in HEADER_MEMBERS.get(operation, {}).items()
        if header in headers
    }
