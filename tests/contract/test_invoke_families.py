"""InvokeModel and InvokeModelWithResponseStream for every provider body family, through boto3 over a socket.

One current model per family (where a family has only retired models, the newest of them, which lenient
mode still serves with an ``x-bedrock-emulator-warning`` header). For each: the family's real response
keys, token headers that agree with the body's own counts, a stream whose chunks rebuild the same text
and whose last chunk carries ``amazon-bedrock-invocationMetrics``, and Bedrock's validation message for a
body that misses a required key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulator import catalog
from emulator.pytest_plugin import BedrockEmulator

Body = dict[str, Any]

USER_TEXT = "Name three rivers in Europe."


def _anthropic_stream_text(chunk: Body) -> str:
    if chunk.get("type") == "content_block_delta" and chunk["delta"].get("type") == "text_delta":
        return str(chunk["delta"]["text"])
    return ""


def _nova_stream_text(chunk: Body) -> str:
    return str(chunk.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))


def _cohere_stream_text(chunk: Body) -> str:
    return str(chunk["text"]) if chunk.get("event_type") == "text-generation" else ""


def _chat_delta_text(chunk: Body) -> str:
    return "".join(str(choice.get("delta", {}).get("content") or "") for choice in chunk["choices"])


@dataclass(frozen=True)
class Family:
    """What a user of one body family sends and reads."""

    name: str
    model_id: str
    body: Body
    response_keys: frozenset[str]
    text: Callable[[Body], str] | None  # the generated text in a unary answer; None for embeddings
    stream_text: Callable[[Body], str] | None  # one chunk's share of the text; None: no streaming
    # (input, output) token counts the body itself reports, when the family reports them.
    tokens: Callable[[Body], tuple[int, int | None]] | None
    invalid_body: Body = field(default_factory=dict)
    invalid_message: str = ""


FAMILIES = [
    Family(
        "anthropic-messages",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 60,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": USER_TEXT}],
        },
        frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"}),
        lambda b: "".join(block["text"] for block in b["content"] if block["type"] == "text"),
        _anthropic_stream_text,
        lambda b: (b["usage"]["input_tokens"], b["usage"]["output_tokens"]),
        {"anthropic_version": "bedrock-2023-05-31", "messages": [{"role": "user", "content": USER_TEXT}]},
        # What real Bedrock answers (recorded in public evaluation logs): the messages-schema prefix,
        # then the missing key.
        'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}'
        "#: required key [max_tokens] not found, please reformat your input and try again.",
    ),
    Family(
        "anthropic-text",
        "anthropic.claude-v2:1",
        {"prompt": f"\n\nHuman: {USER_TEXT}\n\nAssistant:", "max_tokens_to_sample": 60},
        frozenset({"completion", "stop_reason", "stop"}),
        lambda b: str(b["completion"]),
        lambda c: str(c["completion"]),
        None,
        {"prompt": f"\n\nHuman: {USER_TEXT}\n\nAssistant:"},
        "Malformed input request: #: required key [max_tokens_to_sample] not found, please reformat your input and try again.",
    ),
    Family(
        "titan-text",
        "amazon.titan-text-express-v1",
        {"inputText": USER_TEXT, "textGenerationConfig": {"maxTokenCount": 60, "temperature": 0.5}},
        frozenset({"inputTextTokenCount", "results"}),
        lambda b: str(b["results"][0]["outputText"]),
        lambda c: str(c["outputText"]),
        lambda b: (b["inputTextTokenCount"], b["results"][0]["tokenCount"]),
        {"textGenerationConfig": {"maxTokenCount": 60}},
        "Malformed input request: #: required key [inputText] not found, please reformat your input and try again.",
    ),
    Family(
        "titan-embed-v1",
        "amazon.titan-embed-text-v1",
        {"inputText": USER_TEXT},
        frozenset({"embedding", "inputTextTokenCount"}),
        None,
        None,
        lambda b: (b["inputTextTokenCount"], None),
        {},
        # Titan Embeddings report violations tersely, without the "#: " pointer.
        "Malformed input request: required key [inputText] not found, please reformat your input and try again.",
    ),
    Family(
        "titan-embed-v2",
        "amazon.titan-embed-text-v2:0",
        {"inputText": USER_TEXT, "dimensions": 256, "normalize": True},
        frozenset({"embedding", "embeddingsByType", "inputTextTokenCount"}),
        None,
        None,
        lambda b: (b["inputTextTokenCount"], None),
        {},
        # Titan Embeddings report violations tersely, without the "#: " pointer.
        "Malformed input request: required key [inputText] not found, please reformat your input and try again.",
    ),
    Family(
        "titan-embed-image",
        "amazon.titan-embed-image-v1",
        {"inputText": USER_TEXT, "embeddingConfig": {"outputEmbeddingLength": 256}},
        frozenset({"embedding", "inputTextTokenCount"}),
        None,
        None,
        lambda b: (b["inputTextTokenCount"], None),
        {},
        # Neither inputText nor inputImage (tests/contract/test_titan_multimodal_embeddings.py).
        "Malformed input request, please reformat your input and try again.",
    ),
    Family(
        "nova",
        "amazon.nova-micro-v1:0",
        {
            "schemaVersion": "messages-v1",
            "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": USER_TEXT}]}],
            "inferenceConfig": {"maxTokens": 60},
        },
        frozenset({"output", "stopReason", "usage"}),
        lambda b: "".join(block.get("text", "") for block in b["output"]["message"]["content"]),
        _nova_stream_text,
        lambda b: (b["usage"]["inputTokens"], b["usage"]["outputTokens"]),
        {"inferenceConfig": {"maxTokens": 60}},
        "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
    ),
    Family(
        "llama",
        "meta.llama3-1-70b-instruct-v1:0",
        {"prompt": USER_TEXT, "max_gen_len": 60, "temperature": 0.2},
        frozenset({"generation", "prompt_token_count", "generation_token_count", "stop_reason"}),
        lambda b: str(b["generation"]),
        lambda c: str(c["generation"]),
        lambda b: (b["prompt_token_count"], b["generation_token_count"]),
        {"max_gen_len": 60},
        "Malformed input request: #: required key [prompt] not found, please reformat your input and try again.",
    ),
    Family(
        "mistral",
        "mistral.mistral-large-2402-v1:0",
        {"prompt": f"<s>[INST] {USER_TEXT} [/INST]", "max_tokens": 60},
        frozenset({"outputs"}),
        lambda b: str(b["outputs"][0]["text"]),
        lambda c: str(c["outputs"][0]["text"]),
        None,
        {"max_tokens": 60},
        "Malformed input request: #: required key [prompt] not found, please reformat your input and try again.",
    ),
    Family(
        "mistral-chat",
        "mistral.mistral-large-2407-v1:0",
        {"messages": [{"role": "user", "content": USER_TEXT}], "max_tokens": 60},
        frozenset({"choices"}),
        lambda b: str(b["choices"][0]["message"]["content"]),
        lambda c: str(c["choices"][0]["message"]["content"] or ""),
        None,
        {"max_tokens": 60},
        "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
    ),
    Family(
        "cohere-command-r",
        "cohere.command-r-plus-v1:0",
        {"message": USER_TEXT, "max_tokens": 60},
        frozenset({"response_id", "text", "generation_id", "chat_history", "finish_reason"}),
        lambda b: str(b["text"]),
        _cohere_stream_text,
        None,
        {"max_tokens": 60},
        "Malformed input request: #: required key [message] not found, please reformat your input and try again.",
    ),
    Family(
        "cohere-embed",
        "cohere.embed-english-v3",
        {"texts": [USER_TEXT], "input_type": "search_document"},
        frozenset({"embeddings", "id", "response_type", "texts"}),
        None,
        None,
        None,
        {"texts": [USER_TEXT]},
        "Malformed input request: #: required key [input_type] not found, please reformat your input and try again.",
    ),
    Family(
        "nova-embed",
        "amazon.nova-2-multimodal-embeddings-v1:0",
        {
            "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": {
                "embeddingPurpose": "GENERIC_INDEX",
                "embeddingDimension": 256,
                "text": {"truncationMode": "END", "value": USER_TEXT},
            },
        },
        frozenset({"embeddings"}),
        None,
        None,
        None,
        {"taskType": "SINGLE_EMBEDDING"},
        "Malformed input request: #: required key [singleEmbeddingParams] not found, please reformat your input and try again.",
    ),
    Family(
        "cohere-rerank",
        "cohere.rerank-v3-5:0",
        {"query": USER_TEXT, "documents": ["The Danube and the Rhine.", "Mount Everest."], "api_version": 2},
        frozenset({"results"}),
        None,
        None,
        None,
        {"query": USER_TEXT, "api_version": 2},
        "Malformed input request: #: required key [documents] not found, please reformat your input and try again.",
    ),
    Family(
        "amazon-rerank",
        "amazon.rerank-v1:0",
        {"query": USER_TEXT, "documents": ["The Danube and the Rhine.", "Mount Everest."]},
        frozenset({"results"}),
        None,
        None,
        None,
        {"query": USER_TEXT},
        "Malformed input request: required key [documents] not found, please reformat your input and try again.",
    ),
    Family(
        "ai21-jamba",
        "ai21.jamba-1-5-large-v1:0",
        {"messages": [{"role": "user", "content": USER_TEXT}], "max_tokens": 60},
        frozenset({"id", "choices", "usage", "meta", "model"}),
        lambda b: str(b["choices"][0]["message"]["content"]),
        _chat_delta_text,
        lambda b: (b["usage"]["prompt_tokens"], b["usage"]["completion_tokens"]),
        {"max_tokens": 60},
        "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
    ),
    Family(
        "openai-chat",
        "openai.gpt-oss-20b-1:0",
        {"messages": [{"role": "user", "content": USER_TEXT}], "max_completion_tokens": 60},
        frozenset({"id", "object", "created", "model", "choices", "usage"}),
        lambda b: str(b["choices"][0]["message"]["content"]),
        _chat_delta_text,
        lambda b: (b["usage"]["prompt_tokens"], b["usage"]["completion_tokens"]),
        {"max_completion_tokens": 60},
        "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
    ),
    Family(
        "deepseek",
        "us.deepseek.r1-v1:0",
        {"prompt": USER_TEXT, "max_tokens": 60},
        frozenset({"choices"}),
        lambda b: str(b["choices"][0]["text"]),
        lambda c: str(c["choices"][0]["text"]),
        None,
        {"max_tokens": 60},
        "Malformed input request: #: required key [prompt] not found, please reformat your input and try again.",
    ),
]

BY_NAME = {family.name: family for family in FAMILIES}
STREAMING = [family for family in FAMILIES if family.stream_text is not None]
IDS = [family.name for family in FAMILIES]


def test_every_provider_family_is_covered_by_one_model() -> None:
    from emulator.providers import PROVIDERS

    assert set(BY_NAME) == set(PROVIDERS)
    for family in FAMILIES:
        resolved = catalog.resolve(family.model_id, region="us-east-1")
        assert resolved.model.body_family == family.name, family.model_id


def _retired(model_id: str) -> bool:
    return catalog.resolve(model_id, region="us-east-1").model.is_retired()


def _invoke(bedrock_emulator: BedrockEmulator, family: Family) -> tuple[Body, dict[str, str]]:
    response = bedrock_emulator.client().invoke_model(
        modelId=family.model_id,
        body=json.dumps(family.body),
        contentType="application/json",
        accept="application/json",
    )
    assert response["contentType"] == "application/json"
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_invoke_model_answers_in_the_family_shape_with_agreeing_token_headers(
    bedrock_emulator: BedrockEmulator, family: Family
) -> None:
    body, headers = _invoke(bedrock_emulator, family)

    assert set(body) == family.response_keys
    if family.text is not None:
        assert family.text(body).strip()
    input_tokens = int(headers["x-amzn-bedrock-input-token-count"])
    assert input_tokens > 0
    assert int(headers["x-amzn-bedrock-invocation-latency"]) > 0
    embedding = family.text is None
    assert ("x-amzn-bedrock-output-token-count" in headers) is not embedding
    if family.tokens is not None:
        body_input, body_output = family.tokens(body)
        assert body_input == input_tokens
        if body_output is not None:
            assert body_output == int(headers["x-amzn-bedrock-output-token-count"])
    assert ("x-bedrock-emulator-warning" in headers) == _retired(family.model_id)
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.input_tokens) == ("InvokeModel", 200, input_tokens)


def test_a_retired_model_is_served_with_a_warning_naming_its_end_of_life(
    bedrock_emulator: BedrockEmulator,
) -> None:
    family = BY_NAME["anthropic-text"]
    _, headers = _invoke(bedrock_emulator, family)

    eol = catalog.resolve(family.model_id, region="us-east-1").model.eol_date
    assert eol is not None
    assert headers["x-bedrock-emulator-warning"] == (
        f"{family.model_id} reached its end of life on {eol.isoformat()}; "
        "real Bedrock answers ResourceNotFoundException"
    )
    [entry] = bedrock_emulator.requests()
    assert entry.warnings == [headers["x-bedrock-emulator-warning"]]


@pytest.mark.parametrize("family", STREAMING, ids=[f.name for f in STREAMING])
def test_stream_chunks_rebuild_the_invoke_text_and_end_with_invocation_metrics(
    bedrock_emulator: BedrockEmulator, family: Family
) -> None:
    assert family.text is not None
    assert family.stream_text is not None
    unary, headers = _invoke(bedrock_emulator, family)

    response = bedrock_emulator.client().invoke_model_with_response_stream(
        modelId=family.model_id, body=json.dumps(family.body), contentType="application/json"
    )
    assert response["contentType"] == "application/json"  # from X-Amzn-Bedrock-Content-Type
    chunks = []
    for event in response["body"]:
        assert set(event) == {"chunk"}
        chunks.append(json.loads(event["chunk"]["bytes"]))

    assert len(chunks) > 2
    assert "".join(family.stream_text(chunk) for chunk in chunks) == family.text(unary)
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert all("amazon-bedrock-invocationMetrics" not in chunk for chunk in chunks[:-1])
    assert set(metrics) >= {"inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency"}
    assert metrics["inputTokenCount"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert metrics["outputTokenCount"] == int(headers["x-amzn-bedrock-output-token-count"])
    assert 0 < metrics["firstByteLatency"] <= metrics["invocationLatency"]
    entries = bedrock_emulator.requests("InvokeModelWithResponseStream")
    assert [(e.status, e.stream_end, e.events_sent) for e in entries] == [(200, "completed", len(chunks))]


@pytest.mark.parametrize(
    "family",
    [f for f in FAMILIES if f.stream_text is None],
    ids=[f.name for f in FAMILIES if not f.stream_text],
)
def test_embedding_models_refuse_streaming_as_bedrock_does(
    bedrock_emulator: BedrockEmulator, family: Family
) -> None:
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        client.invoke_model_with_response_stream(modelId=family.model_id, body=json.dumps(family.body))
    assert excinfo.value.response["Error"]["Message"] == "The model is unsupported for streaming."


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_a_body_without_its_required_key_gets_the_malformed_input_message(
    bedrock_emulator: BedrockEmulator, family: Family
) -> None:
    client = bedrock_emulator.client()
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        client.invoke_model(modelId=family.model_id, body=json.dumps(family.invalid_body))

    error = excinfo.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"] == family.invalid_message
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
