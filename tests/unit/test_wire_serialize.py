"""The output serializer: header- and status-bound members leave the body, datetimes are written in their
shape's timestamp format, and a reply already in wire form passes unchanged (and cheaply)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

from emulator.wire import serialize

MOMENT = datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)


def test_iso8601_timestamps_are_written_as_botocore_writes_them() -> None:
    body = {
        "agent": {
            "agentId": "ABCDEFGHIJ",
            "createdAt": MOMENT,
            "updatedAt": MOMENT.replace(microsecond=250000),
            "preparedAt": "2024-01-01T00:00:00Z",  # already wire text: left alone
        }
    }
    written = serialize.output("bedrock-agent", "GetAgent", body).body
    assert written == {
        "agent": {
            "agentId": "ABCDEFGHIJ",
            "createdAt": "2024-05-01T12:30:15Z",
            "updatedAt": "2024-05-01T12:30:15.250000Z",
            "preparedAt": "2024-01-01T00:00:00Z",
        }
    }
    assert isinstance(body["agent"]["createdAt"], datetime)  # the handler's value is not changed in place


def test_timestamps_inside_lists_are_written_and_other_zones_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=2))
    body = {"agentSummaries": [{"agentId": "A", "updatedAt": MOMENT.astimezone(paris)}, {"agentId": "B"}]}
    written = serialize.output("bedrock-agent", "ListAgents", body).body
    assert written["agentSummaries"] == [
        {"agentId": "A", "updatedAt": "2024-05-01T12:30:15Z"},
        {"agentId": "B"},
    ]


def test_a_timestamp_without_a_format_is_epoch_seconds_in_a_rest_json_body() -> None:
    assert serialize.timestamp_text(MOMENT, "unixTimestamp") == 1714566615
    assert serialize.timestamp_text(MOMENT.replace(microsecond=500000), "unixTimestamp") == 1714566615.5
    assert serialize.timestamp_text(MOMENT, "rfc822") == "Wed, 01 May 2024 12:30:15 GMT"
    assert serialize.timestamp_text(MOMENT.replace(tzinfo=None), "iso8601") == "2024-05-01T12:30:15Z"


def test_header_bound_members_become_headers_and_leave_the_body() -> None:
    wire = serialize.output(
        "bedrock-agent-runtime",
        "InvokeFlow",
        {"executionId": "exec-1", "responseStream": []},
    )
    assert wire.headers == {"x-amz-bedrock-flow-execution-id": "exec-1"}
    assert "executionId" not in wire.body


def test_a_reply_with_nothing_to_move_or_write_passes_as_the_same_object_cheaply() -> None:
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    wire = serialize.output("bedrock-runtime", "Converse", body)
    assert wire.body is body
    assert wire.headers == {}
    assert wire.status is None
    runs = 5000
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(runs):
            serialize.output("bedrock-runtime", "Converse", body)
        best = min(best, (time.perf_counter() - started) / runs)
    assert best < 2e-6, f"{best * 1e6:.2f} µs per Converse reply"


def test_operations_botocore_does_not_know_pass_unchanged() -> None:
    body = {"anything": MOMENT}
    assert serialize.output("no-such-service", "Anything", body).body is body
    assert serialize.output("bedrock-agent", "NoSuchOperation", body).body is body


def test_a_status_code_member_sets_the_status_and_header_timestamps_are_http_dates() -> None:
    # None of the four services has these yet; the rules are restJson1's, so a small model shows them.
    model = {
        "operations": {"Op": {"output": {"shape": "Out"}}},
        "shapes": {
            "Out": {
                "type": "structure",
                "members": {
                    "code": {"shape": "Int", "location": "statusCode"},
                    "when": {"shape": "Time", "location": "header", "locationName": "x-when"},
                    "meta": {"shape": "Meta", "location": "headers", "locationName": "x-meta-"},
                    "name": {"shape": "Str"},
                },
            },
            "Int": {"type": "integer"},
            "Time": {"type": "timestamp"},
            "Meta": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
            "Str": {"type": "string"},
        },
    }
    writer = serialize._compile(model, "Op")
    assert writer is not None
    wire = writer.write({"code": 202, "when": MOMENT, "meta": {"a": "1"}, "name": "n"})
    assert wire == serialize.Output(
        {"name": "n"}, {"x-when": "Wed, 01 May 2024 12:30:15 GMT", "x-meta-a": "1"}, 202
    )
