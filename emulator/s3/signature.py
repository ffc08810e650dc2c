"""Signature checks of S3 requests for ``serve --verify-signatures``, with S3's own refusals (XML, 403).

Both of S3's signature versions are checked, in a header or a presigned URL, against the credentials
file (``emulator/credentials.py``): SigV4 (``AWS4-HMAC-SHA256``) and SigV2 (``AWS <key>:<signature>``,
or ``AWSAccessKeyId``/``Signature``/``Expires``, which boto3 still presigns with in us-east-1). The
expected signature is botocore's, over the request as it arrived: S3's SigV4 canonical request keeps the
path as sent (no second percent-encoding, no normalisation) and takes the payload hash from
``x-amz-content-sha256``; a hex hash there must also be the body's.

In the order S3 answers them: an unknown access key (``InvalidAccessKeyId``), a clock more than 15 minutes
away (``RequestTimeTooSkewed``; a presigned URL instead lives until its ``X-Amz-Expires`` or ``Expires``,
then ``AccessDenied: Request has expired``), a body that is not the signed hash
(``XAmzContentSHA256Mismatch``), then the signature (``SignatureDoesNotMatch``, with the string to sign
and the canonical request the emulator computed, as S3 sends them). Not checked: the region of the
scope, session tokens, and the chunk signatures of an ``aws-chunked`` body.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import hmac
import time
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from emulator import credentials as credentials_file
from emulator.s3 import replies
from emulator.s3.hosts import virtual_host_bucket
from emulator.wire import sigv4

if TYPE_CHECKING:
    from botocore.auth import HmacV1Auth, S3SigV4Auth

SKEW_SECONDS = 15 * 60  # S3's MaxAllowedSkewMilliseconds, 900000
CONTENT_SHA256 = "x-amz-content-sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and "
    "signing method."
)
UNKNOWN_ACCESS_KEY = "The AWS Access Key Id you provided does not exist in our records."
SKEWED = "The difference between the request time and the current time is too large."
EXPIRED = "Request has expired"
SHA256_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
MALFORMED = "The authorization header you provided is invalid."
_Answer = tuple[int, list[tuple[str, str]], bytes]


def refusal(environ: Mapping[str, Any], body: bytes, credentials: str | None) -> _Answer | None:
    """S3's answer refusing this request's signature, or None when it is signed right."""
    table = credentials_file.require(credentials)
    headers = _headers(environ)
    pairs = _query_pairs(environ.get("QUERY_STRING", ""))
    query = dict(pairs)
    authorization = headers.get("authorization", "")
    now = time.time()
    if authorization.startswith("AWS4-") or "X-Amz-Credential" in query:
        return _sigv4(environ, headers, pairs, body, table, now)
    return _sigv2(environ, headers, query, table, now)


# Signature version 4 -----------------------------------------------------------------------------------


def _sigv4(
    environ: Mapping[str, Any],
    headers: dict[str, str],
    pairs: list[tuple[str, str]],
    body: bytes,
    table: credentials_file.CredentialTable,
    now: float,
) -> _Answer | None:
    query = dict(pairs)
    presigned = "X-Amz-Credential" in query
    if presigned:
        credential, signed_names, provided = (
            query.get("X-Amz-Credential", ""),
            query.get("X-Amz-SignedHeaders", ""),
            query.get("X-Amz-Signature", ""),
        )
        timestamp = query.get("X-Amz-Date", "")
        pairs = [(name, value) for name, value in pairs if name != "X-Amz-Signature"]
        payload_hash = query.get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
    else:
        parsed = sigv4.parse_authorization(headers.get("authorization", ""))
        params = parsed.params if parsed else {}
        credential, signed_names, provided = (
            params.get("Credential", ""),
            params.get("SignedHeaders", ""),
            params.get("Signature", ""),
        )
        timestamp = headers.get("x-amz-date") or _basic_format(headers.get("date", ""))
        payload_hash = headers.get(CONTENT_SHA256, "")
    scope = sigv4.parse_credential(credential)
    if scope is None or not signed_names or not provided:
        return replies.error(400, "AuthorizationHeaderMalformed", MALFORMED)
    secret = table.secret_for(scope.access_key)
    if secret is None:
        return replies.error(403, "InvalidAccessKeyId", UNKNOWN_ACCESS_KEY, AWSAccessKeyId=scope.access_key)
    signed_at = _seconds(timestamp)
    if presigned:
        expires = query.get("X-Amz-Expires", "")
        if signed_at is not None and expires.isdigit() and now > signed_at + int(expires):
            return replies.error(
                403,
                "AccessDenied",
                EXPIRED,
                **{
                    "X-Amz-Expires": expires,
                    "Expires": _iso(signed_at + int(expires)),
                    "ServerTime": _iso(now),
                },
            )
    elif signed_at is None or abs(now - signed_at) > SKEW_SECONDS:
        return replies.error(
            403,
            "RequestTimeTooSkewed",
            SKEWED,
            RequestTime=timestamp,
            ServerTime=_iso(now),
            MaxAllowedSkewMilliseconds=SKEW_SECONDS * 1000,
        )
    if _is_sha256(payload_hash) and hashlib.sha256(body).hexdigest() != payload_hash:
        return replies.error(
            400,
            "XAmzContentSHA256Mismatch",
            SHA256_MISMATCH,
            ClientComputedContentSHA256=payload_hash,
            S3ComputedContentSHA256=hashlib.sha256(body).hexdigest(),
        )
    names = signed_names.lower().split(";")
    signed_headers = {name: headers.get(name, "") for name in names}
    canonical, string_to_sign, expected = _sigv4_expected(
        environ, signed_headers, pairs, payload_hash, scope, secret, timestamp
    )
    if hmac.compare_digest(expected.encode(), provided.encode()):
        return None
    return replies.error(
        403,
        "SignatureDoesNotMatch",
        SIGNATURE_MISMATCH,
        AWSAccessKeyId=scope.access_key,
        StringToSign=string_to_sign,
        SignatureProvided=provided,
        CanonicalRequest=canonical,
    )


def _sigv4_expected(
    environ: Mapping[str, Any],
    signed_headers: dict[str, str],
    pairs: list[tuple[str, str]],
    payload_hash: str,
    scope: sigv4.CredentialScope,
    secret: str,
    timestamp: str,
) -> tuple[str, str, str]:
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method=environ.get("REQUEST_METHOD", "GET"), url="http://s3" + _raw_path(environ), params=pairs
    )
    request.context["timestamp"] = timestamp
    request.context[_SIGNED] = _HeaderValues(signed_headers)
    request.context[_PAYLOAD] = payload_hash
    signer = _sigv4_signer()(Credentials(scope.access_key, secret), scope.service, scope.region)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    return canonical, string_to_sign, signer.signature(string_to_sign, request)


_SIGNED = "bedrock_emulator.s3.signed_headers"
_PAYLOAD = "bedrock_emulator.s3.payload"


class _HeaderValues(dict[str, str]):
    """Signed headers by lower-cased name, with the method botocore's canonicalisation calls."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


@cache
def _sigv4_signer() -> type[S3SigV4Auth]:
    """botocore's S3 signer over exactly the headers the client signed and the payload hash it sent."""
    from botocore.auth import S3SigV4Auth

    class ClientSigned(S3SigV4Auth):  # type: ignore[misc]  # botocore ships no type hints
        def headers_to_sign(self, request: Any) -> _HeaderValues:
            signed: _HeaderValues = request.context[_SIGNED]
            return signed

        def payload(self, request: Any) -> str:
            payload: str = request.context[_PAYLOAD]
            return payload

    return ClientSigned


# Signature version 2 -----------------------------------------------------------------------------------


def _sigv2(
    environ: Mapping[str, Any],
    headers: dict[str, str],
    query: dict[str, str],
    table: credentials_file.CredentialTable,
    now: float,
) -> _Answer | None:
    authorization = headers.get("authorization", "")
    if authorization:
        access_key, _, provided = authorization[4:].strip().partition(":")
        date = headers.get("date", "")
    else:
        access_key, provided, date = (
            query.get("AWSAccessKeyId", ""),
            query.get("Signature", ""),
            query.get("Expires", ""),
        )
    secret = table.secret_for(access_key)
    if secret is None:
        return replies.error(403, "InvalidAccessKeyId", UNKNOWN_ACCESS_KEY, AWSAccessKeyId=access_key)
    if authorization:
        signed_at = (
            _http_date_seconds(date)
            if not headers.get("x-amz-date")
            else _http_date_seconds(headers["x-amz-date"])
        )
        if signed_at is None or abs(now - signed_at) > SKEW_SECONDS:
            return replies.error(
                403,
                "RequestTimeTooSkewed",
                SKEWED,
                RequestTime=date,
                ServerTime=_iso(now),
                MaxAllowedSkewMilliseconds=SKEW_SECONDS * 1000,
            )
    elif not date.isdigit() or now > int(date):
        return replies.error(
            403,
            "AccessDenied",
            EXPIRED,
            Expires=_iso(int(date) if date.isdigit() else 0),
            ServerTime=_iso(now),
        )
    string_to_sign, expected = _sigv2_expected(environ, headers, query, access_key, secret, date)
    if hmac.compare_digest(expected.encode(), provided.encode()):
        return None
    return replies.error(
        403,
        "SignatureDoesNotMatch",
        SIGNATURE_MISMATCH,
        AWSAccessKeyId=access_key,
        StringToSign=string_to_sign,
        SignatureProvided=provided,
    )


def _sigv2_expected(
    environ: Mapping[str, Any],
    headers: dict[str, str],
    query: dict[str, str],
    access_key: str,
    secret: str,
    date: str,
) -> tuple[str, str]:
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    signed = HTTPHeaders()
    for name, value in headers.items():
        if name in ("content-md5", "content-type") or name.startswith("x-amz-"):
            signed[name] = value
    for name, value in query.items():  # a presigned URL carries the x-amz-* headers it signed
        if name.lower().startswith("x-amz-"):
            signed[name.lower()] = value
    raw_path = _raw_path(environ)
    split = urlsplit(
        "http://s3" + raw_path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
    )
    # The resource signed is /bucket/key, with the slash after a bare bucket (what botocore signs for
    # /bucket), whichever addressing style the request used.
    bucket = virtual_host_bucket(headers.get("host", ""))
    auth_path = f"/{bucket}{split.path}" if bucket is not None else split.path
    if auth_path.count("/") == 1 and len(auth_path) > 1:
        auth_path += "/"
    signer = _sigv2_signer()(Credentials(access_key, secret), date)
    string_to_sign: str = signer.canonical_string(
        environ.get("REQUEST_METHOD", "GET"), split, signed, auth_path=auth_path
    )
    return string_to_sign, signer.sign_string(string_to_sign)


@cache
def _sigv2_signer() -> type[HmacV1Auth]:
    """botocore's SigV2 signer with the request's own date (or a presigned URL's ``Expires``)."""
    from botocore.auth import HmacV1Auth

    class ClientSigned(HmacV1Auth):  # type: ignore[misc]  # botocore ships no type hints
        def __init__(self, credentials: Any, date: str) -> None:
            super().__init__(credentials)
            self._date = date

        def _get_date(self) -> str:
            return self._date

    return ClientSigned


# Pieces ------------------------------------------------------------------------------------------------


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    # Percent-decoding only: a '+' is a plus sign in a signed query.
    pairs = []
    for item in query_string.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _raw_path(environ: Mapping[str, Any]) -> str:
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/"
    return str(raw_uri).split("?", 1)[0]


def _seconds(timestamp: str) -> int | None:
    """``YYYYMMDDTHHMMSSZ`` in epoch seconds, or None."""
    try:
        return calendar.timegm(time.strptime(timestamp, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def _basic_format(http_date: str) -> str:
    seconds = _http_date_seconds(http_date)
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds)) if seconds is not None else http_date


def _http_date_seconds(value: str) -> int | None:
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError):
        return _seconds(value)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(character in "0123456789abcdef" for character in value)
