"""Structured output on Converse (``outputConfig.textFormat`` and Anthropic's ``output_config`` in
``additionalModelRequestFields``) and on InvokeModel (``output_config.format``), with boto3 and the Anthropic
SDK over a real socket (docs/wire-facts.md §26)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator

SONNET_46 = "us.anthropic.claude-sonnet-4-6"
HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"  # no structured output
GPT_OSS = "openai.gpt-oss-20b-1:0"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population": {"type": "integer", "minimum": 1},
        "districts": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "kind": {"enum": ["capital", "port", "other"]},
    },
    "required": ["city", "country", "population", "districts", "kind"],
    "additionalProperties": False,
}


@pytest.fixture
def runtime(bedrock_emulator: BedrockEmulator) -> Any:
    return bedrock_emulator.client("bedrock-runtime")


def _output_config(schema: Any = SCHEMA) -> dict[str, Any]:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return {
        "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": text, "name": "City"}}}
    }


def _converse(
    runtime: Any, model: str = SONNET_46, text: str = "Where were the 2024 Olympics held?", **req: Any
) -> Any:
    return runtime.converse(modelId=model, messages=[{"role": "user", "content": [{"text": text}]}], **req)


def test_converse_answers_json_that_validates_against_the_schema(runtime: Any) -> None:
    for question in ("Where were the 2024 Olympics held?", "Name a port city", "Biggest city in Peru?"):
        response = _converse(runtime, text=question, outputConfig=_output_config())
        content = response["output"]["message"]["content"]
        assert len(content) == 1
        value = json.loads(content[0]["text"])
        jsonschema.validate(value, SCHEMA)
        assert response["stopReason"] == "end_turn"
        assert content[0]["text"] == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_the_answer_is_deterministic(runtime: Any) -> None:
    first = _converse(runtime, outputConfig=_output_config())["output"]
    assert _converse(runtime, outputConfig=_output_config())["output"] == first


def test_open_weight_models_with_native_support(runtime: Any) -> None:
    content = _converse(runtime, GPT_OSS, outputConfig=_output_config())["output"]["message"]["content"]
    text = next(block["text"] for block in content if "text" in block)  # after gpt-oss's reasoning
    jsonschema.validate(json.loads(text), SCHEMA)


def test_converse_stream_streams_the_json(runtime: Any) -> None:
    events = runtime.converse_stream(
        modelId=HAIKU_45,
        messages=[{"role": "user", "content": [{"text": "Where?"}]}],
        outputConfig=_output_config(),
    )["stream"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    jsonschema.validate(json.loads(text), SCHEMA)


def test_anthropic_output_config_through_additional_model_request_fields(runtime: Any) -> None:
    fields = {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
    response = _converse(runtime, additionalModelRequestFields=fields)
    jsonschema.validate(json.loads(response["output"]["message"]["content"][0]["text"]), SCHEMA)


def test_a_claude_without_structured_output_refuses_it(runtime: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _converse(runtime, SONNET_4, outputConfig=_output_config())
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationException",
        "The model returned the following errors: output_config.format: Extra inputs are not permitted",
    )


@pytest.mark.parametrize(
    "schema",
    [
        "{not json",
        '"a string"',
        {"type": "object", "properties": {"a": {"type": 5}}},
        {"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/remote.json"}}},
    ],
)
def test_an_invalid_schema_is_refused(runtime: Any, schema: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        _converse(runtime, outputConfig=_output_config(schema))
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "The format of the value at outputConfig.textFormat.structure.jsonSchema.schema is invalid. "
        "Provide a json object for the field and try again."
    )


def test_structured_output_with_thinking_keeps_the_reasoning_first(runtime: Any) -> None:
    response = _converse(
        runtime,
        outputConfig=_output_config(),
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    reasoning, text = response["output"]["message"]["content"]
    assert "reasoningContent" in reasoning
    jsonschema.validate(json.loads(text["text"]), SCHEMA)


def _anthropic_body(**extra: Any) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 512,
            "messages": [{"role": "user", "content": "Describe a city."}],
            "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
            **extra,
        }
    )


def test_invoke_model_output_config(runtime: Any) -> None:
    body = json.loads(runtime.invoke_model(modelId=SONNET_46, body=_anthropic_body())["body"].read())
    jsonschema.validate(json.loads(body["content"][0]["text"]), SCHEMA)
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId=SONNET_4, body=_anthropic_body())
    assert (
        excinfo.value.response["Error"]["Message"] == "output_config.format: Extra inputs are not permitted"
    )


def test_anthropic_sdk_structured_output_stream(anthropic_bedrock: Any) -> None:
    client = anthropic_bedrock
    request = json.loads(_anthropic_body())
    request.pop("anthropic_version")
    with client.messages.stream(model=SONNET_46, **request) as stream:
        text = "".join(stream.text_stream)
    jsonschema.validate(json.loads(text), SCHEMA)


def test_schemas_with_local_definitions_are_followed(runtime: Any) -> None:
    schema = {
        "$defs": {
            "Address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "integer", "minimum": 1000}},
                "required": ["city", "zip"],
                "additionalProperties": False,
            },
            "Node": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "child": {"$ref": "#/$defs/Node"}},
                "required": ["name"],
            },
        },
        "type": "object",
        "properties": {"home": {"$ref": "#/$defs/Address"}, "tree": {"$ref": "#/$defs/Node"}},
        "required": ["home", "tree"],
        "additionalProperties": False,
    }
    for question in ("Where do you live?", "Describe a family tree"):
        text = _converse(runtime, text=question, outputConfig=_output_config(schema))["output"]["message"][
            "content"
        ]
        jsonschema.validate(json.loads(text[0]["text"]), schema)


def test_a_schema_whose_references_multiply_is_answered_quickly(runtime: Any) -> None:
    defs: dict[str, Any] = {
        f"D{i}": {"type": "object", "properties": {f"p{j}": {"$ref": f"#/$defs/D{i + 1}"} for j in range(10)}}
        for i in range(12)
    }
    defs["D12"] = {"type": "string"}
    schema = {"$defs": defs, "type": "object", "properties": {"x": {"$ref": "#/$defs/D0"}}, "required": ["x"]}
    value = json.loads(
        _converse(runtime, outputConfig=_output_config(schema))["output"]["message"]["content"][0]["text"]
    )
    assert isinstance(value, dict)
    with pytest.raises(ClientError):
        _converse(runtime, outputConfig=_output_config({"properties": {"a": {"$ref": "#/$defs/Missing"}}}))


def test_a_backtracking_pattern_cannot_stall_the_answer(runtime: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"x": {"type": "string", "minLength": 5000, "pattern": "^(x+x+)+y$"}},
        "required": ["x"],
    }
    response = _converse(runtime, outputConfig=_output_config(schema))  # Python's re would take hours
    assert len(json.loads(response["output"]["message"]["content"][0]["text"])["x"]) >= 5000


@pytest.mark.parametrize(
    "model_id",
    [
        "qwen.qwen3-32b-v1:0",
        "mistral.mistral-large-3-675b-instruct",
        "google.gemma-3-27b-it",
        "nvidia.nemotron-nano-12b-v2",
        "minimax.minimax-m2",
        "zai.glm-4.7-flash",
    ],
)
def test_open_weight_models_recorded_with_native_output(runtime: Any, model_id: str) -> None:
    content = _converse(runtime, model_id, outputConfig=_output_config())["output"]["message"]["content"]
    jsonschema.validate(json.loads(next(b["text"] for b in content if "text" in b)), SCHEMA)
