"""The lexical index behind Retrieve and Rerank: Okapi BM25 and TF-IDF cosine over analysed terms.

BM25 comes from ``bm25s``: actively maintained (monthly releases), typed, fast (sparse scoring in NumPy)
and able to use the exact Lucene/OpenSearch formula (k1 = 1.2, b = 0.75, ``method="lucene"``), which is
what Bedrock's OpenSearch-backed knowledge bases rank with; ``rank-bm25``, the usual alternative, has had
no release since 2022. Analysis (stopwords, a light suffix folder), the TF-IDF cosine that stands in for
vector similarity, and the mapping of scores into 0..1 the way Bedrock reports relevance are ours.
Everything is a pure function of the indexed texts, so the same corpus and query always give the same
scores; equal scores are ordered by the caller's tie-break key.

Relevance is mostly query coverage (the idf-weighted share of query terms a text contains), refined by
the cosine of TF-IDF vectors for ``SEMANTIC`` (standing in for vector similarity) or by BM25 for
``HYBRID`` and reranking (keyword search rewards term density).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s

K1 = 1.2
B = 0.75
# Raw BM25 -> 0..1: a query whose terms all match well lands around 0.6-0.8, a stray single term near 0.2.
_BM25_HALF_SCORE = 6.0

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORD_TEXT = (
    "a an and are as at be but by can do does for from has have how i if in into is it its me my no not of "
    "on or our so that the their then there these this to was we what when where which who why will with "
    "you your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split(" "))


def analyse(text: str) -> list[str]:
    """Lower-cased word terms without stopwords, with plural and verb endings folded."""
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def _stem(word: str) -> str:
    """A light suffix folder: "refunds", "refunded" and "refunding" all become "refund"."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "zes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipped -> ship
            break
    if len(word) >= 4 and word.endswith("e"):
        word = word[:-1]  # take / taking / takes -> tak
    return word


@dataclass(frozen=True)
class _Entry:
    frequencies: Counter[str]
    length: int


class LexicalIndex:
    """An immutable index over a sequence of texts, addressed by position."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._entries = [_entry(text) for text in texts]
        count = len(self._entries)
        self._average_length = (sum(e.length for e in self._entries) / count) if count else 0.0
        document_frequency: Counter[str] = Counter()
        for entry in self._entries:
            document_frequency.update(entry.frequencies.keys())
        # BM25+-style idf that never goes negative, so very common terms still count a little.
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()
        }
        self._norms = [self._norm(e.frequencies) for e in self._entries]
        self._bm25: bm25s.BM25 | None = None
        if any(entry.length for entry in self._entries):  # bm25s cannot index a corpus without terms
            self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
            self._bm25.index([_terms(e) for e in self._entries], show_progress=False)

    def __len__(self) -> int:
        return len(self._entries)

    def bm25(self, query: str) -> list[float]:
        """Raw BM25 score of every indexed text for ``query`` (repeated query terms count again)."""
        terms = analyse(query)
        if self._bm25 is None or not terms:
            return [0.0] * len(self._entries)
        # Lucene dropped Okapi's constant (k1 + 1) factor; it is kept here so raw scores stay on Okapi's scale.
        return [float(score) * (K1 + 1) for score in self._bm25.get_scores(terms)]

    def cosine(self, query: str) -> list[float]:
        """TF-IDF cosine similarity (0..1) of every indexed text with ``query``."""
        query_vector = self._vector(Counter(analyse(query)))
        query_norm = math.sqrt(sum(v * v for v in query_vector.values()))
        scores: list[float] = []
        for entry, norm in zip(self._entries, self._norms, strict=True):
            if not query_norm or not norm:
                scores.append(0.0)
                continue
            dot = sum(
                weight * self._weight(term, entry.frequencies.get(term, 0))
                for term, weight in query_vector.items()
            )
            scores.append(min(1.0, dot / (query_norm * norm)))
        return scores

    def coverage(self, query: str) -> list[float]:
        """The idf-weighted share (0..1) of the query's terms that each indexed text contains."""
        terms = set(analyse(query))
        rare = max(self._idf.values(), default=1.0)
        weights = {term: self._idf.get(term, rare) for term in terms}
        total = sum(weights.values())
        if not total:
            return [0.0] * len(self._entries)
        return [sum(w for t, w in weights.items() if t in e.frequencies) / total for e in self._entries]

    def relevance(self, query: str, search_type: str) -> list[float]:
        """Match strength in 0..1 (0: no shared term) for ``SEMANTIC``, ``HYBRID`` or ``RERANK``.

        Mostly how much of the query a text covers; the rest is how closely it matches: cosine for
        SEMANTIC, BM25 for HYBRID and RERANK (keyword search and cross-encoders reward term density).
        """
        coverage = self.coverage(query)
        closeness = (
            self.cosine(query) if search_type == "SEMANTIC" else [normalise_bm25(s) for s in self.bm25(query)]
        )
        return [c * (0.7 + 0.3 * x) for c, x in zip(coverage, closeness, strict=True)]

    def _weight(self, term: str, tf: int) -> float:
        return (1 + math.log(tf)) * self._idf.get(term, 0.0) if tf else 0.0

    def _vector(self, frequencies: Counter[str]) -> dict[str, float]:
        # Query terms the corpus never saw weigh like the rarest term: they make a match less likely.
        rare = max(self._idf.values(), default=1.0)
        return {t: (1 + math.log(n)) * self._idf.get(t, rare) for t, n in frequencies.items()}

    def _norm(self, frequencies: Counter[str]) -> float:
        return math.sqrt(sum(self._weight(t, n) ** 2 for t, n in frequencies.items()))


def normalise_bm25(raw: float) -> float:
    """A raw BM25 score squeezed into 0..1 (monotonic, 0 stays 0)."""
    return raw / (raw + _BM25_HALF_SCORE) if raw > 0 else 0.0


def _entry(text: str) -> _Entry:
    terms = analyse(text)
    return _Entry(Counter(terms), len(terms))


def _terms(entry: _Entry) -> list[str]:
    return [term for term, count in sorted(entry.frequencies.items()) for _ in range(count)]
