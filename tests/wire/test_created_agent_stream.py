"""InvokeAgent on a created agent, on the raw wire: every frame of the answers a created definition leads to
(return of control for an OpenAPI operation, the Lambda stand-in's call and observation, a knowledge-base
lookup with citations, the turn that takes returned results) walked against botocore's output shape with
the shape audit's walker (tests/wire/test_shape_conformance.py), so a member real Bedrock never sends fails
here even though boto3 would drop it silently."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_shape_conformance import _SESSION, _allowed, _capture, _validate

from emulator.pytest_plugin import BedrockEmulator

OPENAPI = {
    "openapi": "3.0.0",
    "info": {"title": "Trips", "version": "1.0"},
    "paths": {
        "/trips/{destination}": {
            "post": {
                "operationId": "book_trip",
                "description": "Book a trip to a destination",
                "parameters": [
                    {"name": "destination", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"travellers": {"type": "integer"}},
                                "required": ["travellers"],
                            }
                        }
                    }
                },
            }
        }
    },
}
WEATHER = {
    "functions": [
        {
            "name": "get_weather",
            "description": "Get the current weather for a city",
            "parameters": {"city": {"type": "string", "required": True}},
        }
    ]
}


@pytest.fixture
def agent(bedrock_emulator: BedrockEmulator) -> str:
    control = bedrock_emulator.client("bedrock-agent")
    agent_id = str(
        control.create_agent(
            agentName="wire-audit",
            foundationModel="anthropic.claude-3-haiku-20240307-v1:0",
            instruction="You are a travel assistant that books trips and reports the weather politely.",
        )["agent"]["agentId"]
    )
    bedrock_emulator.advance_clock(2)
    control.create_agent_action_group(
        agentId=agent_id,
        agentVersion="DRAFT",
        actionGroupName="trips",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        apiSchema={"payload": json.dumps(OPENAPI)},
    )
    control.create_agent_action_group(
        agentId=agent_id,
        agentVersion="DRAFT",
        actionGroupName="weather",
        actionGroupExecutor={"lambda": "arn:aws:lambda:us-east-1:123456789012:function:weather"},
        functionSchema=WEATHER,
    )
    control.associate_agent_knowledge_base(
        agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId="EMUSAMPLKB", description="Shop policies"
    )
    control.prepare_agent(agentId=agent_id)
    bedrock_emulator.advance_clock(2)
    return agent_id


def _request(agent_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "agentId": agent_id,
        "agentAliasId": "TSTALIASID",
        "sessionId": extra.pop("sessionId", "wire-audit"),
        "inputText": text,
        "enableTrace": True,
        **extra,
    }


def _returned_results(emulator: BedrockEmulator, agent_id: str) -> dict[str, Any]:
    runtime = emulator.client("bedrock-agent-runtime")
    events = list(
        runtime.invoke_agent(
            **_request(agent_id, "Book a trip to Lisbon for 2 travellers", sessionId="resume")
        )["completion"]
    )
    (control,) = [e["returnControl"] for e in events if "returnControl" in e]
    result = {
        "apiResult": {
            "actionGroup": "trips",
            "apiPath": "/trips/{destination}",
            "httpMethod": "POST",
            "httpStatusCode": 200,
            "responseBody": {"application/json": {"body": '{"booking": "TRIP-7"}'}},
        }
    }
    return _request(
        agent_id,
        "",
        sessionId="resume",
        sessionState={"invocationId": control["invocationId"], "returnControlInvocationResults": [result]},
    )


CASES: dict[str, Callable[[BedrockEmulator, str], dict[str, Any]]] = {
    "return_control_api": lambda e, a: _request(a, "Book a trip to Lisbon for 2 travellers"),
    "lambda_function": lambda e, a: _request(a, "What's the weather in Oslo?"),
    "knowledge_base": lambda e, a: _request(a, "What is the return policy for enterprise subscriptions?"),
    "returned_results": _returned_results,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_created_agent_frames_conform_to_botocore_output_shape(
    bedrock_emulator: BedrockEmulator, agent: str, case: str
) -> None:
    raw = _capture(bedrock_emulator, "InvokeAgent", CASES[case](bedrock_emulator, agent))

    assert raw.status == 200
    report = _validate(
        _SESSION.get_service_model("bedrock-agent-runtime").operation_model("InvokeAgent"), raw
    )
    problems = [p for p in report.problems if not _allowed(p)]
    assert not problems, "\n".join(problems)
    kinds = {"return_control_api": b"returnControl", "knowledge_base": b"attribution"}
    assert kinds.get(case, b"chunk") in raw.body
