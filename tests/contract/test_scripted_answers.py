"""A scenario's scripted tool call reaches the client as written: name, input and the id it gives, through
real boto3 over a real socket (Converse, ConverseStream, InvokeModel's Anthropic body)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.engine import ScenarioError

NOVA = "amazon.nova-micro-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "The weather in a city",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
            }
        }
    ]
}

SCENARIO = """
version: 1
name: scripted-tool-ids
rules:
  - id: with-id
    match: {operations: [Converse, ConverseStream], body: [{path: "messages[0].content[0].text", equals: "id"}]}
    answer: {tool_use: {name: get_weather, input: {city: Lisbon}, id: tooluse_MYID123}}
  - id: without-id
    match: {operations: [Converse], body: [{path: "messages[0].content[0].text", equals: "no id"}]}
    answer: {tool_use: {name: get_weather, input: {city: Porto}}}
  - id: anthropic-id
    match: {operations: [InvokeModel], models: ["anthropic.*"]}
    answer: {tool_use: {name: get_weather, input: {city: Faro}, id: toolu_bdrk_01MYID}}
"""


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    bedrock_emulator.use_scenario(bedrock_emulator.load_scenario(SCENARIO))
    return bedrock_emulator.client()


def say(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def test_converse_answers_the_scenario_tool_use_id_and_accepts_it_back(runtime: Any) -> None:
    response = runtime.converse(modelId=NOVA, messages=say("id"), toolConfig=TOOLS)
    assert response["stopReason"] == "tool_use"
    tool_use = response["output"]["message"]["content"][-1]["toolUse"]
    assert tool_use == {"toolUseId": "tooluse_MYID123", "name": "get_weather", "input": {"city": "Lisbon"}}
    # The client's next turn sends the id back with its result, as an agent loop does.
    result = {"toolResult": {"toolUseId": "tooluse_MYID123", "content": [{"json": {"sunny": True}}]}}
    follow_up = [*say("id"), response["output"]["message"], {"role": "user", "content": [result]}]
    assert (
        runtime.converse(modelId=NOVA, messages=follow_up, toolConfig=TOOLS)["ResponseMetadata"][
            "HTTPStatusCode"
        ]
        == 200
    )


def test_converse_stream_starts_the_tool_block_with_the_scenario_id(runtime: Any) -> None:
    events = list(runtime.converse_stream(modelId=NOVA, messages=say("id"), toolConfig=TOOLS)["stream"])
    starts = [e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e]
    assert starts == [{"toolUseId": "tooluse_MYID123", "name": "get_weather"}]
    pieces = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert json.loads("".join(pieces)) == {"city": "Lisbon"}


def test_a_tool_use_without_an_id_gets_the_emulator_s_scripted_id(runtime: Any) -> None:
    response = runtime.converse(modelId=NOVA, messages=say("no id"), toolConfig=TOOLS)
    assert response["output"]["message"]["content"][-1]["toolUse"]["toolUseId"] == "tooluse_scripted000000"


def test_anthropic_invoke_model_sends_an_id_in_its_own_form_as_written(runtime: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "What is the weather in Faro?"}],
        "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
    }
    answer = json.loads(runtime.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    assert answer["stop_reason"] == "tool_use"
    assert answer["content"][-1] == {
        "type": "tool_use",
        "id": "toolu_bdrk_01MYID",
        "name": "get_weather",
        "input": {"city": "Faro"},
    }


@pytest.mark.parametrize(
    ("tool_use", "path"),
    [
        ("{name: t, id: 'has spaces'}", "answer.tool_use.id"),
        ("{name: t, id: " + "x" * 65 + "}", "answer.tool_use.id"),
        ("{name: t, input: [1, 2]}", "answer.tool_use.input"),
    ],
    ids=["pattern", "length", "input-not-an-object"],
)
def test_a_tool_use_a_client_could_not_send_back_is_refused_at_load(
    bedrock_emulator: Any, tool_use: str, path: str
) -> None:
    text = f"""
version: 1
name: bad-tool-use
rules:
  - id: bad
    match: {{operations: [Converse]}}
    answer: {{tool_use: {tool_use}}}
"""
    with pytest.raises(ScenarioError) as refused:
        bedrock_emulator.load_scenario(text)
    assert [problem.path for problem in refused.value.problems] == [f"rules[0].{path}"]
