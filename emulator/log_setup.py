"""How ``serve`` writes its log to stderr: ``text`` (for people) or ``json`` (one object per line, for log
pipelines), at a level, with third-party libraries kept quiet below WARNING unless the level is DEBUG.

JSON lines always have ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``; request lines add
every key of `emulator.request_log.CALL_FIELDS` (null when not applicable), from the record's
``fields`` mapping; a record with an exception
adds ``exception`` (the formatted traceback, still on one line: JSON escapes its newlines).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["QUIET_LOGGERS", "JsonFormatter", "configure", "notice"]

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
# Libraries whose INFO and DEBUG chatter (connection pools, credential lookups, frames, locale
# loading, index building) says nothing about the emulator's own traffic.
QUIET_LOGGERS = ("werkzeug", "botocore", "boto3", "urllib3", "faker", "h2", "hpack", "bm25s")

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


def configure(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every record at ``level`` or above to ``stream`` (stderr) in ``log_format``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    previous = _handler()
    if previous is not None:
        root.removeHandler(previous)
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
    if handler is None or not isinstance(handler.formatter, JsonFormatter):
        stream = handler.stream if isinstance(handler, logging.StreamHandler) else sys.stderr
        print(message, file=stream, flush=True)
        return
    record = logging.LogRecord("bedrock_emulator", logging.INFO, __file__, 0, message, None, None)
    record.__dict__["fields"] = fields
    handler.handle(record)
