"""SigV4 credential parsing: who is calling (the tenant) and for which region.

The access key id names the tenant, so parallel tests with different keys never share state. Parsing is
linear in the header's length (``str.split``, no backtracking pattern), and a header longer than
`MAX_AUTHORIZATION_LENGTH` is not looked into at all: it counts as unsigned. Whether the signature is
right is `emulator.wire.signature`'s job, and only with ``--verify-signatures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
DEFAULT_REGION = "us-east-1"
ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
# Real SigV4 headers are a few hundred bytes (a long SignedHeaders list stays under 2 KiB).
MAX_AUTHORIZATION_LENGTH = 8 * 1024


@dataclass(frozen=True)
class Caller:
    tenant: str
    region: str
    signed: bool
    # The credential scope's service (``bedrock``, ``s3``, ...); "" when unsigned. Left out of equality:
    # who calls and from where is the caller, the service only routes the request (emulator/s3/dispatch.py).
    service: str = field(default="", compare=False)


@dataclass(frozen=True)
class Authorization:
    """An ``Authorization`` header cut into its scheme and ``key=value`` parameters.

    AWS separates the parameters by commas and/or spaces; a token without ``=`` is kept in ``bare``.
    """

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    bare: tuple[str, ...] = ()


@dataclass(frozen=True)
class CredentialScope:
    """``<access key>/<yyyymmdd>/<region>/<service>/aws4_request``, split on its slashes."""

    access_key: str
    date: str
    region: str
    service: str
    terminator: str


def parse_authorization(value: str) -> Authorization | None:
    """The header's scheme and parameters, or None when it is longer than anyone signs."""
    if len(value) > MAX_AUTHORIZATION_LENGTH:
        return None
    tokens = value.replace(",", " ").split()
    scheme = tokens.pop(0) if tokens and "=" not in tokens[0] else ""
    params: dict[str, str] = {}
    bare: list[str] = []
    for token in tokens:
        key, equals, val = token.partition("=")
        if equals:
            params.setdefault(key, val)
        else:
            bare.append(token)
    return Authorization(scheme, params, tuple(bare))


def parse_credential(value: str) -> CredentialScope | None:
    """The five parts of a credential scope, or None when it does not have exactly five."""
    parts = value.split("/")
    if len(parts) != 5:
        return None
    return CredentialScope(*parts)


def caller_from(authorization: str | None, query_credential: str | None = None) -> Caller:
    """The caller named by an ``Authorization`` header or a presigned ``X-Amz-Credential`` value."""
    if authorization and len(authorization) <= MAX_AUTHORIZATION_LENGTH:
        caller = _caller(_credential_parameter(authorization))
        if caller is not None:
            return caller
    return _caller(query_credential) or Caller(ANONYMOUS, DEFAULT_REGION, False)


def _credential_parameter(authorization: str) -> str | None:
    """The ``Credential=`` value, up to the next comma or space: a few ``str.find`` calls, each linear
    (this runs on every request; `parse_authorization` takes five times longer)."""
    start = authorization.find("Credential=")
    if start < 0:
        return None
    start += len("Credential=")
    end = len(authorization)
    for separator in (",", " ", "\t"):
        found = authorization.find(separator, start, end)
        if found >= 0:
            end = found
    return authorization[start:end]


def _caller(credential: str | None) -> Caller | None:
    parts = credential.split("/") if credential else ()
    if len(parts) != 5:
        return None
    access_key, date, region, service, terminator = parts
    if not (
        access_key and len(date) == 8 and date.isdigit() and region and service and terminator == TERMINATOR
    ):
        return None
    return Caller(access_key, region, True, service)
