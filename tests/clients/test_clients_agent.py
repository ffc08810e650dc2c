"""bedrock_emulator_clients.agent against the emulator: an agent created through bedrock-agent with return-of-control
action groups (a function schema and an OpenAPI operation), the loop running local Python functions and
sending their results back, failures reported to the agent, and the turn surviving ``throttle-first-3``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bedrock_emulator_clients.agent import AgentLoopError, run_agent
from bedrock_emulator_clients.retry import Retrier, RetryPolicy
from emulator.pytest_plugin import BedrockEmulator

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
INSTRUCTION = "You are a travel assistant. Look up the weather and book trips for the user, politely."
WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {"city": {"type": "string", "description": "The city to look up", "required": True}},
}
TRIPS = """
openapi: 3.0.0
info: {title: Trips, version: "1.0"}
paths:
  /trips:
    post:
      operationId: book_trip
      description: Book a trip to a destination for a number of travellers.
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                destination: {type: string, description: Where to go}
                travellers: {type: integer, description: How many people travel}
              required: [destination, travellers]
      responses:
        "200": {description: The booking}
"""


@pytest.fixture
def agent_id(bedrock_emulator: BedrockEmulator) -> str:
    """A prepared agent whose two action groups return control: weather (functions) and trips (OpenAPI)."""
    control = bedrock_emulator.client("bedrock-agent")
    agent = control.create_agent(
        agentName=f"travel-{bedrock_emulator.tenant}", foundationModel=MODEL, instruction=INSTRUCTION
    )["agent"]
    bedrock_emulator.advance_clock(5)
    for name, schema in (
        ("weather", {"functionSchema": {"functions": [WEATHER]}}),
        ("trips", {"apiSchema": {"payload": TRIPS}}),
    ):
        control.create_agent_action_group(
            agentId=agent["agentId"],
            agentVersion="DRAFT",
            actionGroupName=name,
            actionGroupExecutor={"customControl": "RETURN_CONTROL"},
            **schema,
        )
    control.prepare_agent(agentId=agent["agentId"])
    bedrock_emulator.advance_clock(5)
    assert control.get_agent(agentId=agent["agentId"])["agent"]["agentStatus"] == "PREPARED"
    return str(agent["agentId"])


def test_the_loop_runs_the_local_function_and_the_agent_answers_with_its_result(
    bedrock_emulator: BedrockEmulator, agent_id: str
) -> None:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    seen: list[str] = []

    def get_weather(city: str) -> dict[str, Any]:
        seen.append(city)
        return {"city": city, "temperature_c": 18, "conditions": "sunny"}

    turn = run_agent(
        runtime,
        agent_id=agent_id,
        agent_alias_id="TSTALIASID",
        session_id="s-weather",
        input_text="What's the weather in Paris?",
        tools={"get_weather": get_weather},
    )

    assert seen == ["Paris"]
    (call,) = turn.calls
    assert (call.action_group, call.name, call.arguments, call.failed) == (
        "weather",
        "get_weather",
        {"city": "Paris"},
        False,
    )
    assert turn.rounds == 2
    assert json.dumps({"city": "Paris", "temperature_c": 18, "conditions": "sunny"}) in turn.answer
    invocations = bedrock_emulator.requests("InvokeAgent")
    assert [entry.status for entry in invocations] == [200, 200]


def test_an_openapi_operation_gets_typed_arguments_from_the_request_body(
    bedrock_emulator: BedrockEmulator, agent_id: str
) -> None:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    bookings: list[tuple[str, int]] = []

    def book_trip(destination: str, travellers: int) -> dict[str, str]:
        bookings.append((destination, travellers))
        return {"booking": "TRIP-42"}

    turn = run_agent(
        runtime,
        agent_id=agent_id,
        agent_alias_id="TSTALIASID",
        session_id="s-trip",
        input_text="Book a trip to Lisbon for 3 travellers",
        tools={"POST /trips": book_trip},
    )

    assert bookings == [("Lisbon", 3)]  # "3" arrives as a string; the declared integer type converts it
    assert turn.calls[0].kind == "api"
    assert '{"booking": "TRIP-42"}' in turn.answer


def test_a_function_that_raises_is_reported_to_the_agent_as_a_failure(
    bedrock_emulator: BedrockEmulator, agent_id: str
) -> None:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")

    def get_weather(city: str) -> str:
        raise RuntimeError(f"weather service down for {city}")

    turn = run_agent(
        runtime,
        agent_id=agent_id,
        agent_alias_id="TSTALIASID",
        session_id="s-down",
        input_text="What's the weather in Oslo?",
        tools={"get_weather": get_weather},
    )

    (call,) = turn.calls
    assert call.failed
    assert call.result == json.dumps({"error": "RuntimeError: weather service down for Oslo"})
    assert turn.rounds == 2  # the conversation went on: the agent answered after the failure


def test_the_loop_is_bounded(bedrock_emulator: BedrockEmulator, agent_id: str) -> None:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    with pytest.raises(AgentLoopError, match="after 1 rounds"):
        run_agent(
            runtime,
            agent_id=agent_id,
            agent_alias_id="TSTALIASID",
            session_id="s-bound",
            input_text="What's the weather in Rome?",
            tools={"get_weather": lambda city: "warm"},
            max_rounds=1,
        )


def test_throttled_invocations_are_retried_and_the_turn_completes(
    bedrock_emulator: BedrockEmulator, agent_id: str
) -> None:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    bedrock_emulator.use_scenario("throttle-first-3")
    sleeps: list[float] = []

    turn = run_agent(
        runtime,
        agent_id=agent_id,
        agent_alias_id="TSTALIASID",
        session_id="s-throttled",
        input_text="What's the weather in Paris?",
        tools={"get_weather": lambda city: {"city": city, "conditions": "rain"}},
        retrier=Retrier(RetryPolicy(max_attempts=5), sleep=sleeps.append, random=lambda: 0.5),
    )

    assert '"conditions": "rain"' in turn.answer
    assert len(sleeps) == 3
    statuses = [entry.status for entry in bedrock_emulator.requests("InvokeAgent")]
    assert statuses == [429, 429, 429, 200, 200]
