"""AgenticRetrieveStream: plan, retrieve from each knowledge base with the shared scorer and, when
asked, answer with citations.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from emulator.generation import split_deltas
from emulator.knowledge import answers, filters, registry
from emulator.knowledge.retrieval import Hit, retrieve
from emulator.services.exchange import OperationCall, Reply, StreamReply
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint


def handle_agentic_retrieve_stream(call: OperationCall) -> Reply:
    body = call.input
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _constraint("messages", messages, "Member must have length greater than or equal to 1")
    query = _last_user_text(messages)
    retrievers = body.get("retrievers")
    if not isinstance(retrievers, list) or not retrievers:
        raise _constraint("retrievers", retrievers, "Member must have length greater than or equal to 1")
    sources: list[tuple[str, list[Hit]]] = []
    for index, retriever in enumerate(retrievers):
        configuration = (retriever.get("configuration") or {}).get("knowledgeBase") or {}
        kb_id = str(configuration.get("knowledgeBaseId", ""))
        if not re.match(r"^[0-9a-zA-Z]{1,10}$", kb_id):
            raise _constraint(
                f"retrievers.{index}.configuration.knowledgeBase.knowledgeBaseId",
                kb_id,
                "Member must satisfy regular expression pattern: [0-9a-zA-Z]+",
            )
        overrides = configuration.get("retrievalOverrides") or {}
        filter_spec = overrides.get("filter")
        if filter_spec is not None:
            filters.validate(filter_spec)
        size = overrides.get("maxNumberOfResults", 5)
        if not isinstance(size, int) or size < 1:
            raise _constraint("maxNumberOfResults", size, "Member must have value greater than or equal to 1")
        resolved = registry.current(call.state).resolve(kb_id, strict=call.strict)
        page = retrieve(
            resolved.knowledge_base, query, number_of_results=min(size, 100), filter_spec=filter_spec
        )
        sources.append((kb_id, page.hits))
    ranked = sorted(
        ((hit, kb_id) for kb_id, hits in sources for hit in hits), key=lambda pair: -pair[0].score
    )  # sorted() is stable: equal scores keep retriever order
    generate = body.get("generateResponse") is True
    answer = answers.answer(query, [hit for hit, _ in ranked], seed=call.seed) if generate else None
    return StreamReply(
        events=_agentic_events(call.request_id, query, [kb for kb, _ in sources], ranked, answer)
    )


def _agentic_events(
    request_id: str,
    query: str,
    knowledge_bases: list[str],
    ranked: list[tuple[Hit, str]],
    answer: answers.Answer | None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    base = int(hashlib.blake2b(request_id.encode(), digest_size=4).hexdigest(), 16)
    counter = iter(range(10))

    def trace(step: str, status: str, message: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        attributes = {"step": step, "status": status, "message": message, **extra}
        return "traceEvent", {
            "id": f"trace-{base:08x}-{next(counter)}",
            "timestamp": int(time.time() * 1000),
            "attributes": attributes,
        }

    retrievers = [{"identifier": kb} for kb in knowledge_bases]
    yield trace(
        "Planning", "SUCCEEDED", f"Planned one retrieval across {len(knowledge_bases)} knowledge base(s)."
    )
    yield trace(
        "Retrieval",
        "IN_PROGRESS",
        "Retrieving from knowledge bases.",
        actions=[{"retrieve": {"inputQuery": {"text": query}, "sourceRetrievers": retrievers}}],
        retrievalMetadata=[
            {"identifier": kb, "retrievalType": "BedrockKnowledgeBase"} for kb in knowledge_bases
        ],
    )
    yield trace("Retrieval", "SUCCEEDED", f"Retrieved {len(ranked)} results.")
    results = [
        {
            "content": {"mimeType": "text/plain", "text": hit.text},
            "metadata": dict(hit.metadata),
            "sourceRetriever": {"identifier": kb},
        }
        for hit, kb in ranked
    ]
    result: dict[str, Any] = {"results": results}
    if answer is not None:
        for delta in split_deltas(answer.text):
            yield "responseEvent", {"text": delta}
        positions = {id(hit): index for index, (hit, _) in enumerate(ranked)}
        citations = [
            {
                "startIndex": part.start,
                "endIndex": part.start + len(part.text),
                "references": [
                    {"resultIndex": positions[id(ref)]} for ref in part.references if id(ref) in positions
                ],
            }
            for part in answer.parts
            if part.references
        ]
        result["generatedResponse"] = {"answer": answer.text, "citations": citations}
    yield "result", result


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        text = (message.get("content") or {}).get("text")
        if message.get("role") == "user" and isinstance(text, str) and text.strip():
            return text
    raise AwsError("ValidationException", "messages must contain a user message with text.")


AGENTIC_RETRIEVAL_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "AgenticRetrieveStream": handle_agentic_retrieve_stream,
}
