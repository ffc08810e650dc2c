"""The bundled samples lenient mode serves for ids nobody created: the existing read handlers of
``emulator.services`` (knowledge bases, data sources, ingestion jobs, agents, flows), called as they
are. Imported on first use, so answering a created resource never loads the sample corpora."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

_HANDLERS = {
    "GetKnowledgeBase": ("emulator.services.knowledge", "handle_get_knowledge_base"),
    "ListKnowledgeBases": ("emulator.services.knowledge", "handle_list_knowledge_bases"),
    "GetDataSource": ("emulator.services.knowledge", "handle_get_data_source"),
    "ListDataSources": ("emulator.services.knowledge", "handle_list_data_sources"),
    "StartIngestionJob": ("emulator.services.knowledge", "handle_start_ingestion_job"),
    "GetIngestionJob": ("emulator.services.knowledge", "handle_get_ingestion_job"),
    "ListIngestionJobs": ("emulator.services.knowledge", "handle_list_ingestion_jobs"),
    "GetAgent": ("emulator.services.agents", "handle_get_agent"),
    "ListAgents": ("emulator.services.agents", "handle_list_agents"),
    "GetFlow": ("emulator.services.flows", "handle_get_flow"),
}


def serve(call: OperationCall, missing: AwsError | None = None) -> Reply:
    """What the sample handler of ``call.operation`` answers; where it has nothing for the id (strict
    mode), ``missing`` (bedrock-agent's own ResourceNotFoundException) if given."""
    module, name = _HANDLERS[call.operation]
    handler: Any = getattr(importlib.import_module(module), name)
    try:
        reply: Reply = handler(call)
    except AwsError as error:
        if missing is not None and error.code == "ResourceNotFoundException":
            raise missing from None
        raise
    return reply


def listed(call: OperationCall, member: str) -> list[dict[str, Any]]:
    """The samples a List operation shows (one full page, whatever the request's paging)."""
    whole = dataclasses.replace(call, raw_body=b"{}", json_body={}, query={}, query_lists={})
    reply = serve(whole)
    if not isinstance(reply, JsonReply):
        return []
    return [dict(item) for item in reply.body.get(member, [])]


def knowledge_base_exists(call: OperationCall, kb_id: str) -> bool:
    """Whether the sample registry answers for a knowledge base id (always, in lenient mode)."""
    probe = dataclasses.replace(
        call, operation="GetKnowledgeBase", labels={"knowledgeBaseId": kb_id}, raw_body=b"", json_body={}
    )
    try:
        serve(probe)
    except AwsError:
        return False
    return True
