"""The event-stream encoder, proven against botocore's decoder and against hand-derived golden bytes.

botocore is the oracle: ``EventStreamBuffer`` checks the framing and both CRCs, and ``EventStream`` with
bedrock-runtime's real output shapes and ``EventStreamJSONParser`` turns frames into the dicts boto3
yields. The golden vectors are written out from the framing spec (wire-facts §6), not from the encoder.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer, EventStreamMessage
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser

from emulator.wire.eventstream import corrupt_crc, decode_frames, encode_event, encode_exception, encode_frame

_RUNTIME = botocore.session.get_session().get_service_model("bedrock-runtime")

# Hand-built from the spec (wire-facts §6): a string header is name_len:u8, name, type 7, value_len:u16, value.
_HEADERS_MESSAGE_START = (
    "0b" + b":event-type".hex() + "07" + "000c" + b"messageStart".hex()
    + "0d" + b":content-type".hex() + "07" + "0010" + b"application/json".hex()
    + "0d" + b":message-type".hex() + "07" + "0005" + b"event".hex()
)  # fmt: skip
_PAYLOAD_MESSAGE_START = b'{"p":"abcdefghijklmnopqr","role":"assistant"}'
# total 0x8f = 143 = 12 prelude + 82 headers + 45 payload + 4 crc; headers 0x52 = 82 (the recorded real frame).
_GOLDEN_MESSAGE_START = (
    "0000008f" + "00000052" + "d3f1c8f2" + _HEADERS_MESSAGE_START + _PAYLOAD_MESSAGE_START.hex() + "c16b710b"
)

_HEADERS_THROTTLING = (
    "0f" + b":exception-type".hex() + "07" + "0013" + b"throttlingException".hex()
    + "0d" + b":content-type".hex() + "07" + "0010" + b"application/json".hex()
    + "0d" + b":message-type".hex() + "07" + "0009" + b"exception".hex()
)  # fmt: skip
_PAYLOAD_THROTTLING = b'{"message":"Too many requests"}'
_GOLDEN_THROTTLING = (
    "00000090" + "00000061" + "8e91a9b7" + _HEADERS_THROTTLING + _PAYLOAD_THROTTLING.hex() + "e67f8005"
)


# Two frames of a real ConverseStream response (us.amazon.nova-micro-v1:0), as recorded against AWS in
# pydantic-ai's cassette test_bedrock/test_bedrock_model_stream_with_extra_headers.yaml (wire-facts §3.5).
_RECORDED_MESSAGE_START = (
    "000000b000000052f080e7a5"
    "0b3a6576656e742d7479706507000c6d657373616765537461727"
    "40d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e"
    "0d3a6d6573736167652d747970650700056576656e74"
    "7b2270223a226162636465666768696a6b6c6d6e6f707172737475767778797a4142434445464748494a4b4c4d4e4f5051525354"
    "5556575859222c22726f6c65223a22617373697374616e74227d"
    "da67c625"
)
_RECORDED_TEXT_DELTA = (
    "000000a300000057a7aafe78"
    "0b3a6576656e742d74797065070011636f6e74656e74426c6f636b44656c7461"
    "0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e"
    "0d3a6d6573736167652d747970650700056576656e74"
    "7b22636f6e74656e74426c6f636b496e646578223a302c2264656c7461223a7b2274657874223a2248656c6c6f227d2c2270223a"
    "226162636465227d"
    "7cb8e766"
)


class _RawStream:
    """The part of botocore's StreamingBody that ``EventStream`` uses, fed in awkward chunk sizes."""

    def __init__(self, data: bytes, chunk: int = 7) -> None:
        self._data = data
        self._chunk = chunk

    def stream(self) -> Iterator[bytes]:
        for start in range(0, len(self._data), self._chunk):
            yield self._data[start : start + self._chunk]

    def close(self) -> None:
        pass


def _boto_messages(data: bytes) -> list[EventStreamMessage]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def _boto_events(operation: str, data: bytes, chunk: int = 7) -> list[dict[str, Any]]:
    operation_model = _RUNTIME.operation_model(operation)
    output = operation_model.output_shape
    assert output is not None
    stream_member = next(
        name for name, shape in output.members.items() if shape.serialization.get("eventstream")
    )
    stream = EventStream(
        _RawStream(data, chunk), output.members[stream_member], EventStreamJSONParser(), operation
    )
    return list(stream)


# -- golden vectors ----------------------------------------------------------------------------------


def test_golden_vector_crcs_are_the_spec_crc32_of_prelude_and_message() -> None:
    golden = bytes.fromhex(_GOLDEN_MESSAGE_START)
    assert zlib.crc32(golden[:8]) == int("d3f1c8f2", 16)
    assert zlib.crc32(golden[:-4]) == int("c16b710b", 16)
    exception = bytes.fromhex(_GOLDEN_THROTTLING)
    assert zlib.crc32(exception[:8]) == int("8e91a9b7", 16)
    assert zlib.crc32(exception[:-4]) == int("e67f8005", 16)


def test_message_start_event_matches_golden_bytes_with_recorded_lengths_143_and_82() -> None:
    frame = encode_event("messageStart", {"p": "abcdefghijklmnopqr", "role": "assistant"})
    assert frame.hex() == _GOLDEN_MESSAGE_START
    total_length, headers_length = struct.unpack("!II", frame[:8])
    assert (total_length, headers_length) == (143, 82)


@pytest.mark.parametrize(
    ("event_type", "payload", "recorded"),
    [
        (
            "messageStart",
            {"p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY", "role": "assistant"},
            _RECORDED_MESSAGE_START,
        ),
        (
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcde"},
            _RECORDED_TEXT_DELTA,
        ),
    ],
)
def test_encoder_reproduces_frames_recorded_from_real_bedrock_byte_for_byte(
    event_type: str, payload: dict[str, Any], recorded: str
) -> None:
    assert encode_event(event_type, payload).hex() == recorded


def test_recorded_real_frames_decode_with_botocore_and_our_decoder() -> None:
    data = bytes.fromhex(_RECORDED_MESSAGE_START + _RECORDED_TEXT_DELTA)
    assert [m.headers[":event-type"] for m in _boto_messages(data)] == ["messageStart", "contentBlockDelta"]
    assert [f.headers[":event-type"] for f in decode_frames(data)] == ["messageStart", "contentBlockDelta"]


def test_event_frame_lengths_follow_payload_size_exactly() -> None:
    # The messageStart of the code-execution recording (wire-facts §3.5): 45 padding letters.
    payload = {"p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS", "role": "assistant"}
    frame = encode_event("messageStart", payload)
    body = b'{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","role":"assistant"}'
    assert struct.unpack("!II", frame[:8]) == (16 + 82 + len(body), 82)
    assert frame[12 + 82 : -4] == body


def test_bytes_payload_is_sent_verbatim() -> None:
    frame = encode_event("messageStart", _PAYLOAD_MESSAGE_START)
    assert frame.hex() == _GOLDEN_MESSAGE_START


def test_exception_frame_matches_golden_bytes() -> None:
    frame = encode_exception("throttlingException", {"message": "Too many requests"})
    assert frame.hex() == _GOLDEN_THROTTLING


def test_encode_frame_with_event_headers_equals_encode_event() -> None:
    headers = [
        (":event-type", "messageStart"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ]
    assert encode_frame(headers, _PAYLOAD_MESSAGE_START) == encode_event(
        "messageStart", _PAYLOAD_MESSAGE_START
    )


def test_json_payload_is_compact_and_keeps_non_ascii_as_utf8() -> None:
    frame = encode_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "isn\u2019t é"}})
    payload = _boto_messages(frame)[0].payload
    assert payload == '{"contentBlockIndex":0,"delta":{"text":"isn\u2019t é"}}'.encode()


# -- botocore's buffer as the decoder ---------------------------------------------------------------


def test_botocore_buffer_decodes_event_with_headers_in_bedrock_order() -> None:
    frame = encode_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}, "p": "abc"})
    (message,) = _boto_messages(frame)
    assert list(message.headers.items()) == [
        (":event-type", "contentBlockDelta"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ]
    assert json.loads(message.payload) == {"contentBlockIndex": 0, "delta": {"text": "Hi"}, "p": "abc"}
    assert message.prelude.total_length == len(frame)


def test_botocore_buffer_decodes_exception_with_headers_in_bedrock_order() -> None:
    frame = encode_exception(
        "serviceUnavailableException", {"message": "Bedrock is unable to process your request."}
    )
    (message,) = _boto_messages(frame)
    assert list(message.headers.items()) == [
        (":exception-type", "serviceUnavailableException"),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    assert message.to_response_dict()["status_code"] == 400


def test_botocore_buffer_decodes_many_frames_fed_one_byte_at_a_time() -> None:
    frames = [
        encode_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": t}}) for t in "abc"
    ]
    buffer = EventStreamBuffer()
    decoded: list[EventStreamMessage] = []
    for byte in b"".join(frames):
        buffer.add_data(bytes((byte,)))
        decoded.extend(buffer)
    assert [json.loads(m.payload)["delta"]["text"] for m in decoded] == ["a", "b", "c"]


def test_corrupt_crc_is_detected_by_botocore_as_checksum_mismatch() -> None:
    frame = corrupt_crc(encode_event("messageStop", {"stopReason": "end_turn"}))
    with pytest.raises(ChecksumMismatch):
        _boto_messages(frame)


def test_corrupt_crc_changes_only_the_message_crc() -> None:
    frame = encode_event("messageStop", {"stopReason": "end_turn"})
    corrupted = corrupt_crc(frame)
    assert corrupted[:-4] == frame[:-4]
    assert corrupted[-4:] != frame[-4:]


def test_corrupt_frame_after_good_ones_fails_only_at_the_corrupt_frame() -> None:
    good = encode_event("messageStart", {"role": "assistant"})
    bad = corrupt_crc(encode_event("messageStop", {"stopReason": "end_turn"}))
    buffer = EventStreamBuffer()
    buffer.add_data(good + bad)
    assert buffer.next().headers[":event-type"] == "messageStart"
    with pytest.raises(ChecksumMismatch):
        buffer.next()


def test_oversized_payload_is_refused_by_the_encoder() -> None:
    with pytest.raises(ValueError, match="limit"):
        encode_frame([(":event-type", "chunk")], b"x" * (24 * 1024 * 1024 + 1))


# -- botocore's EventStream with bedrock-runtime's real shapes: what boto3 yields ---------------------


def test_converse_stream_frames_parse_into_the_dicts_boto3_yields() -> None:
    frames = b"".join(
        [
            encode_event("messageStart", {"p": "abcde", "role": "assistant"}),
            encode_event(
                "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "ab"}
            ),
            encode_event("contentBlockStop", {"contentBlockIndex": 0, "p": "abcdefg"}),
            encode_event("messageStop", {"p": "ab", "stopReason": "end_turn"}),
            encode_event(
                "metadata",
                {
                    "metrics": {"latencyMs": 660},
                    "p": "abc",
                    "usage": {"inputTokens": 2, "outputTokens": 32, "totalTokens": 34},
                },
            ),
        ]
    )
    assert _boto_events("ConverseStream", frames) == [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hello"}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {
                "metrics": {"latencyMs": 660},
                "usage": {"inputTokens": 2, "outputTokens": 32, "totalTokens": 34},
            }
        },
    ]


def test_converse_stream_tool_use_start_and_delta_parse() -> None:
    frames = encode_event(
        "contentBlockStart",
        {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}}},
    ) + encode_event(
        "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city":'}}}
    )
    assert _boto_events("ConverseStream", frames) == [
        {
            "contentBlockStart": {
                "contentBlockIndex": 1,
                "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}},
            }
        },
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city":'}}}},
    ]


def test_invoke_stream_chunk_bytes_are_base64_decoded_by_boto3() -> None:
    native = b'{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":7}}'
    frame = encode_event("chunk", {"bytes": base64.b64encode(native).decode()})
    assert _boto_events("InvokeModelWithResponseStream", frame) == [{"chunk": {"bytes": native}}]


def test_undeclared_event_type_is_silently_dropped_by_boto3() -> None:
    # Why raw-wire tests exist: boto3 hides an event the union does not declare.
    frames = encode_event("notAMember", {"x": 1}) + encode_event("messageStop", {"stopReason": "end_turn"})
    assert _boto_events("ConverseStream", frames) == [{"messageStop": {"stopReason": "end_turn"}}]


@pytest.mark.parametrize(
    ("operation", "member", "message"),
    [
        ("ConverseStream", "throttlingException", "Too many requests, please wait before trying again."),
        ("ConverseStream", "serviceUnavailableException", "Bedrock is unable to process your request."),
        ("ConverseStream", "validationException", "Input is too long for requested model."),
        (
            "InvokeModelWithResponseStream",
            "modelTimeoutException",
            "Model has timed out in processing the request.",
        ),
    ],
)
def test_exception_frame_raises_event_stream_error_with_lower_camel_code(
    operation: str, member: str, message: str
) -> None:
    frames = encode_event("messageStart", {"role": "assistant"}) if operation == "ConverseStream" else b""
    frames += encode_exception(member, {"message": message})
    with pytest.raises(EventStreamError) as raised:
        _boto_events(operation, frames)
    assert raised.value.response["Error"] == {"Code": member, "Message": message}
    assert f"An error occurred ({member}) when calling the {operation} operation: {message}" == str(
        raised.value
    )


def test_model_stream_error_exception_keeps_its_extra_members_parseable() -> None:
    frame = encode_exception(
        "modelStreamErrorException",
        {"message": "The system encountered an unexpected error during processing.", "originalStatusCode": 500,
         "originalMessage": "boom"},
    )  # fmt: skip
    with pytest.raises(EventStreamError) as raised:
        _boto_events("ConverseStream", frame)
    assert raised.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_upper_camel_exception_type_would_lose_its_code_in_boto3() -> None:
    # Guards the house rule: ':exception-type' must be the lower-camel union member, or boto3 blanks the code.
    frame = encode_exception("ThrottlingException", {"message": "Too many requests"})
    with pytest.raises(EventStreamError) as raised:
        _boto_events("ConverseStream", frame)
    assert raised.value.response["Error"]["Code"] == ""


def test_events_after_exception_are_never_reached() -> None:
    frames = encode_exception("throttlingException", {"message": "slow down"}) + encode_event(
        "messageStop", {"stopReason": "end_turn"}
    )
    output = _RUNTIME.operation_model("ConverseStream").output_shape
    assert output is not None
    events = iter(
        EventStream(_RawStream(frames), output.members["stream"], EventStreamJSONParser(), "ConverseStream")
    )
    with pytest.raises(EventStreamError):
        next(events)
    seen = list(events)
    assert seen == []


# -- the small decoder the raw tests rely on ---------------------------------------------------------


def test_decode_frames_agrees_with_botocore() -> None:
    data = encode_event("messageStart", {"role": "assistant"}) + encode_exception(
        "throttlingException", {"message": "m"}
    )
    ours = decode_frames(data)
    theirs = _boto_messages(data)
    assert [f.headers for f in ours] == [m.headers for m in theirs]
    assert [f.payload for f in ours] == [m.payload for m in theirs]
    assert list(ours[1].headers) == [":exception-type", ":content-type", ":message-type"]


def test_decode_frames_rejects_a_corrupt_message_crc() -> None:
    with pytest.raises(ValueError, match="CRC"):
        decode_frames(corrupt_crc(encode_event("messageStop", {"stopReason": "end_turn"})))
