"""InvokeFlow's ``responseStream`` on the raw wire: frames botocore's own decoder accepts, only the events
botocore's model declares for the stream, the execution-id header, and an injected exception event."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.eventstream import EventStreamBuffer, EventStreamMessage

from emulator.pytest_plugin import BedrockEmulator

_PATH = "/flows/ABCDEFGHIJ/aliases/TSTALIASID"
_BODY = {
    "inputs": [
        {
            "content": {"document": "Invoice 7, total 90 USD"},
            "nodeName": "Input",
            "nodeOutputName": "document",
        }
    ]
}


def _declared() -> tuple[set[str], set[str]]:
    model = botocore.session.get_session().get_service_model("bedrock-agent-runtime")
    stream = model.operation_model("InvokeFlow").output_shape.members["responseStream"]
    events = {name for name, shape in stream.members.items() if not shape.metadata.get("exception")}
    errors = {name for name, shape in stream.members.items() if shape.metadata.get("exception")}
    return events, errors


def _post(
    emulator: BedrockEmulator, body: dict[str, Any]
) -> tuple[int, dict[str, str], list[EventStreamMessage]]:
    url = urlsplit(emulator.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"AWS4-HMAC-SHA256 Credential={emulator.tenant}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00",
    }
    try:
        connection.request("POST", _PATH, body=json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        status, raw_headers, data = response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    frames = list(buffer)  # CRC-checked by botocore's decoder
    assert sum(f.prelude.total_length for f in frames) == len(data)
    return status, {k.lower(): v for k, v in raw_headers.items()}, frames


def test_invoke_flow_frames_carry_only_declared_events_and_the_execution_id_header(
    bedrock_emulator: BedrockEmulator,
) -> None:
    declared, _ = _declared()
    status, headers, frames = _post(bedrock_emulator, {**_BODY, "enableTrace": True})
    assert status == 200
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["x-amz-bedrock-flow-execution-id"]
    kinds = [f.headers[":event-type"] for f in frames]
    assert set(kinds) <= declared
    assert {"flowTraceEvent", "flowOutputEvent", "flowCompletionEvent"} <= set(kinds)
    assert kinds[-1] == "flowCompletionEvent"
    for frame in frames:
        assert frame.headers[":message-type"] == "event"
        assert frame.headers[":content-type"] == "application/json"
        json.loads(frame.payload)
    completion = json.loads(frames[-1].payload)
    assert completion == {"completionReason": "SUCCESS"}
    output = json.loads(next(f.payload for f in frames if f.headers[":event-type"] == "flowOutputEvent"))
    assert output["nodeType"] == "FlowOutputNode"
    assert isinstance(output["content"]["document"], str)


def test_scenario_injects_a_throttling_exception_event_after_the_first_flow_event(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _, exceptions = _declared()
    name = bedrock_emulator.load_scenario(
        f"version: 1\nname: flow-throttle-{bedrock_emulator.tenant}\nrules:\n"
        "  - id: flow-exception\n    match: {operations: [InvokeFlow]}\n"
        "    stream: {exception_after: {events: 1, member: throttlingException}}\n"
    )
    bedrock_emulator.use_scenario(name)
    status, _, frames = _post(bedrock_emulator, _BODY)
    assert status == 200
    assert [f.headers[":message-type"] for f in frames] == ["event", "exception"]
    assert frames[0].headers[":event-type"] == "flowOutputEvent"
    exception = frames[1]
    assert exception.headers[":exception-type"] == "throttlingException"
    assert exception.headers[":exception-type"] in exceptions
    assert json.loads(exception.payload)["message"]
