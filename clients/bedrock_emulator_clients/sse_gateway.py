"""A streaming gateway: a small Flask app that relays Bedrock's ConverseStream to browsers as
Server-Sent Events, so a web page renders tokens as they come (``EventSource`` or ``fetch``) without
knowing anything about AWS's event-stream encoding or credentials.

``POST /chat`` with ``{"prompt": "..."}`` or ``{"messages": [...]}`` (Converse's shape), or
``GET /chat?prompt=...`` for ``EventSource``, answers ``text/event-stream``:

- a ``: connected`` comment at once, so the browser (and any proxy) sees the response start before a
  slow model's first token; then a ``: keep-alive`` comment whenever ``heartbeat`` seconds pass
  without a token, so idle-connection timeouts do not cut a long wait;
- ``event: token`` with ``{"text": ...}`` per text delta;
- ``event: done`` with ``{"stopReason", "usage", "timeToFirstToken"}`` when the stream completed;
- ``event: error`` with ``{"code", "message", "retryable"}`` when Bedrock refused the call, the stream
  broke with an in-stream exception (``modelStreamErrorException``...) or the connection was cut.
  The tokens already sent stay sent; the page decides whether to keep or retry them.

A reader thread per request moves the Bedrock stream into a queue bounded to ``buffer`` events, so a
slow browser holds back reading from Bedrock instead of growing memory; when the browser goes away the
Bedrock stream is closed.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import botocore.exceptions
from flask import Flask, Response, request, stream_with_context

from .retry import CONNECTION_ERROR, RETRYABLE_CODES, error_code

__all__ = ["MAX_PROMPT_CHARS", "create_gateway", "sse"]

MAX_PROMPT_CHARS = 100_000
MAX_MESSAGES = 100
_END = object()


def sse(event: str, data: Mapping[str, Any]) -> str:
    """One Server-Sent Event (JSON data on one line, so no line of it can end the event early)."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _error_event(error: BaseException) -> str:
    code = error_code(error) or type(error).__name__
    if isinstance(error, botocore.exceptions.ClientError):
        message = str(error.response.get("Error", {}).get("Message", ""))
    elif code == CONNECTION_ERROR:
        message = "The connection to the model broke before the answer was complete."
    else:
        message = "The gateway could not relay the answer."
    return sse(
        "error",
        {"code": code, "message": message, "retryable": code in RETRYABLE_CODES or code == CONNECTION_ERROR},
    )


def _bad_request(message: str) -> Response:
    return Response(json.dumps({"message": message}), status=400, mimetype="application/json")


def _messages(payload: Any) -> list[dict[str, Any]] | str:
    """Converse messages from the request, or what is wrong with it."""
    if not isinstance(payload, Mapping):
        return "send a JSON object with prompt or messages"
    if isinstance(payload.get("prompt"), str):
        prompt = payload["prompt"]
        if not prompt.strip() or len(prompt) > MAX_PROMPT_CHARS:
            return f"prompt must be 1 to {MAX_PROMPT_CHARS} characters"
        return [{"role": "user", "content": [{"text": prompt}]}]
    messages = payload.get("messages")
    if (
        isinstance(messages, list)
        and 0 < len(messages) <= MAX_MESSAGES
        and len(json.dumps(messages)) <= MAX_PROMPT_CHARS * 2
    ):
        return messages
    return f"messages must be a list of 1 to {MAX_MESSAGES} Converse messages (at most {MAX_PROMPT_CHARS * 2} characters of JSON)"


def _put(into: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put ``item``, waiting while the queue is full; False if the relay stopped meanwhile."""
    while not stop.is_set():
        try:
            into.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _read(client: Any, converse: dict[str, Any], into: queue.Queue[Any], stop: threading.Event) -> None:
    """The reader thread: calls ConverseStream (a slow model may hold even the response headers back),
    moves its events into the queue, then the error that ended it if any, then _END."""
    stream: Any = None
    try:
        stream = client.converse_stream(**converse)["stream"]
        for event in stream:
            if not _put(into, event, stop):
                return
    except Exception as error:  # refusals, in-stream exceptions and cut connections: an error event
        _put(into, error, stop)
    finally:
        if stream is not None:
            stream.close()
    _put(into, _END, stop)


def _relay(client: Any, converse: dict[str, Any], heartbeat: float, buffer: int) -> Iterator[str]:
    yield ": connected\n\n"
    started = time.perf_counter()
    events: queue.Queue[Any] = queue.Queue(maxsize=buffer)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read, args=(client, converse, events, stop), name="sse-gateway-reader", daemon=True
    )
    reader.start()
    first_token: float | None = None
    done: dict[str, Any] = {}
    try:
        while True:
            try:
                event = events.get(timeout=heartbeat)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if event is _END:
                break
            if isinstance(event, Exception):
                yield _error_event(event)
                return
            text = event.get("contentBlockDelta", {}).get("delta", {}).get("text")
            if text:
                if first_token is None:
                    first_token = time.perf_counter() - started
                yield sse("token", {"text": text})
            elif "messageStop" in event:
                done["stopReason"] = event["messageStop"].get("stopReason")
            elif "metadata" in event:
                done["usage"] = event["metadata"].get("usage")
        if "stopReason" not in done:  # the body ended without messageStop: a cut, not an answer
            yield _error_event(botocore.exceptions.ConnectionClosedError(endpoint_url="bedrock"))
            return
        done["timeToFirstToken"] = first_token
        yield sse("done", done)
    finally:
        stop.set()  # the browser went away, or the answer is over: the reader stops and closes Bedrock's stream


def create_gateway(
    client: Any,
    *,
    model_id: str,
    max_tokens: int = 1024,
    system: str | None = None,
    heartbeat: float = 15.0,
    buffer: int = 256,
) -> Flask:
    """The gateway app for one bedrock-runtime ``client`` and model. Run it under any WSGI server
    that streams responses (Werkzeug's, gunicorn with threads, ...)."""
    if heartbeat <= 0 or buffer < 1:
        raise ValueError("need heartbeat > 0 and buffer >= 1")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # larger bodies are refused (413) before parsing

    @app.route("/chat", methods=["GET", "POST"])
    def chat() -> Response:
        payload = request.get_json(silent=True) if request.method == "POST" else dict(request.args)
        messages = _messages(payload)
        if isinstance(messages, str):
            return _bad_request(messages)
        converse: dict[str, Any] = {
            "modelId": model_id,
            "messages": messages,
            "inferenceConfig": {"maxTokens": max_tokens},
        }
        if system:
            converse["system"] = [{"text": system}]
        body = stream_with_context(_relay(client, converse, heartbeat, buffer))
        # no-cache: never store a live answer; X-Accel-Buffering: nginx must pass events on at once.
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(body, mimetype="text/event-stream", headers=headers)

    return app
