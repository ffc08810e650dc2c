"""An agent version's parts: action groups, collaborators and knowledge-base associations.

Create/Associate, Update, Delete/Disassociate change the DRAFT only (and make a prepared agent
NOT_PREPARED again); Get and List read the draft or any numbered version, whose parts are the copies
taken when the version was made. Records are keyed ``<agentId>/<version>/<part id>``; an action group
keeps the request's ``parentActionGroupSignature`` and shows it as ``parentActionSignature``, the name
the output shape gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.control import resources, samples
from emulator.control.agents import DRAFT, draft_changed
from emulator.control.ids import new_id
from emulator.control.lifecycle import stamp
from emulator.control.messages import conflict, invalid, not_found
from emulator.control.request import params
from emulator.control.resources import AGENT, AGENT_VERSION, Kind, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

COLLABORATION_OFF = "Agent collaboration is not enabled for the agent {id}. Update the agent's agentCollaboration to SUPERVISOR or SUPERVISOR_ROUTER and retry your request."
ALREADY_ASSOCIATED = "Could not perform Associate operation, since the knowledge base {id} is already associated with the agent {agent}"


@dataclass(frozen=True)
class Part:
    kind: Kind
    id_member: str
    shape: str
    summary: str
    reply_member: str
    updated_member: str
    updatable: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...]
    keeps_absent: bool = False  # an update leaves members it does not name as they were (else: removed)


ACTION_GROUP = Part(
    resources.ACTION_GROUP,
    "actionGroupId",
    "AgentActionGroup",
    "ActionGroupSummary",
    "agentActionGroup",
    "updatedAt",
    (
        "actionGroupName",
        "description",
        "parentActionGroupSignature",
        "parentActionSignature",
        "parentActionGroupSignatureParams",
        "actionGroupExecutor",
        "actionGroupState",
        "apiSchema",
        "functionSchema",
    ),
    (("actionGroupState", "ENABLED"),),
)
COLLABORATOR = Part(
    resources.COLLABORATOR,
    "collaboratorId",
    "AgentCollaborator",
    "AgentCollaboratorSummary",
    "agentCollaborator",
    "lastUpdatedAt",
    ("agentDescriptor", "collaboratorName", "collaborationInstruction", "relayConversationHistory"),
    (("relayConversationHistory", "DISABLED"),),
)
KNOWLEDGE_BASE = Part(
    resources.AGENT_KNOWLEDGE_BASE,
    "knowledgeBaseId",
    "AgentKnowledgeBase",
    "AgentKnowledgeBaseSummary",
    "agentKnowledgeBase",
    "updatedAt",
    ("description", "knowledgeBaseState"),
    (("knowledgeBaseState", "ENABLED"),),
    keeps_absent=True,  # the association's description is required in its output, optional in the update
)


def _draft_agent(call: OperationCall, values: dict[str, Any]) -> dict[str, Any]:
    agent = resources.require(call, AGENT, values["agentId"])
    if values.get("agentVersion") != DRAFT:
        raise invalid("Only the DRAFT version of an agent can be changed.")
    if agent["agentStatus"] == "DELETING":
        raise not_found(AGENT.label, values["agentId"])
    return agent


def _version_known(call: OperationCall, values: dict[str, Any]) -> bool:
    """Whether the agent and version exist (reads); lenient mode lists nothing under unknown ones."""
    agent_id, version = values["agentId"], values["agentVersion"]
    if resources.read(call, AGENT, agent_id) is None:
        if call.strict:
            raise not_found(AGENT.label, agent_id)
        return False
    if version != DRAFT and resources.read(call, AGENT_VERSION, key(agent_id, version)) is None:
        raise not_found(AGENT_VERSION.label, version)
    return True


def _new(call: OperationCall, part: Part, values: dict[str, Any], part_id: str) -> Reply:
    moment = stamp(call)
    record = {
        **dict(part.defaults),
        **values,
        part.id_member: part_id,
        "createdAt": moment,
        part.updated_member: moment,
    }
    if "parentActionGroupSignature" in values:
        record["parentActionSignature"] = values["parentActionGroupSignature"]
    resources.save(call, part.kind, key(values["agentId"], DRAFT, part_id), record)
    draft_changed(call, values["agentId"])
    return JsonReply({part.reply_member: view(record, part.shape)})


def _existing(call: OperationCall, part: Part, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    record_key = key(values["agentId"], values["agentVersion"], values[part.id_member])
    record = resources.read(call, part.kind, record_key)
    if record is None:
        raise not_found(part.kind.label, values[part.id_member])
    return record_key, record


def _update(call: OperationCall, part: Part, values: dict[str, Any]) -> Reply:
    _draft_agent(call, values)
    record_key, record = _existing(call, part, values)
    name_member = part.kind.name_member
    if name_member is not None:
        resources.refuse_name_in_use(
            call, part.kind, key(values["agentId"], DRAFT), values[name_member], other_than=record_key
        )
    if not part.keeps_absent:
        for member in part.updatable:
            record.pop(member, None)
        record.update(dict(part.defaults))
    record.update({k: v for k, v in values.items() if k in part.updatable})
    if "parentActionGroupSignature" in values:
        record["parentActionSignature"] = values["parentActionGroupSignature"]
    record[part.updated_member] = stamp(call)
    resources.save(call, part.kind, record_key, record)
    draft_changed(call, values["agentId"])
    return JsonReply({part.reply_member: view(record, part.shape)})


def _delete(call: OperationCall, part: Part, values: dict[str, Any]) -> Reply:
    _draft_agent(call, values)
    record_key, _ = _existing(call, part, values)
    resources.remove(call, part.kind, record_key)
    draft_changed(call, values["agentId"])
    return JsonReply({})


def _get(call: OperationCall, part: Part) -> Reply:
    values = params(call)
    if not _version_known(call, values):
        raise not_found(part.kind.label, values[part.id_member])
    return JsonReply({part.reply_member: view(_existing(call, part, values)[1], part.shape)})


def _list(call: OperationCall, part: Part) -> Reply:
    values = params(call)
    items: list[dict[str, Any]] = []
    if _version_known(call, values):
        parent = key(values["agentId"], values["agentVersion"])
        items = [view(record, part.summary) for _, record in resources.records(call, part.kind, parent)]
    return JsonReply(page(call.service, call.operation, items, values))


# -- action groups -----------------------------------------------------------------------------------


def create_agent_action_group(call: OperationCall) -> Reply:
    values = params(call)
    _draft_agent(call, values)
    name = values["actionGroupName"]
    resources.refuse_name_in_use(call, resources.ACTION_GROUP, key(values["agentId"], DRAFT), name)
    return _new(call, ACTION_GROUP, values, new_id(call, "action-group"))


def update_agent_action_group(call: OperationCall) -> Reply:
    return _update(call, ACTION_GROUP, params(call))


def delete_agent_action_group(call: OperationCall) -> Reply:
    return _delete(call, ACTION_GROUP, params(call))


def get_agent_action_group(call: OperationCall) -> Reply:
    return _get(call, ACTION_GROUP)


def list_agent_action_groups(call: OperationCall) -> Reply:
    return _list(call, ACTION_GROUP)


# -- collaborators -----------------------------------------------------------------------------------


def associate_agent_collaborator(call: OperationCall) -> Reply:
    values = params(call)
    agent = _draft_agent(call, values)
    if agent.get("agentCollaboration", "DISABLED") == "DISABLED":
        raise invalid(COLLABORATION_OFF.format(id=values["agentId"]))
    _check_collaborator_alias(call, values)
    name = values["collaboratorName"]
    resources.refuse_name_in_use(call, resources.COLLABORATOR, key(values["agentId"], DRAFT), name)
    return _new(call, COLLABORATOR, values, new_id(call, "collaborator"))


def update_agent_collaborator(call: OperationCall) -> Reply:
    values = params(call)
    _check_collaborator_alias(call, values)
    return _update(call, COLLABORATOR, values)


def disassociate_agent_collaborator(call: OperationCall) -> Reply:
    return _delete(call, COLLABORATOR, params(call))


def get_agent_collaborator(call: OperationCall) -> Reply:
    return _get(call, COLLABORATOR)


def list_agent_collaborators(call: OperationCall) -> Reply:
    return _list(call, COLLABORATOR)


def _check_collaborator_alias(call: OperationCall, values: dict[str, Any]) -> None:
    """In strict mode the collaborator's alias must be one of the caller's agent aliases."""
    if not call.strict:
        return
    from emulator.control import arns

    alias_arn = str(values.get("agentDescriptor", {}).get("aliasArn", ""))
    found = arns.resolve(call, alias_arn)
    if found is None or found[0] is not resources.AGENT_ALIAS or resources.read(call, *found) is None:
        raise not_found(resources.AGENT_ALIAS.label, alias_arn)


# -- knowledge bases -----------------------------------------------------------------------------------


def associate_agent_knowledge_base(call: OperationCall) -> Reply:
    values = params(call)
    _draft_agent(call, values)
    kb_id = values["knowledgeBaseId"]
    if resources.read(call, resources.KNOWLEDGE_BASE, kb_id) is None and not samples.knowledge_base_exists(
        call, kb_id
    ):
        raise not_found(resources.KNOWLEDGE_BASE.label, kb_id)
    if resources.read(call, resources.AGENT_KNOWLEDGE_BASE, key(values["agentId"], DRAFT, kb_id)) is not None:
        raise conflict(ALREADY_ASSOCIATED.format(id=kb_id, agent=values["agentId"]))
    return _new(call, KNOWLEDGE_BASE, values, kb_id)


def update_agent_knowledge_base(call: OperationCall) -> Reply:
    return _update(call, KNOWLEDGE_BASE, params(call))


def disassociate_agent_knowledge_base(call: OperationCall) -> Reply:
    return _delete(call, KNOWLEDGE_BASE, params(call))


def get_agent_knowledge_base(call: OperationCall) -> Reply:
    return _get(call, KNOWLEDGE_BASE)


def list_agent_knowledge_bases(call: OperationCall) -> Reply:
    return _list(call, KNOWLEDGE_BASE)


HANDLERS = {
    "CreateAgentActionGroup": create_agent_action_group,
    "UpdateAgentActionGroup": update_agent_action_group,
    "DeleteAgentActionGroup": delete_agent_action_group,
    "GetAgentActionGroup": get_agent_action_group,
    "ListAgentActionGroups": list_agent_action_groups,
    "AssociateAgentCollaborator": associate_agent_collaborator,
    "UpdateAgentCollaborator": update_agent_collaborator,
    "DisassociateAgentCollaborator": disassociate_agent_collaborator,
    "GetAgentCollaborator": get_agent_collaborator,
    "ListAgentCollaborators": list_agent_collaborators,
    "AssociateAgentKnowledgeBase": associate_agent_knowledge_base,
    "UpdateAgentKnowledgeBase": update_agent_knowledge_base,
    "DisassociateAgentKnowledgeBase": disassociate_agent_knowledge_base,
    "GetAgentKnowledgeBase": get_agent_knowledge_base,
    "ListAgentKnowledgeBases": list_agent_knowledge_bases,
}
