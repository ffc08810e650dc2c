"""Input that passes the type check but used to crash a handler: each answers Bedrock's error or a normal
reply now. Found by ``bench/fuzz.py``; the fuzz test only finds them by chance, these pin them."""

from __future__ import annotations

import math
from typing import Any

import pytest

from emulator import catalog, conversation, generation
from emulator.knowledge.index import LexicalIndex
from emulator.providers import provider_for
from emulator.wire.errors import AwsError

NOVA = catalog.get("amazon.nova-micro-v1:0")
USER = [{"role": "user", "content": [{"text": "Where is my order?"}]}]


def _converse_error(body: dict[str, Any]) -> str:
    assert NOVA is not None
    with pytest.raises(AwsError) as caught:
        conversation.read_request(body, NOVA)
    assert caught.value.code == "ValidationException"
    return caught.value.message


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": []},
        {"type": "object", "properties": {"a": {"type": "array", "items": [1, {"type": "integer"}]}}},
        {
            "type": "object",
            "properties": {"a": {"type": "integer", "minimum": 10**400, "maximum": -(10**500)}},
        },
        {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0.4, "maximum": 0.6}}},
        {"type": "object", "properties": {"a": {"type": "number", "exclusiveMinimum": 1e308}}},
        {"type": "object", "properties": {"a": {"type": "array", "minItems": 10**12}}},
        {"type": "object", "properties": {"a": {"type": "string", "minLength": 10**9, "maxLength": "x"}}},
        {
            "type": "object",
            "properties": {"a": {"anyOf": "x", "oneOf": [1], "allOf": [2, {"type": "boolean"}]}},
        },
        {"type": "object", "required": [["a"], {"b": 1}], "properties": {"a": {"enum": 5}}},
        {"type": "object", "properties": {"a": {"type": 42}}},
    ],
)
def test_tool_arguments_come_from_any_schema_without_failing_or_running_away(schema: dict[str, Any]) -> None:
    arguments = generation.arguments_for(schema, 12345)
    assert isinstance(arguments, dict)
    value = arguments.get("a")
    if isinstance(value, list):
        assert len(value) <= 8
    if isinstance(value, str):
        assert len(value) <= 10_000
    if isinstance(value, float):
        assert math.isfinite(value)


def test_a_tool_input_schema_that_is_not_an_object_is_bedrocks_format_error() -> None:
    tools = {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": [1, 2]}}}]}
    assert _converse_error({"messages": USER, "toolConfig": tools}) == (
        "The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid. "
        "Provide a json object for the field and try again."
    )
    tools = {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": "{not json"}}}]}
    assert "toolConfig.tools.0.toolSpec.inputSchema.json is invalid" in _converse_error(
        {"messages": USER, "toolConfig": tools}
    )


def test_a_tool_input_schema_of_another_type_is_bedrocks_type_error() -> None:
    tools = {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "string"}}}}]}
    assert _converse_error({"messages": USER, "toolConfig": tools}) == (
        "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object."
    )


def test_a_tool_result_json_that_is_not_an_object_is_bedrocks_format_error() -> None:
    tools = {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "object"}}}}]}
    messages = [
        *USER,
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "u1", "name": "t", "input": {}}}]},
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "u1", "content": [{"text": "ok"}, {"json": []}]}}],
        },
    ]
    assert _converse_error({"messages": messages, "toolConfig": tools}) == (
        "The format of the value at messages.2.content.0.toolResult.content.1.json is invalid. "
        "Provide a json object for the field and try again."
    )


def test_claude_invoke_model_without_messages_is_anthropics_own_error() -> None:
    model = catalog.get("anthropic.claude-3-haiku-20240307-v1:0")
    assert model is not None
    with pytest.raises(AwsError) as caught:
        provider_for("anthropic-messages").validate(
            {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": []}, model
        )
    assert caught.value.message == "messages: at least one message is required"


def test_claude_tool_input_schema_must_be_an_object() -> None:
    model = catalog.get("anthropic.claude-3-haiku-20240307-v1:0")
    assert model is not None
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "t", "input_schema": ["a"]}],
    }
    with pytest.raises(AwsError) as caught:
        provider_for("anthropic-messages").validate(body, model)
    assert "#/tools/0/input_schema: expected type: JSONObject, found: JSONArray" in caught.value.message


def test_reranking_texts_without_a_single_term_scores_zero_instead_of_failing() -> None:
    index = LexicalIndex(["", "   ", "!!"])
    assert index.relevance("refund policy", "RERANK") == [0.0, 0.0, 0.0]
