"""InvokeAgent / InvokeInlineAgent on the raw wire: the ``completion`` event stream's frames, the response
headers, and injected exception events, checked against botocore's own decoder and service model (boto3
silently drops undeclared events, so only raw bytes can show them)."""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from botocore.eventstream import EventStreamBuffer, EventStreamMessage
from botocore.loaders import Loader

from emulator.pytest_plugin import BedrockEmulator

_MODEL = Loader().load_service_model("bedrock-agent-runtime", "service-2")


def _members(shape: str, *, exceptions: bool) -> set[str]:
    shapes = _MODEL["shapes"]
    return {
        name
        for name, member in shapes[shape]["members"].items()
        if bool(shapes[member["shape"]].get("exception")) == exceptions
    }


AGENT_EVENTS = _members("ResponseStream", exceptions=False)
AGENT_EXCEPTIONS = _members("ResponseStream", exceptions=True)
INLINE_EVENTS = _members("InlineAgentResponseStream", exceptions=False)


def _post(emulator: BedrockEmulator, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(emulator.endpoint_url)
    assert url.hostname == "127.0.0.1"
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": (
                    f"AWS4-HMAC-SHA256 Credential={emulator.tenant}/20260101/us-east-1/bedrock/aws4_request, "
                    "SignedHeaders=host, Signature=00"
                ),
            },
        )
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _frames(data: bytes) -> list[EventStreamMessage]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    messages = list(buffer)  # CRC-checked by botocore
    assert sum(m.prelude.total_length for m in messages) == len(data), "trailing bytes after the last frame"
    return messages


def _invoke(
    emulator: BedrockEmulator, body: dict[str, Any], session: str = "wire-session"
) -> tuple[int, dict[str, str], list[EventStreamMessage]]:
    status, headers, data = _post(
        emulator, f"/agents/AGENT12345/agentAliases/TSTALIASID/sessions/{session}/text", body
    )
    return status, headers, _frames(data) if status == 200 else []


def test_invoke_agent_response_headers(bedrock_emulator: BedrockEmulator) -> None:
    status, headers, _ = _invoke(bedrock_emulator, {"inputText": "Where is ORD-123456?", "memoryId": "mem-7"})
    assert status == 200
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["x-amzn-bedrock-agent-content-type"] == "application/json"
    assert headers["x-amz-bedrock-agent-session-id"] == "wire-session"
    assert headers["x-amz-bedrock-agent-memory-id"] == "mem-7"
    assert headers["x-amzn-requestid"]


def test_memory_header_is_absent_without_a_memory_id(bedrock_emulator: BedrockEmulator) -> None:
    _status, headers, _ = _invoke(bedrock_emulator, {"inputText": "hello"})
    assert "x-amz-bedrock-agent-memory-id" not in headers


def test_completion_frames_are_declared_events_with_bedrock_headers(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _status, _headers, frames = _invoke(
        bedrock_emulator, {"inputText": "Where is ORD-123456?", "enableTrace": True}
    )
    assert len(frames) > 5
    for frame in frames:
        headers = frame.headers
        assert list(headers) == [":event-type", ":content-type", ":message-type"]
        assert headers[":message-type"] == "event"
        assert headers[":content-type"] == "application/json"
        assert headers[":event-type"] in AGENT_EVENTS
    kinds = [f.headers[":event-type"] for f in frames]
    assert kinds[-1] == "chunk"
    assert set(kinds) == {"trace", "chunk"}
    chunk = json.loads(frames[-1].payload)
    assert base64.b64decode(chunk["bytes"]).decode().startswith("Order ORD-123456 is ")
    trace = json.loads(frames[0].payload)
    assert set(trace) <= set(_MODEL["shapes"]["TracePart"]["members"])
    assert set(trace["trace"]) <= set(_MODEL["shapes"]["Trace"]["members"])


def test_injected_exception_event_follows_the_first_event_and_ends_the_stream(
    bedrock_emulator: BedrockEmulator,
) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"""
version: 1
name: agent-wire-throttle-{bedrock_emulator.tenant}
rules:
  - id: throttle-after-one
    match: {{operations: [InvokeAgent]}}
    stream: {{exception_after: {{events: 1, member: throttlingException}}}}
"""
        )
    )
    status, _headers, frames = _invoke(
        bedrock_emulator, {"inputText": "Where is ORD-123456?", "enableTrace": True}
    )
    assert status == 200
    assert len(frames) == 2
    assert frames[0].headers[":message-type"] == "event"
    last = frames[1].headers
    assert last[":message-type"] == "exception"
    assert last[":exception-type"] == "throttlingException"
    assert last[":exception-type"] in AGENT_EXCEPTIONS
    assert json.loads(frames[1].payload)["message"]


def test_return_control_event_is_declared_and_ends_the_turn(bedrock_emulator: BedrockEmulator) -> None:
    status, headers, data = _post(
        bedrock_emulator,
        "/agents/wire-inline",
        {
            "foundationModel": "anthropic.claude-3-5-sonnet-20241022-v2:0",
            "instruction": "You book meeting rooms for employees with the book_room function.",
            "inputText": "Book room 4 for the design review",
            "actionGroups": [
                {
                    "actionGroupName": "rooms",
                    "actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
                    "functionSchema": {
                        "functions": [
                            {
                                "name": "book_room",
                                "description": "Book a meeting room",
                                "parameters": {"room": {"type": "integer", "required": True}},
                            }
                        ]
                    },
                }
            ],
        },
    )
    assert status == 200
    assert headers["x-amz-bedrock-agent-session-id"] == "wire-inline"
    frames = _frames(data)
    assert [f.headers[":event-type"] for f in frames] == ["returnControl"]
    assert {f.headers[":event-type"] for f in frames} <= INLINE_EVENTS
    payload = json.loads(frames[0].payload)
    function = payload["invocationInputs"][0]["functionInvocationInput"]
    assert function["parameters"] == [{"name": "room", "type": "integer", "value": "4"}]


def test_unknown_agent_in_strict_mode_is_a_json_404_before_any_frame(
    bedrock_emulator: BedrockEmulator,
) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: agent-wire-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    status, headers, data = _post(
        bedrock_emulator, "/agents/AGENT12345/agentAliases/TSTALIASID/sessions/s1/text", {"inputText": "hi"}
    )
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-errortype"].startswith("ResourceNotFoundException:")
    assert json.loads(data) == {
        "message": "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier"
    }
