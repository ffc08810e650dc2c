"""SigV4 verification for ``serve --verify-signatures``: reject a request as AWS's front end would.

The checks run in the order AWS's front end runs them, each failing with its code and its exact text
(sources in docs/security.md): no authentication at all; an ``Authorization`` header and a presigned
query together; a header or query missing a part; a date that is not ISO 8601 basic, or more than five
minutes away from the clock; ``host`` not signed; another algorithm; a credential scope that is not
``<key>/<date>/<region>/bedrock/aws4_request`` with the request's date; an access key id the credentials
file does not know; and last the signature itself.

The expected signature is botocore's: `SigV4Auth` computes the canonical request, the string to sign and
the signing key over the request as it arrived (the path as sent, so percent-escapes are encoded once
more as for every service but S3; the query decoded and encoded again; only the headers the client lists
in ``SignedHeaders``; ``x-amz-content-sha256`` when the client signed one, else the body's SHA-256), at
the request's own date. Only the comparison is ours, in constant time.

Not checked: ``X-Amz-Security-Token`` (any session token passes, as its header is signed like any other),
the region of the scope (the emulator answers for every region), ``X-Amz-Expires`` (AWS services other
than S3 ignore it: a presigned request is good within five minutes of its ``X-Amz-Date``), and the chunk
signatures of an ``aws-chunked`` body (no Bedrock client sends one).
"""

from __future__ import annotations

import calendar
import datetime
import email.utils
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from emulator import credentials as credentials_file
from emulator.wire import sigv4
from emulator.wire.errors import COMMON_ERROR_NAMESPACE, AwsError

if TYPE_CHECKING:
    from botocore.auth import SigV4Auth

log = logging.getLogger("bedrock_emulator.signature")

SIGNING_NAME = "bedrock"  # the credential scope's service for all four Bedrock APIs
SKEW_SECONDS = 300
AUTHORITY = ":authority"
CONTENT_SHA256 = "x-amz-content-sha256"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# The services whose front end also takes Bedrock API keys (``Authorization: Bearer ...``).
API_KEY_SERVICES = frozenset({"bedrock-runtime", "bedrock"})
API_KEY_PREFIX = "ABSK"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
UNKNOWN_ACCESS_KEY = "The security token included in the request is invalid."
_QUERY_PARTS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
_HEADER_PARTS = ("Credential", "Signature", "SignedHeaders")


class AuthError(AwsError):
    """An answer of AWS's authentication front end: 403 and coral's own error namespace, whatever the code
    and the service. ``message_key`` is ``Message`` for the Bedrock API key front end, which capitalises it.
    """

    def __init__(self, code: str, message: str, *, message_key: str = "message") -> None:
        super().__init__(code, message)
        self.message_key = message_key

    def status(self, service: str) -> int:  # noqa: ARG002 - AwsError's signature; the front end answers alike
        return 403

    def body(self) -> dict[str, Any]:
        return {self.message_key: self.message}

    def error_type_header(self) -> str:
        return f"{self.code}:{COMMON_ERROR_NAMESPACE}"


@dataclass(frozen=True)
class _Signed:
    """The signing parameters of a request, wherever they came from (header or presigned query)."""

    algorithm: str
    credential: str
    signed_headers: str
    signature: str
    date: str
    date_source: str  # "x-amz-date" (header or query parameter) or "date" (the HTTP Date header)


def verify(
    environ: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes,
    service: str,
    credentials: str | None,
) -> None:
    """Raise the `AuthError` AWS would answer for this request, or return if it is signed right.

    ``headers`` are the request's headers by lower-cased name; ``credentials`` is the credentials file.
    """
    table = credentials_file.require(credentials)
    pairs = _query_pairs(environ.get("QUERY_STRING", ""))
    query = dict(pairs)
    authorization = headers.get("authorization")
    presigned = "X-Amz-Algorithm" in query
    if authorization and presigned:
        raise _invalid(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    if not authorization and not presigned:
        raise _missing(service)
    if authorization:
        signed = _from_header(authorization, headers, service)
        pairs_to_sign = pairs
    else:
        signed = _from_query(query)
        pairs_to_sign = [(name, value) for name, value in pairs if name != "X-Amz-Signature"]
    timestamp, signed_at = _timestamp(signed)
    _check_clock(timestamp, signed_at, time.time())  # the wall clock: scenarios' virtual time is not AWS's
    signed_names = signed.signed_headers.lower().split(";")
    if "host" not in signed_names and AUTHORITY not in signed_names:
        raise _invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if signed.algorithm != sigv4.ALGORITHM:
        raise _incomplete(
            f"Unsupported AWS 'algorithm': '{signed.algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )
    scope = sigv4.parse_credential(signed.credential)
    if scope is None:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{signed.credential}'"
        )
    _check_scope(scope, timestamp)
    secret = table.secret_for(scope.access_key)
    if secret is None:
        raise AuthError("UnrecognizedClientException", UNKNOWN_ACCESS_KEY)
    expected, canonical_request, string_to_sign = _expected_signature(
        environ, headers, body, pairs_to_sign, signed_names, scope, secret, timestamp
    )
    if not hmac.compare_digest(expected.encode(), signed.signature.encode()):
        # What AWS sometimes adds to the message; here it goes to the log, for whoever debugs a signer.
        log.info(
            "signature mismatch for access key %s; the canonical request should have been\n%s\n"
            "and the string to sign\n%s",
            scope.access_key,
            canonical_request,
            string_to_sign,
        )
        raise _invalid(SIGNATURE_MISMATCH)


# The request's signing parameters ---------------------------------------------------------------------


def _from_header(authorization: str, headers: Mapping[str, str], service: str) -> _Signed:
    stripped = authorization.strip()
    if stripped[:7].lower() == "bearer " and service in API_KEY_SERVICES:
        raise _api_key_rejected(stripped[7:].strip())
    if not stripped.startswith("AWS4-"):
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    parsed = sigv4.parse_authorization(authorization) or sigv4.Authorization(scheme="")
    if parsed.bare:
        raise _incomplete(
            f"'{parsed.bare[0]}' not a valid key=value pair (missing equal-sign) in Authorization header: "
            f"'{authorization}'."
        )
    problems = [
        f"Authorization header requires '{part}' parameter. "
        for part in _HEADER_PARTS
        if not parsed.params.get(part)
    ]
    amz_date, date = headers.get("x-amz-date"), headers.get("date")
    if not amz_date and not date:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems:
        raise _incomplete("".join(problems) + f"Authorization={authorization}")
    return _Signed(
        parsed.scheme,
        parsed.params["Credential"],
        parsed.params["SignedHeaders"],
        parsed.params["Signature"],
        amz_date or date or "",
        "x-amz-date" if amz_date else "date",
    )


def _from_query(query: Mapping[str, str]) -> _Signed:
    problems = [
        f"AWS query-string parameters must include '{part}'. " for part in _QUERY_PARTS if not query.get(part)
    ]
    if problems:
        raise _incomplete("".join(problems) + "Re-examine the query-string parameters.")
    return _Signed(
        query["X-Amz-Algorithm"],
        query["X-Amz-Credential"],
        query["X-Amz-SignedHeaders"],
        query["X-Amz-Signature"],
        query["X-Amz-Date"],
        "x-amz-date",
    )


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    # Percent-decoding only: SigV4 encodes a space as %20, so a '+' is a plus sign.
    pairs = []
    for item in query_string.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


# Checks ------------------------------------------------------------------------------------------------


def _timestamp(signed: _Signed) -> tuple[str, int]:
    """The signing time as ``YYYYMMDDTHHMMSSZ`` (what the string to sign carries) and in epoch seconds."""
    value = signed.date.strip()
    seconds: int | None = None
    if signed.date_source == "date":
        try:
            seconds = int(email.utils.parsedate_to_datetime(value).timestamp())
        except (TypeError, ValueError):
            seconds = None
    else:
        seconds = _basic_format_seconds(value)
    if seconds is not None:
        return _format(seconds), seconds
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _basic_format_seconds(value: str) -> int | None:
    """``YYYYMMDDTHHMMSSZ`` in epoch seconds (by hand: ``time.strptime`` costs 20 µs a call)."""
    digits = value[:8] + value[9:15]
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not (digits.isascii() and digits.isdigit()):
        return None
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    hour, minute, second = int(digits[8:10]), int(digits[10:12]), int(digits[12:14])
    try:
        datetime.datetime(year, month, day, hour, minute, second)  # refuses month 13, 30 February, hour 24
    except ValueError:
        return None
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def _check_clock(timestamp: str, signed_at: int, now: float) -> None:
    if signed_at < now - SKEW_SECONDS:
        raise _invalid(
            f"Signature expired: {timestamp} is now earlier than {_format(now - SKEW_SECONDS)} "
            f"({_format(now)} - 5 min.)"
        )
    if signed_at > now + SKEW_SECONDS:
        raise _invalid(
            f"Signature not yet current: {timestamp} is still later than {_format(now + SKEW_SECONDS)} "
            f"({_format(now)} + 5 min.)"
        )


def _format(seconds: float) -> str:
    return time.strftime(TIMESTAMP_FORMAT, time.gmtime(seconds))


def _check_scope(scope: sigv4.CredentialScope, timestamp: str) -> None:
    problems = []
    if scope.service != SIGNING_NAME:
        problems.append(f"Credential should be scoped to correct service: '{SIGNING_NAME}'. ")
    if scope.terminator != sigv4.TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{sigv4.TERMINATOR}', not '{scope.terminator}'. "
        )
    if scope.date != timestamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope.date}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    if problems:
        raise _invalid("".join(problems))


# The signature botocore would have made ----------------------------------------------------------------


def _expected_signature(
    environ: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes,
    pairs: list[tuple[str, str]],
    signed_names: list[str],
    scope: sigv4.CredentialScope,
    secret: str,
    timestamp: str,
) -> tuple[str, str, str]:
    """The signature, with the canonical request and the string to sign it was computed from."""
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/"
    # Over HTTP/2 the JavaScript SDK signs the :authority pseudo-header where HTTP/1.1 clients sign host.
    values = {**headers, AUTHORITY: headers.get("host", "")} if AUTHORITY in signed_names else headers
    signed_headers = {name: values[name] for name in signed_names if name in values}
    if _is_sha256(signed_headers.get(CONTENT_SHA256, "")):
        # A hash (not UNSIGNED-PAYLOAD or STREAMING-...) must be the body's: a changed body fails.
        signed_headers[CONTENT_SHA256] = hashlib.sha256(body).hexdigest()
    request = AWSRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        url="http://bedrock-emulator" + raw_uri.split("?", 1)[0],
        # botocore reads only this one off the request itself; the signer gets all of them.
        headers={CONTENT_SHA256: signed_headers[CONTENT_SHA256]}
        if CONTENT_SHA256 in signed_headers
        else None,
        data=body,
        params=pairs,
    )
    request.context["timestamp"] = timestamp
    request.context[_SIGNED_HEADERS] = _HeaderValues(signed_headers)
    signer = _signer_class()(Credentials(scope.access_key, secret), scope.service, scope.region)
    canonical_request = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical_request)
    signature: str = signer.signature(string_to_sign, request)
    return signature, canonical_request, string_to_sign


_SIGNED_HEADERS = "bedrock_emulator.signed_headers"  # where the request carries them for the signer


class _HeaderValues(dict[str, str]):
    """Signed headers by lower-cased name, with the one method botocore's canonicalisation calls besides
    the mapping ones (its own ``HTTPHeaders``, an ``email.message``, costs 30 µs a request more)."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


@cache
def _signer_class() -> type[SigV4Auth]:
    """botocore's SigV4 signer over exactly the headers the client signed and the body as received
    (imported on first use: botocore takes a tenth of a second to import, which a server that does not
    verify never pays)."""
    from botocore.auth import SigV4Auth

    class ClientSigned(SigV4Auth):  # type: ignore[misc]  # botocore ships no type hints
        # botocore would leave out user-agent and expect, which a client may have signed, and add a host
        # from the URL, which a client that signed :authority did not.
        def headers_to_sign(self, request: Any) -> _HeaderValues:
            signed: _HeaderValues = request.context[_SIGNED_HEADERS]
            return signed

        # botocore's own payload() prepares the whole request to get at the body it was given.
        def payload(self, request: Any) -> str:
            return hashlib.sha256(request.data).hexdigest()

    return ClientSigned


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(character in "0123456789abcdef" for character in value)


# Answers -----------------------------------------------------------------------------------------------


def _invalid(message: str) -> AuthError:
    return AuthError("InvalidSignatureException", message)


def _incomplete(message: str) -> AuthError:
    return AuthError("IncompleteSignatureException", message)


def _missing(service: str) -> AuthError:
    if service in API_KEY_SERVICES:
        # The front end that takes API keys answers a request without any Authorization header this way.
        return AuthError("AccessDeniedException", "Authorization header is missing", message_key="Message")
    return AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")


def _api_key_rejected(token: str) -> AuthError:
    if not token.startswith(API_KEY_PREFIX):
        message = "Invalid API Key format: Must start with pre-defined prefix"
    else:  # the emulator knows no API keys
        message = "Authentication failed: Please make sure your API Key is valid."
    return AuthError("AccessDeniedException", message, message_key="Message")
