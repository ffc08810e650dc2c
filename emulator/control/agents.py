"""CreateAgent, GetAgent, UpdateAgent, DeleteAgent, ListAgents, PrepareAgent: an agent's working draft.

An agent is CREATING, then NOT_PREPARED; PrepareAgent makes it PREPARING, then PREPARED (with
``preparedAt``); UpdateAgent and every change to its draft's action groups, collaborators or knowledge
bases make it NOT_PREPARED again (UPDATING first, for UpdateAgent). Every agent has the test alias
``TSTALIASID`` on its draft from the start. An agent created under a name another of the account's
agents has is accepted and then FAILED, with the reason Bedrock gives (wire-facts §13.2). Deleting an
agent that has aliases besides the test alias is refused unless ``skipResourceInUseCheck``; a deleted
agent is DELETING, then gone, with its parts, versions, aliases and tags.
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, lifecycle, resources, samples, tags
from emulator.control.accounts import role_arn
from emulator.control.ids import new_id
from emulator.control.lifecycle import later, schedule, stamp, title
from emulator.control.messages import (
    AGENT_NAME_TAKEN,
    HAS_ALIASES,
    WRONG_AGENT_STATE,
    conflict,
    not_found,
)
from emulator.control.request import params, without
from emulator.control.resources import AGENT, AGENT_ALIAS, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

TEST_ALIAS_ID = "TSTALIASID"
DRAFT = "DRAFT"
DEFAULT_IDLE_SESSION_TTL = 600  # the console's default (emulator/agents/config.py uses the same)
UPDATABLE = (
    "agentName",
    "instruction",
    "foundationModel",
    "description",
    "orchestrationType",
    "customOrchestration",
    "idleSessionTTLInSeconds",
    "agentResourceRoleArn",
    "customerEncryptionKeyArn",
    "promptOverrideConfiguration",
    "guardrailConfiguration",
    "memoryConfiguration",
    "agentCollaboration",
)
DEFAULTS = {
    "orchestrationType": "DEFAULT",
    "idleSessionTTLInSeconds": DEFAULT_IDLE_SESSION_TTL,
    "agentCollaboration": "DISABLED",
}
PARTS = (
    resources.ACTION_GROUP,
    resources.COLLABORATOR,
    resources.AGENT_KNOWLEDGE_BASE,
    resources.AGENT_VERSION,
    resources.AGENT_ALIAS,
)
BUSY = ("CREATING", "PREPARING", "VERSIONING", "UPDATING", "DELETING")


def created(call: OperationCall, agent_id: str) -> dict[str, Any] | None:
    return resources.read(call, AGENT, agent_id)


def refuse_unless_idle(agent: dict[str, Any], action: str) -> None:
    """Refuse ``action`` on an agent in the middle of another change (the seen PrepareAgent text)."""
    if agent["agentStatus"] in BUSY:
        raise conflict(
            WRONG_AGENT_STATE.format(action=action, label="Agent", state=title(agent["agentStatus"]))
        )


def draft_changed(call: OperationCall, agent_id: str) -> None:
    """A part of the draft changed: a prepared agent needs preparing again."""
    agent = resources.require(call, AGENT, agent_id)
    if agent["agentStatus"] == "PREPARED":
        agent.update({"agentStatus": "NOT_PREPARED", "updatedAt": stamp(call)})
        resources.save(call, AGENT, agent_id, agent)


def create_agent(call: OperationCall) -> Reply:
    values = params(call)
    name = values["agentName"]
    taken = resources.sibling_named(call, AGENT, "", name) is not None
    agent_id = new_id(call, "agent")
    moment = stamp(call)
    record: dict[str, Any] = {
        **DEFAULTS,
        "agentResourceRoleArn": role_arn(call.tenant, f"AmazonBedrockExecutionRoleForAgents_{agent_id}"),
        **without(values, "tags"),
        "agentId": agent_id,
        "agentArn": arns.agent(call, agent_id),
        "agentVersion": DRAFT,
        "agentStatus": "CREATING",
        "createdAt": moment,
        "updatedAt": moment,
    }
    done = later(call, "create")
    settled: dict[str, Any] = {"agentStatus": "NOT_PREPARED", "updatedAt": lifecycle.iso(done)}
    if taken:
        settled = {**settled, "agentStatus": "FAILED", "failureReasons": [AGENT_NAME_TAKEN]}
    schedule(record, [(done, settled)])
    resources.save(call, AGENT, agent_id, record)
    resources.save(call, AGENT_ALIAS, key(agent_id, TEST_ALIAS_ID), _test_alias(call, agent_id, moment))
    tags.attach(call, record["agentArn"], values.get("tags"))
    return JsonReply({"agent": view(record, "Agent")})


def get_agent(call: OperationCall) -> Reply:
    agent_id = params(call)["agentId"]
    record = created(call, agent_id)
    if record is None:
        return samples.serve(call, not_found(AGENT.label, agent_id))
    return JsonReply({"agent": view(record, "Agent")})


def update_agent(call: OperationCall) -> Reply:
    values = params(call)
    agent_id = values["agentId"]
    record = resources.require(call, AGENT, agent_id)
    refuse_unless_idle(record, "Update")
    resources.refuse_name_in_use(call, AGENT, "", values["agentName"], other_than=agent_id)
    for member in UPDATABLE:
        record.pop(member, None)
    record.update(DEFAULTS)
    record.update({k: v for k, v in values.items() if k in UPDATABLE})
    record.pop("failureReasons", None)
    record.update({"agentStatus": "UPDATING", "updatedAt": stamp(call)})
    done = later(call, "update")
    schedule(record, [(done, {"agentStatus": "NOT_PREPARED", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, AGENT, agent_id, record)
    return JsonReply({"agent": view(record, "Agent")})


def delete_agent(call: OperationCall) -> Reply:
    values = params(call)
    agent_id = values["agentId"]
    record = resources.require(call, AGENT, agent_id)
    if record["agentStatus"] != "DELETING":
        aliases = [
            k for k, _ in resources.records(call, AGENT_ALIAS, agent_id) if not k.endswith(TEST_ALIAS_ID)
        ]
        if aliases and not values.get("skipResourceInUseCheck"):
            raise conflict(HAS_ALIASES.format(label="Agent", id=agent_id))
        for _alias_key, alias in resources.records(call, AGENT_ALIAS, agent_id):
            tags.drop(call, alias["agentAliasArn"])
        for kind in PARTS:
            resources.remove_under(call, kind, agent_id)
        tags.drop(call, record["agentArn"])
        record.update({"agentStatus": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "delete"), {lifecycle.GONE: True})])
        resources.save(call, AGENT, agent_id, record)
    return JsonReply({"agentId": agent_id, "agentStatus": "DELETING"})


def list_agents(call: OperationCall) -> Reply:
    mine = []
    for agent_id, record in resources.records(call, AGENT):
        summary = view(record, "AgentSummary")
        summary["latestAgentVersion"] = latest_version(call, agent_id)
        mine.append(summary)
    ids = {summary["agentId"] for summary in mine}
    others = [s for s in samples.listed(call, "agentSummaries") if s.get("agentId") not in ids]
    return JsonReply(page(call.service, call.operation, mine + others, params(call)))


def prepare_agent(call: OperationCall) -> Reply:
    agent_id = params(call)["agentId"]
    record = resources.require(call, AGENT, agent_id)
    refuse_unless_idle(record, "Prepare")
    moment = stamp(call)
    record.pop("failureReasons", None)
    record.update({"agentStatus": "PREPARING", "updatedAt": moment})
    done = later(call, "prepare")
    finished = lifecycle.iso(done)
    schedule(record, [(done, {"agentStatus": "PREPARED", "preparedAt": finished, "updatedAt": finished})])
    resources.save(call, AGENT, agent_id, record)
    return JsonReply(
        {"agentId": agent_id, "agentStatus": "PREPARING", "agentVersion": DRAFT, "preparedAt": moment}
    )


def latest_version(call: OperationCall, agent_id: str) -> str:
    """The agent's newest numbered version, or DRAFT when it has none."""
    numbers = [
        int(k.rsplit("/", 1)[1]) for k, _ in resources.records(call, resources.AGENT_VERSION, agent_id)
    ]
    return str(max(numbers)) if numbers else DRAFT


def _test_alias(call: OperationCall, agent_id: str, moment: str) -> dict[str, Any]:
    routing = [{"agentVersion": DRAFT}]
    return {
        "agentId": agent_id,
        "agentAliasId": TEST_ALIAS_ID,
        "agentAliasName": "AgentTestAlias",
        "agentAliasArn": arns.agent_alias(call, agent_id, TEST_ALIAS_ID),
        "description": "Test Alias for Agent",
        "routingConfiguration": routing,
        "agentAliasHistoryEvents": [{"routingConfiguration": routing, "startDate": moment}],
        "agentAliasStatus": "PREPARED",
        "aliasInvocationState": "ACCEPT_INVOCATIONS",
        "createdAt": moment,
        "updatedAt": moment,
    }


HANDLERS = {
    "CreateAgent": create_agent,
    "GetAgent": get_agent,
    "UpdateAgent": update_agent,
    "DeleteAgent": delete_agent,
    "ListAgents": list_agents,
    "PrepareAgent": prepare_agent,
}
