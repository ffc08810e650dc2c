"""Seed 003's "Bedrock Agents" walkthrough against created resources, in ``--strict`` mode: its calls, in our
own code shaped like the article's, with only ``endpoint_url`` and test credentials added.

Where the article is itself wrong against today's API, the test asserts what the emulator answers and
why, as tests/e2e/test_seed_snippets.py does:

- its first block prepares the agent right after creating it; while the agent is still CREATING (about a
  second on the emulator's clock, which runs with real time) the emulator refuses that as bedrock-agent
  refuses a prepare in a busy state (wire-facts §13.4). AWS's own examples wait for NOT_PREPARED first;
  when the prepare is refused the test does what they do;
- its trace loop reads ``actionGroupInvocationInput['function']``, which only function-schema action groups
  have: the article's action group is an OpenAPI one, whose calls carry ``apiPath`` and ``verb`` instead,
  so the loop as written stops with a KeyError at the first action call.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from emulator.pytest_plugin import BedrockEmulator

OPENAPI_SCHEMA = {
    "openapi": "3.0.0",
    "info": {"title": "Order Support API", "version": "1.0.0"},
    "paths": {
        "/get_order_status": {
            "get": {
                "operationId": "get_order_status",
                "description": "Retrieve the current status of a customer order",
                "parameters": [
                    {
                        "name": "order_id",
                        "in": "query",
                        "required": True,
                        "description": "The order ID (format: ORD-XXXXXX)",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {"200": {"description": "Order status returned"}},
            }
        },
        "/initiate_cancellation": {
            "post": {
                "operationId": "initiate_cancellation",
                "description": "Initiate cancellation of an order",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}},
                                "required": ["order_id", "reason"],
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "Cancellation initiated"}},
            }
        },
    },
}
INSTRUCTION = """You are an order support agent for Techoral Store.
When a customer asks about their order:
1. Use get_order_status to look up the current status.
2. If the order is delayed, use check_carrier_tracking for real-time carrier data.
3. If the customer wants to cancel, use initiate_cancellation.
Always be polite and concise. Never make up order information."""


@pytest.fixture
def strict(bedrock_emulator: BedrockEmulator) -> BedrockEmulator:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: seed-003-agent-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator


def _client(emulator: BedrockEmulator, service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=emulator.tenant,
        aws_secret_access_key="x",
    )


def _wait_for(bedrock_agent: Any, agent_id: str, status: str, emulator: BedrockEmulator) -> None:
    """What AWS's examples do between steps (poll get_agent), the clock skipping instead of sleeping."""
    for _ in range(20):
        if bedrock_agent.get_agent(agentId=agent_id)["agent"]["agentStatus"] == status:
            return
        emulator.advance_clock(0.5)
    raise AssertionError(f"agent {agent_id} never {status}")


def _prepare_agent(bedrock_agent: Any, agent_id: str) -> str | None:
    """The article's prepare_agent call: None when accepted, else the ConflictException's message."""
    try:
        bedrock_agent.prepare_agent(agentId=agent_id)
    except bedrock_agent.exceptions.ConflictException as refused:
        return str(refused.response["Error"]["Message"])
    return None


def _article_stream_loop(response: Any) -> None:
    """The article's loop over the completion stream, as written."""
    event_stream = response["completion"]
    for event in event_stream:
        if "chunk" in event:
            chunk = event["chunk"]
            print(chunk["bytes"].decode(), end="", flush=True)
        elif "trace" in event:
            trace = event["trace"]["trace"]
            if "orchestrationTrace" in trace:
                orch = trace["orchestrationTrace"]
                if "invocationInput" in orch:
                    inv = orch["invocationInput"]
                    if inv.get("invocationType") == "ACTION_GROUP":
                        ag_inv = inv["actionGroupInvocationInput"]
                        print(f"\n[Agent calling: {ag_inv['function']}({ag_inv.get('parameters', [])})]")


def test_seed_003_agent_walkthrough_creates_prepares_and_invokes_the_agent(
    strict: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # Step 1 to 4 of "Creating an Agent with a Lambda Action Group".
    bedrock_agent = _client(strict, "bedrock-agent")
    agent_response = bedrock_agent.create_agent(
        agentName="order-support-agent",
        agentResourceRoleArn="arn:aws:iam::123456789012:role/AmazonBedrockExecutionRoleForAgents",
        foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
        instruction=INSTRUCTION,
        idleSessionTTLInSeconds=600,
    )
    agent_id = agent_response["agent"]["agentId"]
    print(f"Agent ID: {agent_id}")
    bedrock_agent.create_agent_action_group(
        agentId=agent_id,
        agentVersion="DRAFT",
        actionGroupName="order-operations",
        actionGroupExecutor={
            "lambda": "arn:aws:lambda:us-east-1:123456789012:function:order-support-handler"
        },
        apiSchema={"payload": json.dumps(OPENAPI_SCHEMA)},
        description="Functions for looking up and managing customer orders",
    )
    refused = _prepare_agent(bedrock_agent, agent_id)
    if refused is not None:  # the agent was still CREATING: wait as AWS's examples do, then prepare
        assert refused == "Prepare operation can't be performed on Agent when it is in Creating state"
        _wait_for(bedrock_agent, agent_id, "NOT_PREPARED", strict)
        bedrock_agent.prepare_agent(agentId=agent_id)
    print("Agent prepared — waiting for status Active...")
    _wait_for(bedrock_agent, agent_id, "PREPARED", strict)

    # "Invoking the Agent in Your Application", as written.
    bedrock_agent_rt = _client(strict, "bedrock-agent-runtime")
    session_id = str(uuid.uuid4())
    response = bedrock_agent_rt.invoke_agent(
        agentId=agent_id,
        agentAliasId="TSTALIASID",
        sessionId=session_id,
        inputText="My order ORD-447829 hasn't arrived. It was supposed to be here 3 days ago.",
        enableTrace=True,
    )
    with pytest.raises(KeyError, match="function"):
        _article_stream_loop(response)

    # The same turn read with the members an OpenAPI action group's call has.
    response = bedrock_agent_rt.invoke_agent(
        agentId=agent_id,
        agentAliasId="TSTALIASID",
        sessionId=str(uuid.uuid4()),
        inputText="My order ORD-447829 hasn't arrived. It was supposed to be here 3 days ago.",
        enableTrace=True,
    )
    calls, answer = [], ""
    for event in response["completion"]:
        if "chunk" in event:
            answer += event["chunk"]["bytes"].decode()
        elif "invocationInput" in event.get("trace", {}).get("trace", {}).get("orchestrationTrace", {}):
            calls.append(event["trace"]["trace"]["orchestrationTrace"]["invocationInput"])
    bedrock_agent.close()
    bedrock_agent_rt.close()

    assert f"Agent ID: {agent_id}" in capsys.readouterr().out
    (call,) = calls
    assert call["invocationType"] == "ACTION_GROUP"
    details = call["actionGroupInvocationInput"]
    assert (details["actionGroupName"], details["apiPath"], details["verb"]) == (
        "order-operations",
        "/get_order_status",
        "GET",
    )
    assert details["parameters"] == [{"name": "order_id", "type": "string", "value": "ORD-447829"}]
    assert details["executionType"] == "LAMBDA"
    assert "ORD-447829" in answer  # the Lambda stand-in's body, reported in the answer
