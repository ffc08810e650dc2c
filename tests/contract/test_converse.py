"""Converse, ConverseStream and CountTokens through real boto3 over a real socket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_PROFILE = "us.anthropic.claude-3-haiku-20240307-v1:0"
SONNET_45_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA_MICRO = "us.amazon.nova-micro-v1:0"
TITAN_EXPRESS = "amazon.titan-text-express-v1"

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                },
                "required": ["city", "unit"],
            }
        },
    }
}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": text}]}


@pytest.fixture
def runtime(bedrock_emulator):
    return bedrock_emulator.client("bedrock-runtime")


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_converse_answers_with_the_real_response_shape(runtime):
    response = runtime.converse(modelId=HAIKU, messages=[user("Hello there")])
    assert response["output"]["message"]["role"] == "assistant"
    text = response["output"]["message"]["content"][0]["text"]
    assert text
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert usage["inputTokens"] > 0
    assert usage["outputTokens"] > 0
    assert response["metrics"]["latencyMs"] > 0
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/json"
    assert len(headers["x-amzn-requestid"]) == 36


def test_converse_is_deterministic_for_the_same_request(runtime):
    first = runtime.converse(modelId=HAIKU, messages=[user("Tell me about Lisbon")])
    second = runtime.converse(modelId=HAIKU, messages=[user("Tell me about Lisbon")])
    other = runtime.converse(modelId=HAIKU, messages=[user("Tell me about Oslo")])
    assert first["output"] == second["output"]
    assert first["output"] != other["output"]


def test_converse_honours_max_tokens_with_max_tokens_stop_reason(runtime):
    response = runtime.converse(
        modelId=HAIKU, messages=[user("Write a long essay")], inferenceConfig={"maxTokens": 3}
    )
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 3


def test_converse_honours_stop_sequences(runtime):
    free = runtime.converse(modelId=HAIKU, messages=[user("Say something")])
    text = free["output"]["message"]["content"][0]["text"]
    stop = text.split()[3]
    response = runtime.converse(
        modelId=HAIKU, messages=[user("Say something")], inferenceConfig={"stopSequences": [stop]}
    )
    assert response["stopReason"] == "stop_sequence"
    assert stop not in response["output"]["message"]["content"][0]["text"]


@pytest.mark.parametrize(
    "model_id",
    [
        HAIKU,
        HAIKU_PROFILE,
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
        NOVA_MICRO,
    ],
)
def test_converse_accepts_every_model_id_form(runtime, model_id):
    response = runtime.converse(modelId=model_id, messages=[user("hi")])
    assert response["stopReason"] == "end_turn"


@pytest.mark.parametrize(
    ("messages", "extra", "message"),
    [
        (
            [assistant("hi")],
            {},
            "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        ),
        (
            [user("a"), user("b")],
            {},
            "A conversation must alternate between user and assistant roles. Make sure the conversation alternates "
            "between user and assistant roles and try again.",
        ),
        (
            [user("a"), assistant("b"), user("")],  # empty; whitespace-only text reaches the model (§31)
            {},
            "The text field in the ContentBlock object at messages.2.content.0 is blank. Add text to the text field, "
            "and try again.",
        ),
        (
            [user("a")],
            {"inferenceConfig": {"maxTokens": 5000}},
            "The maximum tokens you requested exceeds the model limit of 4096. Try again with a maximum tokens value "
            "that is lower than 4096.",
        ),
    ],
)
def test_converse_validation_errors_use_bedrocks_messages(runtime, messages, extra, message):
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.converse(modelId=HAIKU, messages=messages, **extra)
    assert error_of(excinfo) == ("ValidationException", message, 400)


def test_converse_refuses_an_unknown_model_id(runtime):
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.converse(modelId="anthropic.claude-9-nonexistent-v1:0", messages=[user("hi")])
    assert error_of(excinfo) == ("ValidationException", "The provided model identifier is invalid.", 400)


def test_converse_refuses_on_demand_for_a_profile_only_model(runtime):
    bare = SONNET_45_PROFILE.removeprefix("us.")
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.converse(modelId=bare, messages=[user("hi")])
    _code, message, _status = error_of(excinfo)
    assert message == (
        f"Invocation of model ID {bare} with on-demand throughput isn’t supported. Retry your request with the ID "
        "or ARN of an inference profile that contains this model."
    )
    assert runtime.converse(modelId=SONNET_45_PROFILE, messages=[user("hi")])["stopReason"] == "end_turn"


def test_converse_refuses_a_system_prompt_for_a_model_without_one(runtime):
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.converse(modelId=TITAN_EXPRESS, messages=[user("hi")], system=[{"text": "Be brief."}])
    assert error_of(excinfo)[1] == (
        "This model doesn't support system messages. Try again without a system message or use a model that "
        "supports system messages."
    )


def test_converse_requires_tool_config_for_tool_blocks(runtime):
    messages = [
        user("weather?"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}],
        },
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}]}}]},
    ]
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.converse(modelId=HAIKU, messages=messages)
    assert (
        error_of(excinfo)[1]
        == "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    )


def _validates(schema: dict[str, Any], value: Any) -> None:
    import jsonschema

    jsonschema.validate(value, schema)


def test_converse_tool_use_arguments_validate_against_the_schema(runtime):
    response = runtime.converse(
        modelId=HAIKU,
        messages=[user("What is the weather in Paris?")],
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"any": {}}},
    )
    assert response["stopReason"] == "tool_use"
    tool_use = next(b["toolUse"] for b in response["output"]["message"]["content"] if "toolUse" in b)
    assert tool_use["name"] == "get_weather"
    assert tool_use["toolUseId"].startswith("tooluse_")
    _validates(WEATHER_TOOL["toolSpec"]["inputSchema"]["json"], tool_use["input"])


def test_converse_answers_in_text_after_a_tool_result(runtime):
    messages = [
        user("What is the weather in Paris?"),
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "t1",
                        "name": "get_weather",
                        "input": {"city": "Paris", "unit": "celsius"},
                    }
                }
            ],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"temp": 21}}]}}],
        },
    ]
    response = runtime.converse(modelId=HAIKU, messages=messages, toolConfig={"tools": [WEATHER_TOOL]})
    assert response["stopReason"] == "end_turn"


def _collect(stream) -> list[tuple[str, dict[str, Any]]]:
    return [(next(iter(event)), next(iter(event.values()))) for event in stream]


def test_converse_stream_sends_events_like_real_streams(runtime):
    request = {"modelId": HAIKU, "messages": [user("Stream me a story")]}
    events = _collect(runtime.converse_stream(**request)["stream"])
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    assert "contentBlockStart" not in kinds  # text blocks have none
    assert kinds[-3] == "contentBlockStop"
    text = "".join(p["delta"]["text"] for k, p in events if k == "contentBlockDelta")
    unary = runtime.converse(**request)
    assert text == unary["output"]["message"]["content"][0]["text"]
    assert events[-1][1]["usage"] == unary["usage"]
    assert events[-2][1]["stopReason"] == unary["stopReason"]


def test_converse_stream_tool_use_arrives_as_partial_json(runtime):
    response = runtime.converse_stream(
        modelId=HAIKU,
        messages=[user("What is the weather in Paris?")],
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"tool": {"name": "get_weather"}}},
    )
    events = _collect(response["stream"])
    starts = [p for k, p in events if k == "contentBlockStart"]
    assert starts
    assert starts[0]["start"]["toolUse"]["name"] == "get_weather"
    index = starts[0]["contentBlockIndex"]
    pieces = [
        p["delta"]["toolUse"]["input"]
        for k, p in events
        if k == "contentBlockDelta" and p["contentBlockIndex"] == index
    ]
    assert all(isinstance(piece, str) for piece in pieces)
    _validates(WEATHER_TOOL["toolSpec"]["inputSchema"]["json"], json.loads("".join(pieces)))
    assert next(p for k, p in events if k == "messageStop")["stopReason"] == "tool_use"


def test_count_tokens_matches_converse_usage(runtime):
    converse_input = {
        "messages": [user("How many tokens is this sentence, exactly?")],
        "system": [{"text": "Be terse."}],
    }
    counted = runtime.count_tokens(modelId=HAIKU, input={"converse": converse_input})["inputTokens"]
    usage = runtime.converse(modelId=HAIKU, **converse_input)["usage"]
    assert counted == usage["inputTokens"]


def test_count_tokens_matches_invoke_model_usage(runtime):
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "Count me"}],
        }
    ).encode()
    counted = runtime.count_tokens(modelId=HAIKU, input={"invokeModel": {"body": body}})["inputTokens"]
    response = runtime.invoke_model(modelId=HAIKU, body=body)
    assert counted == int(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"])
    assert json.loads(response["body"].read())["usage"]["input_tokens"] == counted


def test_count_tokens_refuses_inference_profiles(runtime):
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.count_tokens(modelId=HAIKU_PROFILE, input={"converse": {"messages": [user("hi")]}})
    assert error_of(excinfo)[1] == "The provided model doesn't support counting tokens."
