"""Tried as a new user would: the calls the seed articles make, each with only ``endpoint_url`` and test
credentials added, asserting the fields those snippets read are there with the right types.

The calls are our own code, shaped like the articles' (the Bedrock guide's invoke / stream / converse /
count_tokens examples and the troubleshooting guide's retry loop). Where an article is itself wrong
against today's API, the test asserts what real boto3 and Bedrock answer instead:

- bare ``anthropic.claude-3-5-sonnet-20241022-v2:0`` is inference-profile only: ValidationException with
  Bedrock's on-demand message; the ``us.`` profile works (the model is also past its end of life, so
  lenient mode adds a warning header);
- ``count_tokens(messages=...)`` is not the API: botocore refuses it client-side (ParamValidationError) and
  the response key is ``inputTokens``, not ``inputTokenCount``;
- the stream loop reads ``stop_reason`` from ``message_stop``; Anthropic puts it in ``message_delta``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from emulator.pytest_plugin import BedrockEmulator

SONNET_V2 = "anthropic.claude-3-5-sonnet-20241022-v2:0"
SONNET_V2_PROFILE = "us." + SONNET_V2
ON_DEMAND_MESSAGE = (
    f"Invocation of model ID {SONNET_V2} with on-demand throughput isn\u2019t supported. Retry your request "
    "with the ID or ARN of an inference profile that contains this model."
)
CONVERSE_MODEL = "amazon.nova-micro-v1:0"


def _architect_body(**extra: Any) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 1024,
            "system": "You are a senior AWS solutions architect. Be concise and practical.",
            "messages": [{"role": "user", "content": "Compare Knowledge Bases with a custom RAG pipeline."}],
            **extra,
        }
    )


def test_claude_sonnet_v2_bare_id_is_refused_as_on_demand_unsupported(
    bedrock_emulator: BedrockEmulator,
) -> None:
    client = bedrock_emulator.client()

    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        client.invoke_model(
            modelId=SONNET_V2,
            body=_architect_body(temperature=0.3, top_p=0.9),
            contentType="application/json",
            accept="application/json",
        )

    assert excinfo.value.response["Error"]["Message"] == ON_DEMAND_MESSAGE


def test_claude_messages_invoke_with_system_temperature_and_top_p(bedrock_emulator: BedrockEmulator) -> None:
    response = bedrock_emulator.client().invoke_model(
        modelId=SONNET_V2_PROFILE,
        body=_architect_body(temperature=0.3, top_p=0.9),
        contentType="application/json",
        accept="application/json",
    )

    result = json.loads(response["body"].read())
    assert isinstance(result["content"][0]["text"], str)
    assert result["content"][0]["text"]
    usage = result["usage"]
    assert isinstance(usage["input_tokens"], int)
    assert isinstance(usage["output_tokens"], int)
    assert "x-bedrock-emulator-warning" in response["ResponseMetadata"]["HTTPHeaders"]  # retired model


def test_titan_text_express_invoke(bedrock_emulator: BedrockEmulator) -> None:
    body = {
        "inputText": "Summarise the benefits of serverless computing in five sentences.",
        "textGenerationConfig": {"maxTokenCount": 512, "temperature": 0.5, "topP": 0.9, "stopSequences": []},
    }
    response = bedrock_emulator.client().invoke_model(
        modelId="amazon.titan-text-express-v1",
        body=json.dumps(body),
        contentType="application/json",
        accept="application/json",
    )

    result = json.loads(response["body"].read())
    assert isinstance(result["results"][0]["outputText"], str)
    assert isinstance(result["results"][0]["tokenCount"], int)


def test_llama_3_1_70b_invoke_with_the_chat_template(bedrock_emulator: BedrockEmulator) -> None:
    prompt = (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
        "You teach Python.<|eot_id|>\n"
        "<|start_header_id|>user<|end_header_id|>\n"
        "Write a binary search with type hints.<|eot_id|>\n"
        "<|start_header_id|>assistant<|end_header_id|>"
    )
    response = bedrock_emulator.client().invoke_model(
        modelId="meta.llama3-1-70b-instruct-v1:0",
        body=json.dumps({"prompt": prompt, "max_gen_len": 512, "temperature": 0.2, "top_p": 0.9}),
        contentType="application/json",
        accept="application/json",
    )

    result = json.loads(response["body"].read())
    assert isinstance(result["generation"], str)
    assert result["generation"]
    assert isinstance(result["prompt_token_count"], int)
    assert isinstance(result["generation_token_count"], int)


def test_claude_stream_gives_deltas_usage_and_stop_reason_where_anthropic_puts_them(
    bedrock_emulator: BedrockEmulator,
) -> None:
    response = bedrock_emulator.client().invoke_model_with_response_stream(
        modelId=SONNET_V2_PROFILE,
        body=_architect_body(temperature=0.4),
        contentType="application/json",
        accept="application/json",
    )

    text, input_tokens, output_tokens = "", 0, 0
    stop_chunks: list[dict[str, Any]] = []
    stop_reason = None
    for event in response.get("body"):
        chunk = event.get("chunk")
        assert chunk is not None
        data = json.loads(chunk.get("bytes").decode())
        kind = data.get("type")
        if kind == "content_block_delta" and data["delta"].get("type") == "text_delta":
            text += data["delta"].get("text", "")
        elif kind == "message_start":
            input_tokens = data.get("message", {}).get("usage", {}).get("input_tokens", 0)
        elif kind == "message_delta":
            output_tokens = data.get("usage", {}).get("output_tokens", 0)
            stop_reason = data["delta"]["stop_reason"]
        elif kind == "message_stop":
            stop_chunks.append(data)

    assert text
    assert isinstance(input_tokens, int)
    assert input_tokens > 0
    assert isinstance(output_tokens, int)
    assert output_tokens > 0
    assert stop_reason in ("end_turn", "max_tokens")
    [stop] = stop_chunks
    assert "stop_reason" not in stop  # the article's message_stop.get("stop_reason") prints None


def test_converse_with_a_system_prompt(bedrock_emulator: BedrockEmulator) -> None:
    response = bedrock_emulator.client().converse(
        modelId=SONNET_V2_PROFILE,
        system=[{"text": "You are a support agent. Be helpful and concise."}],
        messages=[{"role": "user", "content": [{"text": "How do I reset my password?"}]}],
    )

    assert isinstance(response["output"]["message"]["content"][0]["text"], str)
    assert isinstance(response["usage"]["inputTokens"], int)


def test_converse_stream_counts_content_block_deltas(bedrock_emulator: BedrockEmulator) -> None:
    response = bedrock_emulator.client().converse_stream(
        modelId=CONVERSE_MODEL,
        messages=[{"role": "user", "content": [{"text": "Hello"}]}],
        inferenceConfig={"maxTokens": 1024},
    )

    deltas = 0
    metadata: dict[str, Any] = {}
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            deltas += 1
            assert isinstance(event["contentBlockDelta"]["delta"]["text"], str)
        if "metadata" in event:
            metadata = event["metadata"]

    assert deltas > 0
    assert response.get("usage", {}).get("inputTokens", 0) == 0  # a stream has no top-level usage
    assert isinstance(metadata["usage"]["inputTokens"], int)
    assert isinstance(metadata["metrics"]["latencyMs"], int)


def test_count_tokens_with_messages_is_refused_by_botocore_before_sending(
    bedrock_emulator: BedrockEmulator,
) -> None:
    client = bedrock_emulator.client()
    messages = [{"role": "user", "content": [{"text": "Summarise this document: " + "x" * 5000}]}]

    with pytest.raises(ParamValidationError):
        client.count_tokens(modelId=SONNET_V2, messages=messages)
    assert bedrock_emulator.requests() == []

    response = client.count_tokens(modelId=SONNET_V2, input={"converse": {"messages": messages}})
    assert isinstance(response["inputTokens"], int)
    assert "inputTokenCount" not in response


class RetryingConverse:
    """The troubleshooting article's retry loop, in our words: retry throttling and 5xx with exponential
    backoff, give up at once on validation, access and timeout errors."""

    def __init__(self, runtime: Any, max_retries: int = 3) -> None:
        self.runtime = runtime
        self.max_retries = max_retries
        self.backoffs: list[float] = []

    def converse(self, model_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        last: ClientError | None = None
        for attempt in range(self.max_retries):
            try:
                response: dict[str, Any] = self.runtime.converse(
                    modelId=model_id, messages=messages, inferenceConfig={"maxTokens": 1024}
                )
                return response
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                last = exc
                if code in ("ThrottlingException", "ServiceUnavailableException", "InternalServerException"):
                    self.backoffs.append(0.001 * 2**attempt)  # recorded, not slept: the test stays fast
                    continue
                raise
        assert last is not None
        raise last


HELLO = [{"role": "user", "content": [{"text": "Hello"}]}]


def test_retry_loop_recovers_after_throttling_and_service_errors(bedrock_emulator: BedrockEmulator) -> None:
    name = bedrock_emulator.load_scenario(
        f"""
version: 1
name: {bedrock_emulator.tenant}-flaky
rules:
  - id: throttled
    take: {{nth: [1]}}
    error: ThrottlingException
  - id: unavailable
    match: {{operations: [Converse]}}
    take: {{nth: [1]}}
    error: ServiceUnavailableException
"""
    )
    try:
        bedrock_emulator.use_scenario(name)
        loop = RetryingConverse(bedrock_emulator.client())

        response = loop.converse(CONVERSE_MODEL, HELLO)

        assert isinstance(response["output"]["message"]["content"][0]["text"], str)
        assert isinstance(response["usage"]["outputTokens"], int)
        assert loop.backoffs == [0.001, 0.002]
        assert [(r.status, r.error_code) for r in bedrock_emulator.requests()] == [
            (429, "ThrottlingException"),
            (503, "ServiceUnavailableException"),
            (200, None),
        ]
    finally:
        bedrock_emulator.admin("DELETE", f"scenarios/{name}")


def test_retry_loop_gives_up_after_three_throttled_attempts(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.use_scenario("throttle-always")
    loop = RetryingConverse(bedrock_emulator.client())

    with pytest.raises(ClientError) as excinfo:
        loop.converse(CONVERSE_MODEL, HELLO)

    assert excinfo.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(bedrock_emulator.requests()) == 3


@pytest.mark.parametrize(
    ("model_id", "scenario", "code", "message"),
    [
        (
            "amazon.nova-nonexistent-v9:0",
            None,
            "ValidationException",
            "The provided model identifier is invalid.",
        ),
        (
            "anthropic.claude-3-opus-20240229-v1:0",
            "access-denied-one-model",
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        ),
    ],
    ids=["validation", "access-denied"],
)
def test_retry_loop_does_not_retry_errors_a_retry_cannot_fix(
    bedrock_emulator: BedrockEmulator, model_id: str, scenario: str | None, code: str, message: str
) -> None:
    if scenario is not None:
        bedrock_emulator.use_scenario(scenario)
    loop = RetryingConverse(bedrock_emulator.client())

    with pytest.raises(ClientError) as excinfo:
        loop.converse(model_id, HELLO)

    assert (excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]) == (
        code,
        message,
    )
    assert len(bedrock_emulator.requests()) == 1
