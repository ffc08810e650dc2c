"""Amazon Nova Multimodal Embeddings bodies on InvokeModel ("nova-embed").

The synchronous request is ``taskType: SINGLE_EMBEDDING`` with ``singleEmbeddingParams`` naming the
purpose, the dimension (256, 384, 1024 or 3072; 3072 by default) and exactly one input: ``text``,
``image``, ``audio`` or ``video``. The answer is ``{"embeddings": [{"embeddingType", "embedding"}]}``.
Media inputs are embedded from a digest of their bytes or S3 location, so the same input gives the same
vector. Source: AWS's "Complete embeddings request and response schema" page of the Nova user guide
(wire-facts: Newer models and their bodies).
"""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

import hashlib
from typing import Any

from emulator.generation import Completion
from emulator.providers.contract import (
    EmbeddingRequest,
    ModelInfo,
    Prompt,
    compact_json,
    request_key,
)
from emulator.providers.embeddings import stand_in_vector
from emulator.providers.schema import Schema, enum, obj, string, validate
from emulator.wire.errors import validation

DIMENSIONS = (256, 384, 1024, 3072)
DEFAULT_DIMENSION = 3072
MEDIA = ("text", "image", "audio", "video")
_PURPOSES = (
    "GENERIC_INDEX",
    "GENERIC_RETRIEVAL",
    "TEXT_RETRIEVAL",
    "IMAGE_RETRIEVAL",
    "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL",
    "AUDIO_RETRIEVAL",
    "CLASSIFICATION",
    "CLUSTERING",
)
_SOURCE: Schema = obj(
    {
        "bytes": string(),
        "s3Location": obj({"uri": string(), "bucketOwner": string()}, required=("uri",)),
    }
)
_PARAMS: Schema = obj(
    {
        "embeddingPurpose": {"type": "string", **enum(*_PURPOSES)},
        "embeddingDimension": {"type": "integer", **enum(*DIMENSIONS)},
        "text": obj(
            {
                "truncationMode": {"type": "string", **enum("START", "END", "NONE")},
                "value": string(maxLength=50_000),
                "source": _SOURCE,
            },
            required=("truncationMode",),
        ),
        "image": obj(
            {
                "detailLevel": {"type": "string", **enum("STANDARD_IMAGE", "DOCUMENT_IMAGE")},
                "format": {"type": "string", **enum("png", "jpeg", "gif", "webp")},
                "source": _SOURCE,
            },
            required=("format", "source"),
        ),
        "audio": obj(
            {"format": {"type": "string", **enum("mp3", "wav", "ogg")}, "source": _SOURCE},
            required=("format", "source"),
        ),
        "video": obj(
            {
                "format": {
                    "type": "string",
                    **enum("mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp"),
                },
                "source": _SOURCE,
                "embeddingMode": {"type": "string", **enum("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE")},
            },
            required=("format", "source", "embeddingMode"),
        ),
    },
    required=("embeddingPurpose",),
)
_SCHEMA: Schema = obj(
    {
        "schemaVersion": {"type": "string", **enum("nova-multimodal-embed-v1")},
        # Only the asynchronous API (StartAsyncInvoke) segments; a synchronous call must ask for one embedding.
        "taskType": {"type": "string", **enum("SINGLE_EMBEDDING")},
        "singleEmbeddingParams": _PARAMS,
    },
    required=("taskType", "singleEmbeddingParams"),
)


def _medium(params: dict[str, Any]) -> str:
    given = [medium for medium in MEDIA if medium in params]
    if len(given) != 1:
        raise validation(
            "Malformed input request: exactly one of text, image, audio or video must be provided in "
            "singleEmbeddingParams, please reformat your input and try again."
        )
    return given[0]


def _content(medium: str, part: dict[str, Any]) -> str:
    """What the stand-in embeds: the text itself, or a digest standing for the media's content."""
    if medium == "text" and "value" in part:
        return str(part["value"])
    digest = hashlib.sha256(compact_json(part.get("source", {})).encode()).hexdigest()[:16]
    return f"{medium} {digest}"


# Real Bedrock's answer to a body without ``taskType`` (a Titan-shaped ``inputText`` body, recorded live in
# agentgateway/agentgateway#2936 and langchain-ai/langchain-aws#744): the Nova messages schema's complaint.
NOT_AN_EMBEDDING_REQUEST = (
    "Malformed input request: #: required key [messages] not found, please reformat your input and try again."
)


class NovaEmbed:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        if isinstance(body, dict) and "taskType" not in body:
            raise validation(NOT_AN_EMBEDDING_REQUEST)
        valid = validate(body, _SCHEMA)
        params = valid["singleEmbeddingParams"]
        medium = _medium(params)
        part = params[medium]
        if medium == "text" and ("value" in part) == ("source" in part):
            raise validation(
                "Malformed input request: text must have exactly one of value or source, "
                "please reformat your input and try again."
            )
        content = _content(medium, part)
        request = EmbeddingRequest(
            (content,), int(params.get("embeddingDimension", DEFAULT_DIMENSION)), True, (medium.upper(),)
        )
        tokens_text = content if medium == "text" else ""
        return Prompt(tokens_text, request_key(model, valid, ()), 0, embedding=request, body=valid)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        request = prompt.embedding
        assert request is not None
        vector = stand_in_vector(request.texts[0], request.dimensions)
        return {"embeddings": [{"embeddingType": request.types[0], "embedding": vector}]}

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        raise validation("The model is unsupported for streaming.")


NOVA_EMBED = NovaEmbed()
