"""InvokeAgent on agents created through bedrock-agent, with real boto3 over a socket in ``--strict`` mode:
the created definition is what runs — its function and OpenAPI action groups (inline, YAML, in S3),
return of control and the results sent back, the Lambda stand-in, user input, the code interpreter, its
knowledge bases, versions and aliases — and wrong states get Bedrock's refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
INSTRUCTION = "You are a travel assistant. Look up the weather and book trips for the user, politely."
DRAFT = "TSTALIASID"
NOT_FOUND = "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier"
GET_WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {"city": {"type": "string", "description": "The city to look up", "required": True}},
}
BOOK_TRIP_YAML = """
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
KB_ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForKnowledgeBase_shop"
VECTOR = {
    "type": "VECTOR",
    "vectorKnowledgeBaseConfiguration": {
        "embeddingModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
    },
}
RETURNS = (
    "Returns are accepted within 30 days of delivery. Refunds go back to the original card within a week."
)
FORECAST_OPENAPI = {
    "openapi": "3.0.0",
    "info": {"title": "Forecasts", "version": "1.0"},
    "paths": {
        "/forecast/{city}": {
            "get": {
                "operationId": "get_forecast",
                "description": "Get the weather forecast for a city",
                "parameters": [
                    {"name": "city", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "days", "in": "query", "required": False, "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {
                        "description": "The forecast",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "city": {"type": "string"},
                                        "temperature": {"type": "number"},
                                        "outlook": {"type": "string", "enum": ["sunny", "cloudy", "rain"]},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


@pytest.fixture
def strict(bedrock_emulator: BedrockEmulator) -> BedrockEmulator:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: created-agents-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator


@pytest.fixture
def control(strict: BedrockEmulator) -> Any:
    return strict.client("bedrock-agent")


@pytest.fixture
def runtime(strict: BedrockEmulator) -> Any:
    return strict.client("bedrock-agent-runtime")


def advance(emulator: BedrockEmulator, seconds: float) -> None:
    emulator.admin("POST", "clock/advance", {"seconds": seconds})


def poll(emulator: BedrockEmulator, read: Callable[[], str], wanted: str) -> None:
    """The polling loop people write, with the clock skipping instead of sleeping."""
    seen = []
    for _ in range(20):
        seen.append(read())
        if seen[-1] == wanted:
            return
        advance(emulator, 0.5)
    raise AssertionError(f"never {wanted}: {seen}")


def new_agent(control: Any, emulator: BedrockEmulator, **extra: Any) -> str:
    agent_id = str(
        control.create_agent(
            agentName=f"travel-{emulator.tenant}", foundationModel=MODEL, instruction=INSTRUCTION, **extra
        )["agent"]["agentId"]
    )
    poll(emulator, lambda: control.get_agent(agentId=agent_id)["agent"]["agentStatus"], "NOT_PREPARED")
    return agent_id


def add_group(control: Any, agent_id: str, name: str, **spec: Any) -> None:
    control.create_agent_action_group(agentId=agent_id, agentVersion="DRAFT", actionGroupName=name, **spec)


def prepare(control: Any, emulator: BedrockEmulator, agent_id: str) -> None:
    control.prepare_agent(agentId=agent_id)
    poll(emulator, lambda: control.get_agent(agentId=agent_id)["agent"]["agentStatus"], "PREPARED")


def weather_agent(control: Any, emulator: BedrockEmulator, **extra: Any) -> str:
    agent_id = new_agent(control, emulator, **extra)
    add_group(
        control,
        agent_id,
        "weather-tools",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        functionSchema={"functions": [GET_WEATHER]},
    )
    return agent_id


def invoke(runtime: Any, agent_id: str, text: str = "", **extra: Any) -> list[dict[str, Any]]:
    response = runtime.invoke_agent(
        agentId=agent_id,
        agentAliasId=extra.pop("alias", DRAFT),
        sessionId=extra.pop("session", "session-1"),
        inputText=text,
        enableTrace=True,
        **extra,
    )
    return list(response["completion"])


def answer_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["chunk"]["bytes"].decode() for e in events if "chunk" in e)


def returned_control(events: list[dict[str, Any]]) -> dict[str, Any]:
    (control,) = [e["returnControl"] for e in events if "returnControl" in e]
    return dict(control)


def orchestration(events: list[dict[str, Any]], member: str) -> list[dict[str, Any]]:
    steps = [e["trace"]["trace"].get("orchestrationTrace", {}) for e in events if "trace" in e]
    return [step[member] for step in steps if member in step]


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


# -- function schemas and return of control ----------------------------------------------------------------


def test_function_action_group_returns_control_with_the_city_then_uses_the_result(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(control, strict)
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "What's the weather in Paris?")

    assert answer_of(events) == ""
    payload = returned_control(events)
    (entry,) = payload["invocationInputs"]
    assert entry["functionInvocationInput"] == {
        "actionGroup": "weather-tools",
        "actionInvocationType": "RESULT",
        "agentId": agent_id,
        "function": "get_weather",
        "parameters": [{"name": "city", "type": "string", "value": "Paris"}],
    }
    (call,) = orchestration(events, "invocationInput")
    assert call["actionGroupInvocationInput"]["executionType"] == "RETURN_CONTROL"
    assert call["actionGroupInvocationInput"]["invocationId"] == payload["invocationId"]
    model = orchestration(events, "modelInvocationInput")[0]
    assert model["foundationModel"] == MODEL
    assert INSTRUCTION in model["text"]

    body = json.dumps({"city": "Paris", "temperature_c": 18, "conditions": "sunny"})
    result = {
        "functionResult": {
            "actionGroup": "weather-tools",
            "function": "get_weather",
            "responseBody": {"TEXT": {"body": body}},
        }
    }
    events = invoke(
        runtime,
        agent_id,
        sessionState={"invocationId": payload["invocationId"], "returnControlInvocationResults": [result]},
    )
    answer = answer_of(events)
    assert body in answer
    assert "get_weather" in answer
    (observation,) = [o for o in orchestration(events, "observation") if o["type"] == "ACTION_GROUP"]
    assert observation["actionGroupInvocationOutput"]["text"] == body


def test_an_input_no_function_fits_is_answered_directly(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(control, strict)
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "Tell me a joke about penguins.")

    assert not [e for e in events if "returnControl" in e]
    assert answer_of(events)
    assert orchestration(events, "invocationInput") == []
    assert orchestration(events, "observation")[-1]["type"] == "FINISH"


def test_a_required_parameter_the_input_lacks_is_generated_type_correct_and_stable(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = new_agent(control, strict)
    add_group(
        control,
        agent_id,
        "rooms",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        functionSchema={
            "functions": [
                {
                    "name": "reserve_room",
                    "description": "Reserve a hotel room",
                    "parameters": {
                        "nights": {"type": "integer", "description": "How many nights", "required": True},
                        "breakfast": {"type": "boolean", "description": "With breakfast", "required": False},
                    },
                }
            ]
        },
    )
    prepare(control, strict, agent_id)

    first = returned_control(invoke(runtime, agent_id, "Please reserve a room", session="session-a"))
    again = returned_control(invoke(runtime, agent_id, "Please reserve a room", session="session-b"))

    (parameter,) = first["invocationInputs"][0]["functionInvocationInput"]["parameters"]
    assert (parameter["name"], parameter["type"]) == ("nights", "integer")
    assert int(parameter["value"]) > 0
    assert again["invocationInputs"] == first["invocationInputs"]


def test_with_user_input_enabled_the_agent_asks_for_a_missing_parameter(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(control, strict)
    add_group(control, agent_id, "UserInputAction", parentActionGroupSignature="AMAZON.UserInput")
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "What's the weather like right now?")

    assert not [e for e in events if "returnControl" in e]
    question = answer_of(events)
    assert "city" in question
    assert question.endswith("?")
    assert orchestration(events, "observation")[-1]["type"] == "ASK_USER"


def test_confirmation_is_asked_for_a_function_that_requires_it(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = new_agent(control, strict)
    add_group(
        control,
        agent_id,
        "weather-tools",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        functionSchema={"functions": [{**GET_WEATHER, "requireConfirmation": "ENABLED"}]},
    )
    prepare(control, strict, agent_id)

    payload = returned_control(invoke(runtime, agent_id, "What's the weather in Oslo?"))

    member = payload["invocationInputs"][0]["functionInvocationInput"]
    assert member["actionInvocationType"] == "USER_CONFIRMATION_AND_RESULT"
    assert member["parameters"][0]["value"] == "Oslo"


def test_code_interpreter_works_out_a_calculation(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(control, strict)
    add_group(control, agent_id, "CodeInterpreterAction", parentActionGroupSignature="AMAZON.CodeInterpreter")
    prepare(control, strict, agent_id)

    assert "391" in answer_of(invoke(runtime, agent_id, "Calculate 17 * 23 for me"))


# -- OpenAPI schemas, the Lambda stand-in ------------------------------------------------------------------


def test_openapi_yaml_action_group_returns_control_with_api_path_and_request_body(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = new_agent(control, strict)
    add_group(
        control,
        agent_id,
        "trips",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        apiSchema={"payload": BOOK_TRIP_YAML},
    )
    prepare(control, strict, agent_id)

    payload = returned_control(invoke(runtime, agent_id, "Book a trip to Lisbon for 3 travellers"))

    member = payload["invocationInputs"][0]["apiInvocationInput"]
    assert (member["actionGroup"], member["apiPath"], member["httpMethod"]) == ("trips", "/trips", "POST")
    assert member["actionInvocationType"] == "RESULT"
    assert member["requestBody"] == {
        "content": {
            "application/json": {
                "properties": [
                    {"name": "destination", "type": "string", "value": "Lisbon"},
                    {"name": "travellers", "type": "integer", "value": "3"},
                ]
            }
        }
    }

    result = {
        "apiResult": {
            "actionGroup": "trips",
            "apiPath": "/trips",
            "httpMethod": "POST",
            "httpStatusCode": 200,
            "responseBody": {"application/json": {"body": '{"booking": "TRIP-42"}'}},
        }
    }
    answer = answer_of(
        invoke(
            runtime,
            agent_id,
            sessionState={
                "invocationId": payload["invocationId"],
                "returnControlInvocationResults": [result],
            },
        )
    )
    assert "TRIP-42" in answer


def test_openapi_schema_in_s3_with_a_lambda_executor_runs_the_stand_in(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    s3 = strict.client("s3")
    s3.create_bucket(Bucket="agent-schemas")
    s3.put_object(Bucket="agent-schemas", Key="forecast.json", Body=json.dumps(FORECAST_OPENAPI).encode())
    agent_id = new_agent(control, strict)
    add_group(
        control,
        agent_id,
        "forecasts",
        actionGroupExecutor={"lambda": "arn:aws:lambda:us-east-1:123456789012:function:forecasts"},
        apiSchema={"s3": {"s3BucketName": "agent-schemas", "s3ObjectKey": "forecast.json"}},
    )
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "What is the forecast for Madrid?")
    again = invoke(runtime, agent_id, "What is the forecast for Madrid?", session="other")

    assert not [e for e in events if "returnControl" in e]
    (call,) = orchestration(events, "invocationInput")
    details = call["actionGroupInvocationInput"]
    assert (details["apiPath"], details["verb"], details["executionType"]) == (
        "/forecast/{city}",
        "GET",
        "LAMBDA",
    )
    assert details["parameters"] == [{"name": "city", "type": "string", "value": "Madrid"}]
    assert "function" not in details
    (observation,) = [o for o in orchestration(events, "observation") if o["type"] == "ACTION_GROUP"]
    body = json.loads(observation["actionGroupInvocationOutput"]["text"])
    assert body["city"] == "Madrid"
    assert isinstance(body["temperature"], float)
    assert body["outlook"] in ("sunny", "cloudy", "rain")
    assert observation["actionGroupInvocationOutput"]["text"] in answer_of(events)
    assert answer_of(again) == answer_of(events)


def test_an_api_schema_missing_from_s3_is_a_dependency_failure(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    strict.client("s3").create_bucket(Bucket="agent-schemas")
    agent_id = new_agent(control, strict)
    add_group(
        control,
        agent_id,
        "forecasts",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        apiSchema={"s3": {"s3BucketName": "agent-schemas", "s3ObjectKey": "missing.yaml"}},
    )
    prepare(control, strict, agent_id)

    with pytest.raises(ClientError) as raised:
        invoke(runtime, agent_id, "What is the forecast for Madrid?")

    assert error_of(raised) == (
        424,
        "DependencyFailedException",
        "The API schema of action group forecasts could not be read: s3://agent-schemas/missing.yaml: NoSuchKey",
    )


# -- knowledge bases -----------------------------------------------------------------------------------


def test_an_associated_knowledge_base_is_searched_with_trace_and_citations(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = new_agent(control, strict)
    control.associate_agent_knowledge_base(
        agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId="EMUSAMPLKB", description="Shop policies"
    )
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "What is the return policy for enterprise subscriptions?")

    (lookup,) = orchestration(events, "invocationInput")
    assert lookup["invocationType"] == "KNOWLEDGE_BASE"
    assert lookup["knowledgeBaseLookupInput"]["knowledgeBaseId"] == "EMUSAMPLKB"
    (observation,) = [o for o in orchestration(events, "observation") if o["type"] == "KNOWLEDGE_BASE"]
    assert observation["knowledgeBaseLookupOutput"]["retrievedReferences"]
    (chunk,) = [e["chunk"] for e in events if "chunk" in e]
    citations = chunk["attribution"]["citations"]
    assert citations
    text = chunk["bytes"].decode()
    for citation in citations:
        span = citation["generatedResponsePart"]["textResponsePart"]["span"]
        assert 0 <= span["start"] <= span["end"] < len(text)
        assert citation["retrievedReferences"][0]["location"]["s3Location"]["uri"].startswith("s3://")


def test_a_created_knowledge_base_over_s3_is_searched_as_retrieve_searches_it(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    s3 = strict.client("s3")
    s3.create_bucket(Bucket="shop-policies")
    s3.put_object(Bucket="shop-policies", Key="docs/returns.txt", Body=RETURNS.encode())
    kb_id = control.create_knowledge_base(
        name="policies", roleArn=KB_ROLE, knowledgeBaseConfiguration=VECTOR
    )["knowledgeBase"]["knowledgeBaseId"]
    poll(
        strict, lambda: control.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"]["status"], "ACTIVE"
    )
    ds_id = control.create_data_source(
        knowledgeBaseId=kb_id,
        name="policy-files",
        dataSourceConfiguration={
            "type": "S3",
            "s3Configuration": {"bucketArn": "arn:aws:s3:::shop-policies"},
        },
    )["dataSource"]["dataSourceId"]
    job = control.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds_id)["ingestionJob"]
    poll(
        strict,
        lambda: control.get_ingestion_job(
            knowledgeBaseId=kb_id, dataSourceId=ds_id, ingestionJobId=job["ingestionJobId"]
        )["ingestionJob"]["status"],
        "COMPLETE",
    )
    agent_id = new_agent(control, strict)
    control.associate_agent_knowledge_base(
        agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId=kb_id, description="Shop policies"
    )
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "How long do refunds to the original card take?")

    (lookup,) = orchestration(events, "invocationInput")
    assert lookup["knowledgeBaseLookupInput"]["knowledgeBaseId"] == kb_id
    (observation,) = [o for o in orchestration(events, "observation") if o["type"] == "KNOWLEDGE_BASE"]
    (reference, *_) = observation["knowledgeBaseLookupOutput"]["retrievedReferences"]
    assert reference["location"]["s3Location"]["uri"] == "s3://shop-policies/docs/returns.txt"
    assert "original card" in reference["content"]["text"]
    (chunk,) = [e["chunk"] for e in events if "chunk" in e]
    cited = {
        r["location"]["s3Location"]["uri"]
        for citation in chunk["attribution"]["citations"]
        for r in citation["retrievedReferences"]
    }
    assert cited == {"s3://shop-policies/docs/returns.txt"}


def test_a_disabled_knowledge_base_association_is_not_searched(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = new_agent(control, strict)
    control.associate_agent_knowledge_base(
        agentId=agent_id,
        agentVersion="DRAFT",
        knowledgeBaseId="EMUSAMPLKB",
        description="Shop policies",
        knowledgeBaseState="DISABLED",
    )
    prepare(control, strict, agent_id)

    events = invoke(runtime, agent_id, "What is the return policy for enterprise subscriptions?")

    assert orchestration(events, "invocationInput") == []
    assert "citations" not in str(events)


# -- versions, aliases and wrong states ----------------------------------------------------------------


def test_an_alias_runs_its_version_not_the_draft_changed_since(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(control, strict)
    prepare(control, strict, agent_id)
    alias = control.create_agent_alias(agentId=agent_id, agentAliasName="live")["agentAlias"]
    alias_id = alias["agentAliasId"]
    poll(
        strict,
        lambda: control.get_agent_alias(agentId=agent_id, agentAliasId=alias_id)["agentAlias"][
            "agentAliasStatus"
        ],
        "PREPARED",
    )
    add_group(
        control,
        agent_id,
        "trips",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        apiSchema={"payload": BOOK_TRIP_YAML},
    )
    prepare(control, strict, agent_id)

    on_alias = invoke(runtime, agent_id, "Book a trip to Lisbon for 3 travellers", alias=alias_id)
    on_draft = invoke(runtime, agent_id, "Book a trip to Lisbon for 3 travellers")

    assert not [e for e in on_alias if "returnControl" in e]  # version 1 has no trips action group
    assert {e["trace"]["agentVersion"] for e in on_alias if "trace" in e} == {"1"}
    assert {e["trace"]["agentAliasId"] for e in on_alias if "trace" in e} == {alias_id}
    assert {e["trace"]["callerChain"][0]["agentAliasArn"] for e in on_alias if "trace" in e} == {
        alias["agentAliasArn"]
    }
    assert "apiInvocationInput" in returned_control(on_draft)["invocationInputs"][0]
    assert {e["trace"]["agentVersion"] for e in on_draft if "trace" in e} == {"DRAFT"}


def test_an_agent_never_prepared_is_refused(control: Any, runtime: Any, strict: BedrockEmulator) -> None:
    agent_id = weather_agent(control, strict)

    with pytest.raises(ClientError) as raised:
        invoke(runtime, agent_id, "What's the weather in Paris?")

    assert error_of(raised) == (
        409,
        "ConflictException",
        "Invoke operation can't be performed on Agent when it is in NotPrepared state",
    )
    control.prepare_agent(agentId=agent_id)
    with pytest.raises(ClientError) as preparing:
        invoke(runtime, agent_id, "What's the weather in Paris?")
    assert (
        error_of(preparing)[2] == "Invoke operation can't be performed on Agent when it is in Preparing state"
    )


def test_an_alias_routed_to_a_deleted_version_is_not_found(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(control, strict)
    prepare(control, strict, agent_id)
    alias_id = control.create_agent_alias(agentId=agent_id, agentAliasName="live")["agentAlias"][
        "agentAliasId"
    ]
    advance(strict, 2)
    assert returned_control(invoke(runtime, agent_id, "What's the weather in Rome?", alias=alias_id))

    control.delete_agent_version(agentId=agent_id, agentVersion="1", skipResourceInUseCheck=True)
    with pytest.raises(ClientError) as raised:
        invoke(runtime, agent_id, "What's the weather in Rome?", alias=alias_id)

    assert error_of(raised) == (404, "ResourceNotFoundException", NOT_FOUND)


def test_an_unknown_alias_and_another_tenants_agent_are_not_found(
    control: Any, runtime: Any, strict: BedrockEmulator, bedrock_emulator_server: Any
) -> None:
    agent_id = weather_agent(control, strict)
    prepare(control, strict, agent_id)

    with pytest.raises(ClientError) as unknown_alias:
        invoke(runtime, agent_id, "What's the weather in Rome?", alias="NOSUCHALIS")
    other = BedrockEmulator(bedrock_emulator_server, f"{strict.tenant}-other")
    other.use_scenario(f"created-agents-{strict.tenant}")
    try:
        with pytest.raises(ClientError) as other_tenant:
            invoke(other.client("bedrock-agent-runtime"), agent_id, "What's the weather in Rome?")
    finally:
        other.close()

    assert error_of(unknown_alias) == (404, "ResourceNotFoundException", NOT_FOUND)
    assert error_of(other_tenant) == (404, "ResourceNotFoundException", NOT_FOUND)


def test_a_paused_alias_is_refused(control: Any, runtime: Any, strict: BedrockEmulator) -> None:
    agent_id = weather_agent(control, strict)
    prepare(control, strict, agent_id)
    alias_id = control.create_agent_alias(agentId=agent_id, agentAliasName="live")["agentAlias"][
        "agentAliasId"
    ]
    advance(strict, 2)
    control.update_agent_alias(
        agentId=agent_id,
        agentAliasId=alias_id,
        agentAliasName="live",
        routingConfiguration=[{"agentVersion": "1"}],
        aliasInvocationState="REJECT_INVOCATIONS",
    )
    advance(strict, 2)

    with pytest.raises(ClientError) as raised:
        invoke(runtime, agent_id, "What's the weather in Rome?", alias=alias_id)

    assert error_of(raised)[:2] == (409, "ConflictException")
    assert "RejectInvocations" in error_of(raised)[2]


def test_memory_of_a_created_agent_is_kept_per_alias(
    control: Any, runtime: Any, strict: BedrockEmulator
) -> None:
    agent_id = weather_agent(
        control, strict, memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 7}
    )
    prepare(control, strict, agent_id)

    invoke(runtime, agent_id, "Tell me a joke about penguins.", memoryId="memory-1", endSession=True)
    memory = runtime.get_agent_memory(
        agentId=agent_id, agentAliasId=DRAFT, memoryId="memory-1", memoryType="SESSION_SUMMARY"
    )

    (summary,) = memory["memoryContents"]
    assert summary["sessionSummary"]["sessionId"] == "session-1"
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_agent_memory(
            agentId=agent_id, agentAliasId="NOSUCHALIS", memoryId="memory-1", memoryType="SESSION_SUMMARY"
        )


def test_in_the_default_mode_a_created_agent_runs_as_created_and_other_ids_get_the_sample(
    bedrock_emulator: BedrockEmulator,
) -> None:
    control = bedrock_emulator.client("bedrock-agent")
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    agent_id = weather_agent(control, bedrock_emulator)

    with pytest.raises(ClientError) as unprepared:
        invoke(runtime, agent_id, "What's the weather in Paris?")
    with pytest.raises(ClientError) as unknown_alias:
        invoke(runtime, agent_id, "What's the weather in Paris?", alias="NOSUCHALIS")
    prepare(control, bedrock_emulator, agent_id)
    mine = returned_control(invoke(runtime, agent_id, "What's the weather in Paris?"))
    sample = answer_of(invoke(runtime, "AGENT12345", "Where is my order ORD-447829?"))

    assert error_of(unprepared)[:2] == (409, "ConflictException")
    assert error_of(unknown_alias)[:2] == (404, "ResourceNotFoundException")
    assert mine["invocationInputs"][0]["functionInvocationInput"]["function"] == "get_weather"
    assert "ORD-447829" in sample
