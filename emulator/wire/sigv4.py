"""SigV4 credential parsing: who is calling (the tenant) and for which region.

The access key id names the tenant, so parallel tests with different keys never share state. Signatures
are not checked yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANONYMOUS = "anonymous"
DEFAULT_REGION = "us-east-1"

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Caller:
    tenant: str
    region: str
    signed: bool


def caller_from(authorization: str | None, query_credential: str | None = None) -> Caller:
    """The caller named by an ``Authorization`` header or a presigned ``X-Amz-Credential`` value."""
    if authorization:
        found = _CREDENTIAL.search(authorization)
        if found:
            return Caller(found.group(1), found.group(3), True)
    if query_credential:
        parts = query_credential.split("/")
        if len(parts) == 5 and parts[4] == "aws4_request":
            return Caller(parts[0], parts[2], True)
    return Caller(ANONYMOUS, DEFAULT_REGION, False)
