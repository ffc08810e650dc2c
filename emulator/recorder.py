"""Record mode: forward AWS traffic to a real Bedrock endpoint and save every exchange as a replay scenario.

``serve --record DIR --upstream URL`` puts this WSGI app where the data plane would be. The client signed
its request for the emulator's host, so the signature is dropped and the request signed anew for the
upstream with botocore's credential chain, in the region of the client's credential scope. The upstream's
answer goes back unchanged (status, headers except hop-by-hop ones, body), an event stream chunk by chunk
as it arrives. On the way it is captured, frames with their times, and ``DIR/<name>.yaml`` is rewritten
after every exchange (atomically), so a crash loses nothing; the file replays the same answers in the same
order (see ``engine.recording``).

The upstream host is built only from a region of AWS's form and one of Bedrock's four services, never from
the caller's text as sent: a credential scope naming ``@169.254.169.254#`` as its region is refused, not
forwarded with the operator's signature. Event-stream frames are read with botocore's ``EventStreamBuffer``,
the parser every botocore client uses; at a frame with a bad checksum the recording of that stream stops,
noting where, and the replay sends a frame with a bad checksum at the same place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer, EventStreamMessage, ParserError
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.httpsession import URLLib3Session
from botocore.session import Session
from urllib3.exceptions import HTTPError

from emulator.engine.recording import Exchange, RecordedFrame, replay_of
from emulator.engine.schema import SCENARIO_NAME_PATTERN
from emulator.journal import Journal, JournalEntry
from emulator.wire import routing, sigv4
from emulator.wire.errors import AwsError

log = logging.getLogger("bedrock_emulator")

ABORT_KEY = "bedrock_emulator.abort"  # set by emulator.server: cut the client's connection
EVENT_STREAM = "application/vnd.amazon.eventstream"
SIGNING_NAME = "bedrock"  # all four services sign as bedrock
DEFAULT_TIMEOUT = 120.0  # longer than a client's usual 60 s read timeout, so a hang upstream is seen whole

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# The client's signature was for the emulator; the HTTP layer sets host and length for the upstream; and
# identity encoding keeps the recorded body readable.
_NOT_FORWARDED = _HOP_BY_HOP | {
    "host",
    "content-length",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "expect",
    "accept-encoding",
}
_EMULATOR_HEADERS = "x-bedrock-emulator-"
# A region as AWS names them (us-east-1, us-gov-west-1, eu-central-2, ap-southeast-5): safe in a host name.
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
SERVICES = frozenset({"bedrock-runtime", "bedrock-agent-runtime", "bedrock", "bedrock-agent"})
_READ_SIZE = 64 * 1024
_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class Credentials(Protocol):
    access_key: str
    secret_key: str
    token: str | None


def default_name() -> str:
    return f"recorded-{datetime.now():%Y%m%d-%H%M%S}"


class Recording:
    """The exchanges recorded so far, in the order their requests arrived, and the file they are saved to."""

    def __init__(self, directory: str | Path, name: str) -> None:
        # The name becomes the scenario's name and the file's stem: a scenario name, never a path.
        if not re.fullmatch(SCENARIO_NAME_PATTERN, name):
            raise ValueError(
                f"a recording name is a scenario name (letters, digits, '.', '_', '-', starting with a"
                f" letter or digit, at most 128 characters), got {name[:60]!r}"
            )
        self.name = name
        self.directory = Path(directory)
        self.path = self.directory / f"{name}.yaml"
        if self.path.resolve().parent != self.directory.resolve():
            raise ValueError(f"the recording {self.path} would not be written inside {self.directory}")
        self._slots: list[Exchange | None] = []
        self._lock = threading.Lock()

    def reserve(self) -> int:
        """A place in the order for a request that just arrived (its answer may finish after later ones)."""
        with self._lock:
            self._slots.append(None)
            return len(self._slots) - 1

    def complete(self, slot: int, exchange: Exchange) -> None:
        with self._lock:
            self._slots[slot] = exchange
            exchanges = [e for e in self._slots if e is not None]
            replay = replay_of(
                exchanges, name=self.name, description=f"Recorded exchanges ({len(exchanges)} so far)."
            )
            self._write(replay.to_yaml())

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return [e for e in self._slots if e is not None]

    def _write(self, text: str) -> None:
        # Written beside the target and renamed over it: a reader never sees half a file. The dot-name and
        # suffix keep a leftover out of `serve --scenario DIR`.
        handle, temporary = tempfile.mkstemp(prefix=f".{self.name}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


class _FrameReader:
    """Reads the relayed bytes as event-stream frames with botocore's parser, noting when each completed."""

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()
        self.frames: list[RecordedFrame] = []
        self.corrupt_at: int | None = None
        self.unreadable = False

    def feed(self, data: bytes, offset_seconds: float) -> None:
        if self.unreadable:
            return
        self._buffer.add_data(data)
        try:
            for message in self._buffer:
                self._take(message, offset_seconds)
                if self.unreadable:
                    return
        except ChecksumMismatch:
            # A bad checksum is a fault worth replaying: clients stop reading at that frame, so the recording
            # stops there too, noting which event it was.
            log.warning("record: an event-stream frame with a bad checksum; the stream is recorded up to it")
            self.corrupt_at = sum(1 for f in self.frames if not f.exception)
            self.unreadable = True
        except ParserError:
            log.warning("record: an undecodable event-stream frame; the rest of this stream is not recorded")
            self.unreadable = True

    def _take(self, message: EventStreamMessage, offset_seconds: float) -> None:
        headers: dict[str, Any] = message.headers
        try:
            payload = json.loads(message.payload) if message.payload else {}
        except ValueError:
            log.warning(
                "record: an event-stream payload that is not JSON; the rest of this stream is not recorded"
            )
            self.unreadable = True
            return
        kind = headers.get(":message-type", "event")
        if kind == "exception":
            name = str(headers.get(":exception-type", ""))
            self.frames.append(RecordedFrame(name, payload, offset_seconds, exception=True))
        elif kind == "event":
            self.frames.append(RecordedFrame(str(headers.get(":event-type", "")), payload, offset_seconds))
        else:
            log.warning(
                "record: a %r frame cannot be replayed; the rest of this stream is not recorded", kind
            )
            self.unreadable = True


@dataclass
class _Capture:
    """One exchange as it happens: request facts first, the answer as it arrives."""

    started: float
    arrived: float
    tenant: str
    service: str
    operation: str | None
    model_id: str | None
    request_body: bytes
    slot: int | None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reader: _FrameReader | None = None
    latency: float = 0.0
    disconnected: bool = False
    truncated: bool = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class Recorder:
    """The WSGI app of record mode: forward, relay, capture, save.

    ``upstream`` is a base URL; ``{service}`` and ``{region}`` in it are filled per request, since
    bedrock-runtime and bedrock-agent-runtime live on different hosts
    (``https://{service}.{region}.amazonaws.com``).
    """

    def __init__(
        self,
        directory: str | Path,
        upstream: str,
        *,
        name: str | None = None,
        journal: Journal | None = None,
        credentials: Credentials | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.upstream = upstream.rstrip("/")
        self.recording = Recording(directory, name or default_name())
        self.journal = journal
        resolved = credentials if credentials is not None else Session().get_credentials()
        if resolved is None:
            raise ValueError(
                "record mode signs requests for the upstream with botocore's credential chain, "
                "and it found no credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
            )
        self._credentials = resolved
        self._http = URLLib3Session(timeout=timeout)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started, arrived = time.perf_counter(), time.time()
        method = environ.get("REQUEST_METHOD", "GET")
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        raw_path = raw_uri.split("?", 1)[0]
        query = environ.get("QUERY_STRING", "")
        headers = _request_headers(environ)
        body = _request_body(environ)
        credential = dict(parse_qsl(query)).get("X-Amz-Credential")
        caller = sigv4.caller_from(headers.get("authorization"), credential)
        match = routing.resolve(method, raw_path)
        capture = _Capture(
            started=started,
            arrived=arrived,
            tenant=caller.tenant,
            service=match.service if match else "bedrock-runtime",
            operation=match.operation if match else None,
            model_id=match.labels.get("modelId") if match else None,
            request_body=body,
            slot=self.recording.reserve() if match else None,
        )
        abort: Callable[[], None] | None = environ.get(ABORT_KEY)
        try:
            url = self._url(capture.service, caller.region, raw_path, query)
        except AwsError as refused:
            log.warning("record: refused to forward %s %s: %s", method, raw_path[:200], refused.message)
            return _refuse(start_response, refused, capture.service)
        try:
            response = self._send(method, url, headers, body, caller.region)
        except (ConnectionClosedError, ReadTimeoutError) as exc:
            # The upstream took the request and never answered: the client sees the same.
            log.warning("record: %s %s got no answer from the upstream: %s", method, raw_path, exc)
            capture.disconnected = True
            capture.latency = capture.elapsed()
            self._finish(capture)
            return _cut(start_response, abort)
        except Exception as exc:
            # Unreachable upstream (refused, DNS, TLS): a recorder problem, not an upstream behaviour.
            log.warning("record: could not reach the upstream for %s %s: %s", method, raw_path, exc)
            return _cut(start_response, abort)
        capture.status = response.status_code
        capture.latency = capture.elapsed()
        raw = response.raw
        relayed = [(n, v) for n, v in raw.headers.items() if n.lower() not in _HOP_BY_HOP]
        capture.headers = {n.lower(): v for n, v in relayed}
        start_response(_REASONS.get(capture.status, str(capture.status)), relayed)
        if capture.headers.get("content-type", "").startswith(EVENT_STREAM):
            capture.reader = _FrameReader()
            return self._relay_stream(raw, capture, abort)
        return self._relay_body(raw, capture, abort)

    def _url(self, service: str, region: str, raw_path: str, query: str) -> str:
        """The upstream URL for a request; AwsError when the caller's region or path could redirect it."""
        if not _REGION.fullmatch(region):
            shown = region if len(region) <= 64 else region[:64] + "..."
            raise AwsError(
                "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{shown}'. "
            )
        if service not in SERVICES:
            raise AwsError("UnknownOperationException")
        base = self.upstream.replace("{service}", service).replace("{region}", region)
        if not raw_path.startswith("/") or raw_path.startswith("//"):
            raise AwsError("UnknownOperationException")
        url = base + raw_path + (f"?{query}" if query else "")
        if urlsplit(url).netloc != urlsplit(base).netloc:  # belt and braces: the host is the template's
            raise AwsError("UnknownOperationException")
        return url

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes, region: str) -> AWSResponse:
        forwarded = {
            name: value
            for name, value in headers.items()
            if name not in _NOT_FORWARDED and not name.startswith(_EMULATOR_HEADERS)
        }
        request = AWSRequest(method=method, url=url, data=body, headers=forwarded, stream_output=True)
        SigV4Auth(self._credentials, SIGNING_NAME, region).add_auth(request)
        response: AWSResponse = self._http.send(request.prepare())
        return response

    def _relay_body(self, raw: Any, capture: _Capture, abort: Callable[[], None] | None) -> Iterable[bytes]:
        # A unary answer is read whole before it is relayed: it is small, and its length tells a cut.
        # Read here rather than in a generator, so it is recorded even if the client is gone already.
        chunks: list[bytes] = []
        try:
            while chunk := raw.read1(_READ_SIZE):
                chunks.append(chunk)
        except (HTTPError, OSError):
            capture.truncated = True
        finally:
            _release(raw, complete=not capture.truncated)
        capture.body = b"".join(chunks)
        expected = capture.headers.get("content-length")
        if expected is not None and expected.isdigit() and len(capture.body) < int(expected):
            capture.truncated = True
        self._finish(capture)
        return _then_cut(capture.body, abort) if capture.truncated else [capture.body]

    def _relay_stream(self, raw: Any, capture: _Capture, abort: Callable[[], None] | None) -> Iterator[bytes]:
        reader = capture.reader
        assert reader is not None
        try:
            while chunk := raw.read1(_READ_SIZE):
                reader.feed(chunk, capture.elapsed())
                yield chunk
        except (HTTPError, OSError):
            capture.disconnected = True
            if abort is not None:
                abort()
        except GeneratorExit:
            # The client hung up: the stream as recorded ends here.
            capture.disconnected = True
            raise
        finally:
            _release(raw, complete=not capture.disconnected)
            self._finish(capture)

    def _finish(self, capture: _Capture) -> None:
        try:
            self._journal(capture)
            if capture.slot is not None and capture.operation is not None:
                self.recording.complete(capture.slot, self._exchange(capture))
        except Exception:  # a recording failure must not break the client's call
            log.exception("record: could not save the exchange")

    def _exchange(self, capture: _Capture) -> Exchange:
        assert capture.operation is not None
        reader = capture.reader
        frames = tuple(reader.frames) if reader is not None else None
        return Exchange(
            operation=capture.operation,
            model_id=capture.model_id,
            request_body=_json_or_none(capture.request_body),
            status=capture.status,
            headers=capture.headers,
            body=None if frames is not None else _json_or_none(capture.body),
            frames=frames,
            latency_seconds=capture.latency,
            disconnected=capture.disconnected,
            truncated_after=len(capture.body) if capture.truncated and frames is None else None,
            corrupt_frame=reader.corrupt_at if reader is not None else None,
        )

    def _journal(self, capture: _Capture) -> None:
        if self.journal is None:
            return
        reader = capture.reader
        events = (
            [(f.event_type, dict(f.payload), f.offset_seconds) for f in reader.frames] if reader else None
        )
        if capture.status == 0 or (reader is not None and capture.disconnected):
            end: str | None = "disconnected"
        elif capture.truncated:
            end = "truncated"
        elif reader is not None:
            end = "exception" if reader.frames and reader.frames[-1].exception else "completed"
        else:
            end = None
        error_type = capture.headers.get("x-amzn-errortype")
        self.journal.record(
            JournalEntry(
                time=capture.arrived,
                tenant=capture.tenant,
                service=capture.service,
                operation=capture.operation or "Unknown",
                model=capture.model_id,
                status=capture.status,
                request_id=capture.headers.get("x-amzn-requestid", ""),
                error_code=error_type.split(":", 1)[0] if error_type else None,
                latency_ms=round(capture.elapsed() * 1000, 3),
                events_sent=sum(1 for e in events if not e[0].endswith("Exception")) if events else None,
                stream_end=end,
                request_body=capture.request_body,
                response_body=capture.body if reader is None else None,
                response_events=events,
            )
        )


def _release(raw: Any, *, complete: bool) -> None:
    # A connection left mid-answer must not go back to the pool: the next request would read the rest.
    if not complete:
        raw.close()
    raw.release_conn()


def _then_cut(body: bytes, abort: Callable[[], None] | None) -> Iterator[bytes]:
    yield body
    if abort is not None:
        abort()


def _refuse(start_response: Callable[..., Any], error: AwsError, service: str) -> list[bytes]:
    status = error.status(service)
    body = json.dumps(error.body(), separators=(",", ":")).encode()
    start_response(
        _REASONS.get(status, str(status)),
        [
            ("x-amzn-ErrorType", error.error_type_header()),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


def _cut(start_response: Callable[..., Any], abort: Callable[[], None] | None) -> list[bytes]:
    start_response("502 Bad Gateway", [("Content-Length", "0")])
    if abort is not None:
        abort()
    return []


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _request_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit():
        return bytes(stream.read(int(length)))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None
