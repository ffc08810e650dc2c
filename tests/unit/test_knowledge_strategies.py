"""Chunking strategies of created knowledge bases: the default, FIXED_SIZE, NONE, HIERARCHICAL, SEMANTIC."""

from __future__ import annotations

from emulator.generation import count_tokens
from emulator.knowledge.strategies import DEFAULT_MAX_TOKENS, chunk, semantic


def sentences(count: int, topic: str = "lamp") -> str:
    return " ".join(f"Sentence {i} is about the {topic} number {i} and its parts." for i in range(count))


def test_default_is_about_300_tokens_keeping_sentences_whole() -> None:
    chunks = chunk(sentences(200), None).texts
    assert len(chunks) > 3
    assert all(count_tokens(c) <= DEFAULT_MAX_TOKENS for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert max(count_tokens(c) for c in chunks) > DEFAULT_MAX_TOKENS // 2


def test_fixed_size_follows_max_tokens_and_none_keeps_the_document() -> None:
    text = sentences(50)
    fixed = chunk(
        text,
        {
            "chunkingStrategy": "FIXED_SIZE",
            "fixedSizeChunkingConfiguration": {"maxTokens": 25, "overlapPercentage": 20},
        },
    ).texts
    assert all(count_tokens(c) <= 25 for c in fixed)
    assert chunk(text, {"chunkingStrategy": "NONE"}).texts == (text,)
    assert chunk("   ", {"chunkingStrategy": "NONE"}).texts == ()


def test_hierarchical_children_point_at_their_parents() -> None:
    result = chunk(
        sentences(80),
        {
            "chunkingStrategy": "HIERARCHICAL",
            "hierarchicalChunkingConfiguration": {
                "levelConfigurations": [{"maxTokens": 120}, {"maxTokens": 30}],
                "overlapTokens": 6,
            },
        },
    )
    assert len(result.parents) > 1
    assert all(count_tokens(p) <= 120 for p in result.parents)
    assert all(count_tokens(c) <= 30 for c in result.texts)
    for index, child in enumerate(result.texts):
        parent = result.parent(index)
        assert parent is not None
        assert child in parent


def test_semantic_breaks_where_the_topic_changes() -> None:
    text = f"{sentences(6, 'lamp')} {sentences(6, 'invoice payment refund')}"
    groups = semantic(text, 500, 0, 90)
    assert len(groups) == 2
    assert "invoice" not in groups[0]
    assert "lamp" not in groups[1]
    capped = semantic(text, 20, 1, 95)
    assert all(count_tokens(g) <= 20 for g in capped)
