"""The bounded embedding stand-in of Cohere Embed v4 and Nova 2 multimodal embeddings, and rerank's BM25."""

from __future__ import annotations

import math

from emulator.providers.embeddings import stand_in_vector
from emulator.providers.rerank import scores


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_stand_in_is_a_deterministic_unit_vector_of_the_asked_dimension() -> None:
    for dimensions in (256, 384, 1024, 1536, 3072):
        vector = stand_in_vector("Rivers of Europe", dimensions)
        assert len(vector) == dimensions
        assert math.isclose(sum(v * v for v in vector), 1.0, rel_tol=1e-5)
        assert stand_in_vector("Rivers of Europe", dimensions) == vector


def test_texts_sharing_words_are_closer_than_unrelated_ones() -> None:
    query = stand_in_vector("the danube river in europe", 512)
    related = stand_in_vector("rivers of europe: the danube", 512)
    unrelated = stand_in_vector("climbing mount everest in winter", 512)
    assert _cosine(query, related) > _cosine(query, unrelated) + 0.2


def test_long_inputs_that_differ_only_at_the_end_still_get_different_vectors() -> None:
    prefix = " ".join(f"word{i}" for i in range(1000))
    assert stand_in_vector(prefix + " alpha", 256) != stand_in_vector(prefix + " beta", 256)


def test_bm25_scores_rank_the_document_that_answers_first_and_stay_below_one() -> None:
    documents = ["Paris is the capital of France.", "Berlin is in Germany.", "Cats sleep a lot."]
    relevance = scores("What is the capital of France?", documents)
    assert relevance.index(max(relevance)) == 0
    assert relevance[2] == 0.0
    assert all(0 <= value < 1 for value in relevance)
