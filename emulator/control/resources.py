"""The kinds of bedrock-agent resources and the generic steps on their records in the app's store.

A record is a JSON-able dict stored under ``(tenant, kind.store_kind, key)``; keys nest parent ids
with ``/`` (a data source is ``<knowledgeBaseId>/<dataSourceId>``), so a parent's children are the
records whose key starts with ``<parent key>/``. Every read settles the record on the virtual clock
(``lifecycle.settle``) and writes the result back, so a record others read through ``read`` or
``records`` always shows its current status, and a record whose deletion has come due is removed.

All of a call's steps run under the app's control-plane lock (``handlers``), so checks such as
"no other agent has this name" and the writes that follow them are one atomic step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.control import lifecycle
from emulator.control.messages import name_taken, not_found
from emulator.services.exchange import OperationCall


@dataclass(frozen=True)
class Kind:
    """One kind of record: where it is stored and how messages and names refer to it."""

    store_kind: str
    label: str  # how refusals name it ("Agent", "KnowledgeBase")
    name_member: str | None = None  # the member that must be unique among siblings
    id_member: str | None = None  # the member naming a record's id, as name-in-use refusals quote it


KNOWLEDGE_BASE = Kind("bedrock-agent:knowledge-base", "KnowledgeBase", "name")
DATA_SOURCE = Kind("bedrock-agent:data-source", "DataSource", "name", "dataSourceId")
INGESTION_JOB = Kind("bedrock-agent:ingestion-job", "IngestionJob")
DOCUMENT = Kind("bedrock-agent:knowledge-base-document", "KnowledgeBaseDocument")
VPC_CONFIGURATION = Kind("bedrock-agent:vpc-configuration", "VpcConfiguration", "name")
AGENT = Kind("bedrock-agent:agent", "Agent", "agentName", "agentId")
ACTION_GROUP = Kind("bedrock-agent:agent-action-group", "ActionGroup", "actionGroupName", "actionGroupId")
COLLABORATOR = Kind(
    "bedrock-agent:agent-collaborator", "AgentCollaborator", "collaboratorName", "collaboratorId"
)
AGENT_KNOWLEDGE_BASE = Kind("bedrock-agent:agent-knowledge-base", "AgentKnowledgeBase")
AGENT_VERSION = Kind("bedrock-agent:agent-version", "AgentVersion")
AGENT_ALIAS = Kind("bedrock-agent:agent-alias", "AgentAlias", "agentAliasName", "agentAliasId")
PROMPT = Kind("bedrock-agent:prompt", "Prompt", "name", "id")
PROMPT_VERSION = Kind("bedrock-agent:prompt-version", "PromptVersion")
FLOW = Kind("bedrock-agent:flow", "Flow", "name", "id")
FLOW_VERSION = Kind("bedrock-agent:flow-version", "FlowVersion")
FLOW_ALIAS = Kind("bedrock-agent:flow-alias", "FlowAlias", "name", "id")
RETRIEVAL_INSTRUCTION = Kind("bedrock-agent:retrieval-instruction", "RetrievalInstruction", "name")
RETRIEVAL_INSTRUCTION_VERSION = Kind(
    "bedrock-agent:retrieval-instruction-version", "RetrievalInstructionVersion"
)
RESOURCE_POLICY = Kind("bedrock-agent:resource-policy", "ResourcePolicy")
TAGS = Kind("bedrock-agent:tags", "Tags")

ALL_KINDS = (
    KNOWLEDGE_BASE,
    DATA_SOURCE,
    INGESTION_JOB,
    DOCUMENT,
    VPC_CONFIGURATION,
    AGENT,
    ACTION_GROUP,
    COLLABORATOR,
    AGENT_KNOWLEDGE_BASE,
    AGENT_VERSION,
    AGENT_ALIAS,
    PROMPT,
    PROMPT_VERSION,
    FLOW,
    FLOW_VERSION,
    FLOW_ALIAS,
    RETRIEVAL_INSTRUCTION,
    RETRIEVAL_INSTRUCTION_VERSION,
    RESOURCE_POLICY,
    TAGS,
)


def key(*parts: str) -> str:
    return "/".join(parts)


def read(call: OperationCall, kind: Kind, record_key: str) -> dict[str, Any] | None:
    """The record as it stands now on the virtual clock, or None (absent, or deleted by now)."""
    store = call.state.store
    record = store.get(call.tenant, kind.store_kind, record_key)
    if record is None:
        return None
    if lifecycle.settle(record, lifecycle.now(call)):
        if record.get(lifecycle.GONE):
            store.delete(call.tenant, kind.store_kind, record_key)
            return None
        store.put(call.tenant, kind.store_kind, record_key, record)
    return dict(record)


def records(call: OperationCall, kind: Kind, parent: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every live record of a kind (under ``parent``'s key, if given), in creation order."""
    prefix = f"{parent}/" if parent else ""
    found = []
    for record_key, _value in call.state.store.list(call.tenant, kind.store_kind):
        if record_key.startswith(prefix):
            record = read(call, kind, record_key)
            if record is not None:
                found.append((record_key, record))
    return found


def require(call: OperationCall, kind: Kind, record_key: str, shown_id: str | None = None) -> dict[str, Any]:
    """The record, or bedrock-agent's ResourceNotFoundException naming ``shown_id``."""
    record = read(call, kind, record_key)
    if record is None:
        raise not_found(kind.label, shown_id if shown_id is not None else record_key.rsplit("/", 1)[-1])
    return record


def save(call: OperationCall, kind: Kind, record_key: str, record: Mapping[str, Any]) -> None:
    call.state.store.put(call.tenant, kind.store_kind, record_key, dict(record))


def remove(call: OperationCall, kind: Kind, record_key: str) -> None:
    call.state.store.delete(call.tenant, kind.store_kind, record_key)


def remove_under(call: OperationCall, kind: Kind, parent: str) -> None:
    """Remove every record of a kind under ``parent`` (children of a deleted resource)."""
    for record_key, _ in call.state.store.list(call.tenant, kind.store_kind):
        if record_key.startswith(f"{parent}/"):
            remove(call, kind, record_key)


def refuse_name_in_use(
    call: OperationCall, kind: Kind, parent: str, name: str, *, other_than: str | None = None
) -> None:
    """bedrock-agent's ConflictException when a live sibling under ``parent`` already has ``name``."""
    assert kind.id_member is not None
    other = sibling_named(call, kind, parent, name, other_than=other_than)
    if other is not None:
        raise name_taken("Update" if other_than is not None else "Create", name, other[1][kind.id_member])


def sibling_named(
    call: OperationCall, kind: Kind, parent: str, name: str, *, other_than: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The live record under ``parent`` whose name member is ``name`` (besides ``other_than``)."""
    assert kind.name_member is not None
    for record_key, record in records(call, kind, parent):
        if record.get(kind.name_member) == name and record_key != other_than:
            return record_key, record
    return None
