"""The request log line and the two log formats, with plain journal entries and an in-memory stream.

What a log pipeline relies on: JSON lines parse, have the same keys on every request line, and a
crafted access key or path cannot forge a second line; the query string (presigned credentials) is
never written; and nothing is built when INFO is off.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from emulator import log_setup, request_log
from emulator.journal import JournalEntry


def entry(**changes: Any) -> JournalEntry:
    values: dict[str, Any] = {
        "time": 1_800_000_000.0,
        "tenant": "AKIDEXAMPLE",
        "service": "bedrock-runtime",
        "operation": "Converse",
        "model": "amazon.nova-micro-v1:0",
        "status": 200,
        "request_id": "0f6b4c1e-9d38-4b7e-8a55-7d2b1c3e4f50",
        "latency_ms": 3.25,
        "protocol": "HTTP/1.1",
    }
    values.update(changes)
    return JournalEntry(**values)


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The root logger as ``serve`` configures it, writing into a string; restored afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    quiet = {name: logging.getLogger(name).level for name in log_setup.QUIET_LOGGERS}
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in saved[1]:
            root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


def lines(stream: io.StringIO) -> list[str]:
    log_setup.flush()  # lines are written by the log's writer thread
    return stream.getvalue().splitlines()


def test_text_line_reads_method_path_status_then_named_fields(output: io.StringIO) -> None:
    log_setup.configure("INFO", "text", output)

    request_log.log_call(entry(), "POST", "/model/amazon.nova-micro-v1:0/converse")

    (line,) = lines(output)
    assert line.endswith(
        " bedrock_emulator.requests INFO POST /model/amazon.nova-micro-v1:0/converse 200"
        " operation=Converse tenant=AKIDEXAMPLE model=amazon.nova-micro-v1:0 latency_ms=3.25"
        " request_id=0f6b4c1e-9d38-4b7e-8a55-7d2b1c3e4f50"
    )


def test_an_error_and_a_stream_say_how_they_ended(output: io.StringIO) -> None:
    log_setup.configure("INFO", "text", output)

    request_log.log_call(
        entry(status=429, error_code="ThrottlingException", rule="throttle-first-3/first-3"), "POST", "/x"
    )
    request_log.log_call(
        entry(operation="ConverseStream", stream_end="exception", events_sent=5), "POST", "/y"
    )

    error, stream = lines(output)
    assert " 429 " in error
    assert "error_code=ThrottlingException rule=throttle-first-3/first-3" in error
    assert stream.endswith("stream_end=exception events_sent=5")


def test_json_request_lines_carry_every_call_field_in_a_fixed_order(output: io.StringIO) -> None:
    log_setup.configure("INFO", "json", output)

    request_log.log_call(entry(), "POST", "/model/m/converse")
    request_log.log_call(entry(stream_end="completed", events_sent=7, model=None), "POST", "/model/m/stream")

    unary, stream = (json.loads(line) for line in lines(output))
    expected_keys = ["time", "level", "logger", "message", *request_log.CALL_FIELDS]
    assert list(unary) == expected_keys
    assert list(stream) == expected_keys
    assert unary["level"] == "INFO"
    assert unary["logger"] == "bedrock_emulator.requests"
    assert unary["time"].endswith("+00:00")
    assert (unary["method"], unary["path"], unary["status"]) == ("POST", "/model/m/converse", 200)
    assert unary["latency_ms"] == 3.25
    assert unary["stream_end"] is None
    assert (stream["stream_end"], stream["events_sent"], stream["model"]) == ("completed", 7, None)


def test_the_query_string_is_never_logged(output: io.StringIO) -> None:
    log_setup.configure("INFO", "json", output)

    request_log.log_call(
        entry(), "GET", "/async-invoke?X-Amz-Credential=AKID%2F20261207&X-Amz-Signature=deadbeef"
    )

    (line,) = lines(output)
    assert json.loads(line)["path"] == "/async-invoke"
    assert "Signature" not in line
    assert "deadbeef" not in line


def test_a_crafted_tenant_or_path_cannot_start_a_new_line_or_fake_a_field(output: io.StringIO) -> None:
    log_setup.configure("INFO", "text", output)

    request_log.log_call(entry(tenant='x\nFAKE status=200 "'), "POST", "/model/a b/converse")

    (line,) = lines(output)
    assert 'tenant="x\\nFAKE status=200 \\""' in line
    assert '"/model/a b/converse"' in line


def test_nothing_is_built_when_info_is_off(output: io.StringIO) -> None:
    log_setup.configure("WARNING", "text", output)

    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"read {name} although INFO is off")

    request_log.log_call(Untouchable(), "POST", "/model/m/converse")  # type: ignore[arg-type]

    assert output.getvalue() == ""


def test_third_party_chatter_is_quiet_unless_debug(output: io.StringIO) -> None:
    log_setup.configure("INFO", "text", output)
    logging.getLogger("botocore.credentials").info("Found credentials in environment variables.")
    logging.getLogger("faker.factory").debug("Looking for locale `en_US` in provider `faker.providers`.")
    logging.getLogger("urllib3.connectionpool").warning("Retrying after connection broken")
    quiet_at_info = lines(output)

    log_setup.configure("DEBUG", "text", output)
    logging.getLogger("botocore.credentials").info("Found credentials in environment variables.")

    assert len(quiet_at_info) == 1
    assert "Retrying after connection broken" in quiet_at_info[0]
    assert "Found credentials" in lines(output)[-1]


def test_an_exception_stays_on_one_json_line(output: io.StringIO) -> None:
    log_setup.configure("INFO", "json", output)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bedrock_emulator").exception("bedrock-emulator bug while serving POST /x")

    (line,) = lines(output)
    record = json.loads(line)
    assert record["level"] == "ERROR"
    assert "RuntimeError: boom" in record["exception"]


def test_notice_is_written_at_any_level_in_the_configured_format(output: io.StringIO) -> None:
    log_setup.configure("ERROR", "json", output)
    log_setup.notice("bedrock-emulator serving on http://127.0.0.1:8484", endpoint="http://127.0.0.1:8484")
    log_setup.configure("ERROR", "text", output)
    log_setup.notice("bedrock-emulator serving on http://127.0.0.1:8484", endpoint="http://127.0.0.1:8484")

    as_json, as_text = lines(output)
    assert json.loads(as_json)["endpoint"] == "http://127.0.0.1:8484"
    assert as_text == "bedrock-emulator serving on http://127.0.0.1:8484"


def test_the_text_formatter_writes_what_loggings_own_formatter_writes_across_seconds() -> None:
    import logging

    from emulator.log_setup import TEXT_FORMAT, TextFormatter

    ours, stock = TextFormatter(), logging.Formatter(TEXT_FORMAT)
    record = logging.LogRecord(
        "bedrock_emulator.requests", logging.INFO, __file__, 1, "call %s", ("a",), None
    )
    for step in (0.0, 0.25, 0.999, 1.0, 61.5, 3600.001):
        record.created = 1_796_600_000.0 + step
        record.msecs = (record.created - int(record.created)) * 1000
        assert ours.format(record) == stock.format(record)


def test_the_text_formatter_writes_a_traceback_as_loggings_own_formatter_does() -> None:
    from emulator.log_setup import TEXT_FORMAT, TextFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failure = sys.exc_info()
    record = logging.LogRecord("bedrock_emulator", logging.ERROR, __file__, 1, "failed %s", ("x",), failure)
    assert TextFormatter().format(record) == logging.Formatter(TEXT_FORMAT).format(record)
    assert "ValueError: boom" in TextFormatter().format(record)
