"""Raw HTTP against a running emulator: the bytes and headers boto3 would forgive or hide.

boto3 drops unknown stream events, blanks the code of a non-member exception, ignores header order and
never shows whether an error body was JSON or an HTML page. These tests read the response as a plain
``http.client`` client does and hold it to what real Bedrock sends (wire-facts §3-§6).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.eventstream import EventStreamBuffer, EventStreamMessage

from emulator.pytest_plugin import BedrockEmulator
from emulator.wire.eventstream import decode_frames

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ERROR_NAMESPACE = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_CONVERSE_EVENTS = {
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
}
_EVENT_HEADER_ORDER = [":event-type", ":content-type", ":message-type"]
_EXCEPTION_HEADER_ORDER = [":exception-type", ":content-type", ":message-type"]

_NOVA = "amazon.nova-micro-v1%3A0"
_HAIKU_PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1%3A0"
_TITAN_EMBED = "amazon.titan-embed-text-v2%3A0"
_CONVERSE_BODY = {
    "messages": [{"role": "user", "content": [{"text": "Hello there"}]}],
    "inferenceConfig": {"maxTokens": 64},
}
_ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hello there"}],
}


@dataclass
class _Raw:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"header {name} sent {len(values)} times"
        return values[0] if values else None

    def header_names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}

    def json(self) -> Any:
        return json.loads(self.body)


def _auth(tenant: str, region: str = "us-east-1") -> dict[str, str]:
    return {
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={tenant}/20260101/{region}/bedrock/aws4_request, "
            "SignedHeaders=host, Signature=00"
        )
    }


def _send(
    emulator: BedrockEmulator,
    method: str,
    path: str,
    body: bytes | dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    signed: bool = True,
) -> _Raw:
    url = urlsplit(emulator.endpoint_url)
    assert url.hostname == "127.0.0.1"
    all_headers = {
        "Content-Type": "application/json",
        **(_auth(emulator.tenant) if signed else {}),
        **(headers or {}),
    }
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return _Raw(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def _boto_frames(data: bytes) -> list[EventStreamMessage]:
    """Every frame, CRC-checked by botocore's own decoder (raises ChecksumMismatch otherwise)."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    messages = list(buffer)
    assert sum(m.prelude.total_length for m in messages) == len(data), "trailing bytes after the last frame"
    return messages


def _assert_aws_error(raw: _Raw, status: int, code: str, namespace: str = _ERROR_NAMESPACE) -> dict[str, Any]:
    assert raw.status == status
    assert raw.header("Content-Type") == "application/json"
    assert raw.header("x-amzn-ErrorType") == f"{code}{namespace}"
    assert _UUID.match(raw.header("x-amzn-RequestId") or "")
    body: dict[str, Any] = raw.json()
    assert list(body) == ["message"], "the error body is {'message': ...} and nothing else"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert raw.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return body


# -- unary responses ---------------------------------------------------------------------------------


def test_converse_response_is_json_with_request_id_and_no_token_headers(
    bedrock_emulator: BedrockEmulator,
) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", _CONVERSE_BODY)
    assert raw.status == 200
    assert raw.header("Content-Type") == "application/json"
    assert _UUID.match(raw.header("x-amzn-RequestId") or "")
    assert not {h for h in raw.header_names() if h.startswith("x-amzn-bedrock-")}
    assert int(raw.header("Content-Length") or -1) == len(raw.body)
    body = raw.json()
    assert body["output"]["message"]["role"] == "assistant"
    assert body["usage"]["totalTokens"] == body["usage"]["inputTokens"] + body["usage"]["outputTokens"]


def test_request_ids_differ_between_calls(bedrock_emulator: BedrockEmulator) -> None:
    first = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", _CONVERSE_BODY)
    second = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", _CONVERSE_BODY)
    assert first.header("x-amzn-RequestId") != second.header("x-amzn-RequestId")


def test_fake_sigv4_header_names_the_tenant_in_the_journal(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", _CONVERSE_BODY)
    entries = bedrock_emulator.requests()
    assert [(e.operation, e.status, e.request_id) for e in entries] == [
        ("Converse", 200, raw.header("x-amzn-RequestId"))
    ]


def test_unsigned_request_is_served_as_anonymous(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", _CONVERSE_BODY, signed=False)
    assert raw.status == 200
    request_id = raw.header("x-amzn-RequestId")
    anonymous = bedrock_emulator.admin("GET", "requests?tenant=anonymous&operation=Converse")["requests"]
    assert [e["tenant"] for e in anonymous if e["request_id"] == request_id] == ["anonymous"]
    assert bedrock_emulator.requests() == []


def test_invoke_model_text_sends_the_three_token_headers(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_HAIKU_PROFILE}/invoke", _ANTHROPIC_BODY)
    assert raw.status == 200
    assert raw.header("Content-Type") == "application/json"
    assert _UUID.match(raw.header("x-amzn-RequestId") or "")
    body = raw.json()
    assert raw.header("x-amzn-bedrock-input-token-count") == str(body["usage"]["input_tokens"])
    assert raw.header("x-amzn-bedrock-output-token-count") == str(body["usage"]["output_tokens"])
    assert (raw.header("x-amzn-bedrock-invocation-latency") or "").isdigit()


def test_invoke_model_embeddings_has_no_output_token_header(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_TITAN_EMBED}/invoke", {"inputText": "Hello, world!"})
    assert raw.status == 200
    assert raw.header("x-amzn-bedrock-output-token-count") is None
    body = raw.json()
    assert raw.header("x-amzn-bedrock-input-token-count") == str(body["inputTextTokenCount"])
    assert (raw.header("x-amzn-bedrock-invocation-latency") or "").isdigit()


# -- error responses ---------------------------------------------------------------------------------


def test_invalid_model_id_is_the_real_55_byte_validation_error(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", "/model/not-a-model/converse", _CONVERSE_BODY)
    body = _assert_aws_error(raw, 400, "ValidationException")
    assert body == {"message": "The provided model identifier is invalid."}
    assert raw.header("Content-Length") == "55"


def test_invalid_model_id_on_converse_stream_is_a_plain_json_error(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", "/model/not-a-model/converse-stream", _CONVERSE_BODY)
    _assert_aws_error(raw, 400, "ValidationException")
    assert raw.header("Transfer-Encoding") is None


def test_injected_throttling_has_status_429_and_error_type_header(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(
        bedrock_emulator,
        "POST",
        f"/model/{_NOVA}/converse",
        _CONVERSE_BODY,
        headers={"x-bedrock-emulator-scenario": "throttle-always"},
    )
    body = _assert_aws_error(raw, 429, "ThrottlingException")
    assert body["message"].startswith("Too many requests, please wait before trying again.")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/no/such/path"), ("GET", "/model/m/converse"), ("POST", "/model/m/converse/"), ("GET", "/")],
)
def test_unknown_path_or_method_is_a_json_error_never_html(
    bedrock_emulator: BedrockEmulator, method: str, path: str
) -> None:
    raw = _send(bedrock_emulator, method, path, b"{}" if method == "POST" else None)
    assert 400 <= raw.status < 500
    assert raw.header("Content-Type") == "application/json"
    assert b"<html" not in raw.body.lower()
    assert (raw.header("x-amzn-ErrorType") or "").startswith("UnknownOperationException:")
    assert list(raw.json()) == ["message"]


def test_unimplemented_operation_is_a_json_error_naming_the_operation(
    bedrock_emulator: BedrockEmulator,
) -> None:
    import re

    from emulator.services.handlers import implemented
    from emulator.wire.routing import routes

    missing = [r for r in routes() if r.operation not in implemented() and r.method == "POST"]
    if not missing:
        pytest.skip("every routed operation is implemented")
    route = missing[0]
    raw = _send(bedrock_emulator, "POST", re.sub(r"\{\w+\}", "x", route.template), {})
    assert raw.status == 501
    assert raw.header("Content-Type") == "application/json"
    assert (raw.header("x-amzn-ErrorType") or "").startswith("NotImplementedException:")
    assert _UUID.match(raw.header("x-amzn-RequestId") or "")
    assert route.operation in raw.json()["message"]


def test_malformed_json_body_is_a_json_400(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA}/converse", b'{"messages": [')
    assert raw.status == 400
    assert raw.header("Content-Type") == "application/json"
    assert raw.header("x-amzn-ErrorType") is not None
    assert list(raw.json()) == ["Message"]  # the front end's spelling (wire-facts §9.1)


# -- ConverseStream ----------------------------------------------------------------------------------


def _converse_stream(emulator: BedrockEmulator, **kwargs: Any) -> tuple[_Raw, list[EventStreamMessage]]:
    raw = _send(emulator, "POST", f"/model/{_NOVA}/converse-stream", _CONVERSE_BODY, **kwargs)
    assert raw.status == 200
    return raw, _boto_frames(raw.body)


def test_converse_stream_is_a_chunked_event_stream(bedrock_emulator: BedrockEmulator) -> None:
    raw, _ = _converse_stream(bedrock_emulator)
    assert raw.header("Content-Type") == "application/vnd.amazon.eventstream"
    assert raw.header("Transfer-Encoding") == "chunked"
    assert raw.header("Content-Length") is None
    assert _UUID.match(raw.header("x-amzn-RequestId") or "")


def test_converse_stream_frames_have_bedrock_header_order_and_declared_types(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _, frames = _converse_stream(bedrock_emulator)
    for frame in frames:
        assert list(frame.headers) == _EVENT_HEADER_ORDER
        assert frame.headers[":content-type"] == "application/json"
        assert frame.headers[":message-type"] == "event"
        assert frame.headers[":event-type"] in _CONVERSE_EVENTS


def test_converse_stream_sequence_starts_with_message_start_and_ends_with_metadata(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _, frames = _converse_stream(bedrock_emulator)
    types = [f.headers[":event-type"] for f in frames]
    assert types[0] == "messageStart"
    assert types[-2:] == ["messageStop", "metadata"]
    assert types.count("metadata") == 1
    assert types.count("messageStop") == 1
    # Text blocks get no contentBlockStart in real streams.
    assert "contentBlockStart" not in types
    assert "contentBlockDelta" in types


def test_converse_stream_payloads_carry_padding_member_p(bedrock_emulator: BedrockEmulator) -> None:
    _, frames = _converse_stream(bedrock_emulator)
    for frame in frames:
        payload = json.loads(frame.payload)
        assert isinstance(payload.get("p"), str)
        assert _PADDING.startswith(payload["p"])


def test_converse_stream_metadata_usage_adds_up(bedrock_emulator: BedrockEmulator) -> None:
    _, frames = _converse_stream(bedrock_emulator)
    metadata = json.loads(frames[-1].payload)
    usage = metadata["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(metadata["metrics"]["latencyMs"], int)


def test_our_decoder_agrees_with_botocore_on_a_live_stream(bedrock_emulator: BedrockEmulator) -> None:
    raw, frames = _converse_stream(bedrock_emulator)
    assert [(f.headers, f.payload) for f in decode_frames(raw.body)] == [
        (m.headers, m.payload) for m in frames
    ]


def test_converse_stream_tool_block_has_start_and_json_input_deltas(
    bedrock_emulator: BedrockEmulator,
) -> None:
    tool = {
        "name": "get_weather",
        "inputSchema": {
            "json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        },
    }
    body = {
        **_CONVERSE_BODY,
        "toolConfig": {"tools": [{"toolSpec": tool}], "toolChoice": {"tool": {"name": "get_weather"}}},
    }
    raw = _send(bedrock_emulator, "POST", f"/model/{_HAIKU_PROFILE}/converse-stream", body)
    assert raw.status == 200
    events = [(f.headers[":event-type"], json.loads(f.payload)) for f in _boto_frames(raw.body)]
    assert {kind for kind, _ in events} <= _CONVERSE_EVENTS
    starts = [payload for kind, payload in events if kind == "contentBlockStart"]
    assert [s["start"]["toolUse"]["name"] for s in starts] == ["get_weather"]
    assert starts[0]["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    index = starts[0]["contentBlockIndex"]
    pieces = [
        payload["delta"]["toolUse"]["input"]
        for kind, payload in events
        if kind == "contentBlockDelta" and payload["contentBlockIndex"] == index
    ]
    assert "city" in json.loads("".join(pieces))
    stop = [payload for kind, payload in events if kind == "messageStop"]
    assert [s["stopReason"] for s in stop] == ["tool_use"]


def test_converse_stream_exception_frame_is_lower_camel_and_ends_the_stream(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _, frames = _converse_stream(
        bedrock_emulator, headers={"x-bedrock-emulator-scenario": "stream-exception-after-5"}
    )
    assert len(frames) == 6
    assert all(f.headers[":message-type"] == "event" for f in frames[:5])
    last = frames[-1]
    assert list(last.headers.items()) == [
        (":exception-type", "modelStreamErrorException"),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    payload = json.loads(last.payload)
    assert payload["originalStatusCode"] == 500
    assert payload["originalMessage"] == "Internal server error"
    assert isinstance(payload["message"], str)
    assert payload["message"]


# -- InvokeModelWithResponseStream -------------------------------------------------------------------


def _invoke_stream(emulator: BedrockEmulator, **kwargs: Any) -> tuple[_Raw, list[EventStreamMessage]]:
    raw = _send(
        emulator, "POST", f"/model/{_HAIKU_PROFILE}/invoke-with-response-stream", _ANTHROPIC_BODY, **kwargs
    )
    assert raw.status == 200
    return raw, _boto_frames(raw.body)


def test_invoke_stream_headers_name_the_model_content_type(bedrock_emulator: BedrockEmulator) -> None:
    raw, _ = _invoke_stream(bedrock_emulator)
    assert raw.header("Content-Type") == "application/vnd.amazon.eventstream"
    assert raw.header("Transfer-Encoding") == "chunked"
    assert raw.header("X-Amzn-Bedrock-Content-Type") == "application/json"
    assert _UUID.match(raw.header("x-amzn-RequestId") or "")


def test_invoke_stream_frames_are_chunks_of_base64_bytes_and_padding(
    bedrock_emulator: BedrockEmulator,
) -> None:
    # wire-facts §24: a recorded Claude stream's chunk payloads are {"bytes": ..., "p": <padding>}.
    _, frames = _invoke_stream(bedrock_emulator)
    assert frames
    lengths = set()
    for frame in frames:
        assert list(frame.headers.items()) == [
            (":event-type", "chunk"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ]
        payload = json.loads(frame.payload)
        assert list(payload) == ["bytes", "p"]
        json.loads(base64.b64decode(payload["bytes"], validate=True))
        assert payload["p"]
        assert _PADDING.startswith(payload["p"])
        lengths.add(len(payload["p"]))
    assert len(lengths) > 1, "the padding's length varies from frame to frame"


def test_invoke_stream_last_chunk_carries_invocation_metrics(bedrock_emulator: BedrockEmulator) -> None:
    _, frames = _invoke_stream(bedrock_emulator)
    chunks = [json.loads(base64.b64decode(json.loads(f.payload)["bytes"])) for f in frames]
    assert next(c["type"] for c in chunks) == "message_start"
    assert chunks[-1]["type"] == "message_stop"
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert {"inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency"} <= set(metrics)
    assert all(
        isinstance(metrics[k], int)
        for k in ("inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency")
    )
    assert all("amazon-bedrock-invocationMetrics" not in c for c in chunks[:-1])


def test_invoke_stream_exception_frame_is_a_declared_lower_camel_member(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _, frames = _invoke_stream(
        bedrock_emulator, headers={"x-bedrock-emulator-scenario": "stream-exception-after-5"}
    )
    assert [f.headers.get(":event-type") for f in frames[:5]] == ["chunk"] * 5
    assert list(frames[-1].headers) == _EXCEPTION_HEADER_ORDER
    assert frames[-1].headers[":exception-type"] == "modelStreamErrorException"
    assert len(frames) == 6


def test_converse_stream_payload_keys_are_in_sorted_order_like_recorded_bedrock(
    bedrock_emulator: BedrockEmulator,
) -> None:
    _, frames = _converse_stream(bedrock_emulator)
    for frame in frames:
        keys = list(json.loads(frame.payload))
        assert keys == sorted(keys), frame.payload
