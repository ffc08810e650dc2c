"""GenerateQuery: a question turned into SQL by a few fixed, deterministic patterns (never a model)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from emulator.knowledge import registry
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import constraint_violation as _constraint

_KB_ARN = re.compile(
    r"^arn:aws(?:|-cn|-us-gov):bedrock:[a-zA-Z0-9-]*:[0-9]{12}:knowledge-base/([0-9a-zA-Z]+)$"
)


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
    body = call.input
    query_input = body["queryGenerationInput"]
    text = query_input.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _constraint(
            "queryGenerationInput.text", text, "Member must satisfy regular expression pattern: ^(?!\\s*$).+"
        )
    if query_input.get("type") != "TEXT":
        raise _constraint(
            "queryGenerationInput.type", query_input.get("type"), "Member must satisfy enum value set: [TEXT]"
        )
    transformation = body["transformationConfiguration"]
    if transformation.get("mode") != "TEXT_TO_SQL":
        raise _constraint(
            "transformationConfiguration.mode",
            transformation.get("mode"),
            "Member must satisfy enum value set: [TEXT_TO_SQL]",
        )
    sql_configuration = transformation.get("textToSqlConfiguration")
    if isinstance(sql_configuration, dict):
        kb_configuration = sql_configuration.get("knowledgeBaseConfiguration") or {}
        arn = str(kb_configuration.get("knowledgeBaseArn", ""))
        match = _KB_ARN.match(arn)
        if match is None:
            raise _constraint(
                "transformationConfiguration.textToSqlConfiguration.knowledgeBaseConfiguration.knowledgeBaseArn",
                arn,
                "Member must satisfy regular expression pattern: ^arn:aws(|-cn|-us-gov):bedrock:[a-zA-Z0-9-]*:[0-9]{12}:knowledge-base/[0-9a-zA-Z]+$",
            )
        registry.current(call.state).resolve(match.group(1), strict=call.strict)
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


QUERY_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "GenerateQuery": handle_generate_query,
}
