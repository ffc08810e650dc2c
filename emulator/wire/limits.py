"""Request-size limits from botocore's service models.

Only two operations carry their request as a raw payload with a declared maximum (``InvokeModel`` and
``InvokeModelWithResponseStream``: ``body``, 25,000,000 bytes). Looking the model up costs tens of
milliseconds, so callers ask only for bodies big enough to matter (`PAYLOAD_FLOOR`).
"""

from __future__ import annotations

import functools

from emulator.wire.errors import AwsError

# No payload limit in the four services' models is below this; smaller bodies skip the lookup.
PAYLOAD_FLOOR = 1 << 20


@functools.cache
def payload_max(service: str, operation: str) -> tuple[str, int] | None:
    """The payload member and its maximum length in bytes, when the operation declares one."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(service)
        shape = model.operation_model(operation).input_shape
    except Exception:  # an unknown service or operation has no declared limit
        return None
    if shape is None:
        return None
    payload = shape.serialization.get("payload")
    member = shape.members.get(payload) if payload else None
    if member is None or member.type_name != "blob" or "max" not in member.metadata:
        return None
    return payload, int(member.metadata["max"])


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
