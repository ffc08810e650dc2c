"""Splitting document text into chunks the way Bedrock's chunking strategies do.

Bedrock's default is fixed-size chunking of about 300 tokens that keeps sentences whole; the console's
fixed-size preset is 300 tokens with 20 % overlap between neighbours. Tokens are counted with the same
tokenizer the rest of the emulator uses (``generation.tokenize``), so a chunk's size agrees with CountTokens.
A chunk ends at the last sentence end inside its token budget when there is one in the budget's second
half; otherwise it is cut at the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.generation import tokenize

DEFAULT_MAX_TOKENS = 300
DEFAULT_OVERLAP_PERCENTAGE = 20
STRATEGIES = frozenset({"FIXED_SIZE", "NONE", "HIERARCHICAL", "SEMANTIC"})


@dataclass(frozen=True)
class ChunkingSettings:
    """A data source's ``chunkingConfiguration``, reduced to what the splitter needs."""

    strategy: str = "FIXED_SIZE"
    max_tokens: int = DEFAULT_MAX_TOKENS
    overlap_percentage: int = DEFAULT_OVERLAP_PERCENTAGE

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"chunking strategy must be one of {sorted(STRATEGIES)}, not {self.strategy!r}")
        if not 1 <= self.max_tokens <= 8192:
            raise ValueError("max_tokens must be between 1 and 8192")
        if not 0 <= self.overlap_percentage <= 99:
            raise ValueError("overlap_percentage must be between 0 and 99")

    def wire(self) -> dict[str, object]:
        """The ``chunkingConfiguration`` member as GetDataSource reports it."""
        if self.strategy == "NONE":
            return {"chunkingStrategy": "NONE"}
        if self.strategy == "SEMANTIC":
            return {
                "chunkingStrategy": "SEMANTIC",
                "semanticChunkingConfiguration": {
                    "maxTokens": self.max_tokens,
                    "bufferSize": 0,
                    "breakpointPercentileThreshold": 95,
                },
            }
        if self.strategy == "HIERARCHICAL":
            overlap = max(1, self.max_tokens * self.overlap_percentage // 100)
            return {
                "chunkingStrategy": "HIERARCHICAL",
                "hierarchicalChunkingConfiguration": {
                    "levelConfigurations": [
                        {"maxTokens": self.max_tokens * 5},
                        {"maxTokens": self.max_tokens},
                    ],
                    "overlapTokens": overlap,
                },
            }
        return {
            "chunkingStrategy": "FIXED_SIZE",
            "fixedSizeChunkingConfiguration": {
                "maxTokens": self.max_tokens,
                "overlapPercentage": self.overlap_percentage,
            },
        }


def split(text: str, settings: ChunkingSettings = ChunkingSettings()) -> list[str]:
    """The chunks of ``text``; whitespace-only text has none. ``NONE`` keeps the document whole."""
    if not text.strip():
        return []
    if settings.strategy == "NONE":
        return [text.strip()]
    tokens = tokenize(text)
    budget = settings.max_tokens
    # SEMANTIC chunks do not overlap; the others step back by the overlap share of the budget.
    overlap = 0 if settings.strategy == "SEMANTIC" else budget * settings.overlap_percentage // 100
    chunks: list[str] = []
    start = 0
    while start < len(tokens):
        end = min(start + budget, len(tokens))
        if end < len(tokens):
            end = _sentence_end(tokens, start, end)
        piece = "".join(tokens[start:end]).strip()
        if piece:
            chunks.append(piece)
        if end >= len(tokens):
            break
        start = max(start + 1, end - overlap)
        while start < len(tokens) and not tokens[start].strip():
            start += 1
    return chunks


def _sentence_end(tokens: list[str], start: int, end: int) -> int:
    """The index just after the last sentence end in ``tokens[start:end]``'s second half, else ``end``."""
    floor = start + (end - start) // 2
    for index in range(end - 1, floor - 1, -1):
        if tokens[index].strip() in (".", "!", "?") or tokens[index + 1].startswith("\n"):
            return index + 1
    return end
