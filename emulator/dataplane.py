"""The one WSGI entry for AWS traffic, readable top to bottom: route -> caller -> plan -> handle -> serialize.

It is a plain WSGI callable rather than a Flask view: Flask's request context, URL map and response
processing cost about 40 µs per call, a quarter of the budget the emulator may add over a bare endpoint;
Flask still serves the admin API beside it (see ``app.py``).

Everything a response needs is decided before its first byte leaves: the scenario plan (fault, delay,
scripted answer) is taken once, under the engine's lock, and streams are generators over plain values
captured from the request, so nothing here reaches for Flask's request once streaming has begun.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.exceptions import ClientDisconnected

from emulator import admission, catalog, json_text, request_log
from emulator.engine import Call, Engine, Plan, UnknownScenarioError, faults
from emulator.engine.lru import LruMap
from emulator.engine.plan import Drop, Hang, Truncate
from emulator.journal import Journal, JournalEntry
from emulator.services import handlers
from emulator.services.exchange import (
    UNPARSED,
    BytesReply,
    JsonReply,
    OperationCall,
    Reply,
    StreamReply,
)
from emulator.serving import (
    BODY_LIMIT_KEY,
    BodyTooLargeError,
    MalformedBodyError,
    ServerLimits,
    read_body,
)
from emulator.settings import Settings
from emulator.state import AppState
from emulator.state.unavailable import StateUnavailableError
from emulator.wire import declared, limits, routing, serialize, signature, sigv4
from emulator.wire.binding import parse_json_body
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from emulator.responder import Responder

log = logging.getLogger("bedrock_emulator")

DEFAULT_BODY_LIMIT = ServerLimits().max_body_bytes  # when the server does not say (WSGI test clients)

ABORT_KEY = "bedrock_emulator.abort"
SCENARIO_HEADER = "x-bedrock-emulator-scenario"
RULE_HEADER = "x-bedrock-emulator-rule"
WARNING_HEADER = "x-bedrock-emulator-warning"
BUG_HEADER = "x-bedrock-emulator-bug"
EVENT_STREAM = "application/vnd.amazon.eventstream"
# On ``AppState.extras``: the data plane's ``run_for_job`` (model calls the emulator makes for a caller's
# batch or evaluation job), and the invocation-log sink, present only once a tenant turns logging on.
MODEL_RUNNER = "bedrock-emulator:model-runner"
INVOCATION_LOGS = "bedrock-emulator:invocation-logs"

# Operations whose output is an event stream, as botocore's models declare them (emulator/wire/declared.py).
_STREAMING_OPERATIONS = declared.STREAMING_OPERATIONS
# Operations whose request body is an event stream the client keeps writing while it reads the answer:
# the handler reads it as it arrives (OperationCall.body_stream) instead of the data plane reading it first.
_DUPLEX_OPERATIONS = frozenset({"InvokeModelWithBidirectionalStream"})


@dataclass
class _Answer:
    """A response as WSGI sends it: status, header list and a body (bytes, or an iterator for streams)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | Iterator[bytes]


_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


@dataclass
class _Outcome:
    """What a served call did, filled in as it goes and journaled at the end."""

    entry: JournalEntry
    started: float
    success_status: int = 200  # the operation's, from the route table
    method: str = ""  # for the request log line
    path: str = ""


class DataPlane:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        journal: Journal,
        state: AppState | None = None,
        *,
        begin: Callable[[str, Call | None], tuple[int, float, Plan | None]] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.journal = journal
        self.state = state or AppState()
        # With shared state (``--state redis://``): the tenant's request number, the clock's time and, when
        # it can, the engine's plan, in one round trip (``SharedEngine.begin_call``); None keeps them here.
        self._begin = begin
        # Per-tenant request counters (for deterministic request ids), least recently used evicted
        # beyond the engine's tenant cap: an evicted tenant's ids start again, like after a reset.
        self._counters: LruMap[str, int] = LruMap(engine.max_tenants)
        self._counter_lock = threading.Lock()
        self.state.on_forget(self._forget_counters)  # a reset tenant's ids start again
        self.state.extras[MODEL_RUNNER] = self.run_for_job
        # What writes text models' answers: the deterministic stand-in (None), or a real model.
        self.responder: Responder | None = None
        if settings.model_backend:
            from emulator.model_backend import ModelBackend

            self.responder = ModelBackend.from_settings(settings)

    def _forget_counters(self, tenant: str | None) -> None:
        with self._counter_lock:
            if tenant is None:
                self._counters = LruMap(self.engine.max_tenants)
            else:
                self._counters.pop(tenant, None)

    # The WSGI entry -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        answer = self.serve(environ)
        start_response(_REASONS.get(answer.status, str(answer.status)), answer.headers)
        return [answer.body] if isinstance(answer.body, bytes) else answer.body

    def serve(self, environ: dict[str, Any]) -> _Answer:
        started = time.perf_counter()
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        headers = _headers(environ)
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        query = dict(pairs)
        caller = sigv4.caller_from(headers.get("authorization"), query.get("X-Amz-Credential"))
        match = routing.resolve(method, raw_path)
        service = match.service if match else "bedrock-runtime"
        operation = match.operation if match else "Unknown"
        duplex = operation in _DUPLEX_OPERATIONS
        try:
            raw_body, refusal = (b"" if duplex else _body(environ, service, operation)), None
        except AwsError as error:
            raw_body, refusal = b"", error
        except MalformedBodyError:
            raise  # the transport answers a garbled body framing with its own 400
        except (ClientDisconnected, OSError) as exc:  # gone or stalled mid-body: nobody to answer
            log.debug("request body for %s %s not received: %r", method, raw_path, exc)
            abort = environ.get(ABORT_KEY)
            if abort is not None:
                abort()
            return _Answer(400, [("Content-Length", "0")], b"")
        try:
            json_body = parse_json_body(raw_body)
        except Exception:  # any unreadable body: the handler raises its SerializationException
            json_body = UNPARSED
        now: float | None = None
        planned: tuple[Call, Plan] | None = None
        if self._begin is None:
            index = self._next_index(caller.tenant)
        else:
            try:
                # Planned at once only where the call would reach the engine anyway (nothing refused yet).
                early = None
                if match is not None and refusal is None and not self.settings.verify_signatures:
                    early = self._engine_call(
                        service,
                        operation,
                        caller.tenant,
                        match.labels,
                        caller.region,
                        json_body,
                        raw_body,
                        headers,
                    )
                index, now, plan = self._begin(caller.tenant, early)
                planned = (early, plan) if early is not None and plan is not None else None
            except StateUnavailableError as exc:
                log.warning("shared state unavailable: %s", exc)
                index, now, refusal = 0, 0.0, AwsError("ServiceUnavailableException")
        request_id = self._request_id(caller.tenant, index, raw_path, raw_body)
        entry = JournalEntry(
            time=time.time(),
            tenant=caller.tenant,
            service=service,
            operation=operation,
            model=(match.labels.get("modelId") if match else None),
            status=200,
            request_id=request_id,
            request_body=raw_body,
            protocol=environ.get("SERVER_PROTOCOL"),
            request_headers=headers,
        )
        outcome = _Outcome(entry, started, match.route.status if match else 200, method, raw_path)
        try:
            if refusal is not None:
                raise refusal
            if self.settings.verify_signatures:  # off by default: then this test is all it costs
                signature.verify(environ, headers, raw_body, service, self.settings.credentials)
            if match is None:
                raise AwsError("UnknownOperationException")
            call = OperationCall(
                service=service,
                operation=operation,
                labels=match.labels,
                headers=headers,
                query=query,
                raw_body=raw_body,
                region=caller.region,
                tenant=caller.tenant,
                request_id=request_id,
                strict=self.settings.strict,
                seed=self.settings.seed,
                now=self.engine.clock.now() if now is None else now,
                query_lists=_query_lists(pairs),
                json_body=json_body,
                state=self.state,
                body_stream=environ["wsgi.input"] if duplex else None,
                responder=self.responder,
            )
            entry.clock = call.now
            engine_call, plan = planned if planned is not None else self._plan(call, headers)
            entry.rule = plan.rule_label
            entry.plan = plan
            if plan.strict and not call.strict:
                call = _replace(call, strict=True)
            if plan.answer is not None:
                call = _replace(call, scripted=plan.answer)
            return self._serve(call, engine_call, plan, environ, outcome)
        except AwsError as error:
            return self._error(error, service, outcome)
        except StateUnavailableError as exc:  # Redis lost mid-call: the client retries, as for an outage
            log.warning("shared state unavailable: %s", exc)
            return self._error(AwsError("ServiceUnavailableException"), service, outcome)
        except Exception as exc:  # an emulator bug must never pass for an injected fault
            log.exception("bedrock-emulator bug while serving %s %s", method, raw_path)
            bug = AwsError(
                "InternalServerException", f"bedrock-emulator internal error: {type(exc).__name__}"
            )
            answer = self._error(bug, service, outcome)
            answer.headers.append((BUG_HEADER, "1"))
            return answer

    def run_for_job(self, call: OperationCall) -> Reply:
        """A model call the emulator makes on a caller's behalf (a batch inference record, an evaluation
        prompt), planned by the tenant's scenario like a request: a rule's error is raised, its scripted
        answer used and its quota charged. Delays and connection faults do not apply; nothing is journaled."""
        engine_call, plan = self._plan(call, call.headers)
        if plan.error is not None:
            raise plan.error
        if plan.strict and not call.strict:
            call = _replace(call, strict=True)
        if plan.answer is not None:
            call = _replace(call, scripted=plan.answer)
        reply = handlers.dispatch(call)
        if reply.usage is not None:
            self.engine.settle(
                engine_call,
                plan,
                input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens,
            )
        return reply

    # Steps ----------------------------------------------------------------------------------------

    def _next_index(self, tenant: str) -> int:
        with self._counter_lock:
            index = self._counters.peek(tenant, 0) + 1
            self._counters[tenant] = index  # setting marks the tenant as just used
        return index

    def _request_id(self, tenant: str, index: int, raw_path: str, raw_body: bytes) -> str:
        # Deterministic: same seed, tenant and request sequence give the same ids (and the same bodies).
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{self.settings.seed}|{tenant}|{index}|{raw_path}|".encode())
        digest.update(raw_body)
        return _uuid4_text(digest.digest())

    def _plan(self, call: OperationCall, headers: Mapping[str, str]) -> tuple[Call, Plan]:
        engine_call = self._engine_call(
            call.service,
            call.operation,
            call.tenant,
            call.labels,
            call.region,
            call.json_body,
            call.raw_body,
            headers,
        )
        try:
            return engine_call, self.engine.plan(engine_call)
        except UnknownScenarioError as exc:
            raise AwsError("ValidationException", str(exc)) from exc

    @staticmethod
    def _engine_call(
        service: str,
        operation: str,
        tenant: str,
        labels: Mapping[str, str],
        region: str,
        json_body: Any,
        raw_body: bytes,
        headers: Mapping[str, str],
    ) -> Call:
        """What the engine decides on, from the request's plain values."""
        model_id = labels.get("modelId")
        model = None
        if model_id is not None:
            try:
                model = catalog.resolve(model_id, region=region).model
            except AwsError:
                model = None
        body = json_body if raw_body and json_body is not UNPARSED else None
        return Call(
            service=service,
            operation=operation,
            tenant=tenant,
            model_id=model_id,
            foundation_model_id=model.model_id if model is not None else None,
            headers=headers,
            body=body,
            labels=labels,
            scenario_header=headers.get(SCENARIO_HEADER),
            estimated_tokens=functools.partial(admission.estimate, operation, body, model),
            streaming=operation in _STREAMING_OPERATIONS,
        )

    def _serve(
        self, call: OperationCall, engine_call: Call, plan: Plan, environ: dict[str, Any], outcome: _Outcome
    ) -> _Answer:
        if plan.delay_seconds > 0:
            time.sleep(plan.delay_seconds)
        connection = plan.connection
        if isinstance(connection, Hang | Drop):
            if isinstance(connection, Hang):
                time.sleep(connection.seconds)
            return self._abort(environ, outcome, "disconnected")
        if plan.error is not None:
            raise plan.error
        reply = handlers.dispatch(call)
        invocation_logs = self.state.extras.get(INVOCATION_LOGS)  # None until a tenant turns logging on
        if invocation_logs is not None:
            reply = invocation_logs(call, reply)
        if reply.usage is not None:
            outcome.entry.input_tokens = reply.usage.input_tokens
            outcome.entry.output_tokens = reply.usage.output_tokens
            self.engine.settle(
                engine_call,
                plan,
                input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens,
            )
        warnings = [*reply.warnings, *plan.warnings]
        outcome.entry.warnings = warnings
        outcome.entry.model = reply.model_id or outcome.entry.model
        if isinstance(reply, StreamReply):
            return self._stream(reply, call, plan, environ, outcome, warnings)
        return self._unary(reply, call, plan, environ, outcome, warnings)

    def _unary(
        self,
        reply: JsonReply | BytesReply,
        call: OperationCall,
        plan: Plan,
        environ: dict[str, Any],
        outcome: _Outcome,
        warnings: list[str],
    ) -> _Answer:
        bound_headers: Mapping[str, str] = {}
        bound_status = None
        if isinstance(reply, JsonReply):
            wire = serialize.output(call.service, call.operation, reply.body)
            body = _json_bytes(wire.body)
            bound_headers, bound_status = wire.headers, wire.status
            content_type = "application/json"
        else:
            body = reply.body
            content_type = reply.content_type
        headers = self._common_headers(call.request_id, plan, warnings)
        headers.extend(reply.headers.items())
        headers.extend(bound_headers.items())
        headers.append(("Content-Type", content_type))
        headers.append(("Content-Length", str(len(body))))
        status = reply.status or bound_status or outcome.success_status
        outcome.entry.status = status
        outcome.entry.response_body = body
        outcome.entry.response_headers = headers
        connection = plan.connection
        if isinstance(connection, Truncate):
            keep = max(0, min(connection.keep_bytes, len(body) - 1))
            self._finish(outcome, stream_end="truncated")
            return _Answer(status, headers, _truncated(body[:keep], environ.get(ABORT_KEY)))
        self._finish(outcome)
        return _Answer(status, headers, body)

    def _stream(
        self,
        reply: StreamReply,
        call: OperationCall,
        plan: Plan,
        environ: dict[str, Any],
        outcome: _Outcome,
        warnings: list[str],
    ) -> _Answer:
        headers = self._common_headers(call.request_id, plan, warnings)
        headers.extend(reply.headers.items())
        headers.append(("Content-Type", EVENT_STREAM))
        log = faults.StreamLog()
        outcome.entry.response_headers = headers

        def finished() -> None:
            entry = outcome.entry
            entry.events_sent = log.sent
            entry.response_events = log.events
            first = log.first_content_offset()
            if first is not None:
                entry.ttft_ms = round((log.started - outcome.started + first) * 1000, 3)
            self._finish(outcome, stream_end=log.end)

        frames = faults.shaped_frames(
            reply.events,
            plan,
            operation=call.operation,
            abort=environ.get(ABORT_KEY),
            log=log,
            on_finish=finished,
            # A bidirectional stream answers while the client is still writing: each event leaves at once.
            coalesce=call.operation not in _DUPLEX_OPERATIONS,
        )
        return _Answer(200, headers, frames)

    def _abort(self, environ: dict[str, Any], outcome: _Outcome, how: str) -> _Answer:
        abort = environ.get(ABORT_KEY)
        outcome.entry.status = 0
        self._finish(outcome, stream_end=how)
        if abort is not None:
            abort()
        return _Answer(500, [("Content-Length", "0")], b"")

    def _common_headers(self, request_id: str, plan: Plan, warnings: list[str]) -> list[tuple[str, str]]:
        headers = [("x-amzn-RequestId", request_id)]
        if plan.rule_label:
            headers.append((RULE_HEADER, plan.rule_label))
        if warnings:
            headers.append((WARNING_HEADER, "; ".join(warnings)))
        return headers

    def _error(self, error: AwsError, service: str, outcome: _Outcome) -> _Answer:
        status = error.status(service)
        body = _json_bytes(error.body())
        headers = [
            ("x-amzn-RequestId", outcome.entry.request_id),
            ("x-amzn-ErrorType", error.error_type_header()),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        if outcome.entry.rule:
            headers.append((RULE_HEADER, outcome.entry.rule))
        outcome.entry.status = status
        outcome.entry.error_code = error.code
        outcome.entry.response_body = body
        outcome.entry.response_headers = headers
        self._finish(outcome)
        return _Answer(status, headers, body)

    def _finish(self, outcome: _Outcome, *, stream_end: str | None = None) -> None:
        entry = outcome.entry
        entry.latency_ms = round((time.perf_counter() - outcome.started) * 1000, 3)
        entry.stream_end = stream_end
        try:
            self.journal.record(entry)
        except StateUnavailableError as exc:  # the answer stands; only its journal entry is lost
            log.warning("call not journaled: %s", exc)
        request_log.log_call(entry, outcome.method, outcome.path)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers by lower-cased name, from the WSGI environ."""
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers


def _query_lists(pairs: list[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[str]] = {}
    for key, value in pairs:
        lists.setdefault(key, []).append(value)
    return {key: tuple(values) for key, values in lists.items()}


def _body(environ: dict[str, Any], service: str, operation: str) -> bytes:
    """The request body within the operation's limit (botocore's, or the server's cap), read in bounded
    pieces; a declared length over the limit is refused before any of it is read."""
    hard_cap = int(environ.get(BODY_LIMIT_KEY, DEFAULT_BODY_LIMIT))
    declared = environ.get("CONTENT_LENGTH") or ""
    declared_length = int(declared) if declared.isdigit() else 0
    payload = None
    if declared_length > limits.PAYLOAD_FLOOR or environ.get("wsgi.input_terminated"):
        payload = limits.payload_max(service, operation)
    limit = min(payload[1], hard_cap) if payload else hard_cap
    try:
        return read_body(environ, limit)
    except BodyTooLargeError:
        if payload is not None and limit == payload[1]:
            raise limits.payload_too_long(*payload) from None
        raise limits.too_large(limit) from None


def _json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON; a lone surrogate from an echoed input becomes ``?`` instead of an error."""
    return json_text.compact(value).encode("utf-8", "replace")


def _uuid4_text(sixteen: bytes) -> str:
    """``str(uuid.UUID(bytes=sixteen, version=4))`` without building the UUID object."""
    raw = bytearray(sixteen)
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _truncated(prefix: bytes, abort: Callable[[], None] | None) -> Iterator[bytes]:
    yield prefix
    if abort is not None:
        abort()


def _replace(call: OperationCall, **changes: Any) -> OperationCall:
    from dataclasses import replace

    return replace(call, **changes)
