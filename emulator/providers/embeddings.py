"""Embedding bodies: Titan Embeddings G1 ("titan-embed-v1"), Titan Text Embeddings V2 ("titan-embed-v2"),
Titan Multimodal Embeddings G1 ("titan-embed-image") and Cohere Embed ("cohere-embed").

Titan Embeddings report schema violations the terse way (no pointer, several collapse into ``N schema
violations found``: spring-projects/spring-ai#788, alphagov/govuk-chat#220); Cohere Embed lists them all
(promptfoo/promptfoo#921). Embedding models do not stream.
"""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

import hashlib
import math
import re
import struct
from typing import Any

from emulator.generation import Completion, count_tokens, embed
from emulator.providers.contract import EmbeddingRequest, ModelInfo, Prompt, request_key, stable_uuid
from emulator.providers.schema import Schema, array, boolean, enum, integer, obj, string, validate
from emulator.wire.errors import AwsError, validation

TITAN_V1_DIMENSIONS = 1536
TITAN_MAX_INPUT_TOKENS = 8192
TITAN_V2_DIMENSIONS = (256, 512, 1024)
TITAN_IMAGE_DIMENSIONS = (256, 384, 1024)  # outputEmbeddingLength; 1024 by default
COHERE_V3_DIMENSIONS = 1024
COHERE_V4_DIMENSIONS = 1536

# Message as quoted in aws-samples/amazon-bedrock-workshop#136, trailing space included.
_TOO_MANY_TOKENS = (
    "400 Bad Request: Too many input tokens. Max input tokens: {limit}, request input token count: {count} "
)

_TITAN_V1_SCHEMA: Schema = obj({"inputText": string()}, required=("inputText",))
_TITAN_V2_SCHEMA: Schema = obj(
    {
        "inputText": string(maxLength=50000),
        "dimensions": {"type": "integer", **enum(*TITAN_V2_DIMENSIONS)},
        "normalize": boolean(),
        "embeddingTypes": array({"type": "string", **enum("float", "binary")}, minItems=1),
    },
    required=("inputText",),
)
# AWS's Titan Multimodal Embeddings G1 parameters page: inputText, inputImage (base64), or both (the two
# vectors averaged), and embeddingConfig.outputEmbeddingLength.
_TITAN_IMAGE_SCHEMA: Schema = obj(
    {
        "inputText": string(minLength=1),
        "inputImage": string(minLength=1),
        "embeddingConfig": obj(
            {"outputEmbeddingLength": {"type": "integer", **enum(*TITAN_IMAGE_DIMENSIONS)}}
        ),
    }
)
# Neither input given: the Titan family's terse refusal of a body it cannot read (the same text answers a
# malformed Titan Image Generator body, aws-samples/amazon-bedrock-client-for-mac#12).
TITAN_IMAGE_NO_INPUT = "Malformed input request, please reformat your input and try again."
_COHERE_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
_COHERE_SCHEMA: Schema = obj(
    {
        "texts": array(string(maxLength=2048), maxItems=96),
        "images": array(string()),
        "input_type": {
            "type": "string",
            **enum("search_document", "search_query", "classification", "clustering", "image"),
        },
        "truncate": {"type": "string", **enum("NONE", "START", "END")},
        "embedding_types": array({"type": "string", **enum(*_COHERE_TYPES)}),
        "output_dimension": {"type": "integer", **enum(256, 512, 1024, 1536)},
        "max_tokens": integer(minimum=1),
    },
    required=("texts", "input_type"),
)
# Embed v4 (AWS "Cohere Embed v4" parameters page): texts, images or interleaved inputs, one of them; no
# "image" input type; truncate LEFT/RIGHT; up to ~128k tokens, so no 2048-character cap per text.
_V4_CONTENT: Schema = obj(
    {
        "type": {"type": "string", **enum("text", "image_url")},
        "text": string(),
        "image_url": {"anyOf": [string(), obj({"url": string()}, required=("url",))]},
    },
    required=("type",),
)
_COHERE_V4_SCHEMA: Schema = obj(
    {
        "texts": array(string(), maxItems=96),
        "images": array(string(), maxItems=96),
        "inputs": array(obj({"content": array(_V4_CONTENT, minItems=1)}, required=("content",)), maxItems=96),
        "input_type": {
            "type": "string",
            **enum("search_document", "search_query", "classification", "clustering"),
        },
        "truncate": {"type": "string", **enum("NONE", "LEFT", "RIGHT")},
        "embedding_types": array({"type": "string", **enum(*_COHERE_TYPES)}),
        "output_dimension": {"type": "integer", **enum(256, 512, 1024, 1536)},
        "max_tokens": integer(minimum=1),
    },
    required=("input_type",),
)


# generation.embed costs words x dimensions random draws in Python; the newer models take long inputs
# (Embed v4 ~128k tokens, 96 at a time) and wide vectors (Nova 3072), so they use this bounded stand-in.
STAND_IN_WORDS = 32
_WORD = re.compile(r"\w+")


def stand_in_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector for ``text``: the sum of one pseudo-random vector per word, over its first distinct
    words and a digest of all of it. Equal inputs give equal vectors, inputs sharing words give close
    ones, and the cost is bounded (hashing and summing in C) whatever the input's length."""
    distinct: dict[str, None] = {}
    for match in _WORD.finditer(text.lower()):
        distinct.setdefault(match.group(), None)
        if len(distinct) == STAND_IN_WORDS:
            break
    words = [*distinct, "input:" + hashlib.sha256(text.encode()).hexdigest()]
    layout = struct.Struct(f"<{dimensions}h")
    rows = [layout.unpack(hashlib.shake_256(word.encode()).digest(layout.size)) for word in words]
    totals = [sum(column) for column in zip(*rows, strict=True)]
    norm = math.sqrt(sum(value * value for value in totals)) or 1.0
    return [round(value / norm, 8) for value in totals]


def _not_streamable() -> AwsError:
    return validation("The model is unsupported for streaming.")


def _check_titan_tokens(text: str) -> None:
    tokens = count_tokens(text)
    if tokens > TITAN_MAX_INPUT_TOKENS:
        raise validation(_TOO_MANY_TOKENS.format(limit=TITAN_MAX_INPUT_TOKENS, count=tokens))


def _bits(vector: list[float]) -> list[int]:
    return [1 if value > 0 else 0 for value in vector]


class _Embedder:
    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        raise _not_streamable()


class TitanEmbedV1(_Embedder):
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _TITAN_V1_SCHEMA, "top")
        _check_titan_tokens(valid["inputText"])
        request = EmbeddingRequest((valid["inputText"],), TITAN_V1_DIMENSIONS, False, ("float",))
        return Prompt(valid["inputText"], request_key(model, valid, ()), 0, embedding=request, body=valid)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        assert prompt.embedding is not None
        vector = embed(prompt.embedding.texts[0], dimensions=TITAN_V1_DIMENSIONS, normalize=False)
        return {"embedding": vector, "inputTextTokenCount": prompt.input_tokens}


class TitanEmbedV2(_Embedder):
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _TITAN_V2_SCHEMA, "top")
        _check_titan_tokens(valid["inputText"])
        request = EmbeddingRequest(
            (valid["inputText"],),
            valid.get("dimensions", 1024),
            valid.get("normalize", True),
            tuple(valid.get("embeddingTypes", ("float",))),
        )
        return Prompt(valid["inputText"], request_key(model, valid, ()), 0, embedding=request, body=valid)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        request = prompt.embedding
        assert request is not None
        vector = embed(request.texts[0], dimensions=request.dimensions, normalize=request.normalize)
        by_type: dict[str, Any] = {}
        if "float" in request.types:
            by_type["float"] = vector
        if "binary" in request.types:
            by_type["binary"] = _bits(vector)
        return {"embedding": vector, "embeddingsByType": by_type, "inputTextTokenCount": prompt.input_tokens}


class TitanEmbedImage(_Embedder):
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _TITAN_IMAGE_SCHEMA, "top")
        if "inputText" not in valid and "inputImage" not in valid:
            raise validation(TITAN_IMAGE_NO_INPUT)
        text = valid.get("inputText", "")
        items: list[str] = []
        if text:
            _check_titan_tokens(text)
            items.append(text)
        if "inputImage" in valid:
            items.append(_image_key(valid["inputImage"]))
        dimensions = valid.get("embeddingConfig", {}).get("outputEmbeddingLength", 1024)
        request = EmbeddingRequest(tuple(items), dimensions, False, ("float",))
        return Prompt(text, request_key(model, valid, ()), 0, embedding=request, body=valid)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        request = prompt.embedding
        assert request is not None
        # Text and image together: the mean of their two vectors, as the parameters page describes.
        vectors = [embed(item, dimensions=request.dimensions, normalize=False) for item in request.texts]
        vector = [round(sum(values) / len(vectors), 8) for values in zip(*vectors, strict=True)]
        return {"embedding": vector, "inputTextTokenCount": prompt.input_tokens}


def _cohere_dimensions(model: ModelInfo, body: dict[str, Any]) -> int:
    if "embed-v4" in model.model_id:
        return int(body.get("output_dimension", COHERE_V4_DIMENSIONS))
    return COHERE_V3_DIMENSIONS


def _quantized(vector: list[float], kind: str) -> list[int] | list[float]:
    if kind == "int8":
        return [max(-128, min(127, round(value * 127 * 8))) for value in vector]
    if kind == "uint8":
        return [max(0, min(255, round(value * 127 * 8) + 128)) for value in vector]
    if kind in ("binary", "ubinary"):
        packed: list[int] = []
        bits = _bits(vector)
        for start in range(0, len(bits), 8):
            byte = int("".join(map(str, bits[start : start + 8])).ljust(8, "0"), 2)
            packed.append(byte - 128 if kind == "binary" else byte)
        return packed
    return vector


def _image_key(image: Any) -> str:
    """What the stand-in embeds for an image: a digest of its data URI, so equal images get equal vectors."""
    return "image " + hashlib.sha256(str(image).encode()).hexdigest()[:16]


def _v4_item(item: dict[str, Any]) -> str:
    parts = [
        str(part.get("text", "")) if part["type"] == "text" else _image_key(part.get("image_url"))
        for part in item["content"]
    ]
    return " ".join(parts)


def _v4_embed_inputs(valid: dict[str, Any]) -> tuple[str, ...]:
    given = [key for key in ("texts", "images", "inputs") if key in valid]
    if len(given) != 1:  # the page: one of them per call, texts and images never together
        raise validation(V4_MALFORMED)
    if "texts" in valid:
        return tuple(valid["texts"])
    if "images" in valid:
        return tuple(_image_key(image) for image in valid["images"])
    return tuple(_v4_item(item) for item in valid["inputs"])


# Embed v4 refuses a body it cannot read with this terse text, not v3's schema pointers (a Titan-shaped body
# sent through eu.cohere.embed-v4:0, knows-cloud/paperless-iq#21).
V4_MALFORMED = "Malformed request. Please check your parameter/values and try again."


def _v4_request(body: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    try:
        valid = validate(body, _COHERE_V4_SCHEMA)
        return valid, _v4_embed_inputs(valid)
    except AwsError:
        raise validation(V4_MALFORMED) from None


class CohereEmbed(_Embedder):
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        if "embed-v4" in model.model_id:
            valid, items = _v4_request(body)
            # Embed v4 always answers by type; float when none is asked for (wire-facts, catalogue section).
            types = tuple(valid.get("embedding_types") or ("float",))
        else:
            valid = validate(body, _COHERE_SCHEMA)
            items = tuple(valid["texts"])
            types = tuple(valid.get("embedding_types", ()))
        request = EmbeddingRequest(items, _cohere_dimensions(model, valid), True, types)
        texts = "\n".join(valid.get("texts", ()) or (item for item in items if not item.startswith("image ")))
        return Prompt(texts, request_key(model, valid, ()), 0, embedding=request, body=valid)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        request = prompt.embedding
        assert request is not None
        if "embed-v4" in model.model_id:
            vectors = [stand_in_vector(text, request.dimensions) for text in request.texts]
        else:
            vectors = [embed(text, dimensions=request.dimensions, normalize=True) for text in request.texts]
        # The real service echoes the texts lower-cased (wire-facts §3.3).
        texts = prompt.body.get("texts", ())
        common = {"id": stable_uuid(request_id), "texts": [text.lower() for text in texts]}
        if not request.types:
            return {"embeddings": vectors, **common, "response_type": "embeddings_floats"}
        by_type = {kind: [_quantized(vector, kind) for vector in vectors] for kind in request.types}
        return {"embeddings": by_type, **common, "response_type": "embeddings_by_type"}


TITAN_EMBED_V1 = TitanEmbedV1()
TITAN_EMBED_V2 = TitanEmbedV2()
TITAN_EMBED_IMAGE = TitanEmbedImage()
COHERE_EMBED = CohereEmbed()
