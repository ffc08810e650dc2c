"""LangChain's Bedrock integration (``langchain-aws``), unmodified, against the emulator.

Wire habits of this client (found by running it here): it is boto3 underneath (``endpoint_url`` goes to
``boto3.client("bedrock-runtime", ...)``), so the model id's ``:`` travels as ``%3A``.
``ChatBedrockConverse`` uses Converse / ConverseStream; it calls ConverseStream only for model ids it
has verified as streaming-capable (others, e.g. an unknown id, fall back to Converse with a logged
warning), reads ``usage``, ``stopReason`` and ``metrics``, and turns ``toolUse`` blocks into ``tool_calls``. ``ChatBedrock`` uses InvokeModel /
InvokeModelWithResponseStream with an Anthropic Messages body (``anthropic_version: bedrock-2023-05-31``)
and sends ``X-Amzn-Bedrock-Accept`` on the stream. ``BedrockEmbeddings`` posts a Titan body to InvokeModel
with ``Accept: application/json``, one call per text.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

langchain_aws = pytest.importorskip("langchain_aws")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
FOUNDATION_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0"


class GetWeather(BaseModel):
    """Get the current weather for a city."""

    city: str = Field(description="The city, e.g. Paris")
    unit: Literal["celsius", "fahrenheit"] = Field(description="Temperature unit")
    days: int = Field(default=1, ge=1, le=7, description="How many days to forecast")


def _connection(bedrock_emulator: Any) -> dict[str, Any]:
    return {
        "endpoint_url": bedrock_emulator.endpoint_url,
        "region_name": "us-east-1",
        "aws_access_key_id": bedrock_emulator.tenant,
        "aws_secret_access_key": "emulator",
    }


def _converse_model(bedrock_emulator: Any, model: str = PROFILE, **options: Any) -> Any:
    options.setdefault("max_tokens", 64)
    return langchain_aws.ChatBedrockConverse(model=model, **options, **_connection(bedrock_emulator))


def test_converse_invoke_returns_ai_message_with_usage(bedrock_emulator: Any) -> None:
    answer = _converse_model(bedrock_emulator).invoke("Tell me a short fact.")

    assert isinstance(answer.content, str)
    assert answer.content.strip()
    assert answer.response_metadata["stopReason"] in ("end_turn", "max_tokens")
    usage = answer.usage_metadata
    assert 0 < usage["output_tokens"] <= 64
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.model) == ("Converse", 200, FOUNDATION_MODEL)


def test_converse_stream_chunks_add_up_to_the_answer(bedrock_emulator: Any) -> None:
    chunks = list(_converse_model(bedrock_emulator).stream("Tell me a short fact."))

    assert len(chunks) > 3
    message = functools.reduce(operator.add, chunks)
    text = (
        message.content
        if isinstance(message.content, str)
        else "".join(part.get("text", "") for part in message.content if isinstance(part, dict))
    )
    assert text.strip()
    assert message.response_metadata["stopReason"] in ("end_turn", "max_tokens")
    assert 0 < message.usage_metadata["output_tokens"] <= 64
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.stream_end) == ("ConverseStream", 200, "completed")


def test_bind_tools_with_pydantic_tool_returns_tool_call_whose_args_validate(bedrock_emulator: Any) -> None:
    llm = _converse_model(bedrock_emulator, max_tokens=200).bind_tools([GetWeather], tool_choice="GetWeather")

    answer = llm.invoke("What's the weather in Paris?")

    [call] = answer.tool_calls
    assert call["name"] == "GetWeather"
    assert call["id"]
    GetWeather.model_validate(call["args"])
    assert answer.response_metadata["stopReason"] == "tool_use"


def test_with_structured_output_returns_a_validated_pydantic_object(bedrock_emulator: Any) -> None:
    llm = _converse_model(bedrock_emulator, max_tokens=200).with_structured_output(GetWeather)

    weather = llm.invoke("What's the weather in Oslo for the next three days?")

    assert isinstance(weather, GetWeather)
    assert weather.unit in ("celsius", "fahrenheit")


def test_converse_unknown_model_raises_validation_exception(bedrock_emulator: Any) -> None:
    llm = _converse_model(bedrock_emulator, model="anthropic.claude-nonexistent-v9:0")

    with pytest.raises(botocore_exceptions.ClientError) as caught:
        llm.invoke("Hi")

    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "The provided model identifier is invalid.",
    }
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status) == ("Converse", 400)


def test_chat_bedrock_invoke_and_stream_use_invoke_model_with_anthropic_body(bedrock_emulator: Any) -> None:
    llm = langchain_aws.ChatBedrock(
        model_id=PROFILE, model_kwargs={"max_tokens": 40}, **_connection(bedrock_emulator)
    )

    answer = llm.invoke("Hi")
    chunks = list(llm.stream("Hi"))

    assert isinstance(answer.content, str)
    assert answer.content.strip()
    assert 0 < answer.usage_metadata["output_tokens"] <= 40
    streamed = functools.reduce(operator.add, chunks)
    assert isinstance(streamed.content, str)
    assert streamed.content.strip()
    assert [(e.operation, e.status) for e in bedrock_emulator.requests()] == [
        ("InvokeModel", 200),
        ("InvokeModelWithResponseStream", 200),
    ]


def test_bedrock_embeddings_titan_v2_returns_unit_vectors_of_1024_dimensions(bedrock_emulator: Any) -> None:
    embeddings = langchain_aws.BedrockEmbeddings(model_id=EMBEDDING_MODEL, **_connection(bedrock_emulator))

    query = embeddings.embed_query("What is Amazon Bedrock?")
    documents = embeddings.embed_documents(["What is Amazon Bedrock?", "A recipe for bread."])

    assert len(query) == 1024
    assert math.isclose(math.fsum(x * x for x in query), 1.0, rel_tol=1e-4)
    assert [len(d) for d in documents] == [1024, 1024]
    assert documents[0] == query  # deterministic: the same text embeds the same
    assert documents[1] != query
    assert {(e.operation, e.status, e.model) for e in bedrock_emulator.requests()} == {
        ("InvokeModel", 200, EMBEDDING_MODEL)
    }
