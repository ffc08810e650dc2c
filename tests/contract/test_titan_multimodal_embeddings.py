"""Titan Multimodal Embeddings G1 (amazon.titan-embed-image-v1) on InvokeModel, through boto3 over a socket.

The body, from AWS's "Amazon Titan Multimodal Embeddings G1" parameters page: ``inputText``, ``inputImage``
(base64) or both, whose vectors are averaged, and ``embeddingConfig.outputEmbeddingLength`` (256, 384 or
1024, the default); the answer is ``embedding`` and ``inputTextTokenCount``. langchain-aws's
``BedrockEmbeddings.embed_image`` sends this body (docs/third-party-suites.md).
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest

from emulator.pytest_plugin import BedrockEmulator

MODEL = "amazon.titan-embed-image-v1"
IMAGE = base64.b64encode(b"\xff\xd8\xff\xe0 a tiny stand-in for a JPEG").decode()


def _embed(emulator: BedrockEmulator, body: dict[str, Any]) -> dict[str, Any]:
    response = emulator.client().invoke_model(modelId=MODEL, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    answer: dict[str, Any] = json.loads(response["body"].read())
    return answer


def _refusal(emulator: BedrockEmulator, body: dict[str, Any]) -> str:
    client = emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.invoke_model(modelId=MODEL, body=json.dumps(body))
    return str(caught.value.response["Error"]["Message"])


def test_an_image_gets_a_vector_of_the_asked_length(bedrock_emulator: BedrockEmulator) -> None:
    answer = _embed(
        bedrock_emulator, {"inputImage": IMAGE, "embeddingConfig": {"outputEmbeddingLength": 256}}
    )
    assert set(answer) == {"embedding", "inputTextTokenCount"}
    assert len(answer["embedding"]) == 256
    assert all(isinstance(value, float) for value in answer["embedding"])
    assert answer["inputTextTokenCount"] == 0
    # Deterministic: the same image gets the same vector.
    again = _embed(bedrock_emulator, {"inputImage": IMAGE, "embeddingConfig": {"outputEmbeddingLength": 256}})
    assert again["embedding"] == answer["embedding"]


def test_text_defaults_to_1024_and_counts_its_tokens(bedrock_emulator: BedrockEmulator) -> None:
    answer = _embed(bedrock_emulator, {"inputText": "a red square on a white page"})
    assert len(answer["embedding"]) == 1024
    assert answer["inputTextTokenCount"] > 0
    assert (
        len(
            _embed(bedrock_emulator, {"inputText": "hi", "embeddingConfig": {"outputEmbeddingLength": 384}})[
                "embedding"
            ]
        )
        == 384
    )


def test_text_and_image_together_average_the_two_vectors(bedrock_emulator: BedrockEmulator) -> None:
    config = {"embeddingConfig": {"outputEmbeddingLength": 256}}
    text = _embed(bedrock_emulator, {"inputText": "a red square", **config})["embedding"]
    image = _embed(bedrock_emulator, {"inputImage": IMAGE, **config})["embedding"]
    both = _embed(bedrock_emulator, {"inputText": "a red square", "inputImage": IMAGE, **config})["embedding"]
    assert all(math.isclose(b, (t + i) / 2, abs_tol=1e-7) for b, t, i in zip(both, text, image, strict=True))


def test_bodies_bedrock_cannot_read_are_refused(bedrock_emulator: BedrockEmulator) -> None:
    assert _refusal(bedrock_emulator, {"embeddingConfig": {"outputEmbeddingLength": 256}}) == (
        "Malformed input request, please reformat your input and try again."
    )
    assert "Malformed input request" in _refusal(
        bedrock_emulator, {"inputText": "hi", "embeddingConfig": {"outputEmbeddingLength": 512}}
    )
    assert "Malformed input request" in _refusal(bedrock_emulator, {"inputText": "hi", "dimensions": 256})


def test_it_does_not_stream(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps({"inputText": "hi"}))
    assert caught.value.response["Error"]["Message"] == "The model is unsupported for streaming."
