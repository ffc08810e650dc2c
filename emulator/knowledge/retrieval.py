"""Searching a knowledge base: ranking, filtering, paging, and the Bedrock shape of each result.

Ranking mirrors a vector store's behaviour as far as a lexical stand-in can: chunks that share terms
with the query come first, by score (0..1) and then by their place in the index (a stable tie-break);
when fewer than ``numberOfResults`` chunks match, the page is filled with the remaining chunks at small,
deterministic scores, because a vector search always returns its k nearest neighbours. Scripted results
(from a scenario) replace the search entirely.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.knowledge import filters
from emulator.knowledge.index import LexicalIndex
from emulator.knowledge.registry import (
    CHUNK_ID_KEY,
    DATA_SOURCE_ID_KEY,
    SOURCE_URI_KEY,
    Chunk,
    KnowledgeBase,
)
from emulator.wire.binding import read_json
from emulator.wire.errors import AwsError

DEFAULT_NUMBER_OF_RESULTS = 5
MAX_RESULTS = 100
SEARCH_TYPES = frozenset({"HYBRID", "SEMANTIC"})
_SCRIPTED_BUCKET = "s3://bedrock-emulator-scripted"
# Matches score above every filler (unrelated chunks score 0.01..0.05), so ranking and score agree.
_MATCH_FLOOR = 0.05


@dataclass(frozen=True)
class Hit:
    """One ranked passage: its text, score and where it came from, ready to be put on the wire."""

    text: str
    score: float
    source_uri: str
    metadata: dict[str, Any]
    location: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        """A ``KnowledgeBaseRetrievalResult``."""
        return {
            "content": {"type": "TEXT", "text": self.text},
            "location": self.location,
            "metadata": self.metadata,
            "score": self.score,
        }

    def reference(self) -> dict[str, Any]:
        """A ``RetrievedReference`` (citations carry no score)."""
        return {
            "content": {"type": "TEXT", "text": self.text},
            "location": self.location,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    next_token: str | None


def s3_location(uri: str) -> dict[str, Any]:
    return {"type": "S3", "s3Location": {"uri": uri}}


def chunk_hit(chunk: Chunk, score: float) -> Hit:
    return Hit(chunk.text, score, chunk.source_uri, chunk.metadata(), s3_location(chunk.source_uri))


def ranked(
    kb: KnowledgeBase,
    query: str,
    *,
    filter_spec: Mapping[str, Any] | None = None,
    search_type: str | None = None,
) -> tuple[list[Hit], list[Hit]]:
    """(matching hits, best first; the other chunks at filler scores) after the metadata filter."""
    kind = search_type or "SEMANTIC"
    scores = kb.index.relevance(query, kind)
    matching: list[tuple[float, int]] = []
    others: list[tuple[float, int]] = []
    for position, (chunk, score) in enumerate(zip(kb.chunks, scores, strict=True)):
        if filter_spec is not None and not filters.matches(filter_spec, chunk.metadata()):
            continue
        if score > 0:
            matching.append((round(_MATCH_FLOOR + (1 - _MATCH_FLOOR) * score, 6), position))
        else:
            others.append((_filler_score(query, chunk.chunk_id), position))
    matching.sort(key=lambda item: (-item[0], item[1]))
    others.sort(key=lambda item: (-item[0], item[1]))
    return (
        [chunk_hit(kb.chunks[p], s) for s, p in matching[:MAX_RESULTS]],
        [chunk_hit(kb.chunks[p], s) for s, p in others],
    )


def retrieve(
    kb: KnowledgeBase,
    query: str,
    *,
    number_of_results: int = DEFAULT_NUMBER_OF_RESULTS,
    filter_spec: Mapping[str, Any] | None = None,
    search_type: str | None = None,
    next_token: str | None = None,
    scripted: Sequence[Mapping[str, Any]] | None = None,
    data_source_id: str | None = None,
) -> Page:
    """One page of results. ``scripted`` (text, score, location, metadata dicts) replaces the search."""
    fingerprint = _fingerprint(kb.knowledge_base_id, query, number_of_results, filter_spec, search_type)
    offset = _offset(next_token, fingerprint)
    if scripted is not None:
        hits = scripted_hits(query, scripted, data_source_id or "SCRIPTED00")
    else:
        matching, others = ranked(kb, query, filter_spec=filter_spec, search_type=search_type)
        hits = (
            matching
            if len(matching) >= number_of_results
            else [*matching, *others[: number_of_results - len(matching)]]
        )
    page = hits[offset : offset + number_of_results]
    following = offset + number_of_results
    token = _token(following, fingerprint) if following < len(hits) and scripted is None else None
    return Page(page, token)


def scripted_hits(query: str, results: Sequence[Mapping[str, Any]], data_source_id: str) -> list[Hit]:
    """Hits from a scenario's scripted results; a missing score comes from the same scorer as a search."""
    texts = [str(r.get("text", "")) for r in results]
    computed = LexicalIndex(texts).relevance(query, "SEMANTIC") if texts else []
    hits: list[Hit] = []
    for position, (result, text) in enumerate(zip(results, texts, strict=True)):
        location = result.get("location")
        if not isinstance(location, dict):
            location = s3_location(f"{_SCRIPTED_BUCKET}/result-{position + 1}.txt")
        uri = str(
            (location.get("s3Location") or {}).get("uri") or f"{_SCRIPTED_BUCKET}/result-{position + 1}.txt"
        )
        chunk_id = hashlib.blake2b(f"{uri}|{position}|{text}".encode(), digest_size=16).hexdigest()
        metadata: dict[str, Any] = {
            SOURCE_URI_KEY: uri,
            CHUNK_ID_KEY: chunk_id,
            DATA_SOURCE_ID_KEY: data_source_id,
        }
        if isinstance(result.get("metadata"), dict):
            metadata.update(result["metadata"])
        score = result.get("score")
        value = float(score) if isinstance(score, int | float) else round(computed[position], 6)
        hits.append(Hit(text, value, uri, metadata, dict(location)))
    return hits


def _filler_score(query: str, chunk_id: str) -> float:
    # Unrelated chunks still come back from a vector search, with low similarity; keep them below 0.05.
    digest = hashlib.blake2b(f"{query}|{chunk_id}".encode(), digest_size=4).digest()
    return round(0.01 + 0.04 * int.from_bytes(digest, "big") / 2**32, 6)


def _fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str | None, fingerprint: str) -> int:
    if token is None:
        return 0
    try:
        decoded = read_json(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = decoded["o"]
        same = decoded["f"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad_token() from exc
    if not isinstance(offset, int) or offset < 0 or not same:
        raise _bad_token()
    return offset


def _bad_token() -> AwsError:
    return AwsError("ValidationException", "The nextToken is invalid or does not belong to this request.")
