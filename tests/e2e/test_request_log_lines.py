"""``serve`` writes one request line per served Bedrock call, at INFO (the default level): a unary call
when it is answered, a stream when it ends; ``--log-format json`` makes each a JSON object with every
call field; ``--log-level WARNING`` drops them. Real processes, boto3 over real sockets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from test_cli_config import Serving, clean_env

from emulator.request_log import CALL_FIELDS

MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say something about rivers."}]}]


def client(url: str, tenant: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def three_calls(url: str) -> None:
    """A Converse, a ConverseStream read to its end, and a throttled Converse."""
    ok = client(url, "log-tenant")
    ok.converse(modelId=MODEL, messages=MESSAGES)
    for _ in ok.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]:
        pass
    ok.close()
    throttled = client(url, "throttle-always")
    with pytest.raises(throttled.exceptions.ThrottlingException):
        throttled.converse(modelId=MODEL, messages=MESSAGES)
    throttled.close()


def journal(serving: Serving) -> list[dict[str, Any]]:
    status, body = serving.request("GET", "/_emulator/requests")
    assert status == 200
    entries: list[dict[str, Any]] = body["requests"]  # type: ignore[assignment,index]
    return entries


def test_text_lines_one_per_call_with_the_journal_request_ids(tmp_path: Path) -> None:
    serving = Serving(["--port", "0"], clean_env(), tmp_path)
    try:
        three_calls(serving.url)
        entries = journal(serving)
    finally:
        assert serving.stop() == 0

    lines = [line for line in serving.stderr().splitlines() if " bedrock_emulator.requests INFO " in line]
    assert len(lines) == 3
    for line, entry in zip(lines, entries, strict=True):
        assert f"request_id={entry['request_id']}" in line
    converse, stream, throttled = lines
    # the path as sent: boto3 percent-encodes the colon of the model id
    assert (
        "POST /model/amazon.nova-micro-v1%3A0/converse 200 operation=Converse tenant=log-tenant" in converse
    )
    assert "operation=ConverseStream" in stream
    assert "stream_end=completed events_sent=" in stream
    assert " 429 operation=Converse tenant=throttle-always" in throttled
    assert "error_code=ThrottlingException rule=throttle-always/" in throttled


def test_json_lines_carry_every_call_field(tmp_path: Path) -> None:
    serving = Serving(["--port", "0", "--log-format", "json"], clean_env(), tmp_path)
    try:
        three_calls(serving.url)
        entries = journal(serving)
    finally:
        assert serving.stop() == 0

    records = [json.loads(line) for line in serving.stderr().splitlines()]  # every line parses
    calls = [r for r in records if r["logger"] == "bedrock_emulator.requests"]
    assert [list(r)[4:] for r in calls] == [list(CALL_FIELDS)] * 3
    assert [r["request_id"] for r in calls] == [e["request_id"] for e in entries]
    assert [(r["operation"], r["status"], r["stream_end"]) for r in calls] == [
        ("Converse", 200, None),
        ("ConverseStream", 200, "completed"),
        ("Converse", 429, None),
    ]
    assert calls[1]["events_sent"] > 0
    assert all(r["latency_ms"] >= 0 and r["method"] == "POST" for r in calls)


def test_warning_level_drops_the_request_lines(tmp_path: Path) -> None:
    serving = Serving(["--port", "0"], clean_env(BEDROCK_EMULATOR_LOG_LEVEL="warning"), tmp_path)
    try:
        three_calls(serving.url)
    finally:
        assert serving.stop() == 0

    assert serving.stderr().splitlines() == [f"bedrock-emulator serving on {serving.url}"]
