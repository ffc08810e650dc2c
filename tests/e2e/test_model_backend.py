"""``serve --model-backend URL``: answers written by a model behind an OpenAI-compatible chat-completions
server, everything Bedrock-shaped still the emulator's (docs/model-backend.md).

The backend is a small real HTTP server on an ephemeral 127.0.0.1 port that answers as an OpenAI-compatible
server does (text, tool_calls, usage) and records what it was sent; the emulator serves with the option
and boto3 drives it over a socket.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError
from serve_process import ServeProcess

from emulator.app import create_app
from emulator.config_error import ConfigError
from emulator.model_backend import MAX_RESPONSE_BYTES
from emulator.pytest_plugin import BedrockEmulator
from emulator.server import EmulatorServer
from emulator.settings import Settings

NOVA = "amazon.nova-micro-v1:0"
HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_46 = "us.anthropic.claude-sonnet-4-6"  # structured output
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"  # extended thinking with a budget
LLAMA = "meta.llama3-8b-instruct-v1:0"
BACKEND_MODEL = "tiny-model"
TIMEOUT = 1.0  # seconds the emulator waits for the backend in these tests

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "The weather in a city",
                "inputSchema": {"json": WEATHER_SCHEMA},
            }
        }
    ]
}


@dataclass
class Answer:
    body: bytes
    status: int = 200
    delay: float = 0.0


@dataclass
class FakeChatServer:
    """An OpenAI-compatible chat-completions server: answers what a test queued (else a short text), and
    records each request's path and JSON body."""

    requests: list[tuple[str, Any]] = field(default_factory=list)
    queued: list[Answer] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def queue(self, answer: Answer) -> None:
        self.queued.append(answer)

    def serve(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fake.requests.append((self.path, json.loads(body)))
                answer = fake.queued.pop(0) if fake.queued else Answer(completion("Hello from the backend."))
                if answer.delay:
                    fake.released.wait(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the emulator gave up waiting and closed the connection
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd


def completion(
    content: str | None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str = "stop",
    usage: dict[str, int] | None = None,
) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return json.dumps(
        {
            "id": "chatcmpl-123",
            "object": "chat.completion",
            "created": 1700000000,
            "model": BACKEND_MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
        }
    ).encode()


def _serve(settings: Settings) -> EmulatorServer:
    return EmulatorServer(create_app(settings), "127.0.0.1", 0).start()


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[FakeChatServer, str]]:
    fake = FakeChatServer()
    httpd = fake.serve()
    yield fake, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    fake.released.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def served(backend: tuple[FakeChatServer, str]) -> Iterator[EmulatorServer]:
    settings = Settings(
        port=0,
        model_backend=backend[1],
        model_backend_model=BACKEND_MODEL,
        model_backend_timeout=TIMEOUT,
    )
    server = _serve(settings)
    yield server
    server.stop()


@pytest.fixture
def fake(backend: tuple[FakeChatServer, str]) -> Iterator[FakeChatServer]:
    backend[0].requests.clear()
    backend[0].queued.clear()
    yield backend[0]
    backend[0].queued.clear()


@pytest.fixture
def emulator(served: EmulatorServer) -> Iterator[BedrockEmulator]:
    handle = BedrockEmulator(served, f"backend-{id(object())}")
    yield handle
    handle.close()


def say(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


# -- Converse ----------------------------------------------------------------------------------------


def test_converse_text_usage_and_the_request_the_backend_got(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    response = emulator.client().converse(
        modelId=NOVA,
        system=[{"text": "You are terse."}],
        messages=say("Say hello."),
        inferenceConfig={"maxTokens": 100, "temperature": 0.25, "topP": 0.5, "stopSequences": ["END"]},
    )
    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "Hello from the backend."}],
    }
    assert response["stopReason"] == "end_turn"
    assert {k: response["usage"][k] for k in ("inputTokens", "outputTokens", "totalTokens")} == {
        "inputTokens": 11,
        "outputTokens": 5,
        "totalTokens": 16,
    }
    assert response["metrics"]["latencyMs"] > 0
    [(path, sent)] = fake.requests
    assert path == "/v1/chat/completions"
    assert sent == {
        "model": BACKEND_MODEL,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Say hello."},
        ],
        "max_tokens": 100,
        "stream": False,
        "seed": 0,
        "temperature": 0.25,
        "top_p": 0.5,
        "stop": ["END"],
    }


def test_tool_use_round_trip(emulator: BedrockEmulator, fake: FakeChatServer) -> None:
    runtime = emulator.client()
    call = {
        "id": "call_abc",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'},
    }
    fake.queue(Answer(completion(None, tool_calls=[call], finish="tool_calls")))
    first = runtime.converse(modelId=NOVA, messages=say("Weather in Lisbon?"), toolConfig=TOOLS)
    assert first["stopReason"] == "tool_use"
    [block] = first["output"]["message"]["content"]
    tool_use = block["toolUse"]
    assert tool_use["name"] == "get_weather"
    assert tool_use["input"] == {"city": "Lisbon"}
    assert tool_use["toolUseId"].startswith("tooluse_")  # Bedrock's id, not the backend's call_abc
    sent = fake.requests[0][1]
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city",
                "parameters": WEATHER_SCHEMA,
            },
        }
    ]
    assert sent["tool_choice"] == "auto"

    fake.queue(Answer(completion("It is sunny in Lisbon.")))
    result = {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"json": {"sky": "sunny"}}]}}
    follow_up = [
        *say("Weather in Lisbon?"),
        first["output"]["message"],
        {"role": "user", "content": [result]},
    ]
    second = runtime.converse(modelId=NOVA, messages=follow_up, toolConfig=TOOLS)
    assert second["output"]["message"]["content"] == [{"text": "It is sunny in Lisbon."}]
    assert second["stopReason"] == "end_turn"
    assert fake.requests[1][1]["messages"] == [
        {"role": "user", "content": "Weather in Lisbon?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": tool_use["toolUseId"],
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": tool_use["toolUseId"], "content": '{"sky": "sunny"}'},
    ]


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ({"any": {}}, "required"),
        ({"tool": {"name": "get_weather"}}, {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_tool_choice_is_translated(
    emulator: BedrockEmulator, fake: FakeChatServer, choice: dict[str, Any], sent: Any
) -> None:
    emulator.client().converse(
        modelId=NOVA, messages=say("Weather?"), toolConfig={**TOOLS, "toolChoice": choice}
    )
    assert fake.requests[0][1]["tool_choice"] == sent


def test_structured_output_asks_for_the_schema(emulator: BedrockEmulator, fake: FakeChatServer) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    fake.queue(Answer(completion('{"city": "Paris"}')))
    output_config = {
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "City"}},
        }
    }
    response = emulator.client().converse(
        modelId=SONNET_46, messages=say("Where were the 2024 Olympics?"), outputConfig=output_config
    )
    assert response["output"]["message"]["content"] == [{"text": '{"city": "Paris"}'}]
    assert fake.requests[0][1]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }


def test_converse_stream_cuts_the_answer_into_bedrock_deltas(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    text = "The quick brown fox jumps over the lazy dog, and then it rests in the warm afternoon sun."
    fake.queue(
        Answer(completion(text, usage={"prompt_tokens": 7, "completion_tokens": 21, "total_tokens": 28}))
    )
    events = list(emulator.client().converse_stream(modelId=NOVA, messages=say("A story."))["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    deltas = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert len(deltas) > 3
    assert "".join(deltas) == text
    usage = events[-1]["metadata"]["usage"]
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (7, 21, 28)
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"


def test_converse_stream_tool_use(emulator: BedrockEmulator, fake: FakeChatServer) -> None:
    arguments = {"city": "Reykjavik", "units": "celsius"}
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": json.dumps(arguments)},
    }
    fake.queue(Answer(completion(None, tool_calls=[call], finish="tool_calls")))
    events = list(
        emulator.client().converse_stream(modelId=NOVA, messages=say("Weather?"), toolConfig=TOOLS)["stream"]
    )
    [start] = [e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e]
    assert start["name"] == "get_weather"
    assert start["toolUseId"].startswith("tooluse_")
    pieces = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    ]
    assert json.loads("".join(pieces)) == arguments
    assert [e["messageStop"]["stopReason"] for e in events if "messageStop" in e] == ["tool_use"]


def test_a_stop_sequence_the_backend_names_is_bedrocks_stop_sequence(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    reply = json.loads(completion("One, two"))
    reply["choices"][0]["stop_reason"] = "three"  # vLLM's matched stop string
    fake.queue(Answer(json.dumps(reply).encode()))
    response = emulator.client().converse(
        modelId=NOVA, messages=say("Count."), inferenceConfig={"stopSequences": ["three"]}
    )
    assert response["stopReason"] == "stop_sequence"


def test_the_backends_length_stop_is_bedrocks_max_tokens(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    fake.queue(Answer(completion("Cut short", finish="length")))
    response = emulator.client().converse(
        modelId=NOVA, messages=say("Go on."), inferenceConfig={"maxTokens": 3}
    )
    assert response["stopReason"] == "max_tokens"


def test_thinking_carries_the_backends_reasoning_in_bedrocks_block(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    reply = json.loads(completion("Tokyo."))
    reply["choices"][0]["message"]["reasoning_content"] = "The user asks about the largest city."
    fake.queue(Answer(json.dumps(reply).encode()))
    response = emulator.client().converse(
        modelId=SONNET_4,
        messages=say("What is the largest city in Japan?"),
        inferenceConfig={"maxTokens": 2048},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    reasoning, text = response["output"]["message"]["content"]
    assert reasoning["reasoningContent"]["reasoningText"]["text"] == "The user asks about the largest city."
    assert reasoning["reasoningContent"]["reasoningText"]["signature"]
    assert text == {"text": "Tokyo."}


# -- InvokeModel -------------------------------------------------------------------------------------


def _anthropic_body(**extra: Any) -> bytes:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 64,
            "system": "Answer briefly.",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            **extra,
        }
    ).encode()


def test_invoke_model_anthropic_body(emulator: BedrockEmulator, fake: FakeChatServer) -> None:
    fake.queue(Answer(completion("Paris.")))
    response = emulator.client().invoke_model(modelId=HAIKU, body=_anthropic_body(temperature=0.1))
    body = json.loads(response["body"].read())
    assert body["type"] == "message"
    assert body["role"] == "assistant"
    assert body["content"] == [{"type": "text", "text": "Paris."}]
    assert body["stop_reason"] == "end_turn"
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (11, 5)
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert (headers["x-amzn-bedrock-input-token-count"], headers["x-amzn-bedrock-output-token-count"]) == (
        "11",
        "5",
    )
    [(_, sent)] = fake.requests
    assert sent["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    assert (sent["model"], sent["max_tokens"], sent["temperature"]) == (BACKEND_MODEL, 64, 0.1)


def test_invoke_model_anthropic_tool_use(emulator: BedrockEmulator, fake: FakeChatServer) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
    }
    fake.queue(Answer(completion("Let me check.", tool_calls=[call], finish="tool_calls")))
    tools = [{"name": "get_weather", "description": "The weather in a city", "input_schema": WEATHER_SCHEMA}]
    response = emulator.client().invoke_model(modelId=HAIKU, body=_anthropic_body(tools=tools))
    body = json.loads(response["body"].read())
    assert body["stop_reason"] == "tool_use"
    assert body["content"][0] == {"type": "text", "text": "Let me check."}
    assert body["content"][1]["type"] == "tool_use"
    assert body["content"][1]["input"] == {"city": "Oslo"}
    assert body["content"][1]["id"].startswith("toolu_bdrk_")
    assert fake.requests[0][1]["tools"][0]["function"]["parameters"] == WEATHER_SCHEMA


def test_invoke_model_anthropic_tool_result_turns_are_translated(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    tools = [{"name": "get_weather", "description": "The weather in a city", "input_schema": WEATHER_SCHEMA}]
    messages = [
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "toolu_bdrk_01X",
                    "name": "get_weather",
                    "input": {"city": "Oslo"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_bdrk_01X",
                    "content": [{"type": "text", "text": "-3 C"}],
                },
                {"type": "text", "text": "And tomorrow?"},
            ],
        },
    ]
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "tools": tools, "messages": messages}
    )
    emulator.client().invoke_model(modelId=HAIKU, body=body)
    assert fake.requests[0][1]["messages"] == [
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_bdrk_01X",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_bdrk_01X", "content": "-3 C"},
        {"role": "user", "content": "And tomorrow?"},
    ]


def test_invoke_model_with_response_stream_anthropic_body(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    text = "Paris is the capital of France, on the Seine."
    fake.queue(Answer(completion(text)))
    response = emulator.client().invoke_model_with_response_stream(modelId=HAIKU, body=_anthropic_body())
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    deltas = [c["delta"]["text"] for c in chunks if c["type"] == "content_block_delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == text
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (11, 5)


def test_invoke_model_text_completion_family_sends_the_prompt(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nHi<|eot_id|>"
    fake.queue(Answer(completion("Hello there.")))
    response = emulator.client().invoke_model(
        modelId=LLAMA, body=json.dumps({"prompt": prompt, "max_gen_len": 50})
    )
    body = json.loads(response["body"].read())
    assert body["generation"] == "Hello there."
    assert fake.requests[0][1]["messages"] == [{"role": "user", "content": prompt}]


# -- scenarios on top, and failures ------------------------------------------------------------------


def test_a_scenario_fault_comes_first_and_the_backend_is_not_asked(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    emulator.use_scenario("throttle-always")
    with pytest.raises(ClientError) as raised:
        emulator.client().converse(modelId=NOVA, messages=say("Hi"))
    assert _error(raised)[:2] == (429, "ThrottlingException")
    assert fake.requests == []


def test_a_mid_stream_fault_applies_to_the_backends_answer(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    emulator.use_scenario("stream-exception-after-5")
    fake.queue(Answer(completion("One two three four five six seven eight nine ten eleven twelve.")))
    stream = emulator.client().converse_stream(modelId=NOVA, messages=say("Count."))["stream"]
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as raised:
        seen.extend(stream)
    assert len(seen) == 5
    assert raised.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert len(fake.requests) == 1


def test_a_slow_backend_is_a_model_timeout(emulator: BedrockEmulator, fake: FakeChatServer) -> None:
    fake.queue(Answer(completion("Too late."), delay=TIMEOUT * 5))
    with pytest.raises(ClientError) as raised:
        emulator.client().converse(modelId=NOVA, messages=say("Hi"))
    assert _error(raised) == (
        408,
        "ModelTimeoutException",
        "Model has timed out in processing the request. Try your request again.",
    )


@pytest.mark.parametrize(
    "answer",
    [
        Answer(b"<html>not json</html>"),
        Answer(b'{"choices": []}'),
        Answer(
            completion(
                None, tool_calls=[{"id": "x", "function": {"name": "get_weather", "arguments": "{oops"}}]
            )
        ),
        Answer(b'{"error": {"message": "out of memory"}}', status=500),
        Answer(b" " * (MAX_RESPONSE_BYTES + 1)),
    ],
    ids=["not-json", "no-choices", "bad-tool-arguments", "server-error", "too-big"],
)
def test_a_garbage_answer_is_a_model_error(
    emulator: BedrockEmulator, fake: FakeChatServer, answer: Answer
) -> None:
    fake.queue(answer)
    with pytest.raises(ClientError) as raised:
        emulator.client().converse(modelId=NOVA, messages=say("Hi"), toolConfig=TOOLS)
    assert _error(raised) == (
        424,
        "ModelErrorException",
        "The model returned an error. Try your request again.",
    )
    assert raised.value.response["originalStatusCode"] == answer.status


def test_a_refusal_of_the_backend_is_the_models_validation_error(
    emulator: BedrockEmulator, fake: FakeChatServer
) -> None:
    refusal = {"error": {"message": "model 'tiny-model' not found", "type": "invalid_request_error"}}
    fake.queue(Answer(json.dumps(refusal).encode(), status=404))
    with pytest.raises(ClientError) as raised:
        emulator.client().converse(modelId=NOVA, messages=say("Hi"))
    assert _error(raised) == (
        400,
        "ValidationException",
        "The model returned the following errors: model 'tiny-model' not found",
    )


def test_a_backend_that_is_down_is_service_unavailable() -> None:
    with socket.socket() as closed:  # a port nothing listens on once closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    server = _serve(Settings(port=0, model_backend=f"http://127.0.0.1:{port}/v1"))
    emulator = BedrockEmulator(server, "backend-down")
    try:
        runtime = emulator.client()
        with pytest.raises(ClientError) as raised:
            runtime.converse(modelId=NOVA, messages=say("Hi"))
        assert _error(raised) == (
            503,
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
        )
        with pytest.raises(ClientError) as raised:
            runtime.invoke_model(modelId=HAIKU, body=_anthropic_body())
        assert _error(raised)[:2] == (503, "ServiceUnavailableException")
        # Embeddings are no chat: the stand-in answers them whatever the backend.
        embedded = runtime.invoke_model(
            modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "hi"})
        )
        assert len(json.loads(embedded["body"].read())["embedding"]) == 1024
    finally:
        emulator.close()
        server.stop()


# -- settings ----------------------------------------------------------------------------------------


def test_settings_from_the_environment_and_a_bad_url_named() -> None:
    settings = Settings.from_sources(
        {},
        {
            "BEDROCK_EMULATOR_MODEL_BACKEND": "http://localhost:11434/v1",
            "BEDROCK_EMULATOR_MODEL_BACKEND_MODEL": "llama3.2",
            "BEDROCK_EMULATOR_MODEL_BACKEND_TIMEOUT": "2.5",
        },
    )
    assert (settings.model_backend, settings.model_backend_model, settings.model_backend_timeout) == (
        "http://localhost:11434/v1",
        "llama3.2",
        2.5,
    )
    assert Settings().model_backend is None  # no flag: the deterministic stand-in
    with pytest.raises(ConfigError, match="--model-backend"):
        Settings.from_sources({"model_backend": "localhost:11434"}, {})


def test_serve_with_the_flag(backend: tuple[FakeChatServer, str], fake: FakeChatServer) -> None:
    import boto3
    from botocore.config import Config

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEDROCK_EMULATOR_", "AWS_"))}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    command = [sys.executable, "-m", "emulator", "serve", "--port", "0", "--model-backend", backend[1]]
    process = ServeProcess([*command, "--model-backend-model", "served-name"], env)
    try:
        runtime = boto3.client(
            "bedrock-runtime",
            endpoint_url=process.endpoint_url(),
            region_name="us-east-1",
            aws_access_key_id="serve-flag",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}),
        )
        response = runtime.converse(modelId=NOVA, messages=say("Hi"))
        assert response["output"]["message"]["content"] == [{"text": "Hello from the backend."}]
        assert fake.requests[0][1]["model"] == "served-name"
    finally:
        assert process.stop() == 0
