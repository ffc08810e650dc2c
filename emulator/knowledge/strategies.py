"""A data source's chunking strategy applied to a document's text: the chunks a created knowledge base
indexes, from the ``chunkingConfiguration`` of the data source's ``vectorIngestionConfiguration``.

- no configuration: Bedrock's default chunking, chunks of about 300 tokens that keep sentences whole
  (fixed-size, no overlap);
- ``FIXED_SIZE``: ``maxTokens`` per chunk, neighbours overlapping by ``overlapPercentage`` of it;
- ``NONE``: the whole document is one chunk;
- ``HIERARCHICAL``: parent chunks of the first level's ``maxTokens``, each cut into child chunks of the
  second level's; both overlap by ``overlapTokens``. Children are what is searched; a hit is reported as
  its parent, as Bedrock does;
- ``SEMANTIC``: an approximation of Bedrock's embedding-based splitter with the lexical similarity the
  index uses: the text's sentences, each with ``bufferSize`` neighbours on either side, are compared with
  the next; a chunk ends where the dissimilarity is above the ``breakpointPercentileThreshold``-th
  percentile of all of them, and a chunk longer than ``maxTokens`` is cut to that size.

Token counts are the emulator's tokenizer's (what CountTokens counts).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from emulator.generation import count_tokens
from emulator.knowledge.chunking import ChunkingSettings, split
from emulator.knowledge.index import analyse

DEFAULT_MAX_TOKENS: Final = 300
_SENTENCE: Final = re.compile(r"[^.!?\n]+(?:[.!?]+|\n+|$)")


@dataclass(frozen=True)
class Chunks:
    """The searchable chunks of one document, and for hierarchical chunking the parents they belong to
    (``parent_of[i]`` is an index into ``parents``, or None)."""

    texts: tuple[str, ...]
    parents: tuple[str, ...] = ()
    parent_of: tuple[int | None, ...] = ()

    def parent(self, index: int) -> str | None:
        if not self.parent_of:
            return None
        which = self.parent_of[index]
        return None if which is None else self.parents[which]


def chunk(text: str, configuration: Mapping[str, Any] | None) -> Chunks:
    """``text`` cut as ``configuration`` (a ChunkingConfiguration, or None for the default) says."""
    strategy = (configuration or {}).get("chunkingStrategy")
    if strategy is None:
        return Chunks(tuple(_fixed(text, DEFAULT_MAX_TOKENS, 0)))
    assert configuration is not None
    if strategy == "NONE":
        return Chunks((text.strip(),) if text.strip() else ())
    if strategy == "HIERARCHICAL":
        return _hierarchical(text, configuration.get("hierarchicalChunkingConfiguration") or {})
    if strategy == "SEMANTIC":
        settings = configuration.get("semanticChunkingConfiguration") or {}
        return Chunks(
            tuple(
                semantic(
                    text,
                    int(settings.get("maxTokens", DEFAULT_MAX_TOKENS)),
                    int(settings.get("bufferSize", 0)),
                    int(settings.get("breakpointPercentileThreshold", 95)),
                )
            )
        )
    settings = configuration.get("fixedSizeChunkingConfiguration") or {}
    return Chunks(
        tuple(
            _fixed(
                text,
                int(settings.get("maxTokens", DEFAULT_MAX_TOKENS)),
                int(settings.get("overlapPercentage", 0)),
            )
        )
    )


def semantic(text: str, max_tokens: int, buffer_size: int, percentile: int) -> list[str]:
    """Sentences grouped where neighbouring windows stay alike (see the module docstring)."""
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    if len(sentences) <= 1:
        return _fixed(text, max_tokens, 0) if text.strip() else []
    windows = [
        Counter(analyse(" ".join(sentences[max(0, i - buffer_size) : i + buffer_size + 1])))
        for i in range(len(sentences))
    ]
    distances = [1.0 - _cosine(windows[i], windows[i + 1]) for i in range(len(sentences) - 1)]
    threshold = _percentile(distances, percentile)
    groups: list[list[str]] = [[sentences[0]]]
    for sentence, distance in zip(sentences[1:], distances, strict=True):
        if distance > threshold:
            groups.append([sentence])
        else:
            groups[-1].append(sentence)
    chunks: list[str] = []
    for group in groups:
        joined = " ".join(group)
        chunks.extend([joined] if count_tokens(joined) <= max_tokens else _fixed(joined, max_tokens, 0))
    return chunks


def _hierarchical(text: str, settings: Mapping[str, Any]) -> Chunks:
    levels = settings.get("levelConfigurations") or [{"maxTokens": 1500}, {"maxTokens": DEFAULT_MAX_TOKENS}]
    parent_max, child_max = int(levels[0]["maxTokens"]), int(levels[-1]["maxTokens"])
    overlap = int(settings.get("overlapTokens", 0))
    parents = _windows(text, parent_max, overlap)
    texts: list[str] = []
    parent_of: list[int | None] = []
    for index, parent in enumerate(parents):
        for child in _windows(parent, child_max, overlap):
            texts.append(child)
            parent_of.append(index)
    return Chunks(tuple(texts), tuple(parents), tuple(parent_of))


def _windows(text: str, max_tokens: int, overlap_tokens: int) -> list[str]:
    """Fixed-size chunks with an overlap given in tokens rather than as a share of the budget."""
    percentage = min(99, math.ceil(overlap_tokens * 100 / max_tokens)) if max_tokens else 0
    return _fixed(text, max_tokens, percentage)


def _fixed(text: str, max_tokens: int, overlap_percentage: int) -> list[str]:
    budget = max(1, min(max_tokens, 8192))
    return split(text, ChunkingSettings("FIXED_SIZE", budget, max(0, min(overlap_percentage, 99))))


def _cosine(left: Counter[str], right: Counter[str]) -> float:
    dot = sum(count * right.get(term, 0) for term, count in left.items())
    norm = math.sqrt(sum(c * c for c in left.values())) * math.sqrt(sum(c * c for c in right.values()))
    return dot / norm if norm else 0.0


def _percentile(values: list[float], percentile: int) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * percentile / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
