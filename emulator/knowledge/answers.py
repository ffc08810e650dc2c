"""RetrieveAndGenerate's answer: text made from the retrieved passages, and citations that point into it.

The stand-in "model" is extractive: for each of the best passages it quotes the sentence that shares
most terms with the query, so an answer is always grounded in what was retrieved and a test can check
a citation's text against its reference. Spans follow the shape seen in real responses: ``start`` is the
first character and ``end`` the last one (inclusive), so ``text[start:end + 1]`` is the cited part.
When nothing relevant was retrieved, Bedrock's own refusal is returned, cited with no references.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.generation import complete, count_tokens
from emulator.knowledge.index import analyse
from emulator.knowledge.retrieval import Hit

NO_ANSWER = "Sorry, I am unable to assist you with this request."
SEARCH_RESULTS = "$search_results$"
QUERY = "$query$"
MAX_CITED_PASSAGES = 3
_RELEVANT = 0.05  # filler scores (unrelated chunks) stay below this
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass
class Part:
    """One cited stretch of the answer and the passages behind it."""

    text: str
    start: int
    references: list[Hit] = field(default_factory=list)

    def citation(self) -> dict[str, Any]:
        return {
            "generatedResponsePart": {
                "textResponsePart": {
                    "text": self.text,
                    "span": {"start": self.start, "end": self.start + max(len(self.text) - 1, 0)},
                }
            },
            "retrievedReferences": [hit.reference() for hit in self.references],
        }


@dataclass(frozen=True)
class Answer:
    text: str
    parts: tuple[Part, ...]
    prompt: str

    def citations(self) -> list[dict[str, Any]]:
        return [part.citation() for part in self.parts]


def render_prompt(template: str | None, query: str, hits: Sequence[Hit]) -> str:
    """The prompt a model would see: ``$search_results$`` and ``$query$`` filled in."""
    results = "\n".join(f"<search_result>{hit.text}</search_result>" for hit in hits)
    if template is None:
        return f"{results}\n\n{query}"
    return template.replace(SEARCH_RESULTS, results).replace(QUERY, query)


def answer(
    query: str,
    hits: Sequence[Hit],
    *,
    prompt_template: str | None = None,
    seed: int = 0,
    max_tokens: int | None = None,
    scripted_text: str | None = None,
) -> Answer:
    """The answer to ``query`` from ``hits`` (best first)."""
    prompt = render_prompt(prompt_template, query, hits)
    relevant = [hit for hit in hits if hit.score >= _RELEVANT]
    if prompt_template is not None and SEARCH_RESULTS not in prompt_template:
        # The template never showed the model the passages: it answers from "its own knowledge", uncited.
        text = complete(prompt.encode(), max_tokens=max_tokens or 200, seed=seed).text
        return Answer(text, (), prompt)
    if scripted_text is not None:
        part = Part(scripted_text, 0, list(relevant[:MAX_CITED_PASSAGES]))
        return Answer(scripted_text, (part,), prompt)
    if not relevant:
        return Answer(NO_ANSWER, (Part(NO_ANSWER, 0),), prompt)
    parts: list[Part] = []
    by_sentence: dict[str, Part] = {}
    cursor = 0
    budget = max_tokens if max_tokens is not None else 10**9
    for hit in relevant[:MAX_CITED_PASSAGES]:
        sentence = best_sentence(query, hit.text)
        if sentence in by_sentence:
            by_sentence[sentence].references.append(hit)
            continue
        if parts and count_tokens(" ".join([*(p.text for p in parts), sentence])) > budget:
            break
        start = cursor + (1 if parts else 0)
        part = Part(sentence, start, [hit])
        parts.append(part)
        by_sentence[sentence] = part
        cursor = start + len(sentence)
    text = " ".join(p.text for p in parts)
    return Answer(text, tuple(parts), prompt)


def best_sentence(query: str, passage: str) -> str:
    """The passage's sentence sharing most query terms (the earliest on a tie)."""
    wanted = set(analyse(query))
    sentences = [s.strip() for s in _SENTENCE.findall(passage) if len(s.strip()) > 1] or [passage.strip()]
    _position, best = max(
        enumerate(sentences), key=lambda item: (len(wanted & set(analyse(item[1]))), -item[0])
    )
    return str(best)
