"""Agent versions and aliases: CreateAgentAlias, GetAgentAlias, UpdateAgentAlias, DeleteAgentAlias,
ListAgentAliases, GetAgentVersion, DeleteAgentVersion, ListAgentVersions.

Bedrock has no CreateAgentVersion: an alias created (or updated) without a routing configuration takes
a new numbered version of the prepared draft — the agent's definition and copies of its action groups,
collaborators and knowledge bases under ``<agentId>/<n>/...`` — while the agent is VERSIONING; the
version is CREATING, then PREPARED, and so is the alias. An alias routed to a version that does not
exist is refused; a version an alias routes to cannot be deleted without ``skipResourceInUseCheck``.
The test alias ``TSTALIASID`` routes to the draft and cannot be changed or deleted.
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, lifecycle, resources, tags
from emulator.control.agents import DRAFT, TEST_ALIAS_ID
from emulator.control.ids import new_id, next_version
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import TEST_ALIAS, conflict, invalid, not_found, wrong_status
from emulator.control.request import params, without
from emulator.control.resources import AGENT, AGENT_ALIAS, AGENT_VERSION, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

VERSION_IN_USE = "Could not delete version {version} of Agent with ID {id}, since it is used by an alias"
DRAFT_ROUTING = "An agent alias can only be routed to a numbered version of the agent."
# What a version keeps of the draft (the AgentVersion shape's members).
SNAPSHOT = (
    "agentName",
    "agentArn",
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
PART_KINDS = (resources.ACTION_GROUP, resources.COLLABORATOR, resources.AGENT_KNOWLEDGE_BASE)


def create_agent_alias(call: OperationCall) -> Reply:
    values = params(call)
    agent_id = values["agentId"]
    agent = resources.require(call, AGENT, agent_id)
    name = values["agentAliasName"]
    resources.refuse_name_in_use(call, AGENT_ALIAS, agent_id, name)
    routing = _routing(call, agent, values.get("routingConfiguration"))
    alias_id = new_id(call, "agent-alias")
    moment = stamp(call)
    record = {
        **without(values, "tags"),
        "agentAliasId": alias_id,
        "agentAliasArn": arns.agent_alias(call, agent_id, alias_id),
        "routingConfiguration": routing,
        "agentAliasHistoryEvents": [{"routingConfiguration": routing, "startDate": moment}],
        "agentAliasStatus": "CREATING",
        "aliasInvocationState": "ACCEPT_INVOCATIONS",
        "createdAt": moment,
        "updatedAt": moment,
    }
    done = later(call, "create")
    schedule(record, [(done, {"agentAliasStatus": "PREPARED", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, AGENT_ALIAS, key(agent_id, alias_id), record)
    tags.attach(call, record["agentAliasArn"], values.get("tags"))
    return JsonReply({"agentAlias": view(record, "AgentAlias")})


def get_agent_alias(call: OperationCall) -> Reply:
    return JsonReply({"agentAlias": view(_alias(call, params(call))[1], "AgentAlias")})


def update_agent_alias(call: OperationCall) -> Reply:
    values = params(call)
    if values["agentAliasId"] == TEST_ALIAS_ID:
        raise invalid(TEST_ALIAS)
    agent = resources.require(call, AGENT, values["agentId"])
    record_key, record = _alias(call, values)
    if record["agentAliasStatus"] in ("CREATING", "UPDATING", "DELETING"):
        raise wrong_status(call.operation, record["agentAliasStatus"])
    resources.refuse_name_in_use(
        call, AGENT_ALIAS, values["agentId"], values["agentAliasName"], other_than=record_key
    )
    routing = _routing(call, agent, values.get("routingConfiguration"))
    moment = stamp(call)
    history = record.get("agentAliasHistoryEvents", [])
    if history and "endDate" not in history[-1]:
        history[-1]["endDate"] = moment
    history.append({"routingConfiguration": routing, "startDate": moment})
    record.pop("description", None)
    record.update(
        {k: v for k, v in values.items() if k in ("agentAliasName", "description", "aliasInvocationState")}
    )
    record.update(
        {
            "routingConfiguration": routing,
            "agentAliasHistoryEvents": history,
            "agentAliasStatus": "UPDATING",
            "updatedAt": moment,
        }
    )
    done = later(call, "update")
    schedule(record, [(done, {"agentAliasStatus": "PREPARED", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, AGENT_ALIAS, record_key, record)
    return JsonReply({"agentAlias": view(record, "AgentAlias")})


def delete_agent_alias(call: OperationCall) -> Reply:
    values = params(call)
    if values["agentAliasId"] == TEST_ALIAS_ID:
        raise invalid(TEST_ALIAS)
    record_key, record = _alias(call, values)
    if record["agentAliasStatus"] != "DELETING":
        tags.drop(call, record["agentAliasArn"])
        record.update({"agentAliasStatus": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "delete"), {lifecycle.GONE: True})])
        resources.save(call, AGENT_ALIAS, record_key, record)
    return JsonReply(
        {"agentId": values["agentId"], "agentAliasId": values["agentAliasId"], "agentAliasStatus": "DELETING"}
    )


def list_agent_aliases(call: OperationCall) -> Reply:
    values = params(call)
    items: list[dict[str, Any]] = []
    if _agent_known(call, values["agentId"]):
        items = [
            view(r, "AgentAliasSummary") for _, r in resources.records(call, AGENT_ALIAS, values["agentId"])
        ]
    return JsonReply(page(call.service, call.operation, items, values))


def get_agent_version(call: OperationCall) -> Reply:
    values = params(call)
    return JsonReply({"agentVersion": view(_version(call, values)[1], "AgentVersion")})


def delete_agent_version(call: OperationCall) -> Reply:
    values = params(call)
    agent_id, version = values["agentId"], values["agentVersion"]
    record_key, record = _version(call, values)
    if record["agentStatus"] != "DELETING":
        routed = [
            alias
            for _, alias in resources.records(call, AGENT_ALIAS, agent_id)
            if any(r.get("agentVersion") == version for r in alias.get("routingConfiguration", []))
        ]
        if routed and not values.get("skipResourceInUseCheck"):
            raise conflict(VERSION_IN_USE.format(version=version, id=agent_id))
        for kind in PART_KINDS:
            resources.remove_under(call, kind, record_key)
        record.update({"agentStatus": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "delete"), {lifecycle.GONE: True})])
        resources.save(call, AGENT_VERSION, record_key, record)
    return JsonReply({"agentId": agent_id, "agentVersion": version, "agentStatus": "DELETING"})


def list_agent_versions(call: OperationCall) -> Reply:
    values = params(call)
    agent_id = values["agentId"]
    items: list[dict[str, Any]] = []
    if _agent_known(call, agent_id):
        agent = resources.require(call, AGENT, agent_id)
        items.append(view({**agent, "agentVersion": DRAFT}, "AgentVersionSummary"))
        items += [
            view({**record, "agentVersion": record["version"]}, "AgentVersionSummary")
            for _, record in resources.records(call, AGENT_VERSION, agent_id)
        ]
    return JsonReply(page(call.service, call.operation, items, values))


# -- helpers --------------------------------------------------------------------------------------------


def _routing(call: OperationCall, agent: dict[str, Any], given: Any) -> list[dict[str, Any]]:
    """The alias's routing: the versions named (which must exist), or a new version of the draft."""
    if given:
        for item in given:
            version = str(item.get("agentVersion", ""))
            if version == DRAFT:
                raise invalid(DRAFT_ROUTING)
            if resources.read(call, AGENT_VERSION, key(agent["agentId"], version)) is None:
                raise not_found(AGENT_VERSION.label, version)
        return [dict(item) for item in given]
    if agent["agentStatus"] != "PREPARED":
        raise wrong_status(call.operation, agent["agentStatus"])
    return [{"agentVersion": _new_version(call, agent)}]


def _new_version(call: OperationCall, agent: dict[str, Any]) -> str:
    agent_id = agent["agentId"]
    version = next_version(call, f"agent/{agent_id}")
    moment = stamp(call)
    done = later(call, "create")
    finished = lifecycle.iso(done)
    snapshot: dict[str, Any] = {member: agent[member] for member in SNAPSHOT if member in agent}
    snapshot.update(
        {
            "agentId": agent_id,
            "version": version,
            "agentStatus": "CREATING",
            "createdAt": moment,
            "updatedAt": moment,
        }
    )
    schedule(snapshot, [(done, {"agentStatus": "PREPARED", "updatedAt": finished})])
    resources.save(call, AGENT_VERSION, key(agent_id, version), snapshot)
    for kind in PART_KINDS:
        for part_key, part in resources.records(call, kind, key(agent_id, DRAFT)):
            copy = {**part, "agentVersion": version}
            resources.save(call, kind, key(agent_id, version, part_key.rsplit("/", 1)[1]), copy)
    agent.update({"agentStatus": "VERSIONING", "updatedAt": moment})
    schedule(agent, [(done, {"agentStatus": "PREPARED", "updatedAt": finished})])
    resources.save(call, AGENT, agent_id, agent)
    return version


def _alias(call: OperationCall, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    agent_id, alias_id = values["agentId"], values["agentAliasId"]
    resources.require(call, AGENT, agent_id)
    record = resources.read(call, AGENT_ALIAS, key(agent_id, alias_id))
    if record is None:
        raise not_found(AGENT_ALIAS.label, alias_id)
    return key(agent_id, alias_id), record


def _version(call: OperationCall, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    agent_id, version = values["agentId"], values["agentVersion"]
    resources.require(call, AGENT, agent_id)
    record = resources.read(call, AGENT_VERSION, key(agent_id, version))
    if record is None:
        raise not_found(AGENT_VERSION.label, version)
    return key(agent_id, version), record


def _agent_known(call: OperationCall, agent_id: str) -> bool:
    """Whether the agent exists; unknown ones list nothing in lenient mode, and are refused in strict."""
    if resources.read(call, AGENT, agent_id) is not None:
        return True
    if call.strict:
        raise not_found(AGENT.label, agent_id)
    return False


HANDLERS = {
    "CreateAgentAlias": create_agent_alias,
    "GetAgentAlias": get_agent_alias,
    "UpdateAgentAlias": update_agent_alias,
    "DeleteAgentAlias": delete_agent_alias,
    "ListAgentAliases": list_agent_aliases,
    "GetAgentVersion": get_agent_version,
    "DeleteAgentVersion": delete_agent_version,
    "ListAgentVersions": list_agent_versions,
}
