"""InvokeAgent on an agent the tenant created through bedrock-agent: what was created is what runs.

``find(call, agent_id, alias_id)`` reads the control plane's records (``emulator/control/``,
docs/control-plane.md) as they stand on the virtual clock: the alias, the version its routing names
(``TSTALIASID`` routes to ``DRAFT``), and that version's definition (instruction, foundation model, idle
session TTL, memory and prompt-override configuration) and parts (enabled action groups, enabled
knowledge-base associations), and builds the ``Agent`` the runtime (``invocation``) runs, with the
decision function of ``action_matching``. It returns None when the tenant created no agent with that id,
so file-defined agents and the bundled sample keep answering (lenient mode).

Refusals, before any event is sent (wire-facts §16.2):

- the agent being deleted, an alias that does not exist (or is being deleted), an alias whose version has
  been deleted: ``ResourceNotFoundException`` with the runtime's seen text (§8.4);
- a DRAFT that was never prepared (``CREATING``, ``NOT_PREPARED``, first ``PREPARING``, ``FAILED``), an
  alias or version still being created, an alias paused with ``REJECT_INVOCATIONS``:
  ``ConflictException`` ``Invoke operation can't be performed on <Agent|AgentAlias|AgentVersion> when it
  is in <State> state`` (the form bedrock-agent uses for its own wrong-state refusals, §13.4).

A DRAFT prepared once and changed since (``NOT_PREPARED`` again, or ``UPDATING``/``PREPARING``) runs the
draft as it is now; Bedrock runs it as it was last prepared (the records keep no copy of that).

Records are read, never written: the data plane does not take the control plane's lock, so it settles
its own copies instead of saving them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from emulator.agents.action_matching import Capabilities
from emulator.agents.action_schemas import Reader, actions, capabilities
from emulator.agents.config import DEFAULT_FOUNDATION_MODEL
from emulator.agents.definition import Agent, KnowledgeBaseRef
from emulator.agents.guardrail import reference
from emulator.control import lifecycle, resources
from emulator.control.messages import WRONG_AGENT_STATE
from emulator.wire.errors import AwsError

if TYPE_CHECKING:  # the handler layer's type, named only: nothing here imports that layer
    from emulator.services.exchange import OperationCall

DRAFT: Final = "DRAFT"
DEFAULT_IDLE_SESSION_TTL: Final = 600
# Statuses of a DRAFT that has a prepared build to run, once it has been prepared at least once.
_RUNNABLE_AFTER_FIRST_PREPARE: Final = frozenset(
    {"PREPARED", "NOT_PREPARED", "PREPARING", "UPDATING", "VERSIONING"}
)


@dataclass(frozen=True)
class CreatedAgent:
    agent: Agent
    version: str  # "DRAFT" or the version number the alias routes to
    alias_arn: str
    capabilities: Capabilities


def exists(call: OperationCall, agent_id: str, alias_id: str) -> bool | None:
    """None when the tenant created no agent ``agent_id``; True when it and the alias exist; otherwise
    the runtime's ResourceNotFoundException (for calls, such as the memory ones, that run nothing)."""
    agent = _read(call, resources.AGENT, agent_id)
    if agent is None:
        return None
    _alias(call, agent, alias_id)
    return True


def find(call: OperationCall, agent_id: str, alias_id: str) -> CreatedAgent | None:
    """The created agent ``alias_id`` runs, None when the tenant created no agent ``agent_id``."""
    agent = _read(call, resources.AGENT, agent_id)
    if agent is None:
        return None
    alias = _alias(call, agent, alias_id)
    if alias.get("agentAliasStatus") == "CREATING":
        raise _wrong_state("AgentAlias", "CREATING")
    if alias.get("aliasInvocationState", "ACCEPT_INVOCATIONS") != "ACCEPT_INVOCATIONS":
        raise _wrong_state("AgentAlias", str(alias["aliasInvocationState"]))
    routing = alias.get("routingConfiguration") or [{"agentVersion": DRAFT}]
    version = str(routing[0].get("agentVersion", DRAFT))
    if version == DRAFT:
        status = str(agent.get("agentStatus", ""))
        if "preparedAt" not in agent or status not in _RUNNABLE_AFTER_FIRST_PREPARE:
            raise _wrong_state("Agent", status)
        definition = agent
    else:
        found = _read(call, resources.AGENT_VERSION, resources.key(agent_id, version))
        if found is None or found.get("agentStatus") == "DELETING":
            raise AwsError("ResourceNotFoundException")
        if found.get("agentStatus") != "PREPARED":
            raise _wrong_state("AgentVersion", str(found.get("agentStatus", "")))
        definition = found
    parent = resources.key(agent_id, version)
    groups = _parts(call, resources.ACTION_GROUP, parent)
    reader = Reader(
        call.state, call.tenant, call.seed, call.scripted.invoke_body if call.scripted is not None else None
    )
    built = _agent(
        agent_id,
        definition,
        actions(groups, reader),
        tuple(
            KnowledgeBaseRef(str(part["knowledgeBaseId"]), str(part.get("description", "")))
            for part in _parts(call, resources.AGENT_KNOWLEDGE_BASE, parent)
            if part.get("knowledgeBaseState", "ENABLED") == "ENABLED"
        ),
    )
    return CreatedAgent(built, version, str(alias["agentAliasArn"]), capabilities(groups))


def _alias(call: OperationCall, agent: Mapping[str, Any], alias_id: str) -> dict[str, Any]:
    if agent.get("agentStatus") == "DELETING":
        raise AwsError("ResourceNotFoundException")
    alias = _read(call, resources.AGENT_ALIAS, resources.key(str(agent["agentId"]), alias_id))
    if alias is None or alias.get("agentAliasStatus") == "DELETING":
        raise AwsError("ResourceNotFoundException")
    return alias


def _agent(
    agent_id: str,
    definition: Mapping[str, Any],
    built_actions: tuple[Any, ...],
    knowledge_bases: tuple[KnowledgeBaseRef, ...],
) -> Agent:
    memory = definition.get("memoryConfiguration") or {}
    remembers = "SESSION_SUMMARY" in (memory.get("enabledMemoryTypes") or ())
    steps = {
        str(c.get("promptType")): c.get("promptState")
        for c in (definition.get("promptOverrideConfiguration") or {}).get("promptConfigurations") or ()
        if isinstance(c, Mapping)
    }
    return Agent(
        agent_id=agent_id,
        name=str(definition.get("agentName", agent_id)),
        instruction=str(definition.get("instruction", "")),
        foundation_model=str(definition.get("foundationModel") or DEFAULT_FOUNDATION_MODEL),
        description=definition.get("description"),
        idle_session_ttl=int(definition.get("idleSessionTTLInSeconds", DEFAULT_IDLE_SESSION_TTL)),
        memory_storage_days=int(memory.get("storageDays", 30)) if remembers else None,
        max_recent_sessions=int(
            (memory.get("sessionSummaryConfiguration") or {}).get("maxRecentSessions", 20)
        ),
        pre_processing=steps.get("PRE_PROCESSING") != "DISABLED",
        post_processing=steps.get("POST_PROCESSING") == "ENABLED",
        knowledge_bases=knowledge_bases,
        actions=built_actions,
        guardrail=reference(definition.get("guardrailConfiguration")),
    )


def _wrong_state(label: str, status: str) -> AwsError:
    return AwsError(
        "ConflictException",
        WRONG_AGENT_STATE.format(action="Invoke", label=label, state=lifecycle.title(status)),
    )


def _read(call: OperationCall, kind: resources.Kind, record_key: str) -> dict[str, Any] | None:
    """A record as it stands now on the virtual clock (a settled copy), or None (absent, or gone)."""
    record = call.state.store.get(call.tenant, kind.store_kind, record_key)
    if not isinstance(record, dict):
        return None
    lifecycle.settle(record, lifecycle.now(call))
    return None if record.get(lifecycle.GONE) else record


def _parts(call: OperationCall, kind: resources.Kind, parent: str) -> list[dict[str, Any]]:
    """The live records of a part kind under ``<agentId>/<version>``, in creation order."""
    found = []
    for record_key, record in call.state.store.list(call.tenant, kind.store_kind):
        if record_key.startswith(f"{parent}/") and isinstance(record, dict):
            lifecycle.settle(record, lifecycle.now(call))
            if not record.get(lifecycle.GONE):
                found.append(record)
    return found
