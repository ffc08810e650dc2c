"""Diagnose a knowledge base's retrieval for one query: what came back, score statistics, and warnings
when nothing was found or nothing scored high enough to trust (the passages a RAG prompt should not be
stuffed with). Uses bedrock-agent-runtime ``Retrieve``, and bedrock-agent ``GetKnowledgeBase`` when a
client for it is given, to tell an inactive knowledge base from an empty answer.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Finding", "Passage", "RetrievalDiagnosis", "ScoreStats", "diagnose_retrieval"]

logger = logging.getLogger(__name__)

# Relevance scores are not comparable across vector stores and embedding models: tune per corpus.
DEFAULT_MIN_SCORE = 0.4
_PREVIEW_CHARS = 160


@dataclass(frozen=True)
class Passage:
    rank: int
    score: float | None
    source: str | None
    preview: str


@dataclass(frozen=True)
class ScoreStats:
    count: int
    minimum: float
    maximum: float
    mean: float
    median: float


@dataclass(frozen=True)
class Finding:
    """A problem found: ``code`` is stable (``no-results``, ``low-score``, ``missing-score``,
    ``not-active``), ``message`` is for people. Weak passages ranked below a strong one are normal
    for a top-k search and not a finding: ``RetrievalDiagnosis.confident`` leaves them out."""

    code: str
    message: str


@dataclass(frozen=True)
class RetrievalDiagnosis:
    knowledge_base_id: str
    query: str
    min_score: float
    passages: list[Passage]
    stats: ScoreStats | None
    findings: list[Finding] = field(default_factory=list)
    status: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]

    @property
    def confident(self) -> list[Passage]:
        """The passages scoring at least ``min_score``: the ones worth putting in a prompt."""
        return [p for p in self.passages if p.score is not None and p.score >= self.min_score]


def _source(location: Mapping[str, Any]) -> str | None:
    # Each location type keeps its address under its own member (s3Location.uri, webLocation.url, ...).
    for value in location.values():
        if isinstance(value, Mapping):
            for key in ("uri", "url"):
                if isinstance(value.get(key), str):
                    return str(value[key])
    return None


def _passage(rank: int, result: Mapping[str, Any]) -> Passage:
    text = str(result.get("content", {}).get("text", ""))
    score = result.get("score")
    return Passage(
        rank,
        float(score) if score is not None else None,
        _source(result.get("location", {})),
        text[:_PREVIEW_CHARS],
    )


def _stats(scores: list[float]) -> ScoreStats | None:
    if not scores:
        return None
    return ScoreStats(
        len(scores), min(scores), max(scores), statistics.fmean(scores), statistics.median(scores)
    )


def diagnose_retrieval(
    agent_runtime: Any,
    knowledge_base_id: str,
    query: str,
    *,
    number_of_results: int = 5,
    min_score: float = DEFAULT_MIN_SCORE,
    agent: Any | None = None,
) -> RetrievalDiagnosis:
    """Retrieve ``query`` from the knowledge base and judge the results. ``agent_runtime`` is a
    bedrock-agent-runtime client; ``agent`` (optional) a bedrock-agent client for the status check.
    Each finding is also logged as a warning."""
    findings: list[Finding] = []
    status: str | None = None
    if agent is not None:
        status = str(agent.get_knowledge_base(knowledgeBaseId=knowledge_base_id)["knowledgeBase"]["status"])
        if status != "ACTIVE":
            findings.append(
                Finding("not-active", f"knowledge base {knowledge_base_id} is {status}, not ACTIVE")
            )
    response = agent_runtime.retrieve(
        knowledgeBaseId=knowledge_base_id,
        retrievalQuery={"text": query},
        retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": number_of_results}},
    )
    passages = [_passage(rank, result) for rank, result in enumerate(response["retrievalResults"], 1)]
    scores = [p.score for p in passages if p.score is not None]
    stats = _stats(scores)
    if not passages:
        findings.append(
            Finding(
                "no-results",
                "no passages retrieved: check the data source's last ingestion job, chunking, and whether the query is in the corpus",
            )
        )
    elif stats is None:
        findings.append(Finding("missing-score", "results carry no relevance scores"))
    elif stats.maximum < min_score:
        findings.append(
            Finding(
                "low-score",
                f"best score {stats.maximum:.3f} is below {min_score}: no passage is relevant enough to answer from",
            )
        )
    for finding in findings:
        logger.warning("knowledge base %s, query %r: %s", knowledge_base_id, query, finding.message)
    return RetrievalDiagnosis(knowledge_base_id, query, min_score, passages, stats, findings, status)
