"""Agent handlers: InvokeAgent, InvokeInlineAgent, GetAgentMemory, DeleteAgentMemory (bedrock-agent-runtime)
and the bedrock-agent reads GetAgent and ListAgents.

An agent the tenant created through bedrock-agent runs as created (``emulator.agents.created``); other ids
go to the file-defined agents and the bundled sample (``emulator.agents.registry``).

Each handler validates what the caller relies on, turns the request into plain values and leaves the
behaviour to ``emulator.agents``; ``AGENT_HANDLERS`` maps AWS operation names to them. A scenario's
scripted ``answer.text`` replaces the agent's final answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.agents import created, registry
from emulator.agents.action_matching import decider
from emulator.agents.config import DRAFT_ALIAS_ID
from emulator.agents.definition import Agent, from_inline_request
from emulator.agents.invocation import Request, Retriever, invoke
from emulator.agents.memory import memory_store
from emulator.knowledge.retrieval import Page
from emulator.services.exchange import JsonReply, OperationCall, Reply, StreamReply, Usage
from emulator.wire import pagination
from emulator.wire.errors import constraint_violation as _constraint

CONTENT_TYPE_HEADER = "x-amzn-bedrock-agent-content-type"
SESSION_HEADER = "x-amz-bedrock-agent-session-id"
MEMORY_HEADER = "x-amz-bedrock-agent-memory-id"
_RESOURCE_ID = re.compile(r"^[0-9a-zA-Z]{1,10}$")
_AGENT_ID = re.compile(r"^[0-9a-zA-Z]{10}$")
_SESSION_ID = re.compile(r"^[0-9a-zA-Z._:-]{2,100}$")
_ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForAgents_{name}"


# -- bedrock-agent-runtime ---------------------------------------------------------------------------------


def handle_invoke_agent(call: OperationCall) -> Reply:
    agent_id = _label(call, "agentId", _RESOURCE_ID, "[0-9a-zA-Z]+")
    alias_id = _label(call, "agentAliasId", _RESOURCE_ID, "[0-9a-zA-Z]+")
    session_id = _label(call, "sessionId", _SESSION_ID, "[0-9a-zA-Z._:-]+")
    body = call.input
    memory_id = _optional_id(body, "memoryId")
    mine = created.find(call, agent_id, alias_id)
    if mine is not None:
        agent = mine.agent
        runs: dict[str, Any] = {
            "alias_arn": mine.alias_arn,
            "agent_version": mine.version,
            "decide": decider(mine.capabilities, call.seed),
        }
    else:
        agent = registry.current(call.state).resolve(agent_id, alias_id, strict=call.strict).agent
        runs = {"alias_arn": registry.alias_arn(call.region, agent_id, alias_id)}
    request = Request(
        tenant=call.tenant,
        region=call.region,
        seed=call.seed,
        strict=call.strict,
        request_id=call.request_id,
        agent=agent,
        agent_id=agent_id,
        alias_id=alias_id,
        session_id=session_id,
        input_text=_text(body),
        enable_trace=_flag(body, "enableTrace"),
        end_session=_flag(body, "endSession"),
        memory_id=memory_id,
        session_state=body.get("sessionState") or {},
        stream_final_response=_stream_final(body),
        guardrail_interval=_guardrail_interval(body),
        scripted_text=call.scripted.text if call.scripted else None,
        state=call.state,
        retrieve=_created_knowledge_bases(call),
        clock=call.now,
        **runs,
    )
    outcome = invoke(request)
    headers = {CONTENT_TYPE_HEADER: "application/json", SESSION_HEADER: session_id}
    if memory_id is not None:
        headers[MEMORY_HEADER] = memory_id
    return StreamReply(
        events=iter(outcome.events), headers=headers, usage=Usage(outcome.input_tokens, outcome.output_tokens)
    )


def handle_invoke_inline_agent(call: OperationCall) -> Reply:
    session_id = _label(call, "sessionId", _SESSION_ID, "[0-9a-zA-Z._:-]+")
    body = call.input
    agent = from_inline_request(body)
    request = Request(
        tenant=call.tenant,
        region=call.region,
        seed=call.seed,
        strict=call.strict,
        request_id=call.request_id,
        agent=agent,
        agent_id="INLINE",
        alias_id=DRAFT_ALIAS_ID,
        session_id=session_id,
        input_text=_text(body),
        enable_trace=_flag(body, "enableTrace"),
        end_session=_flag(body, "endSession"),
        session_state=body.get("inlineSessionState") or {},
        stream_final_response=_stream_final(body),
        guardrail_interval=_guardrail_interval(body),
        scripted_text=call.scripted.text if call.scripted else None,
        state=call.state,
        retrieve=_created_knowledge_bases(call),
        clock=call.now,
    )
    outcome = invoke(request)
    return StreamReply(
        events=iter(outcome.events),
        headers={CONTENT_TYPE_HEADER: "application/json", SESSION_HEADER: session_id},
        usage=Usage(outcome.input_tokens, outcome.output_tokens),
    )


def handle_get_agent_memory(call: OperationCall) -> Reply:
    agent_id = _label(call, "agentId", _RESOURCE_ID, "[0-9a-zA-Z]+")
    alias_id = _label(call, "agentAliasId", _RESOURCE_ID, "[0-9a-zA-Z]+")
    memory_id = _query_id(call, "memoryId", required=True)
    _known(call, agent_id, alias_id)
    assert memory_id is not None
    summaries = memory_store(call.state).get((call.tenant, agent_id, alias_id, memory_id), time.time())
    contents = [s.wire() for s in summaries]
    return JsonReply(pagination.page(call.service, call.operation, contents, call.input))


def handle_delete_agent_memory(call: OperationCall) -> Reply:
    agent_id = _label(call, "agentId", _RESOURCE_ID, "[0-9a-zA-Z]+")
    alias_id = _label(call, "agentAliasId", _RESOURCE_ID, "[0-9a-zA-Z]+")
    memory_id = _query_id(call, "memoryId", required=False)
    session_id = _query_id(call, "sessionId", required=False)
    _known(call, agent_id, alias_id)
    memory_store(call.state).delete(call.tenant, agent_id, alias_id, memory_id, session_id)
    return JsonReply({})


# -- bedrock-agent (control-plane reads) ---------------------------------------------------------------------


def handle_get_agent(call: OperationCall) -> Reply:
    agent_id = _label(call, "agentId", _AGENT_ID, "[0-9a-zA-Z]{10}")
    agents = registry.current(call.state)
    agent, _stand_in = agents.agent(agent_id, strict=call.strict)
    return JsonReply({"agent": _agent_wire(call.region, agent_id, agent, agents.created_at)})


def handle_list_agents(call: OperationCall) -> Reply:
    created = datetime.fromtimestamp(registry.current(call.state).created_at, UTC)
    summaries = [
        {
            "agentId": agent.agent_id,
            "agentName": agent.name,
            "agentStatus": "PREPARED",
            **({"description": agent.description} if agent.description else {}),
            "updatedAt": created,
            "latestAgentVersion": "1" if agent.aliases else "DRAFT",
        }
        for agent in registry.current(call.state).listed()
    ]
    return JsonReply(pagination.page(call.service, call.operation, summaries, call.input))


def _agent_wire(region: str, agent_id: str, agent: Agent, created: float) -> dict[str, Any]:
    moment = datetime.fromtimestamp(created, UTC)
    wire: dict[str, Any] = {
        "agentId": agent_id,
        "agentName": agent.name,
        "agentArn": registry.agent_arn(region, agent_id),
        "agentVersion": "DRAFT",
        "instruction": agent.instruction,
        "agentStatus": "PREPARED",
        "foundationModel": agent.foundation_model,
        "orchestrationType": "DEFAULT",
        "idleSessionTTLInSeconds": agent.idle_session_ttl,
        "agentResourceRoleArn": _ROLE_ARN.format(name=agent.name),
        "createdAt": moment,  # datetimes: the output serializer writes them
        "updatedAt": moment,
        "preparedAt": moment,
        "agentCollaboration": "DISABLED",
    }
    if agent.description:
        wire["description"] = agent.description
    if agent.memory_storage_days is not None:
        wire["memoryConfiguration"] = {
            "enabledMemoryTypes": ["SESSION_SUMMARY"],
            "storageDays": agent.memory_storage_days,
            "sessionSummaryConfiguration": {"maxRecentSessions": agent.max_recent_sessions},
        }
    return wire


def _created_knowledge_bases(call: OperationCall) -> Retriever:
    """An agent's knowledge-base search as Retrieve does it: the caller's created knowledge bases first
    (``emulator/control/kb_retrieval.py``), the definitions' and the sample otherwise."""

    def search(
        kb_id: str, text: str, number: int, filter_spec: Mapping[str, Any] | None, search_type: str | None
    ) -> Page | None:
        from emulator.control import kb_retrieval

        return kb_retrieval.retrieve(
            call, kb_id, text, number_of_results=number, filter_spec=filter_spec, search_type=search_type
        )

    return search


def _known(call: OperationCall, agent_id: str, alias_id: str) -> None:
    """Refuse an agent or alias that neither the tenant created nor the definitions (or sample) serve."""
    if created.exists(call, agent_id, alias_id) is None:
        registry.current(call.state).resolve(agent_id, alias_id, strict=call.strict)


# -- small readers ----------------------------------------------------------------------------------------


def _label(call: OperationCall, name: str, pattern: re.Pattern[str], shown: str) -> str:
    value: str = call.input.get(name, "")
    if not pattern.match(value):
        raise _constraint(name, value, f"Member must satisfy regular expression pattern: {shown}")
    return value


def _text(body: Mapping[str, Any]) -> str:
    text: str = body.get("inputText", "")
    return text


def _flag(body: Mapping[str, Any], name: str) -> bool:
    return body.get(name) is True


def _stream_final(body: Mapping[str, Any]) -> bool:
    streaming = body.get("streamingConfigurations")
    return isinstance(streaming, Mapping) and streaming.get("streamFinalResponse") is True


def _guardrail_interval(body: Mapping[str, Any]) -> int:
    """How many characters of a streamed answer an agent's guardrail checks at a time (50 unless asked)."""
    streaming = body.get("streamingConfigurations")
    interval = streaming.get("applyGuardrailInterval") if isinstance(streaming, Mapping) else None
    return interval if isinstance(interval, int) and interval >= 1 else 50


def _optional_id(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _SESSION_ID.match(value):
        raise _constraint(name, value, "Member must satisfy regular expression pattern: [0-9a-zA-Z._:-]+")
    return value


def _query_id(call: OperationCall, name: str, *, required: bool) -> str | None:
    value: str | None = call.input.get(name)
    if value is None:
        if required:
            raise _constraint(name, None, "Member must not be null")
        return None
    if not _SESSION_ID.match(value):
        raise _constraint(name, value, "Member must satisfy regular expression pattern: [0-9a-zA-Z._:-]+")
    return value


AGENT_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "InvokeAgent": handle_invoke_agent,
    "InvokeInlineAgent": handle_invoke_inline_agent,
    "GetAgentMemory": handle_get_agent_memory,
    "DeleteAgentMemory": handle_delete_agent_memory,
    "GetAgent": handle_get_agent,
    "ListAgents": handle_list_agents,
}
