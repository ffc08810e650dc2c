"""Agents through real boto3 over a real socket: InvokeAgent (chunks, traces, returnControl, session state,
memory), InvokeInlineAgent, GetAgentMemory / DeleteAgentMemory and the bedrock-agent reads, including what
seed 003's Agent walkthrough does at run time."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError

from emulator.agents.sample import SAMPLE_AGENT_ID

ANY_AGENT = "AGENT12345"  # unknown: lenient mode serves the sample order-support agent
DRAFT = "TSTALIASID"
TRACE_MEMBERS = {
    "preProcessingTrace",
    "orchestrationTrace",
    "postProcessingTrace",
    "guardrailTrace",
    "failureTrace",
    "routingClassifierTrace",
    "customOrchestrationTrace",
}
CONFIG = """
agents:
  - id: DESKAGENT1
    name: helpdesk
    instruction: You are the help desk agent. Reset passwords and open tickets for employees.
    aliases: [{id: DESKPROD01, name: production}]
    memory: {storage_days: 7}
    action_groups:
      - name: accounts
        executor: return_control
        functions:
          - name: reset_password
            description: Reset the password of an employee account.
            parameters:
              username: {type: string, description: "The employee username (format: EMP-XXXX)", required: true}
            answer: "Done: ${status} for ${username}."
      - name: tickets
        openapi:
          openapi: 3.0.0
          info: {title: Tickets, version: "1.0"}
          paths:
            /tickets:
              post:
                operationId: open_ticket
                description: Open a support ticket about a broken laptop or printer.
                requestBody:
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          summary: {type: string, description: What is broken}
                        required: [summary]
        responses:
          open_ticket:
            result: '{"ticket": "TCK-1", "summary": "${summary}"}'
            answer: "I opened ticket ${ticket}."
    routes:
      - when: "^hello"
        answer: Hello from the help desk!
"""


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-agent-runtime")


@pytest.fixture
def configured(tmp_path: Path, bedrock_emulator: Any) -> Iterator[None]:
    path = tmp_path / "agents.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    with bedrock_emulator.definitions("agents", [path]):
        yield


def invoke(
    runtime: Any, text: str, *, agent_id: str = ANY_AGENT, session_id: str = "session-1", **extra: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    response = runtime.invoke_agent(
        agentId=agent_id,
        agentAliasId=extra.pop("alias", DRAFT),
        sessionId=session_id,
        inputText=text,
        **extra,
    )
    return response, list(response["completion"])


def answer_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["chunk"]["bytes"].decode() for e in events if "chunk" in e)


def traces_of(events: list[dict[str, Any]], member: str = "orchestrationTrace") -> list[dict[str, Any]]:
    return [e["trace"]["trace"][member] for e in events if "trace" in e and member in e["trace"]["trace"]]


# -- seed 003 -------------------------------------------------------------------------------------------------


def test_seed_003_agent_walkthrough_runs_with_only_endpoint_url_added(
    bedrock_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    agent_id = ANY_AGENT
    bedrock_agent_rt = boto3.client(
        "bedrock-agent-runtime",
        region_name="us-east-1",
        endpoint_url=bedrock_emulator.endpoint_url,
        aws_access_key_id=bedrock_emulator.tenant,
        aws_secret_access_key="x",
    )
    session_id = str(uuid.uuid4())
    response = bedrock_agent_rt.invoke_agent(
        agentId=agent_id,
        agentAliasId="TSTALIASID",
        sessionId=session_id,
        inputText="My order ORD-447829 hasn't arrived. It was supposed to be here 3 days ago.",
        enableTrace=True,
    )
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
    bedrock_agent_rt.close()
    printed = capsys.readouterr().out
    assert (
        "[Agent calling: get_order_status([{'name': 'order_id', 'type': 'string', 'value': 'ORD-447829'}])]"
        in printed
    )
    assert "Order ORD-447829 is " in printed
    assert response["sessionId"] == session_id


# -- InvokeAgent ----------------------------------------------------------------------------------------------


def test_invoke_agent_sets_content_type_session_and_memory_headers(runtime: Any) -> None:
    response, _events = invoke(runtime, "Where is order ORD-100200?", memoryId="memory-1")
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert response["contentType"] == "application/json"
    assert response["sessionId"] == "session-1"
    assert response["memoryId"] == "memory-1"
    assert headers["x-amz-bedrock-agent-session-id"] == "session-1"


def test_without_enable_trace_only_chunks_are_sent(runtime: Any) -> None:
    _response, events = invoke(runtime, "Where is order ORD-100200?")
    assert events
    assert all(set(e) == {"chunk"} for e in events)
    assert answer_of(events).startswith("Order ORD-100200 is ")


def test_trace_parts_follow_the_trace_union_and_bedrock_step_order(runtime: Any) -> None:
    _response, events = invoke(runtime, "Please check order ORD-100200", enableTrace=True)
    parts = [e["trace"] for e in events if "trace" in e]
    for part in parts:
        assert part["agentId"] == ANY_AGENT
        assert part["agentAliasId"] == DRAFT
        assert part["agentVersion"] == "DRAFT"
        assert part["sessionId"] == "session-1"
        assert len(part["trace"]) == 1
        assert set(part["trace"]) <= TRACE_MEMBERS
        (step,) = part["trace"].values()
        assert len(step) == 1, "each trace event carries one member of its step"
    order = [next(iter(next(iter(p["trace"].values())))) for p in parts]
    members = [next(iter(p["trace"])) for p in parts]
    assert members[0] == "preProcessingTrace"
    assert members[-1] == "postProcessingTrace"
    assert order[:2] == ["modelInvocationInput", "modelInvocationOutput"]
    orchestration = [o for o, m in zip(order, members, strict=True) if m == "orchestrationTrace"]
    assert orchestration == [
        "modelInvocationInput",
        "modelInvocationOutput",
        "rationale",
        "invocationInput",
        "observation",
        "modelInvocationInput",
        "modelInvocationOutput",
        "observation",
    ]
    pre = traces_of(events, "preProcessingTrace")[1]["modelInvocationOutput"]
    assert pre["parsedResponse"]["isValid"] is True
    assert pre["metadata"]["usage"]["inputTokens"] > 0
    steps = traces_of(events)
    assert steps[0]["modelInvocationInput"]["type"] == "ORCHESTRATION"
    observation = steps[4]["observation"]
    assert observation["type"] == "ACTION_GROUP"
    assert json.loads(observation["actionGroupInvocationOutput"]["text"])["order_id"] == "ORD-100200"
    final = steps[-1]["observation"]
    assert final["type"] == "FINISH"
    assert final["finalResponse"]["text"] == answer_of(events)
    post = traces_of(events, "postProcessingTrace")[1]["modelInvocationOutput"]
    assert post["parsedResponse"]["text"] == answer_of(events)


def _timeless(value: Any) -> Any:
    """A trace without its times (eventTime, startTime, endTime): the clock, not the seed, sets those."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in {"eventTime", "startTime", "endTime"}}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def test_same_input_seed_and_session_give_the_same_events(bedrock_emulator: Any) -> None:
    def run(tenant: str) -> list[dict[str, Any]]:
        client = boto3.client(
            "bedrock-agent-runtime",
            endpoint_url=bedrock_emulator.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=tenant,
            aws_secret_access_key="x",
        )
        events = list(
            client.invoke_agent(
                agentId=ANY_AGENT,
                agentAliasId=DRAFT,
                sessionId="same",
                inputText="Cancel order ORD-5 because it is late",
                enableTrace=True,
            )["completion"]
        )
        client.close()
        return [_timeless(event) for event in events]

    assert run(f"{bedrock_emulator.tenant}-a") == run(f"{bedrock_emulator.tenant}-b")


def test_policy_question_is_answered_from_the_knowledge_base_with_citations(runtime: Any) -> None:
    _response, events = invoke(runtime, "What is your warranty on lamps?", enableTrace=True)
    lookups = [t["invocationInput"] for t in traces_of(events) if "invocationInput" in t]
    assert lookups[0]["invocationType"] == "KNOWLEDGE_BASE"
    assert lookups[0]["knowledgeBaseLookupInput"]["text"] == "What is your warranty on lamps?"
    references = next(t["observation"] for t in traces_of(events) if "observation" in t)
    assert references["type"] == "KNOWLEDGE_BASE"
    assert references["knowledgeBaseLookupOutput"]["retrievedReferences"]
    text = answer_of(events)
    citations = next(
        e["chunk"]["attribution"]["citations"] for e in events if "attribution" in e.get("chunk", {})
    )
    assert citations
    for citation in citations:
        part = citation["generatedResponsePart"]["textResponsePart"]
        assert text[part["span"]["start"] : part["span"]["end"] + 1] == part["text"]
        assert citation["retrievedReferences"][0]["location"]["type"] == "S3"


def test_session_attributes_persist_until_the_session_ends(runtime: Any) -> None:
    _r, events = invoke(
        runtime,
        "What is the status of my order?",
        sessionState={"sessionAttributes": {"order_id": "ORD-777777"}},
    )
    assert "ORD-777777" in answer_of(events)
    _r, events = invoke(runtime, "And the status of my order now?", endSession=True)
    assert "ORD-777777" in answer_of(events)
    _r, events = invoke(runtime, "What is the status of my order?", enableTrace=True)
    assert "ORD-777777" not in answer_of(events)
    final = traces_of(events)[-1]["observation"]
    assert final["type"] == "ASK_USER"
    assert "order id" in answer_of(events).lower()


def test_session_state_does_not_leak_between_tenants(runtime: Any, bedrock_emulator: Any) -> None:
    invoke(runtime, "status of my order", sessionState={"sessionAttributes": {"order_id": "ORD-121212"}})
    other = boto3.client(
        "bedrock-agent-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{bedrock_emulator.tenant}-x",
        aws_secret_access_key="x",
    )
    _r, events = invoke(other, "status of my order")
    other.close()
    assert "ORD-121212" not in answer_of(events)


def test_stream_final_response_splits_the_answer_into_several_chunks(runtime: Any) -> None:
    _r, events = invoke(
        runtime, "Where is order ORD-100200?", streamingConfigurations={"streamFinalResponse": True}
    )
    chunks = [e for e in events if "chunk" in e]
    assert len(chunks) > 1
    assert answer_of(events).startswith("Order ORD-100200 is ")


def test_memory_keeps_a_summary_of_ended_sessions_until_deleted(runtime: Any) -> None:
    invoke(runtime, "Where is order ORD-100200?", session_id="mem-s1", memoryId="user-42", endSession=True)
    memory = runtime.get_agent_memory(
        agentId=ANY_AGENT, agentAliasId=DRAFT, memoryId="user-42", memoryType="SESSION_SUMMARY"
    )["memoryContents"]
    assert len(memory) == 1
    summary = memory[0]["sessionSummary"]
    assert summary["sessionId"] == "mem-s1"
    assert summary["memoryId"] == "user-42"
    assert "ORD-100200" in summary["summaryText"]
    assert summary["sessionExpiryTime"] > summary["sessionStartTime"]
    deleted = runtime.delete_agent_memory(agentId=ANY_AGENT, agentAliasId=DRAFT, memoryId="user-42")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (
        runtime.get_agent_memory(
            agentId=ANY_AGENT, agentAliasId=DRAFT, memoryId="user-42", memoryType="SESSION_SUMMARY"
        )["memoryContents"]
        == []
    )


def test_strict_mode_answers_unknown_agent_with_resource_not_found(
    runtime: Any, bedrock_emulator: Any
) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: agents-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    with pytest.raises(ClientError) as error:
        invoke(runtime, "hi")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    _r, events = invoke(runtime, "Where is order ORD-1?", agent_id=SAMPLE_AGENT_ID)
    assert answer_of(events).startswith("Order ORD-1 is ")


def test_scenario_answer_text_replaces_the_agents_answer(runtime: Any, bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"""
version: 1
name: agents-scripted-{bedrock_emulator.tenant}
rules:
  - id: canned
    match: {{operations: [InvokeAgent]}}
    answer: {{text: Your parcel is with the neighbour.}}
"""
        )
    )
    _r, events = invoke(runtime, "Where is order ORD-100200?")
    assert answer_of(events) == "Your parcel is with the neighbour."


def test_injected_stream_exception_arrives_after_the_first_event(runtime: Any, bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"""
version: 1
name: agents-throttled-{bedrock_emulator.tenant}
rules:
  - id: throttle-mid-stream
    match: {{operations: [InvokeAgent]}}
    stream: {{exception_after: {{events: 1, member: throttlingException}}}}
"""
        )
    )
    response = runtime.invoke_agent(
        agentId=ANY_AGENT, agentAliasId=DRAFT, sessionId="s1", inputText="order ORD-1", enableTrace=True
    )
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as error:
        seen.extend(response["completion"])
    assert len(seen) == 1
    assert error.value.response["Error"]["Code"] == "throttlingException"


# -- configured agents: returnControl, OpenAPI, routes, aliases -------------------------------------------------


@pytest.mark.usefixtures("configured")
def test_return_control_then_results_complete_the_turn(runtime: Any) -> None:
    _r, events = invoke(
        runtime, "Please reset the password of EMP-0042", agent_id="DESKAGENT1", enableTrace=True
    )
    assert "chunk" not in {k for e in events for k in e}
    control = events[-1]["returnControl"]
    (entry,) = control["invocationInputs"]
    function = entry["functionInvocationInput"]
    assert function["actionGroup"] == "accounts"
    assert function["function"] == "reset_password"
    assert function["parameters"] == [{"name": "username", "type": "string", "value": "EMP-0042"}]
    assert function["actionInvocationType"] == "RESULT"
    invocation = traces_of(events)[-1]["invocationInput"]["actionGroupInvocationInput"]
    assert invocation["executionType"] == "RETURN_CONTROL"
    assert invocation["invocationId"] == control["invocationId"]
    _r, events = invoke(
        runtime,
        "",
        agent_id="DESKAGENT1",
        sessionState={
            "invocationId": control["invocationId"],
            "returnControlInvocationResults": [
                {
                    "functionResult": {
                        "actionGroup": "accounts",
                        "function": "reset_password",
                        "responseBody": {"TEXT": {"body": '{"status": "password reset"}'}},
                    }
                }
            ],
        },
    )
    assert answer_of(events) == "Done: password reset for EMP-0042."


@pytest.mark.usefixtures("configured")
def test_results_without_a_pending_return_control_are_a_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        invoke(
            runtime,
            "",
            agent_id="DESKAGENT1",
            session_id="fresh",
            sessionState={
                "returnControlInvocationResults": [{"functionResult": {"actionGroup": "accounts"}}]
            },
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.usefixtures("configured")
def test_openapi_action_reports_api_path_verb_and_request_body(runtime: Any) -> None:
    _r, events = invoke(
        runtime, 'My printer is broken: "paper jam on floor 2"', agent_id="DESKAGENT1", enableTrace=True
    )
    invocation = next(t["invocationInput"] for t in traces_of(events) if "invocationInput" in t)
    group = invocation["actionGroupInvocationInput"]
    assert group["apiPath"] == "/tickets"
    assert group["verb"] == "POST"
    assert group["requestBody"]["content"]["application/json"] == [
        {"name": "summary", "type": "string", "value": "paper jam on floor 2"}
    ]
    assert answer_of(events) == "I opened ticket TCK-1."


@pytest.mark.usefixtures("configured")
def test_scripted_route_and_strict_alias_check(runtime: Any, bedrock_emulator: Any) -> None:
    _r, events = invoke(runtime, "hello there", agent_id="DESKAGENT1", alias="DESKPROD01")
    assert answer_of(events) == "Hello from the help desk!"
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: agents-alias-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    with pytest.raises(ClientError) as error:
        invoke(runtime, "hello", agent_id="DESKAGENT1", alias="NOSUCHALIA")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- InvokeInlineAgent ----------------------------------------------------------------------------------------


def test_inline_agent_returns_control_for_its_function(runtime: Any) -> None:
    response = runtime.invoke_inline_agent(
        sessionId="inline-1",
        foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
        instruction="You are a weather assistant. Use get_weather to answer questions about the weather.",
        inputText="What is the weather in Paris?",
        enableTrace=True,
        actionGroups=[
            {
                "actionGroupName": "weather",
                "actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
                "functionSchema": {
                    "functions": [
                        {
                            "name": "get_weather",
                            "description": "Get the current weather for a city",
                            "parameters": {
                                "city": {"type": "string", "description": "City name", "required": False}
                            },
                        }
                    ]
                },
            }
        ],
    )
    events = list(response["completion"])
    assert response["sessionId"] == "inline-1"
    assert response["contentType"] == "application/json"
    parts = [e["trace"] for e in events if "trace" in e]
    assert parts
    assert all("agentId" not in p for p in parts)
    function = events[-1]["returnControl"]["invocationInputs"][0]["functionInvocationInput"]
    assert function["function"] == "get_weather"
    assert "agentId" not in function


# -- bedrock-agent reads -----------------------------------------------------------------------------------------


def test_get_agent_serves_any_id_as_the_prepared_sample(bedrock_emulator: Any) -> None:
    control = bedrock_emulator.client("bedrock-agent")
    agent = control.get_agent(agentId=ANY_AGENT)["agent"]
    assert agent["agentId"] == ANY_AGENT
    assert agent["agentStatus"] == "PREPARED"
    assert agent["agentVersion"] == "DRAFT"
    assert agent["agentArn"].endswith(f":agent/{ANY_AGENT}")
    assert agent["agentName"] == "order-support-agent"
    assert agent["memoryConfiguration"]["enabledMemoryTypes"] == ["SESSION_SUMMARY"]


@pytest.mark.usefixtures("configured")
def test_list_agents_shows_configured_agents_then_the_sample(bedrock_emulator: Any) -> None:
    control = bedrock_emulator.client("bedrock-agent")
    summaries = control.list_agents()["agentSummaries"]
    assert [s["agentId"] for s in summaries] == ["DESKAGENT1", SAMPLE_AGENT_ID]
    assert {s["agentStatus"] for s in summaries} == {"PREPARED"}
    page = control.list_agents(maxResults=1)
    assert len(page["agentSummaries"]) == 1
    assert page["nextToken"]
