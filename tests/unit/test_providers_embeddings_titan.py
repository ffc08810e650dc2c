"""Titan Text, Titan Embeddings and Cohere Embed bodies."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.generation import count_tokens, split_deltas
from emulator.providers import generate, provider_for
from emulator.wire.errors import AwsError

SUFFIX = ", please reformat your input and try again."


@dataclass(frozen=True)
class Model:
    model_id: str
    max_output_tokens: int
    default_max_tokens: int


EXPRESS = Model("amazon.titan-text-express-v1", 8192, 512)
EMBED_V1 = Model("amazon.titan-embed-text-v1", 0, 0)
EMBED_V2 = Model("amazon.titan-embed-text-v2:0", 0, 0)
COHERE_V3 = Model("cohere.embed-english-v3", 0, 0)


def invoke(family: str, body: dict[str, Any], model: Model) -> dict[str, Any]:
    provider = provider_for(family)
    prompt = provider.validate(body, model)
    return provider.respond(prompt, generate(prompt), model, "req-1")


def error(family: str, body: Any, model: Model) -> str:
    with pytest.raises(AwsError) as caught:
        provider_for(family).validate(body, model)
    assert caught.value.code == "ValidationException"
    return caught.value.message


TITAN_BODY = {
    "inputText": "Summarise the main benefits of serverless computing in 5 sentences.",
    "textGenerationConfig": {"maxTokenCount": 512, "temperature": 0.5, "topP": 0.9, "stopSequences": []},
}


def test_titan_text_response() -> None:
    answer = invoke("titan-text", TITAN_BODY, EXPRESS)
    assert set(answer) == {"inputTextTokenCount", "results"}
    result = answer["results"][0]
    assert result["outputText"]
    assert result["tokenCount"] > 0
    assert result["completionReason"] == "FINISH"
    assert invoke("titan-text", TITAN_BODY, EXPRESS) == answer


def test_titan_text_length_and_stop_reasons() -> None:
    short = TITAN_BODY | {"textGenerationConfig": {"maxTokenCount": 2}}
    assert invoke("titan-text", short, EXPRESS)["results"][0]["completionReason"] == "LENGTH"
    text = invoke("titan-text", TITAN_BODY, EXPRESS)["results"][0]["outputText"]
    stopped = TITAN_BODY | {"textGenerationConfig": {"stopSequences": [text.split()[2]]}}
    assert invoke("titan-text", stopped, EXPRESS)["results"][0]["completionReason"] == "STOP_CRITERIA_MET"
    assert invoke("titan-text", {"inputText": "hi"}, EXPRESS)["results"][0]["tokenCount"] <= 512


def test_titan_text_validation_messages() -> None:
    assert error("titan-text", {"inputText": ""}, EXPRESS) == (
        f"Malformed input request: #/inputText: expected minLength: 1, actual: 0{SUFFIX}"
    )
    wrong_stop = {"inputText": "hi", "textGenerationConfig": {"stopSequences": "User:"}}
    assert error("titan-text", wrong_stop, EXPRESS) == (
        "Malformed input request: #/textGenerationConfig/stopSequences: "
        f"expected type: JSONArray, found: String{SUFFIX}"
    )
    claude_body = {"prompt": "hi", "max_tokens_to_sample": 10}
    assert error("titan-text", claude_body, EXPRESS) == (
        "Malformed input request: #: required key [inputText] not found"
        "#: extraneous key [prompt] is not permitted"
        f"#: extraneous key [max_tokens_to_sample] is not permitted{SUFFIX}"
    )
    too_long = {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 8193}}
    assert error("titan-text", too_long, EXPRESS) == (
        "Malformed input request: #/textGenerationConfig/maxTokenCount: "
        f"8193 is not less or equal to 8192{SUFFIX}"
    )


def test_titan_text_stream_chunks() -> None:
    provider = provider_for("titan-text")
    prompt = provider.validate(TITAN_BODY, EXPRESS)
    completion = generate(prompt)
    chunks = provider.stream_chunks(prompt, completion, EXPRESS, "r", split_deltas(completion.text))
    assert "".join(c["outputText"] for c in chunks) == completion.text
    assert chunks[0]["inputTextTokenCount"] == prompt.input_tokens
    assert all(c["inputTextTokenCount"] is None for c in chunks[1:])
    assert all(c["completionReason"] is None for c in chunks[:-1])
    assert chunks[-1]["completionReason"] == "FINISH"
    assert chunks[-1]["totalOutputTextTokenCount"] == completion.output_tokens
    # as recorded (wire-facts §33): the count comes with the last chunk only, like the reason
    assert all(c["totalOutputTextTokenCount"] is None for c in chunks[:-1])


def test_titan_embed_v1() -> None:
    answer = invoke("titan-embed-v1", {"inputText": "Hello, world!"}, EMBED_V1)
    assert set(answer) == {"embedding", "inputTextTokenCount"}
    assert len(answer["embedding"]) == 1536
    assert answer["inputTextTokenCount"] > 0


def test_titan_embed_errors_are_terse() -> None:
    extra = {"inputText": "hi", "textGenerationConfig": {}}
    assert error("titan-embed-v1", extra, EMBED_V1) == (
        f"Malformed input request: extraneous key [textGenerationConfig] is not permitted{SUFFIX}"
    )
    assert error("titan-embed-v2", {"inputText": "x" * 50001, "foo": 1}, EMBED_V2) == (
        f"Malformed input request: 2 schema violations found{SUFFIX}"
    )
    assert error("titan-embed-v2", {"inputText": "x" * 50001}, EMBED_V2) == (
        f"Malformed input request: expected maxLength: 50000, actual: 50001{SUFFIX}"
    )
    assert error("titan-embed-v2", {"inputText": "hi", "dimensions": 300}, EMBED_V2) == (
        f"Malformed input request: 300 is not a valid enum value{SUFFIX}"
    )


def test_titan_embed_too_many_tokens() -> None:
    text = "word " * 9000
    message = error("titan-embed-v1", {"inputText": text}, EMBED_V1)
    assert message == (
        "400 Bad Request: Too many input tokens. Max input tokens: 8192, "
        f"request input token count: {count_tokens(text)} "
    )


@pytest.mark.parametrize("dimensions", [256, 512, 1024])
def test_titan_embed_v2_dimensions_and_unit_norm(dimensions: int) -> None:
    answer = invoke("titan-embed-v2", {"inputText": "Hello, world!", "dimensions": dimensions}, EMBED_V2)
    assert set(answer) == {"embedding", "embeddingsByType", "inputTextTokenCount"}
    assert len(answer["embedding"]) == dimensions
    assert math.isclose(math.sqrt(sum(v * v for v in answer["embedding"])), 1.0, rel_tol=1e-6)
    assert answer["embeddingsByType"] == {"float": answer["embedding"]}


def test_titan_embed_v2_unnormalized_and_binary() -> None:
    raw = invoke("titan-embed-v2", {"inputText": "Hello", "normalize": False}, EMBED_V2)["embedding"]
    assert not math.isclose(math.sqrt(sum(v * v for v in raw)), 1.0, rel_tol=1e-3)
    both = invoke("titan-embed-v2", {"inputText": "Hello", "embeddingTypes": ["float", "binary"]}, EMBED_V2)
    assert set(both["embeddingsByType"]) == {"float", "binary"}
    assert set(both["embeddingsByType"]["binary"]) <= {0, 1}


def test_embeddings_do_not_stream() -> None:
    provider = provider_for("titan-embed-v2")
    prompt = provider.validate({"inputText": "hi"}, EMBED_V2)
    with pytest.raises(AwsError):
        provider.stream_chunks(prompt, generate(prompt), EMBED_V2, "r", [])


def test_cohere_embed_matches_the_recorded_shape() -> None:
    body = {"texts": ["Hello, world!"], "input_type": "search_query", "truncate": "NONE"}
    answer = invoke("cohere-embed", body, COHERE_V3)
    assert set(answer) == {"embeddings", "id", "response_type", "texts"}
    assert answer["response_type"] == "embeddings_floats"
    assert answer["texts"] == ["hello, world!"]
    assert len(answer["embeddings"]) == 1
    assert len(answer["embeddings"][0]) == 1024


def test_cohere_embed_by_type() -> None:
    body = {"texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float", "int8"]}
    answer = invoke("cohere-embed", body, COHERE_V3)
    assert answer["response_type"] == "embeddings_by_type"
    assert set(answer["embeddings"]) == {"float", "int8"}
    assert len(answer["embeddings"]["int8"]) == 2
    assert all(-128 <= v <= 127 for v in answer["embeddings"]["int8"][0])


def test_cohere_embed_errors() -> None:
    assert error("cohere-embed", {"inputText": "hi"}, COHERE_V3) == (
        "Malformed input request: #: required key [texts] not found#: required key [input_type] not found"
        f"#: extraneous key [inputText] is not permitted{SUFFIX}"
    )
    long_text = {"texts": ["x" * 19882], "input_type": "search_document"}
    assert error("cohere-embed", long_text, COHERE_V3) == (
        f"Malformed input request: #/texts/0: expected maxLength: 2048, actual: 19882{SUFFIX}"
    )
