"""How ``serve`` writes its log to stderr: ``text`` (for people) or ``json`` (one object per line, for log
pipelines), at a level, with third-party libraries kept quiet below WARNING unless the level is DEBUG.

JSON lines always have ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``; request lines add
every key of `emulator.request_log.CALL_FIELDS` (null when not applicable), from the record's
``fields`` mapping; a record with an exception
adds ``exception`` (the formatted traceback, still on one line: JSON escapes its newlines).
"""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["QUIET_LOGGERS", "BatchingHandler", "JsonFormatter", "configure", "flush", "notice"]

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
# Libraries whose INFO and DEBUG chatter (connection pools, credential lookups, frames, locale
# loading, index building) says nothing about the emulator's own traffic.
QUIET_LOGGERS = ("werkzeug", "botocore", "boto3", "urllib3", "faker", "hpack", "bm25s")

HANDLER_NAME = "bedrock-emulator"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, ASCII only, keys in a fixed order."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    """``TEXT_FORMAT`` with the time's seconds formatted once a second: a busy server writes a line per
    call, and ``time.strftime`` was most of the cost of each."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)
        self._second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        # ``TEXT_FORMAT`` written directly: the general path (a style object, ``usesTime``, attributes set
        # on the record) cost a request line more than the line itself.
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        return f"{self.formatTime(record)} {record.name} {record.levelname} {record.getMessage()}"

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached, text = self._second
        if cached != second:
            text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = (second, text)
        return f"{text},{int(record.msecs):03d}"


class BatchingHandler(logging.Handler):
    """Formats and writes records on a writer thread, many lines per write.

    A request thread only queues its record. Formatting and writing each line where it is logged (a
    lock, a format, a write system call per served call) took a third of HTTP/1.1 Converse throughput
    at INFO; here a line costs the caller a few microseconds. Lines reach the stream within
    ``interval`` seconds, in order; `flush` (also run at exit) writes what is pending at once.
    """

    def __init__(self, stream: TextIO, interval: float = 0.05) -> None:
        super().__init__()
        self.stream = stream
        self._interval = interval
        self._pending: deque[logging.LogRecord] = deque()
        self._wake = threading.Event()
        self._writing = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="bedrock-emulator-log", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock: appending to a deque is atomic, and nothing else is touched here.
        if not self.filter(record):
            return False
        self._pending.append(record)
        if len(self._pending) >= 512:
            self._wake.set()
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)

    def flush(self) -> None:
        with self._writing:
            lines = []
            while self._pending:
                record = self._pending.popleft()
                try:
                    lines.append(self.format(record) + "\n")
                except Exception:
                    self.handleError(record)
            if lines:
                try:
                    self.stream.write("".join(lines))
                    self.stream.flush()
                except (OSError, ValueError):  # the stream went away (closed at exit, a broken pipe)
                    pass

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.flush()
        super().close()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()


def flush() -> None:
    """Write every pending log line now."""
    handler = _handler()
    if handler is not None:
        handler.flush()


def configure(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every record at ``level`` or above to ``stream`` (stderr) in ``log_format``."""
    handler = BatchingHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    previous = _handler()
    if previous is not None:
        root.removeHandler(previous)
        previous.close()
    root.addHandler(handler)
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    quiet = numeric if numeric == logging.DEBUG else max(numeric, logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


def _handler() -> logging.Handler | None:
    return next((h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME), None)


def notice(message: str, **fields: Any) -> None:
    """Write ``message`` whatever the level (the "serving on" announcement), in the configured format:
    a plain line in text, a JSON object with ``fields`` in json."""
    handler = _handler()
    if handler is not None:
        handler.flush()  # what was logged before stays before
    if handler is None or not isinstance(handler.formatter, JsonFormatter):
        stream = getattr(handler, "stream", None) or sys.stderr
        print(message, file=stream, flush=True)
        return
    record = logging.LogRecord("bedrock_emulator", logging.INFO, __file__, 0, message, None, None)
    record.__dict__["fields"] = fields
    handler.handle(record)
    handler.flush()
