"""The newer open-weight models, Cohere Embed v4, Nova 2 multimodal embeddings and Cohere Rerank 3.5 on
InvokeModel, InvokeModelWithResponseStream and Converse, through boto3 over a socket.

Body shapes and sources: docs/wire-facts.md, "Newer models and their bodies (catalogue)".
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from emulator import catalog
from emulator.pytest_plugin import BedrockEmulator

Body = dict[str, Any]
MALFORMED = (
    "Malformed input request: #: required key [{key}] not found, please reformat your input and try again."
)

# One id per newer family on Bedrock (model cards: Qwen, Moonshot, Google, MiniMax, Mistral, NVIDIA, Z.ai).
CHAT_MODELS = [
    "qwen.qwen3-32b-v1:0",
    "qwen.qwen3-235b-a22b-2507-v1:0",
    "qwen.qwen3-coder-30b-a3b-v1:0",
    "qwen.qwen3-coder-480b-a35b-v1:0",
    "qwen.qwen3-next-80b-a3b",
    "qwen.qwen3-vl-235b-a22b",
    "qwen.qwen3-coder-next",
    "moonshot.kimi-k2-thinking",
    "moonshotai.kimi-k2.5",
    "google.gemma-3-27b-it",
    "minimax.minimax-m2",
    "mistral.mistral-large-3-675b-instruct",
    "mistral.ministral-3-8b-instruct",
    "mistral.devstral-2-123b",
    "nvidia.nemotron-nano-9b-v2",
    "zai.glm-4.7",
]
QUESTION = [{"role": "user", "content": "Name three rivers in Europe."}]


def _invoke(emulator: BedrockEmulator, model_id: str, body: Body) -> tuple[Body, dict[str, str]]:
    response = emulator.client().invoke_model(modelId=model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def _refusal(emulator: BedrockEmulator, model_id: str, body: Body) -> str:
    client = emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.invoke_model(modelId=model_id, body=json.dumps(body))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Message"])


def test_the_catalogue_lists_the_newer_models_as_on_demand_chat_completions_models() -> None:
    for model_id in CHAT_MODELS:
        model = catalog.resolve(model_id, region="us-east-1").model
        assert (model.body_family, model.lifecycle, model.converse, model.streaming) == (
            "openai-chat",
            "ACTIVE",
            True,
            True,
        ), model_id
        assert 0 < model.max_output_tokens <= model.context_window
    assert catalog.get("qwen.qwen3-coder-next") is not None
    assert catalog.get("qwen.qwen3-coder-next").context_window == 256000  # type: ignore[union-attr]


@pytest.mark.parametrize("model_id", CHAT_MODELS)
def test_invoke_model_answers_a_chat_completion_whose_usage_matches_the_headers(
    bedrock_emulator: BedrockEmulator, model_id: str
) -> None:
    body, headers = _invoke(bedrock_emulator, model_id, {"messages": QUESTION, "max_tokens": 40})

    assert set(body) == {"id", "object", "created", "model", "choices", "usage"}
    assert (body["object"], body["model"]) == ("chat.completion", model_id)
    [choice] = body["choices"]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].strip()
    assert choice["finish_reason"] in ("stop", "length")
    assert body["usage"]["prompt_tokens"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert body["usage"]["completion_tokens"] == int(headers["x-amzn-bedrock-output-token-count"])


@pytest.mark.parametrize("model_id", CHAT_MODELS)
def test_the_stream_is_chat_completion_chunks_that_rebuild_the_answer(
    bedrock_emulator: BedrockEmulator, model_id: str
) -> None:
    unary, _ = _invoke(bedrock_emulator, model_id, {"messages": QUESTION, "max_tokens": 40})
    response = bedrock_emulator.client().invoke_model_with_response_stream(
        modelId=model_id, body=json.dumps({"messages": QUESTION, "max_tokens": 40})
    )
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]

    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    text = "".join(str(chunk["choices"][0]["delta"].get("content") or "") for chunk in chunks)
    assert text == unary["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == unary["choices"][0]["finish_reason"]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == unary["usage"]["completion_tokens"]


def test_tools_in_the_body_get_openai_tool_calls(bedrock_emulator: BedrockEmulator) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    body, _ = _invoke(
        bedrock_emulator,
        "moonshot.kimi-k2-thinking",
        {"messages": QUESTION, "max_tokens": 200, "tools": [tool], "tool_choice": "required"},
    )
    [choice] = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert isinstance(json.loads(call["function"]["arguments"])["city"], str)


@pytest.mark.parametrize("model_id", CHAT_MODELS)
def test_converse_and_converse_stream_serve_the_newer_models(
    bedrock_emulator: BedrockEmulator, model_id: str
) -> None:
    client = bedrock_emulator.client()
    messages = [{"role": "user", "content": [{"text": "Name three rivers in Europe."}]}]
    answer = client.converse(modelId=model_id, messages=messages, inferenceConfig={"maxTokens": 40})
    # MiniMax M2 reasons first, unasked (wire-facts §31): the answer is the text block
    assert next(block["text"] for block in answer["output"]["message"]["content"] if "text" in block).strip()
    stream = client.converse_stream(modelId=model_id, messages=messages, inferenceConfig={"maxTokens": 40})
    kinds = [next(iter(event)) for event in stream["stream"]]
    assert kinds[0] == "messageStart"
    assert kinds[-1] == "metadata"


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def test_converse_takes_images_only_on_the_vision_models(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client()
    content = [{"text": "What is this?"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]
    messages = [{"role": "user", "content": content}]
    for vision in ("qwen.qwen3-vl-235b-a22b", "google.gemma-3-27b-it", "moonshotai.kimi-k2.5"):
        assert client.converse(modelId=vision, messages=messages)["stopReason"] in ("end_turn", "max_tokens")
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.converse(modelId="qwen.qwen3-coder-next", messages=messages)
    assert caught.value.response["Error"]["Message"] == (
        "This model doesn't support the image field for user messages. Remove image and try again."
    )


def test_the_older_qwen_ids_are_also_served_through_their_us_profile(
    bedrock_emulator: BedrockEmulator,
) -> None:
    body, _ = _invoke(bedrock_emulator, "us.qwen.qwen3-32b-v1:0", {"messages": QUESTION, "max_tokens": 20})
    assert body["model"] == "qwen.qwen3-32b-v1:0"
    message = _refusal(bedrock_emulator, "us.google.gemma-3-27b-it", {"messages": QUESTION, "max_tokens": 20})
    assert message == "The provided model identifier is invalid."


def test_chat_bodies_are_validated_as_bedrock_does(bedrock_emulator: BedrockEmulator) -> None:
    model_id = "mistral.devstral-2-123b"
    assert _refusal(bedrock_emulator, model_id, {"max_tokens": 10}) == MALFORMED.format(key="messages")
    limit = catalog.resolve(model_id).model.max_output_tokens
    message = _refusal(bedrock_emulator, model_id, {"messages": QUESTION, "max_tokens": limit + 1})
    assert message.startswith("Malformed input request: #/max_tokens: ")


# -- Cohere Embed v4 ------------------------------------------------------------------------------------

EMBED_V4 = "us.cohere.embed-v4:0"  # profile-only


def test_embed_v4_answers_embeddings_by_type_of_the_asked_dimension(
    bedrock_emulator: BedrockEmulator,
) -> None:
    request = {
        "texts": ["Rivers of Europe", "Danube"],
        "input_type": "search_document",
        "embedding_types": ["float", "int8"],
        "output_dimension": 256,
    }
    body, headers = _invoke(bedrock_emulator, EMBED_V4, request)

    assert body["response_type"] == "embeddings_by_type"
    assert set(body["embeddings"]) == {"float", "int8"}
    assert [len(vector) for vector in body["embeddings"]["float"]] == [256, 256]
    assert all(-128 <= value <= 127 for value in body["embeddings"]["int8"][0])
    assert body["texts"] == ["rivers of europe", "danube"]
    assert "x-amzn-bedrock-output-token-count" not in headers
    again, _ = _invoke(bedrock_emulator, EMBED_V4, request)
    assert again["embeddings"] == body["embeddings"]


def test_embed_v4_defaults_to_float_by_type_and_takes_images_and_interleaved_inputs(
    bedrock_emulator: BedrockEmulator,
) -> None:
    image = "data:image/png;base64,iVBORw0KGgo="
    by_images, _ = _invoke(bedrock_emulator, EMBED_V4, {"images": [image], "input_type": "search_document"})
    assert set(by_images["embeddings"]) == {"float"}
    assert len(by_images["embeddings"]["float"][0]) == 1536
    inputs = [{"content": [{"type": "text", "text": "a chart"}, {"type": "image_url", "image_url": image}]}]
    mixed, _ = _invoke(bedrock_emulator, EMBED_V4, {"inputs": inputs, "input_type": "search_document"})
    assert mixed["response_type"] == "embeddings_by_type"
    assert mixed["embeddings"]["float"][0] != by_images["embeddings"]["float"][0]


def test_embed_v4_is_served_only_through_a_profile(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.invoke_model(
            modelId="cohere.embed-v4:0", body=json.dumps({"texts": ["a"], "input_type": "search_query"})
        )
    # knows-cloud/paperless-iq#21
    assert caught.value.response["Error"]["Message"].startswith(
        "Invocation of model ID cohere.embed-v4:0 with on-demand throughput isn’t supported."
    )


def test_embed_v4_refuses_unreadable_bodies_tersely(bedrock_emulator: BedrockEmulator) -> None:
    terse = "Malformed request. Please check your parameter/values and try again."
    # The recorded case: a Titan-shaped body through a profile (eu. there; knows-cloud/paperless-iq#21).
    assert _refusal(bedrock_emulator, EMBED_V4, {"inputText": "a"}) == terse
    both = {"texts": ["a"], "images": ["data:image/png;base64,AA=="], "input_type": "search_query"}
    assert _refusal(bedrock_emulator, EMBED_V4, both) == terse
    assert _refusal(bedrock_emulator, EMBED_V4, {"texts": ["a"]}) == terse


# -- Amazon Nova 2 multimodal embeddings ---------------------------------------------------------------

NOVA_EMBED = "amazon.nova-2-multimodal-embeddings-v1:0"


def _nova_text(value: str, **params: Any) -> Body:
    return {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "text": {"truncationMode": "END", "value": value},
            **params,
        },
    }


def test_nova_embeddings_answer_one_typed_embedding_of_the_asked_dimension(
    bedrock_emulator: BedrockEmulator,
) -> None:
    body, headers = _invoke(
        bedrock_emulator, NOVA_EMBED, _nova_text("Rivers of Europe", embeddingDimension=384)
    )

    [entry] = body["embeddings"]
    assert entry["embeddingType"] == "TEXT"
    assert len(entry["embedding"]) == 384
    assert math.isclose(sum(v * v for v in entry["embedding"]), 1.0, rel_tol=1e-4)
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0
    default, _ = _invoke(bedrock_emulator, NOVA_EMBED, _nova_text("Rivers of Europe"))
    assert len(default["embeddings"][0]["embedding"]) == 3072
    same, _ = _invoke(bedrock_emulator, NOVA_EMBED, _nova_text("Rivers of Europe", embeddingDimension=384))
    assert same == body


def test_nova_embeddings_embed_an_image(bedrock_emulator: BedrockEmulator) -> None:
    request = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "IMAGE_RETRIEVAL",
            "embeddingDimension": 256,
            "image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}},
        },
    }
    body, _ = _invoke(bedrock_emulator, NOVA_EMBED, request)
    assert body["embeddings"][0]["embeddingType"] == "IMAGE"
    assert len(body["embeddings"][0]["embedding"]) == 256


def test_a_titan_shaped_body_gets_the_messages_complaint_real_bedrock_sends(
    bedrock_emulator: BedrockEmulator,
) -> None:
    # Recorded live: agentgateway/agentgateway#2936, langchain-ai/langchain-aws#744.
    titan_shaped = {"inputText": "Hi, please embed this text.", "dimensions": 1024}
    assert _refusal(bedrock_emulator, NOVA_EMBED, titan_shaped) == MALFORMED.format(key="messages")


def test_nova_embeddings_refuse_bad_bodies_and_streaming(bedrock_emulator: BedrockEmulator) -> None:
    assert _refusal(bedrock_emulator, NOVA_EMBED, {"taskType": "SINGLE_EMBEDDING"}) == MALFORMED.format(
        key="singleEmbeddingParams"
    )
    segmented = {**_nova_text("x"), "taskType": "SEGMENTED_EMBEDDING"}
    assert _refusal(bedrock_emulator, NOVA_EMBED, segmented).startswith(
        "Malformed input request: #/taskType: "
    )
    no_input = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX"},
    }
    assert "exactly one of text, image, audio or video" in _refusal(bedrock_emulator, NOVA_EMBED, no_input)
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.invoke_model_with_response_stream(modelId=NOVA_EMBED, body=json.dumps(_nova_text("x")))
    assert caught.value.response["Error"]["Message"] == "The model is unsupported for streaming."


# -- Cohere Rerank 3.5 -----------------------------------------------------------------------------------

RERANK = "cohere.rerank-v3-5:0"
DOCUMENTS = [
    "Carson City is the capital city of the American state of Nevada.",
    "Capital punishment has existed in the United States since before it was a country.",
    "Washington, D.C. is the capital of the United States. It is a federal district.",
    "The Northern Mariana Islands are a group of islands in the Pacific Ocean.",
]


def test_rerank_orders_documents_by_relevance_and_honours_top_n(bedrock_emulator: BedrockEmulator) -> None:
    request = {"query": "What is the capital of the United States?", "documents": DOCUMENTS, "api_version": 2}
    body, headers = _invoke(bedrock_emulator, RERANK, request)

    assert set(body) == {"results"}
    results = body["results"]
    assert sorted(r["index"] for r in results) == [0, 1, 2, 3]
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s < 1 for s in scores)
    assert results[0]["index"] == 2
    assert results[-1]["index"] == 3  # shares only "the" and "of" with the query
    assert "x-amzn-bedrock-output-token-count" not in headers
    top, _ = _invoke(bedrock_emulator, RERANK, {**request, "top_n": 2})
    assert top["results"] == results[:2]


def test_rerank_refuses_a_completion_shaped_body_with_every_violation(
    bedrock_emulator: BedrockEmulator,
) -> None:
    # Recorded live (langgenius/dify#12640, Tokyo): required keys in schema order, then extraneous ones.
    message = _refusal(bedrock_emulator, RERANK, {"stream": False, "prompt": "Hi"})
    assert message == (
        "Malformed input request: #: required key [query] not found#: required key [documents] not found"
        "#: required key [api_version] not found#: extraneous key [stream] is not permitted"
        "#: extraneous key [prompt] is not permitted, please reformat your input and try again."
    )


def test_rerank_needs_api_version_2(bedrock_emulator: BedrockEmulator) -> None:
    # genkit-ai/aws-bedrock-go-plugin#190: omitting it fails with "required key [api_version] not found".
    assert _refusal(bedrock_emulator, RERANK, {"query": "q", "documents": ["d"]}) == MALFORMED.format(
        key="api_version"
    )
    old = _refusal(bedrock_emulator, RERANK, {"query": "q", "documents": ["d"], "api_version": 1})
    assert old.startswith("Malformed input request: #/api_version: ")


def test_amazon_rerank_takes_the_same_body_without_api_version(bedrock_emulator: BedrockEmulator) -> None:
    request = {"query": "What is the capital of the United States?", "documents": DOCUMENTS, "top_n": 2}
    body, _ = _invoke(bedrock_emulator, "amazon.rerank-v1:0", request)
    assert [result["index"] for result in body["results"]] == [2, 1]
    # Recorded live in genkit-ai/aws-bedrock-go-plugin#190: terse, without the "#: " pointer.
    assert _refusal(bedrock_emulator, "amazon.rerank-v1:0", {**request, "api_version": 2}) == (
        "Malformed input request: extraneous key [api_version] is not permitted, "
        "please reformat your input and try again."
    )
