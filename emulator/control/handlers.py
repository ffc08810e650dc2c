"""``AGENT_CONTROL_HANDLERS``: every bedrock-agent operation by name, each run under the control-plane
guard (the app's lock, ``clientToken`` idempotency where botocore's model marks a token). Registered in
``emulator/services/handlers.py`` for bedrock-agent only, last, so it answers the operations the older
sample-serving modules also name (those remain the lenient-mode fallback, ``samples``)."""

from __future__ import annotations

from emulator.control import (
    agent_parts,
    agent_versions,
    agents,
    data_sources,
    documents,
    flow_versions,
    flows,
    ingestion,
    knowledge_bases,
    policies,
    prompts,
    retrieval_instructions,
    tags,
    vpc_configurations,
)
from emulator.control.guard import Handler, guarded

_AREAS = (
    knowledge_bases,
    data_sources,
    ingestion,
    documents,
    vpc_configurations,
    agents,
    agent_parts,
    agent_versions,
    prompts,
    flows,
    flow_versions,
    retrieval_instructions,
    policies,
    tags,
)

AGENT_CONTROL_HANDLERS: dict[str, Handler] = {
    operation: guarded(operation, handler) for area in _AREAS for operation, handler in area.HANDLERS.items()
}
