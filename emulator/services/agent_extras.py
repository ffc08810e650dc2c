"""The rest of bedrock-agent-runtime: GenerateQuery, OptimizePrompt, AgenticRetrieveStream, the
knowledge-base document reads (GetDocumentContent, Get/CheckIngestedDocumentAcl) and session tags.

GenerateQuery turns a question into SQL by a few fixed patterns (deterministic, never a model);
OptimizePrompt restructures the prompt the same way every time; AgenticRetrieveStream plans, retrieves
from each knowledge base with the shared scorer and, when asked, answers with citations. A document's
access list is the ``documentAcl`` object of its ``<file>.metadata.json`` sidecar, in the exact shape
GetIngestedDocumentAcl returns. Only sessions are taggable: tags live on the caller's sessions
(``emulator.agents.session_management``), so CreateSession's tags and TagResource's are the same set.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from emulator import catalog
from emulator.agents.session_management import SESSIONS, Session
from emulator.generation import split_deltas
from emulator.knowledge import answers, filters, registry
from emulator.knowledge.documents import DocumentError, read_document
from emulator.knowledge.registry import Chunk, DataSource, Resolved
from emulator.knowledge.retrieval import Hit, retrieve
from emulator.services.exchange import JsonReply, OperationCall, Reply, StreamReply
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint

ARN_NOT_FOUND = (
    "The specified resource Amazon Resource Name (ARN) was not found. "
    "Check the Amazon Resource Name (ARN) and try your request again."
)
_KB_ARN = re.compile(
    r"^arn:aws(?:|-cn|-us-gov):bedrock:[a-zA-Z0-9-]*:[0-9]{12}:knowledge-base/([0-9a-zA-Z]+)$"
)
_KB_IDENTIFIER = re.compile(
    r"^(?:arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:knowledge-base/)?([0-9a-zA-Z]{10})$"
)
_SESSION_ARN = re.compile(
    r"^arn:aws(-[^:]+)?:bedrock:[a-zA-Z0-9-]+:[0-9]{12}:session/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$"
)
_TAG_TEXT = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")
_MIME_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".csv": "text/csv",
}


# -- GenerateQuery ------------------------------------------------------------------------------------------

_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "for",
        "to",
        "by",
        "with",
        "from",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "many",
        "much",
        "show",
        "list",
        "give",
        "get",
        "find",
        "me",
        "all",
        "each",
        "every",
        "per",
        "do",
        "does",
        "did",
        "have",
        "has",
        "top",
        "number",
        "count",
        "total",
        "sum",
        "average",
        "avg",
        "mean",
        "highest",
        "lowest",
        "most",
        "least",
        "than",
        "more",
        "less",
        "over",
        "under",
        "between",
        "last",
        "this",
        "that",
        "there",
        "their",
        "our",
        "my",
        "your",
        "please",
        "tell",
        "return",
        "display",
    ]
)
_FILLER_WORDS = frozenset({"a", "an", "the", "of", "all", "for", "in", "per", "each", "my", "our"})
_AGGREGATES = (
    ("average", "AVG"),
    ("avg", "AVG"),
    ("mean", "AVG"),
    ("total", "SUM"),
    ("sum", "SUM"),
    ("maximum", "MAX"),
    ("highest", "MAX"),
    ("largest", "MAX"),
    ("minimum", "MIN"),
    ("lowest", "MIN"),
    ("smallest", "MIN"),
)


def handle_generate_query(call: OperationCall) -> Reply:
    body = _object(call.json())
    query_input = _object(body.get("queryGenerationInput"))
    text = query_input.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _constraint(
            "queryGenerationInput.text", text, "Member must satisfy regular expression pattern: ^(?!\\s*$).+"
        )
    if query_input.get("type") != "TEXT":
        raise _constraint(
            "queryGenerationInput.type", query_input.get("type"), "Member must satisfy enum value set: [TEXT]"
        )
    transformation = _object(body.get("transformationConfiguration"))
    if transformation.get("mode") != "TEXT_TO_SQL":
        raise _constraint(
            "transformationConfiguration.mode",
            transformation.get("mode"),
            "Member must satisfy enum value set: [TEXT_TO_SQL]",
        )
    sql_configuration = transformation.get("textToSqlConfiguration")
    if isinstance(sql_configuration, dict):
        kb_configuration = _object(sql_configuration.get("knowledgeBaseConfiguration") or {})
        arn = str(kb_configuration.get("knowledgeBaseArn", ""))
        match = _KB_ARN.match(arn)
        if match is None:
            raise _constraint(
                "transformationConfiguration.textToSqlConfiguration.knowledgeBaseConfiguration.knowledgeBaseArn",
                arn,
                "Member must satisfy regular expression pattern: ^arn:aws(|-cn|-us-gov):bedrock:[a-zA-Z0-9-]*:[0-9]{12}:knowledge-base/[0-9a-zA-Z]+$",
            )
        registry.current().resolve(match.group(1), strict=call.strict)
    return JsonReply({"queries": [{"type": "REDSHIFT_SQL", "sql": text_to_sql(text)}]})


def text_to_sql(question: str) -> str:
    """A Redshift SQL statement for ``question``, from fixed patterns (the same question, the same SQL)."""
    lowered = question.lower()
    words = re.findall(r"[a-z][a-z0-9_]*", lowered)
    table = _table(words)
    where = _where(question)
    limit = re.search(r"\btop\s+(\d+)\b", lowered)
    column = _column_after(words, ("by",)) or "amount"
    if re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", lowered):
        return f"SELECT COUNT(*) AS count FROM {table}{where};"
    for word, function in _AGGREGATES:
        if re.search(rf"\b{word}\b", lowered):
            measured = _column_after(words, (word, "of")) or "amount"
            return f"SELECT {function}({measured}) AS {function.lower()}_{measured} FROM {table}{where};"
    if limit:
        return f"SELECT * FROM {table}{where} ORDER BY {column} DESC LIMIT {int(limit.group(1))};"
    return f"SELECT * FROM {table}{where} LIMIT 100;"


def _table(words: Sequence[str]) -> str:
    candidates = [w for w in words if w not in _STOP_WORDS and not w.isdigit()]
    plural = [w for w in candidates if w.endswith("s") and len(w) > 3]
    return (plural or candidates or ["records"])[0]


def _column_after(words: Sequence[str], markers: Sequence[str]) -> str | None:
    for index, word in enumerate(words):
        if word in markers:
            following = [w for w in words[index + 1 :] if w not in _FILLER_WORDS]
            if following:
                return following[0]
    return None


def _where(question: str) -> str:
    year = re.search(r"\b(19|20)\d{2}\b", question)
    quoted = re.search(r"['\"]([^'\"]+)['\"]", question)
    clauses = []
    if quoted:
        clauses.append(f"name = '{quoted.group(1)}'")
    if year:
        clauses.append(f"EXTRACT(YEAR FROM created_at) = {year.group(0)}")
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


# -- OptimizePrompt -----------------------------------------------------------------------------------------


def handle_optimize_prompt(call: OperationCall) -> Reply:
    body = _object(call.json())
    text = _object(_object(body.get("input")).get("textPrompt")).get("text")
    if not isinstance(text, str) or not text:
        raise _constraint("input.textPrompt.text", text, "Member must have length greater than or equal to 1")
    model_id = body.get("targetModelId")
    if not isinstance(model_id, str) or not model_id:
        raise _constraint("targetModelId", model_id, "Member must have length greater than or equal to 1")
    model = _target_model(model_id)
    analysis, optimized = optimize_prompt(text, model.provider)
    events: list[tuple[str, dict[str, Any]]] = [
        ("analyzePromptEvent", {"message": analysis}),
        ("optimizedPromptEvent", {"optimizedPrompt": {"textPrompt": {"text": optimized}}}),
    ]
    return StreamReply(events=iter(events))


def _target_model(model_id: str) -> catalog.FoundationModel:
    """The foundation model a target id names: a bare id, an inference profile id or a model ARN."""
    bare = model_id.rsplit("foundation-model/", 1)[-1].rsplit("inference-profile/", 1)[-1]
    model = catalog.get(bare) or (catalog.get(bare.split(".", 1)[1]) if "." in bare else None)
    if model is None:
        raise AwsError("ValidationException", catalog.INVALID_ID_MESSAGE)
    return model


def optimize_prompt(text: str, provider: str = "") -> tuple[str, str]:
    """(analysis, optimized prompt). Variables (``{{name}}``) are kept exactly as written."""
    original = text.strip()
    variables = sorted(set(re.findall(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}", original)))
    words = len(original.split())
    steps = [
        "Read the task and any input carefully before answering.",
        "Work through the problem step by step.",
        "If something needed is missing, say what is missing instead of guessing.",
        "Keep the answer focused on the task and state the final result clearly.",
    ]
    if provider.lower() == "anthropic":
        optimized = (
            f"<task>\n{original}\n</task>\n\n<instructions>\n"
            + "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
            + "\n</instructions>"
        )
    else:
        optimized = f"## Task\n{original}\n\n## Instructions\n" + "\n".join(
            f"{i}. {step}" for i, step in enumerate(steps, 1)
        )
    kept = f" and keeps its variables {', '.join(variables)}" if variables else ""
    analysis = (
        f"The prompt has {words} words{kept}. It states the task but gives no explicit instructions or "
        "answer format; the optimized prompt separates the task from step-by-step instructions."
    )
    return analysis, optimized


# -- AgenticRetrieveStream ----------------------------------------------------------------------------------


def handle_agentic_retrieve_stream(call: OperationCall) -> Reply:
    body = _object(call.json())
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _constraint("messages", messages, "Member must have length greater than or equal to 1")
    query = _last_user_text(messages)
    retrievers = body.get("retrievers")
    if not isinstance(retrievers, list) or not retrievers:
        raise _constraint("retrievers", retrievers, "Member must have length greater than or equal to 1")
    _object(body.get("agenticRetrieveConfiguration"))
    sources: list[tuple[str, list[Hit]]] = []
    for index, retriever in enumerate(retrievers):
        configuration = _object(_object(_object(retriever).get("configuration")).get("knowledgeBase"))
        kb_id = str(configuration.get("knowledgeBaseId", ""))
        if not re.match(r"^[0-9a-zA-Z]{1,10}$", kb_id):
            raise _constraint(
                f"retrievers.{index}.configuration.knowledgeBase.knowledgeBaseId",
                kb_id,
                "Member must satisfy regular expression pattern: [0-9a-zA-Z]+",
            )
        overrides = _object(configuration.get("retrievalOverrides") or {})
        filter_spec = overrides.get("filter")
        if filter_spec is not None:
            filters.validate(filter_spec)
        size = overrides.get("maxNumberOfResults", 5)
        if not isinstance(size, int) or size < 1:
            raise _constraint("maxNumberOfResults", size, "Member must have value greater than or equal to 1")
        resolved = registry.current().resolve(kb_id, strict=call.strict)
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
        item = _object(message)
        text = _object(item.get("content") or {}).get("text")
        if item.get("role") == "user" and isinstance(text, str) and text.strip():
            return text
    raise AwsError("ValidationException", "messages must contain a user message with text.")


# -- knowledge-base documents -------------------------------------------------------------------------------


def handle_get_document_content(call: OperationCall) -> Reply:
    resolved, ds = _data_source(call)
    document_id = call.labels.get("documentId", "")
    chunk = _document(ds, document_id)
    body = _object(call.json()) if call.raw_body else {}
    output_format = body.get("outputFormat", "RAW")
    if output_format not in ("RAW", "EXTRACTED"):
        raise _constraint(
            "outputFormat", output_format, "Member must satisfy enum value set: [RAW, EXTRACTED]"
        )
    path = ds.directory / chunk.document_path
    if output_format == "RAW":
        length = path.stat().st_size
        mime = _MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
    else:
        try:
            text = read_document(path, chunk.document_path, ds.s3_prefix).text
        except (DocumentError, OSError, UnicodeDecodeError) as exc:
            raise AwsError("ValidationException", f"The document {document_id} cannot be extracted.") from exc
        length, mime = len(text.encode("utf-8")), "text/plain"
    return JsonReply(
        {
            "mimeType": mime,
            "presignedUrl": _presigned_url(call.region, chunk.source_uri, resolved.requested_id),
            "documentContentLength": length,
        }
    )


def handle_get_ingested_document_acl(call: OperationCall) -> Reply:
    _, ds = _data_source(call)
    document_id = _document_id(_object(call.json()))
    return JsonReply({"documentAcl": _acl(ds, _document(ds, document_id))})


def handle_check_ingested_document_acl(call: OperationCall) -> Reply:
    _, ds = _data_source(call)
    body = _object(call.json())
    document_id = _document_id(body)
    user = _object(body.get("userContext")).get("userId")
    if not isinstance(user, str):
        raise _constraint("userContext.userId", user, "Member must not be null")
    acl = _acl(ds, _document(ds, document_id))
    return JsonReply({"hasAccess": has_access(acl, user)})


def has_access(acl: Mapping[str, Any], user_id: str) -> bool:
    """Deny wins; an empty or missing allow list lets everyone in. Only user ids can match (the request
    names no groups)."""
    deny = acl.get("denyList")
    if isinstance(deny, Mapping) and _member(deny, user_id, default=False):
        return False
    allow = acl.get("allowList")
    if not isinstance(allow, Mapping) or not allow.get("conditions"):
        return True
    return _member(allow, user_id, default=True)


def _member(membership: Mapping[str, Any], user_id: str, *, default: bool) -> bool:
    conditions = membership.get("conditions") or []
    if not conditions:
        return default
    outcomes = []
    for condition in conditions:
        users = [u.get("id") for u in condition.get("users") or [] if isinstance(u, Mapping)]
        groups = condition.get("groups") or []
        checks = [user_id in users] if users else []
        checks += [False] * len(groups)
        operator = condition.get("conditionOperator", "OR")
        outcomes.append(all(checks) if operator == "AND" and checks else any(checks))
    return all(outcomes) if membership.get("memberRelation") == "AND" else any(outcomes)


def _acl(ds: DataSource, chunk: Chunk) -> dict[str, Any]:
    sidecar = ds.directory / (chunk.document_path + ".metadata.json")
    if not sidecar.is_file():
        return {}
    try:
        acl = json.loads(sidecar.read_text("utf-8-sig")).get("documentAcl")
    except (ValueError, AttributeError):
        return {}
    return acl if isinstance(acl, dict) else {}


def _data_source(call: OperationCall) -> tuple[Resolved, DataSource]:
    identifier = call.labels.get("knowledgeBaseId", "")
    match = _KB_IDENTIFIER.match(identifier)
    if match is None:
        raise _constraint(
            "knowledgeBaseId", identifier, "Member must satisfy regular expression pattern: [0-9a-zA-Z]{10}"
        )
    reg = registry.current()
    resolved = reg.resolve(match.group(1), strict=call.strict)
    data_source_id = call.labels.get("dataSourceId", "")
    if not re.match(r"^[0-9a-zA-Z]{1,10}$", data_source_id):
        raise _constraint(
            "dataSourceId", data_source_id, "Member must satisfy regular expression pattern: [0-9a-zA-Z]+"
        )
    return resolved, reg.data_source(resolved, data_source_id, strict=call.strict)


def _document(ds: DataSource, document_id: str) -> Chunk:
    """The first chunk of the document, found by its S3 URI or its path inside the data source."""
    for chunk in ds.chunks:
        if document_id in (chunk.source_uri, chunk.document_path):
            return chunk
    raise AwsError(
        "ResourceNotFoundException", f"The document {document_id} was not found in the data source."
    )


def _document_id(body: Mapping[str, Any]) -> str:
    document_id = body.get("documentId")
    if not isinstance(document_id, str) or not document_id:
        raise _constraint("documentId", document_id, "Member must have length greater than or equal to 1")
    return document_id


def _presigned_url(region: str, source_uri: str, kb_id: str) -> str:
    bucket, _, key = source_uri.removeprefix("s3://").partition("/")
    signature = hashlib.sha256(f"{kb_id}|{source_uri}".encode()).hexdigest()
    return (
        f"https://{bucket}.s3.{region}.amazonaws.com/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )


# -- tags ---------------------------------------------------------------------------------------------------


_tags_lock = threading.Lock()  # tag changes are read-modify-write on the session's dict


def handle_tag_resource(call: OperationCall) -> Reply:
    session = _tagged_session(call)
    tags = _object(call.json()).get("tags")
    if not isinstance(tags, dict) or not 1 <= len(tags) <= 200:
        raise _constraint("tags", tags, "Member must have length between 1 and 200")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _TAG_TEXT.match(key):
            raise _constraint(
                "tags", key, "Member must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*"
            )
        if not isinstance(value, str) or len(value) > 256 or not _TAG_TEXT.match(value):
            raise _constraint(
                "tags", value, "Member must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*"
            )
    with _tags_lock:
        if len({**session.tags, **tags}) > 200:
            raise AwsError("ServiceQuotaExceededException", "A resource can have at most 200 tags.")
        session.tags.update({str(k): str(v) for k, v in tags.items()})
    return JsonReply({})


def handle_untag_resource(call: OperationCall) -> Reply:
    session = _tagged_session(call)
    keys = [key for key in call.query_lists.get("tagKeys", ()) if key]
    if not keys:
        raise _constraint("tagKeys", None, "Member must have length greater than or equal to 1")
    with _tags_lock:
        for key in keys:
            session.tags.pop(key, None)
    return JsonReply({})


def handle_list_tags_for_resource(call: OperationCall) -> Reply:
    session = _tagged_session(call)
    with _tags_lock:
        return JsonReply({"tags": dict(session.tags)})


def _tagged_session(call: OperationCall) -> Session:
    """The caller's session the ARN names; only sessions are taggable in bedrock-agent-runtime."""
    arn = call.labels.get("resourceArn", "")
    if not _SESSION_ARN.match(arn):
        raise _constraint(
            "resourceArn",
            arn,
            "Member must satisfy regular expression pattern: (^arn:aws(-[^:]+)?:bedrock:[a-zA-Z0-9-]+:[0-9]{12}:(session)/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$)",
        )
    try:
        session = SESSIONS.get(call.tenant, arn.rsplit("/", 1)[1])
    except AwsError:
        session = None
    if session is None or session.arn != arn:
        raise AwsError("ResourceNotFoundException", ARN_NOT_FOUND)
    return session


# -- small readers ------------------------------------------------------------------------------------------


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AwsError("ValidationException", "The request body is not a valid object for this operation.")
    return value


EXTRA_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "GenerateQuery": handle_generate_query,
    "OptimizePrompt": handle_optimize_prompt,
    "AgenticRetrieveStream": handle_agentic_retrieve_stream,
    "GetDocumentContent": handle_get_document_content,
    "GetIngestedDocumentAcl": handle_get_ingested_document_acl,
    "CheckIngestedDocumentAcl": handle_check_ingested_document_acl,
    "TagResource": handle_tag_resource,
    "UntagResource": handle_untag_resource,
    "ListTagsForResource": handle_list_tags_for_resource,
}
