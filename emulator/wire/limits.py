"""Request-size limits from botocore's service models.

Only two operations carry their request as a raw payload with a declared maximum (``InvokeModel`` and
``InvokeModelWithResponseStream``: ``body``, 25,000,000 bytes). Reading a service's model costs a few
milliseconds once, so callers ask only for bodies big enough to matter (`PAYLOAD_FLOOR`).
"""

from __future__ import annotations

import functools

from emulator.wire.errors import AwsError

# No payload limit in the four services' models is below this; smaller bodies skip the lookup.
PAYLOAD_FLOOR = 1 << 20


@functools.cache
def payload_max(service: str, operation: str) -> tuple[str, int] | None:
    """The payload member and its maximum length in bytes, when the operation declares one."""
    from emulator.wire import shapes  # the models as shapes reads them: JSON, no botocore import

    model = shapes.model(service)
    if model is None:
        return None
    spec = model["operations"].get(operation)
    if spec is None or "input" not in spec:
        return None
    structure = model["shapes"][spec["input"]["shape"]]
    payload = structure.get("payload")
    member = structure.get("members", {}).get(payload) if payload else None
    target = model["shapes"].get(member["shape"]) if member else None
    if target is None or target.get("type") != "blob" or "max" not in target:
        return None
    return payload, int(target["max"])


def payload_too_long(member: str, maximum: int) -> AwsError:
    """Bedrock's answer to a payload over its model limit (the value itself is never quoted)."""
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {maximum}",
    )


def too_large(limit: int) -> AwsError:
    """A body over the emulator's own cap, for operations Bedrock documents no size limit for."""
    return AwsError(
        "RequestEntityTooLargeException", f"Request Entity Too Large: the body exceeds {limit} bytes."
    )
