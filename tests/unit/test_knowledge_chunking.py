"""Fixed-size chunking like Bedrock's: token budget, overlap, sentence ends, NONE."""

from __future__ import annotations

import pytest

from emulator.generation import count_tokens
from emulator.knowledge.chunking import ChunkingSettings, split


def sentences(count: int) -> str:
    return " ".join(f"Sentence number {i} talks about topic {i} in plain words." for i in range(count))


def test_default_settings_are_bedrock_fixed_size_300_tokens_20_percent_overlap() -> None:
    settings = ChunkingSettings()
    assert (settings.strategy, settings.max_tokens, settings.overlap_percentage) == ("FIXED_SIZE", 300, 20)


def test_chunks_never_exceed_the_token_budget() -> None:
    chunks = split(sentences(200), ChunkingSettings(max_tokens=50, overlap_percentage=20))
    assert len(chunks) > 5
    assert all(count_tokens(c) <= 50 for c in chunks)


def test_chunks_end_at_sentence_ends_when_one_fits() -> None:
    chunks = split(sentences(40), ChunkingSettings(max_tokens=60, overlap_percentage=10))
    assert all(c.endswith(".") for c in chunks)


def test_neighbouring_chunks_overlap() -> None:
    first, second, *_ = split(sentences(40), ChunkingSettings(max_tokens=60, overlap_percentage=30))
    assert first[-20:] in second


def test_zero_overlap_chunks_cover_the_text_once() -> None:
    text = sentences(30)
    chunks = split(text, ChunkingSettings(max_tokens=40, overlap_percentage=0))
    assert " ".join(chunks) == text


def test_none_strategy_keeps_the_document_whole() -> None:
    text = sentences(100)
    assert split(text, ChunkingSettings(strategy="NONE")) == [text]


def test_blank_text_has_no_chunks() -> None:
    assert split("  \n\t ") == []


def test_long_words_without_sentence_ends_are_still_cut() -> None:
    chunks = split("word " * 1000, ChunkingSettings(max_tokens=100, overlap_percentage=0))
    assert len(chunks) == 10


@pytest.mark.parametrize(
    ("strategy", "key"),
    [
        ("FIXED_SIZE", "fixedSizeChunkingConfiguration"),
        ("SEMANTIC", "semanticChunkingConfiguration"),
        ("HIERARCHICAL", "hierarchicalChunkingConfiguration"),
    ],
)
def test_wire_form_names_the_strategy_configuration(strategy: str, key: str) -> None:
    wire = ChunkingSettings(strategy=strategy).wire()
    assert wire["chunkingStrategy"] == strategy
    assert key in wire


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="strategy"):
        ChunkingSettings(strategy="PARAGRAPH")
    with pytest.raises(ValueError, match="max_tokens"):
        ChunkingSettings(max_tokens=0)
