"""Tool input streaming in Bedrock's granularity: Claude's input in many small pieces (Converse toolUse
deltas, Anthropic input_json_delta), Nova's in one delta (docs/wire-facts.md §27)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from emulator.pytest_plugin import BedrockEmulator
from tests.wire.test_raw_responses import _boto_frames, _send

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
TOOL = {
    "toolSpec": {
        "name": "book_trip",
        "description": "Book a trip",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "country": {"type": "string"},
                    "travellers": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                    "nights": {"type": "integer"},
                },
                "required": ["city", "country", "travellers", "nights"],
            }
        },
    }
}


@pytest.fixture
def runtime(bedrock_emulator: BedrockEmulator) -> Any:
    return bedrock_emulator.client("bedrock-runtime")


def _tool_deltas(runtime: Any, model: str) -> tuple[list[str], dict[str, Any]]:
    request = {
        "modelId": model,
        "messages": [{"role": "user", "content": [{"text": "Book a trip to Lisbon"}]}],
        "toolConfig": {"tools": [TOOL], "toolChoice": {"any": {}}},
    }
    events = list(runtime.converse_stream(**request)["stream"])
    pieces = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    unary = runtime.converse(**request)["output"]["message"]["content"]
    return pieces, next(b["toolUse"]["input"] for b in unary if "toolUse" in b)


def test_claude_streams_a_tool_input_in_many_small_pieces(runtime: Any) -> None:
    pieces, expected = _tool_deltas(runtime, SONNET_45)
    text = "".join(pieces)
    assert json.loads(text) == expected
    assert len(pieces) >= len(text) // 16
    assert len(pieces) > 3
    assert all(1 <= len(piece) <= 16 for piece in pieces)
    assert '": ' in text  # Claude writes its JSON with spaces after separators


def test_nova_streams_a_tool_input_in_one_delta(runtime: Any) -> None:
    pieces, expected = _tool_deltas(runtime, NOVA)
    assert len(pieces) == 1
    assert json.loads(pieces[0]) == expected


def test_raw_anthropic_stream_sends_input_json_deltas(bedrock_emulator: BedrockEmulator) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 512,
        "messages": [{"role": "user", "content": "Book a trip"}],
        "tools": [{"name": "book_trip", "input_schema": TOOL["toolSpec"]["inputSchema"]["json"]}],  # type: ignore[index]
        "tool_choice": {"type": "any"},
    }
    raw = _send(
        bedrock_emulator,
        "POST",
        "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream",
        body,
    )
    assert raw.status == 200
    chunks = [json.loads(base64.b64decode(json.loads(f.payload)["bytes"])) for f in _boto_frames(raw.body)]
    partial = [
        c["delta"]["partial_json"] for c in chunks if c.get("delta", {}).get("type") == "input_json_delta"
    ]
    assert partial[0] == ""
    assert len(partial) > 4
    text = "".join(partial)
    start = next(
        c for c in chunks if c["type"] == "content_block_start" and c["content_block"]["type"] == "tool_use"
    )
    assert start["content_block"]["input"] == {}
    assert set(json.loads(text)) == {"city", "country", "travellers", "nights"}


def test_tool_inputs_follow_local_references(runtime: Any) -> None:
    import jsonschema

    schema = {
        "$defs": {
            "Leg": {
                "type": "object",
                "properties": {"origin": {"type": "string"}, "nights": {"type": "integer", "minimum": 1}},
                "required": ["origin", "nights"],
                "additionalProperties": False,
            }
        },
        "type": "object",
        "properties": {"legs": {"type": "array", "items": {"$ref": "#/$defs/Leg"}, "minItems": 1}},
        "required": ["legs"],
    }
    tool = {"toolSpec": {"name": "plan", "description": "Plan legs", "inputSchema": {"json": schema}}}
    response = runtime.converse(
        modelId=SONNET_45,
        messages=[{"role": "user", "content": [{"text": "Plan my trip"}]}],
        toolConfig={"tools": [tool], "toolChoice": {"any": {}}},
    )
    tool_use = next(b["toolUse"] for b in response["output"]["message"]["content"] if "toolUse" in b)
    jsonschema.validate(tool_use["input"], schema)
