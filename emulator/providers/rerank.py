"""Rerank bodies on InvokeModel: Cohere Rerank 3.5 ("cohere-rerank") and Amazon Rerank 1.0 ("amazon-rerank").

Both take a ``query`` and ``documents`` (strings, or objects: here their JSON), optionally ``top_n``, and
answer ``{"results": [{"index", "relevance_score"}]}``, most relevant first. Cohere requires
``api_version`` (2 or later) and lists every violation with its pointer; Amazon's schema forbids
``api_version`` and reports violations tersely, without the pointer (both recorded live in
genkit-ai/aws-bedrock-go-plugin#190; Cohere's full list in langgenius/dify#12640). Scores are
deterministic: Okapi BM25 of the query's words in each document, squashed into 0..1, ties broken by
position (wire-facts: Newer models and their bodies).
"""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from emulator.generation import Completion
from emulator.providers.contract import (
    EmbeddingRequest,
    ModelInfo,
    Prompt,
    compact_json,
    request_key,
)
from emulator.providers.schema import Rendering, Schema, array, integer, obj, string, validate
from emulator.wire.errors import AwsError

MAX_DOCUMENTS = 1000
_K1 = 1.2
_B = 0.75
_DOCUMENTS: Schema = array({"anyOf": [string(), {"type": "object"}]}, minItems=1, maxItems=MAX_DOCUMENTS)
_COHERE_SCHEMA: Schema = obj(
    {
        "query": string(minLength=1),
        "documents": _DOCUMENTS,
        "top_n": integer(1, MAX_DOCUMENTS),
        "api_version": integer(2),
        "max_tokens_per_doc": integer(1, 4096),
    },
    required=("query", "documents", "api_version"),
)
_AMAZON_SCHEMA: Schema = obj(
    {"query": string(minLength=1), "documents": _DOCUMENTS, "top_n": integer(1, MAX_DOCUMENTS)},
    required=("query", "documents"),
)


def _text(document: Any) -> str:
    return document if isinstance(document, str) else compact_json(document)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def scores(query: str, documents: list[str]) -> list[float]:
    """BM25 of the query against each document, mapped into [0, 1) so they read like relevance scores.

    Linear in the size of the input: document frequencies are counted once, over the query's distinct
    words only.
    """
    bags = [Counter(_words(document)) for document in documents]
    lengths = [sum(bag.values()) for bag in bags]
    average = (sum(lengths) / len(lengths)) or 1.0
    terms = set(_words(query))
    holders = Counter(word for bag in bags for word in terms.intersection(bag))
    idf = {word: math.log(1 + (len(bags) - holders[word] + 0.5) / (holders[word] + 0.5)) for word in terms}
    result = []
    for bag, length in zip(bags, lengths, strict=True):
        norm = _K1 * (1 - _B + _B * length / average)
        total = sum(
            idf[word] * bag[word] * (_K1 + 1) / (bag[word] + norm) for word in terms.intersection(bag)
        )
        result.append(round(total / (total + 1.0), 8))
    return result


class Rerank:
    def __init__(self, schema: Schema, rendering: Rendering) -> None:
        self._schema = schema
        self._rendering = rendering

    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, self._schema, self._rendering)
        documents = tuple(_text(document) for document in valid["documents"])
        # Not an embedding, but like one a rerank answer has no generated text and no output tokens.
        request = EmbeddingRequest(documents, 0, False, ("rerank",))
        text = "\n".join((valid["query"], *documents))
        return Prompt(text, request_key(model, valid, ()), 0, embedding=request, body=valid)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        documents = list(prompt.body["documents"])
        relevance = scores(str(prompt.body["query"]), [_text(document) for document in documents])
        order = sorted(range(len(documents)), key=lambda index: (-relevance[index], index))
        top = order[: int(prompt.body.get("top_n", len(documents)))]
        return {"results": [{"index": index, "relevance_score": relevance[index]} for index in top]}

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        raise AwsError("ValidationException", "The model is unsupported for streaming.")


COHERE_RERANK = Rerank(_COHERE_SCHEMA, "all")
AMAZON_RERANK = Rerank(_AMAZON_SCHEMA, "top")
