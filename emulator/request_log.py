"""One INFO line per served Bedrock call, on the ``bedrock_emulator.requests`` logger.

The data plane calls `log_call` where it journals a call: when a unary answer is ready, and when a
stream ends (so its line carries how it ended). Nothing is built unless INFO is enabled for the logger,
so ``--log-level WARNING`` costs one ``isEnabledFor`` per call.

A line reads, in the text format::

    POST /model/amazon.nova-micro-v1:0/converse 200 operation=Converse tenant=AKID latency_ms=3.1 request_id=...

and the same fields travel on the record (``record.fields``) for the JSON format (`emulator.log_setup`).
The query string is never logged: presigned URLs carry credentials in it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.journal import JournalEntry

__all__ = ["CALL_FIELDS", "LOGGER_NAME", "log_call"]

LOGGER_NAME = "bedrock_emulator.requests"
# The keys every request line's ``call`` mapping has, in this order (null when not applicable).
CALL_FIELDS = (
    "method",
    "path",
    "status",
    "service",
    "operation",
    "tenant",
    "model",
    "error_code",
    "rule",
    "latency_ms",
    "request_id",
    "stream_end",
    "events_sent",
    "protocol",
)

_log = logging.getLogger(LOGGER_NAME)
_PLAIN = re.compile(r"[!#-~]+")  # visible ASCII but the double quote


def log_call(entry: JournalEntry, method: str, path: str) -> None:
    """Log one served call (after it is journaled); free when INFO is off for the logger."""
    if not _log.isEnabledFor(logging.INFO):
        return
    call: dict[str, Any] = {
        "method": method,
        "path": path.partition("?")[0],
        "status": entry.status,
        "service": entry.service,
        "operation": entry.operation,
        "tenant": entry.tenant,
        "model": entry.model,
        "error_code": entry.error_code,
        "rule": entry.rule,
        "latency_ms": entry.latency_ms,
        "request_id": entry.request_id,
        "stream_end": entry.stream_end,
        "events_sent": entry.events_sent,
        "protocol": entry.protocol,
    }
    _log.handle(_CallRecord(call))


class _CallRecord(logging.LogRecord):
    """A request line's record, made without ``Logger.info``'s general work per call (walking the stack
    for the caller, reading the source file's name, copying ``extra``): for this one line, all but the
    time, thread, process and fields are the same every time. Handlers see an ordinary ``LogRecord``."""

    def __init__(self, call: dict[str, Any]) -> None:
        self.__dict__.update(_CONSTANT)
        now = time.time()
        self.created = now
        self.msecs = int((now - int(now)) * 1000) + 0.0
        self.relativeCreated = (now - _STARTED) * 1000
        self.thread = threading.get_ident()
        self.threadName = threading.current_thread().name
        self.process = os.getpid()
        self.msg = _Line(call)
        self.fields = call


_STARTED: float = getattr(logging, "_startTime", time.time())  # what relativeCreated counts from
_CONSTANT: dict[str, Any] = {
    "name": LOGGER_NAME,
    "args": (),
    "levelname": logging.getLevelName(logging.INFO),
    "levelno": logging.INFO,
    "pathname": __file__,
    "filename": os.path.basename(__file__),
    "module": __name__.rpartition(".")[2],
    "exc_info": None,
    "exc_text": None,
    "stack_info": None,
    "lineno": 0,
    "funcName": "log_call",
    "processName": "MainProcess",
    "taskName": None,
}


class _Line:
    """The text of a request line, built only when the writer formats it (off the request's thread)."""

    __slots__ = ("call",)

    def __init__(self, call: dict[str, Any]) -> None:
        self.call = call

    def __str__(self) -> str:
        return _text(self.call)


def _text(call: dict[str, Any]) -> str:
    words = [_value(call["method"]), _value(call["path"]), str(call["status"])]
    for key in ("operation", "tenant", "model", "error_code", "rule", "latency_ms", "request_id"):
        if call[key] is not None:
            words.append(f"{key}={_value(call[key])}")
    if call["stream_end"] is not None:
        words.append(f"stream_end={_value(call['stream_end'])}")
        if call["events_sent"] is not None:
            words.append(f"events_sent={call['events_sent']}")
    return " ".join(words)


def _value(value: object) -> str:
    text = str(value)
    # Anything but plain visible ASCII is JSON-quoted, so a crafted access key or path can never start a
    # new log line or pass for another field.
    return text if _PLAIN.fullmatch(text) else json.dumps(text)
