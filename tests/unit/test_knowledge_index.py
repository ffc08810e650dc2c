"""The lexical index: analysis, BM25, cosine and relevance in 0..1."""

from __future__ import annotations

from emulator.knowledge.index import LexicalIndex, analyse, normalise_bm25

TEXTS = [
    "Refunds are issued to the original card after the return arrives.",
    "Shipping to Canada takes seven to fourteen days.",
    "Reset your password from the sign-in page.",
]


def test_analysis_drops_stopwords_and_folds_endings() -> None:
    assert analyse("The refunds are refunded, refunding") == ["refund", "refund", "refund"]
    assert analyse("shipped shipping ships") == ["ship", "ship", "ship"]


def test_bm25_ranks_the_text_that_shares_the_rare_term_first() -> None:
    scores = LexicalIndex(TEXTS).bm25("refund to my card")
    assert scores.index(max(scores)) == 0
    assert scores[2] == 0


def test_relevance_is_between_zero_and_one_for_both_search_types() -> None:
    index = LexicalIndex(TEXTS)
    for kind in ("SEMANTIC", "HYBRID", "RERANK"):
        scores = index.relevance("password reset page", kind)
        assert all(0 <= s <= 1 for s in scores)
        assert scores.index(max(scores)) == 2


def test_relevance_is_zero_without_shared_terms() -> None:
    assert LexicalIndex(TEXTS).relevance("quantum chromodynamics", "SEMANTIC") == [0.0, 0.0, 0.0]


def test_full_coverage_scores_higher_than_partial() -> None:
    index = LexicalIndex(["canada shipping days", "canada maple syrup"])
    full, partial = index.relevance("shipping canada", "HYBRID")
    assert full > partial > 0


def test_normalised_bm25_is_monotonic_and_below_one() -> None:
    values = [normalise_bm25(x) for x in (0.0, 0.5, 3.0, 50.0)]
    assert values == sorted(values)
    assert values[0] == 0
    assert values[-1] < 1


def test_empty_index_scores_nothing() -> None:
    assert LexicalIndex([]).relevance("anything", "SEMANTIC") == []
