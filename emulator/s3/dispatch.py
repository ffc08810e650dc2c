"""S3 at the emulator's own URL: requests signed for the ``s3`` service go to moto's S3 in this process.

A request is S3's when its SigV4 credential scope (the ``Authorization`` header, or a presigned URL's
``X-Amz-Credential``) names the service ``s3``, or when it is signed with S3's older signature version 2
(``Authorization: AWS <key>:<signature>``, or a presigned URL's ``AWSAccessKeyId`` and ``Signature``:
boto3 still presigns that way in us-east-1). Bedrock's requests are never signed either way, so the test
costs a Bedrock call one look at its ``Authorization`` header. Unsigned requests are never S3's.

The access key id is the tenant, as for Bedrock; ``POST /_emulator/reset`` forgets a tenant's buckets.
With ``--s3-endpoint-url`` the emulator serves no S3 itself: an S3 request that reaches it anyway gets
S3's ``NotImplemented`` (501) naming the endpoint to use.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.exceptions import ClientDisconnected

from emulator import request_log
from emulator.journal import JournalEntry
from emulator.s3.endpoint import configure, endpoint_url
from emulator.serving import ABORT_KEY, BODY_LIMIT_KEY, BodyTooLargeError, ServerLimits, read_body
from emulator.state import AppState
from emulator.wire import sigv4

log = logging.getLogger("bedrock_emulator.s3")

SERVICE = "s3"
BUG_HEADER = "x-bedrock-emulator-bug"
DEFAULT_BODY_LIMIT = ServerLimits().max_body_bytes
_ERROR_CODE = rb"<Code>([^<]{1,64})</Code>"  # compiled on first use (re caches it): not at start-up
_Answer = tuple[int, list[tuple[str, str]], bytes]


def s3_caller(environ: dict[str, Any]) -> sigv4.Caller | None:
    """Who sends this S3 request, or None when it is not signed for S3."""
    authorization = environ.get("HTTP_AUTHORIZATION")
    if authorization:
        if authorization.startswith("AWS4-"):
            if "/s3/" not in authorization:  # every Bedrock call: no parse on the data plane's path
                return None
            caller = sigv4.caller_from(authorization)
            return caller if caller.service == SERVICE else None
        if authorization.startswith("AWS "):  # signature version 2: "AWS <access key>:<signature>"
            access_key = authorization[4:].partition(":")[0].strip()
            return sigv4.Caller(access_key, sigv4.DEFAULT_REGION, True, SERVICE) if access_key else None
        return None
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential=" not in query and "AWSAccessKeyId=" not in query:
        return None
    params = dict(parse_qsl(query, keep_blank_values=True))
    if "X-Amz-Credential" in params:
        caller = sigv4.caller_from(None, params["X-Amz-Credential"])
        return caller if caller.service == SERVICE else None
    if params.get("AWSAccessKeyId") and params.get("Signature"):
        return sigv4.Caller(params["AWSAccessKeyId"], sigv4.DEFAULT_REGION, True, SERVICE)
    return None


class S3Dispatcher:
    """The WSGI app for S3 requests (the app's dispatcher asks `claims` first)."""

    def __init__(
        self, state: AppState, s3_endpoint_url: str | None = None, *, verify_with: str | None = None
    ) -> None:
        """``verify_with``: the credentials file to check signatures against (``--verify-signatures``)."""
        self.state = state
        self.verify_with = verify_with
        configure(state, s3_endpoint_url)

    def claims(self, environ: dict[str, Any]) -> bool:
        return s3_caller(environ) is not None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        caller = s3_caller(environ) or sigv4.Caller(sigv4.ANONYMOUS, sigv4.DEFAULT_REGION, False, SERVICE)
        status, headers, body = self._answer(environ, caller)
        _log_call(environ, caller, status, headers, body, started)
        start_response(f"{status} {_reason(status)}", headers)
        return [body]

    def _answer(self, environ: dict[str, Any], caller: sigv4.Caller) -> _Answer:
        from emulator.s3 import replies
        from emulator.s3.objects import moto_world

        external = endpoint_url(self.state)
        if external is not None:
            return replies.error(
                501,
                "NotImplemented",
                f"{replies.NOT_IMPLEMENTED}: this emulator uses the S3 endpoint {external}; send S3 requests there",
            )
        limit = int(environ.get(BODY_LIMIT_KEY, DEFAULT_BODY_LIMIT))
        try:
            body = read_body(environ, limit)
        except BodyTooLargeError:
            declared = environ.get("CONTENT_LENGTH") or ""
            fields: dict[str, str | int] = {"ProposedSize": declared} if declared.isdigit() else {}
            return replies.error(
                400, "EntityTooLarge", replies.ENTITY_TOO_LARGE, **fields, MaxSizeAllowed=limit
            )
        except (ClientDisconnected, OSError) as exc:  # the client left mid-body: nobody to answer
            log.debug("S3 request body not received: %r", exc)
            abort = environ.get(ABORT_KEY)
            if abort is not None:
                abort()
            return 400, [("Content-Length", "0")], b""
        if self.verify_with is not None:
            from emulator.s3 import signature

            refused = signature.refusal(environ, body, self.verify_with)
            if refused is not None:
                return refused
        try:
            status, headers, answer = moto_world(self.state).handle(_with_body(environ, body), caller.tenant)
        except Exception:  # an emulator bug must never pass for S3's answer
            log.exception("bedrock-emulator bug while serving S3 %s", environ.get("REQUEST_METHOD"))
            status, headers, answer = replies.error(500, "InternalError", replies.INTERNAL_ERROR)
            headers.append((BUG_HEADER, "1"))
            return status, headers, answer
        if environ.get("REQUEST_METHOD") != "HEAD" and not any(
            n.lower() == "content-length" for n, _ in headers
        ):
            headers.append(("Content-Length", str(len(answer))))
        return status, headers, answer


def _with_body(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The request's environ with its body read in full (and de-chunked): moto reads it again."""
    copied = dict(environ)
    copied["wsgi.input"] = io.BytesIO(body)
    copied["CONTENT_LENGTH"] = str(len(body))
    copied.pop("wsgi.input_terminated", None)
    copied.pop("HTTP_TRANSFER_ENCODING", None)
    return copied


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _log_call(
    environ: dict[str, Any],
    caller: sigv4.Caller,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    started: float,
) -> None:
    """The request log line (docs/logging.md) of an S3 call; S3 calls are not journaled."""
    if not logging.getLogger(request_log.LOGGER_NAME).isEnabledFor(logging.INFO):
        return
    from emulator.s3.operations import operation_name  # botocore's S3 model, read on the first S3 call

    error = re.search(_ERROR_CODE, body) if status >= 400 else None
    entry = JournalEntry(
        time=time.time(),
        tenant=caller.tenant,
        service=SERVICE,
        operation=operation_name(environ),
        model=None,
        status=status,
        request_id=next((value for name, value in headers if name.lower() == "x-amz-request-id"), ""),
        error_code=error.group(1).decode("latin-1") if error else None,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        protocol=environ.get("SERVER_PROTOCOL"),
    )
    raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    request_log.log_call(entry, environ.get("REQUEST_METHOD", "GET"), raw_path)
