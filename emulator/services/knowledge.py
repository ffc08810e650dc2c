"""Knowledge-base handlers: Retrieve, RetrieveAndGenerate(Stream), Rerank, and the bedrock-agent reads.

Each handler turns an ``OperationCall`` into a reply using ``emulator.knowledge``; ``KNOWLEDGE_HANDLERS``
maps the AWS operation names to them. Scripted retrieval results from a scenario (``call.scripted``'s
``retrieval_results``: dicts of text, score, location, metadata) replace the search when present.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from emulator.control import kb_retrieval
from emulator.generation import split_deltas
from emulator.knowledge import answers, filters, registry
from emulator.knowledge.chunking import split
from emulator.knowledge.index import LexicalIndex
from emulator.knowledge.registry import DataSource, IngestionJob, KnowledgeBase, Resolved
from emulator.knowledge.retrieval import (
    DEFAULT_NUMBER_OF_RESULTS,
    SEARCH_TYPES,
    Hit,
    retrieve,
    s3_location,
)
from emulator.services.exchange import JsonReply, OperationCall, Reply, StreamReply
from emulator.state import AppState
from emulator.wire import pagination
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint

SESSION_HEADER = "x-amzn-bedrock-knowledge-base-session-id"
_ID_PATTERN = re.compile(r"^[0-9a-zA-Z]{10}$")
_KB_ARN = re.compile(r"^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:knowledge-base/([0-9a-zA-Z]{10})$")
_SESSION_ID = re.compile(r"^[0-9a-zA-Z._:-]{2,100}$")
_ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForKnowledgeBase_emulator"


# -- bedrock-agent-runtime ----------------------------------------------------------------------------


def handle_retrieve(
    call: OperationCall, scripted_results: Sequence[Mapping[str, Any]] | None = None
) -> Reply:
    """Retrieve. ``scripted_results`` (or the scenario's) replace the search results."""
    body = call.input
    kb_id = _knowledge_base_id(body["knowledgeBaseId"])
    query = _query_text(body.get("retrievalQuery"), "retrievalQuery")
    search = _search_configuration(body.get("retrievalConfiguration"))
    results = scripted_results if scripted_results is not None else _scripted_results(call)
    page = kb_retrieval.retrieve(  # a knowledge base the caller created (emulator/control/kb_retrieval.py)
        call,
        kb_id,
        query,
        number_of_results=search.number_of_results,
        filter_spec=search.filter_spec,
        search_type=search.search_type,
        next_token=body.get("nextToken"),
        scripted=results,
    )
    if page is None:
        resolved = registry.current(call.state).resolve(kb_id, strict=call.strict)
        page = retrieve(
            resolved.knowledge_base,
            query,
            number_of_results=search.number_of_results,
            filter_spec=search.filter_spec,
            search_type=search.search_type,
            next_token=body.get("nextToken"),
            scripted=results,
            data_source_id=_first_data_source_id(resolved.knowledge_base),
        )
    reply: dict[str, Any] = {"retrievalResults": [hit.wire() for hit in page.hits]}
    if page.next_token is not None:
        reply["nextToken"] = page.next_token
    return JsonReply(reply)


def handle_retrieve_and_generate(call: OperationCall) -> Reply:
    request = _rag_request(call)
    result = _rag_answer(call, request)
    reply: dict[str, Any] = {
        "sessionId": request.session_id,
        "output": {"text": result.text},
        "citations": result.citations(),
    }
    return JsonReply(reply)


def handle_retrieve_and_generate_stream(call: OperationCall) -> Reply:
    request = _rag_request(call)
    result = _rag_answer(call, request)  # decided before the first byte leaves
    return StreamReply(events=_rag_events(result), headers={SESSION_HEADER: request.session_id})


def handle_rerank(call: OperationCall) -> Reply:
    body = call.input
    queries = body.get("queries")
    if not isinstance(queries, list) or len(queries) != 1:
        raise _invalid("queries must hold exactly one query")
    query = _query_text(queries[0].get("textQuery"), "queries.0.textQuery")
    sources = body.get("sources")
    if not isinstance(sources, list) or not 1 <= len(sources) <= 1000:
        raise _invalid("sources must hold between 1 and 1000 documents")
    documents = [_rerank_document(source, index) for index, source in enumerate(sources)]
    texts = [_rerank_text(document) for document in documents]
    configuration = (body.get("rerankingConfiguration") or {}).get("bedrockRerankingConfiguration") or {}
    wanted = configuration.get("numberOfResults", len(documents))
    if not isinstance(wanted, int) or not 1 <= wanted <= 1000:
        raise _invalid(
            "rerankingConfiguration.bedrockRerankingConfiguration.numberOfResults must be 1 to 1000"
        )
    scores = LexicalIndex(texts).relevance(query, "RERANK")
    order = sorted(range(len(texts)), key=lambda i: (-round(scores[i], 6), i))[:wanted]
    results = [{"index": i, "relevanceScore": round(scores[i], 6), "document": documents[i]} for i in order]
    return JsonReply({"results": results})


# -- bedrock-agent (control plane reads) -------------------------------------------------------------


def handle_get_knowledge_base(call: OperationCall) -> Reply:
    resolved = _resolve(call)
    return JsonReply({"knowledgeBase": _knowledge_base_wire(call.region, resolved)})


def handle_list_knowledge_bases(call: OperationCall) -> Reply:
    summaries = [
        _drop_none(
            {
                "knowledgeBaseId": kb.knowledge_base_id,
                "name": kb.name,
                "description": kb.description,
                "status": "ACTIVE",
                "updatedAt": _moment(kb.updated_at),
            }
        )
        for kb in registry.current(call.state).listed()
    ]
    return JsonReply(_paged(call, summaries))


def handle_get_data_source(call: OperationCall) -> Reply:
    resolved = _resolve(call)
    data_source_id = _id(call.input["dataSourceId"], "dataSourceId")
    ds = registry.current(call.state).data_source(resolved, data_source_id, strict=call.strict)
    return JsonReply({"dataSource": _data_source_wire(resolved.requested_id, data_source_id, ds)})


def handle_list_data_sources(call: OperationCall) -> Reply:
    resolved = _resolve(call)
    summaries = [
        _drop_none(
            {
                "knowledgeBaseId": resolved.requested_id,
                "dataSourceId": ds.data_source_id,
                "name": ds.name,
                "status": "AVAILABLE",
                "description": ds.description,
                "updatedAt": _moment(ds.updated_at),
            }
        )
        for ds in resolved.knowledge_base.data_sources.values()
    ]
    return JsonReply(_paged(call, summaries))


def handle_start_ingestion_job(call: OperationCall) -> Reply:
    resolved = _resolve(call)
    data_source_id = _id(call.input["dataSourceId"], "dataSourceId")
    job = registry.current(call.state).start_ingestion(
        call.tenant,
        resolved,
        data_source_id,
        strict=call.strict,
        description=call.input.get("description"),
    )
    return JsonReply({"ingestionJob": _job_wire(job)})


def handle_get_ingestion_job(call: OperationCall) -> Reply:
    resolved = _resolve(call)
    data_source_id = _id(call.input["dataSourceId"], "dataSourceId")
    job_id = _id(call.input["ingestionJobId"], "ingestionJobId")
    reg = registry.current(call.state)
    job = reg.job(call.tenant, resolved, data_source_id, job_id, strict=call.strict)
    reg.observe(job)
    return JsonReply({"ingestionJob": _job_wire(job)})


def handle_list_ingestion_jobs(call: OperationCall) -> Reply:
    resolved = _resolve(call)
    data_source_id = _id(call.input["dataSourceId"], "dataSourceId")
    reg = registry.current(call.state)
    jobs = reg.jobs(call.tenant, resolved, data_source_id, strict=call.strict)
    for job in jobs:
        reg.observe(job)
    jobs = _filtered_jobs(jobs, call.input)
    summaries = [
        {key: value for key, value in _job_wire(job).items() if key != "failureReasons"} for job in jobs
    ]
    return JsonReply(_paged(call, summaries))


# -- request reading -----------------------------------------------------------------------------------


class _Search:
    def __init__(
        self, number_of_results: int, filter_spec: dict[str, Any] | None, search_type: str | None
    ) -> None:
        self.number_of_results = number_of_results
        self.filter_spec = filter_spec
        self.search_type = search_type


def _search_configuration(value: Any) -> _Search:
    configuration = value or {}
    # Managed search (botocore's ManagedSearchConfiguration) takes the same number of results and filter;
    # the emulator's one ranking stands for whichever strategy Bedrock would pick, and reranking is not run.
    vector = (
        configuration.get("vectorSearchConfiguration")
        or configuration.get("managedSearchConfiguration")
        or {}
    )
    number = vector.get("numberOfResults", DEFAULT_NUMBER_OF_RESULTS)
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 100:
        raise _constraint("numberOfResults", number, "Member must have value between 1 and 100")
    search_type = vector.get("overrideSearchType")
    if search_type is not None and search_type not in SEARCH_TYPES:
        raise _constraint(
            "overrideSearchType", search_type, "Member must satisfy enum value set: [HYBRID, SEMANTIC]"
        )
    filter_spec = vector.get("filter")
    if filter_spec is not None:
        filters.validate(filter_spec)
    return _Search(number, filter_spec, search_type)


class _RagRequest:
    def __init__(self, query: str, session_id: str, kind: str, configuration: dict[str, Any]) -> None:
        self.query = query
        self.session_id = session_id
        self.kind = kind
        self.configuration = configuration


def _rag_request(call: OperationCall) -> _RagRequest:
    body = call.input
    query = _query_text(body.get("input"), "input")
    session_id = body.get("sessionId")
    if session_id is None:
        session_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bedrock-emulator:rag-session:{call.request_id}"))
    elif not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        raise _constraint(
            "sessionId", session_id, "Member must satisfy regular expression pattern: [0-9a-zA-Z._:-]+"
        )
    configuration = body.get("retrieveAndGenerateConfiguration") or {}
    kind = configuration.get("type")
    if kind not in ("KNOWLEDGE_BASE", "EXTERNAL_SOURCES"):
        raise _constraint(
            "retrieveAndGenerateConfiguration.type",
            kind,
            "Member must satisfy enum value set: [KNOWLEDGE_BASE, EXTERNAL_SOURCES]",
        )
    return _RagRequest(query, session_id, str(kind), configuration)


def _rag_answer(call: OperationCall, request: _RagRequest) -> answers.Answer:
    scripted_text = call.scripted.text if call.scripted is not None else None
    if request.kind == "KNOWLEDGE_BASE":
        kb_configuration = request.configuration.get("knowledgeBaseConfiguration")
        if not isinstance(kb_configuration, dict):
            raise _invalid("knowledgeBaseConfiguration is required when type is KNOWLEDGE_BASE.")
        kb_id = _knowledge_base_id(str(kb_configuration.get("knowledgeBaseId", "")))
        search = _search_configuration(kb_configuration.get("retrievalConfiguration"))
        page = kb_retrieval.retrieve(  # a knowledge base the caller created
            call,
            kb_id,
            request.query,
            number_of_results=search.number_of_results,
            filter_spec=search.filter_spec,
            search_type=search.search_type,
            scripted=_scripted_results(call),
        )
        if page is None:
            resolved = registry.current(call.state).resolve(kb_id, strict=call.strict)
            page = retrieve(
                resolved.knowledge_base,
                request.query,
                number_of_results=search.number_of_results,
                filter_spec=search.filter_spec,
                search_type=search.search_type,
                scripted=_scripted_results(call),
                data_source_id=_first_data_source_id(resolved.knowledge_base),
            )
        hits = page.hits
        generation = kb_configuration.get("generationConfiguration") or {}
    else:
        external = request.configuration.get("externalSourcesConfiguration")
        if not isinstance(external, dict):
            raise _invalid("externalSourcesConfiguration is required when type is EXTERNAL_SOURCES.")
        hits = _external_hits(request.query, external.get("sources"), call.state)
        generation = external.get("generationConfiguration") or {}
    template = (generation.get("promptTemplate") or {}).get("textPromptTemplate")
    inference = (generation.get("inferenceConfig") or {}).get("textInferenceConfig") or {}
    max_tokens = inference.get("maxTokens")
    return answers.answer(
        request.query,
        hits,
        prompt_template=template if isinstance(template, str) else None,
        seed=call.seed,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        scripted_text=scripted_text,
    )


def _external_hits(query: str, sources: Any, state: AppState) -> list[Hit]:
    if not isinstance(sources, list) or len(sources) != 1:
        raise _invalid("externalSourcesConfiguration.sources must hold exactly one source")
    source = sources[0]
    if source.get("sourceType") == "BYTE_CONTENT":
        content = source.get("byteContent") or {}
        identifier = str(content.get("identifier", "document"))
        try:
            text = base64.b64decode(str(content.get("data", "")), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError) as exc:
            raise _invalid("byteContent.data must be base64-encoded") from exc
        location: dict[str, Any] = {"type": "CUSTOM", "customDocumentLocation": {"id": identifier}}
        uri = identifier
    elif source.get("sourceType") == "S3":
        uri = str((source.get("s3Location") or {}).get("uri", ""))
        text = _known_document_text(uri, state)
        location = s3_location(uri)
    else:
        raise _constraint(
            "sourceType", source.get("sourceType"), "Member must satisfy enum value set: [S3, BYTE_CONTENT]"
        )
    passages = split(text)
    scores = LexicalIndex(passages).relevance(query, "SEMANTIC")
    ranked = sorted(range(len(passages)), key=lambda i: (-scores[i], i))
    return [
        Hit(
            passages[i],
            round(0.05 + 0.95 * scores[i], 6) if scores[i] > 0 else 0.0,
            uri,
            {"x-amz-bedrock-kb-source-uri": uri},
            location,
        )
        for i in ranked
    ]


def _known_document_text(uri: str, state: AppState) -> str:
    """An S3 external source is read from whatever knowledge base indexed that URI (the emulator has no S3)."""
    reg = registry.current(state)
    for kb in [*reg.knowledge_bases.values(), reg.sample]:
        chunks = [c.text for c in kb.chunks if c.source_uri == uri]
        if chunks:
            return "\n\n".join(chunks)
    return ""


def _rag_events(result: answers.Answer) -> Iterator[tuple[str, dict[str, Any]]]:
    written = 0
    for part in result.parts:
        piece = result.text[written : part.start + len(part.text)]
        for delta in split_deltas(piece):
            yield "output", {"text": delta}
        written = part.start + len(part.text)
        citation = part.citation()
        yield "citation", {"citation": citation, **citation}
    if written < len(result.text):
        for delta in split_deltas(result.text[written:]):
            yield "output", {"text": delta}


def _scripted_results(call: OperationCall) -> Sequence[Mapping[str, Any]] | None:
    return call.scripted.retrieval_results if call.scripted is not None else None


def _rerank_document(source: Any, index: int) -> dict[str, Any]:
    inline = source.get("inlineDocumentSource") or {}
    kind = inline.get("type")
    if kind == "TEXT" and isinstance((inline.get("textDocument") or {}).get("text"), str):
        return {"type": "TEXT", "textDocument": {"text": inline["textDocument"]["text"]}}
    if kind == "JSON" and "jsonDocument" in inline:
        return {"type": "JSON", "jsonDocument": inline["jsonDocument"]}
    raise _invalid(
        f"sources.{index}.inlineDocumentSource must be a TEXT document with text or a JSON document"
    )


def _rerank_text(document: Mapping[str, Any]) -> str:
    if document["type"] == "TEXT":
        return str(document["textDocument"]["text"])
    return json.dumps(document["jsonDocument"], sort_keys=True)


# -- response building ----------------------------------------------------------------------------------


def _knowledge_base_wire(region: str, resolved: Resolved) -> dict[str, Any]:
    kb = resolved.knowledge_base
    kb_id = resolved.requested_id
    collection = f"arn:aws:aoss:{region}:{registry.ACCOUNT_ID}:collection/{kb_id.lower()}emulator"
    return _drop_none(
        {
            "knowledgeBaseId": kb_id,
            "name": kb.name,
            "knowledgeBaseArn": registry.knowledge_base_arn(region, kb_id),
            "description": kb.description,
            "roleArn": _ROLE_ARN,
            "knowledgeBaseConfiguration": {
                "type": "VECTOR",
                "vectorKnowledgeBaseConfiguration": {
                    "embeddingModelArn": f"arn:aws:bedrock:{region}::foundation-model/{kb.embedding_model}"
                },
            },
            "storageConfiguration": {
                "type": "OPENSEARCH_SERVERLESS",
                "opensearchServerlessConfiguration": {
                    "collectionArn": collection,
                    "vectorIndexName": "bedrock-knowledge-base-default-index",
                    "fieldMapping": {
                        "vectorField": "bedrock-knowledge-base-default-vector",
                        "textField": "AMAZON_BEDROCK_TEXT_CHUNK",
                        "metadataField": "AMAZON_BEDROCK_METADATA",
                    },
                },
            },
            "status": "ACTIVE",
            "createdAt": _moment(kb.created_at),
            "updatedAt": _moment(kb.updated_at),
        }
    )


def _data_source_wire(kb_id: str, data_source_id: str, ds: DataSource) -> dict[str, Any]:
    bucket = ds.s3_prefix.removeprefix("s3://").split("/", 1)
    configuration: dict[str, Any] = {"bucketArn": f"arn:aws:s3:::{bucket[0]}"}
    if len(bucket) > 1 and bucket[1]:
        configuration["inclusionPrefixes"] = [bucket[1].rstrip("/") + "/"]
    return _drop_none(
        {
            "knowledgeBaseId": kb_id,
            "dataSourceId": data_source_id,
            "name": ds.name,
            "status": "AVAILABLE",
            "description": ds.description,
            "dataSourceConfiguration": {"type": "S3", "s3Configuration": configuration},
            "vectorIngestionConfiguration": {"chunkingConfiguration": ds.chunking.wire()},
            "dataDeletionPolicy": "DELETE",
            "createdAt": _moment(ds.created_at),
            "updatedAt": _moment(ds.updated_at),
        }
    )


def _job_wire(job: IngestionJob) -> dict[str, Any]:
    finished = job.status in ("COMPLETE", "FAILED")
    statistics = job.statistics if finished else dict.fromkeys(job.statistics, 0)
    return _drop_none(
        {
            "knowledgeBaseId": job.knowledge_base_id,
            "dataSourceId": job.data_source_id,
            "ingestionJobId": job.ingestion_job_id,
            "description": job.description,
            "status": job.status,
            "statistics": statistics,
            "failureReasons": job.failure_reasons if finished and job.failure_reasons else None,
            "startedAt": _moment(job.started_at),
            "updatedAt": _moment(job.updated_at),
        }
    )


def _filtered_jobs(jobs: list[IngestionJob], body: Mapping[str, Any]) -> list[IngestionJob]:
    for spec in body.get("filters") or []:
        wanted = set(spec.get("values") or [])
        jobs = [job for job in jobs if job.status in wanted]
    sort = body.get("sortBy")
    if isinstance(sort, dict):
        descending = sort.get("order") == "DESCENDING"
        if sort.get("attribute") == "STATUS":
            jobs = sorted(jobs, key=lambda job: job.status, reverse=descending)
        else:
            jobs = sorted(jobs, key=lambda job: job.started_at, reverse=descending)
    return jobs


def _paged(call: OperationCall, items: list[dict[str, Any]]) -> dict[str, Any]:
    return pagination.page(call.service, call.operation, items, call.input)


# -- small readers ----------------------------------------------------------------------------------------


def _resolve(call: OperationCall) -> Resolved:
    kb_id = _id(call.input["knowledgeBaseId"], "knowledgeBaseId")
    return registry.current(call.state).resolve(kb_id, strict=call.strict)


def _knowledge_base_id(value: str) -> str:
    """A knowledge base id, or the id inside a knowledge-base ARN."""
    arn = _KB_ARN.match(value)
    return arn.group(2) if arn else _id(value, "knowledgeBaseId")


def _id(value: str, member: str) -> str:
    if not _ID_PATTERN.match(value):
        raise _constraint(member, value, "Member must satisfy regular expression pattern: [0-9a-zA-Z]{10}")
    return value


def _first_data_source_id(kb: KnowledgeBase) -> str:
    return next(iter(kb.data_sources), "SCRIPTED00")


def _query_text(value: Any, member: str) -> str:
    text = (value or {}).get("text")
    if not isinstance(text, str):
        raise _invalid(f"{member}.text is required")
    return text


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _moment(seconds: float) -> datetime:
    """A time in a reply, for the output serializer to write as the shape says."""
    return datetime.fromtimestamp(seconds, UTC)


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)


KNOWLEDGE_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "Retrieve": handle_retrieve,
    "RetrieveAndGenerate": handle_retrieve_and_generate,
    "RetrieveAndGenerateStream": handle_retrieve_and_generate_stream,
    "Rerank": handle_rerank,
    "GetKnowledgeBase": handle_get_knowledge_base,
    "ListKnowledgeBases": handle_list_knowledge_bases,
    "GetDataSource": handle_get_data_source,
    "ListDataSources": handle_list_data_sources,
    "StartIngestionJob": handle_start_ingestion_job,
    "GetIngestionJob": handle_get_ingestion_job,
    "ListIngestionJobs": handle_list_ingestion_jobs,
}
