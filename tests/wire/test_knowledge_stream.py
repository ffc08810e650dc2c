"""RetrieveAndGenerateStream on the raw wire: the ``stream`` member's frames, its header
``x-amzn-bedrock-knowledge-base-session-id``, and an injected exception event, checked against botocore's
decoder and the service model (boto3 drops undeclared events silently, so only raw bytes can show them)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from botocore.eventstream import EventStreamBuffer, EventStreamMessage
from botocore.loaders import Loader

from emulator.pytest_plugin import BedrockEmulator

_SHAPES = Loader().load_service_model("bedrock-agent-runtime", "service-2")["shapes"]
_STREAM = _SHAPES["RetrieveAndGenerateStreamResponseOutput"]["members"]
EVENTS = {n for n, m in _STREAM.items() if not _SHAPES[m["shape"]].get("exception")}
EXCEPTIONS = {n for n, m in _STREAM.items() if _SHAPES[m["shape"]].get("exception")}
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
REQUEST = {
    "input": {"text": "How do I reset my password?"},
    "retrieveAndGenerateConfiguration": {
        "type": "KNOWLEDGE_BASE",
        "knowledgeBaseConfiguration": {"knowledgeBaseId": "KBRAWWIRE1", "modelArn": MODEL_ARN},
    },
}


def _post(emulator: BedrockEmulator, body: dict[str, Any], tenant: str) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(emulator.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/retrieveAndGenerateStream",
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"AWS4-HMAC-SHA256 Credential={tenant}/20260101/us-east-1/bedrock/aws4_request, "
                "SignedHeaders=host, Signature=00",
            },
        )
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _frames(data: bytes) -> list[EventStreamMessage]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_retrieve_and_generate_stream_frames_are_declared_events_with_the_session_header(
    bedrock_emulator: BedrockEmulator,
) -> None:
    status, headers, body = _post(bedrock_emulator, REQUEST, bedrock_emulator.tenant)
    assert status == 200
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["transfer-encoding"] == "chunked"
    session_id = headers["x-amzn-bedrock-knowledge-base-session-id"]
    assert session_id
    frames = _frames(body)
    kinds = [f.headers[":event-type"] for f in frames]
    assert set(kinds) <= EVENTS
    assert "output" in kinds
    assert "citation" in kinds
    for frame in frames:
        assert list(frame.headers) == [":event-type", ":content-type", ":message-type"]
        assert frame.headers[":message-type"] == "event"
        json.loads(frame.payload)
    text = "".join(json.loads(f.payload)["text"] for f in frames if f.headers[":event-type"] == "output")
    assert text.strip()


def test_retrieve_and_generate_stream_keeps_a_given_session_id(bedrock_emulator: BedrockEmulator) -> None:
    _, first, _ = _post(bedrock_emulator, REQUEST, bedrock_emulator.tenant)
    session_id = first["x-amzn-bedrock-knowledge-base-session-id"]
    _, second, _ = _post(bedrock_emulator, {**REQUEST, "sessionId": session_id}, bedrock_emulator.tenant)
    assert second["x-amzn-bedrock-knowledge-base-session-id"] == session_id


def test_retrieve_and_generate_stream_injected_exception_is_a_declared_exception_frame(
    bedrock_emulator: BedrockEmulator,
) -> None:
    name = f"rag-stream-fault-{bedrock_emulator.tenant}"
    bedrock_emulator.load_scenario(
        f"""
version: 1
name: {name}
rules:
  - id: throttle-mid-stream
    match: {{operations: [RetrieveAndGenerateStream]}}
    stream:
      exception_after: {{events: 1, member: throttlingException}}
"""
    )
    bedrock_emulator.use_scenario(name)
    status, headers, body = _post(bedrock_emulator, REQUEST, bedrock_emulator.tenant)
    assert status == 200
    assert headers["x-bedrock-emulator-rule"] == f"{name}/throttle-mid-stream"
    frames = _frames(body)
    assert len(frames) == 2
    last = frames[-1]
    assert list(last.headers) == [":exception-type", ":content-type", ":message-type"]
    assert last.headers[":message-type"] == "exception"
    assert last.headers[":exception-type"] == "throttlingException"
    assert last.headers[":exception-type"] in EXCEPTIONS
    assert json.loads(last.payload)["message"]
