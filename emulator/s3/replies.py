"""S3's error answers made by the emulator itself (moto makes the others): the XML S3 sends, and the
request id headers it sends with every answer."""

from __future__ import annotations

import hashlib
import uuid

# The texts S3 sends (docs/wire-facts.md, "S3 served by the emulator").
ENTITY_TOO_LARGE = "Your proposed upload exceeds the maximum allowed size"
NOT_IMPLEMENTED = "A header you provided implies functionality that is not implemented"
INTERNAL_ERROR = "We encountered an internal error. Please try again."


def error(
    status: int, code: str, message: str, **fields: str | int
) -> tuple[int, list[tuple[str, str]], bytes]:
    """An S3 error answer: ``<Error>`` with Code, Message, the extra fields, RequestId and HostId."""
    request_id, host_id = _ids()
    extra = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
    ).encode()
    headers = [
        ("Content-Type", "application/xml"),
        ("Content-Length", str(len(body))),
        ("x-amz-request-id", request_id),
        ("x-amz-id-2", host_id),
    ]
    return status, headers, body


def escape(text: str) -> str:
    """XML character data (``html.escape`` would load ``html.entities`` at start-up, a millisecond)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ids() -> tuple[str, str]:
    # S3's request ids are 16 upper-case hex digits; its host ids a base64-looking token.
    token = uuid.uuid4().bytes
    return token.hex()[:16].upper(), hashlib.sha256(token).hexdigest()
