"""bedrock_emulator_clients.sse_gateway: the Flask gateway served on a real socket, the emulator behind it, and a real
HTTP client (httpx) reading the Server-Sent Events as a browser would: tokens relayed as they come, the
stream breaking under ``stream-exception-after-5``, keep-alives during ``slow-first-token``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.serving import make_server

from bedrock_emulator_clients.sse_gateway import create_gateway
from emulator.pytest_plugin import BedrockEmulator

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


@dataclass
class Received:
    """One thing read off the SSE stream: an event (with its JSON data) or a comment, and when."""

    at: float
    event: str | None
    data: dict[str, Any] | None
    comment: str | None = None


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    servers: list[Any] = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def read_sse(url: str, **request: Any) -> tuple[httpx.Response, list[Received]]:
    """POST and read the whole event stream, parsed line by line as EventSource does."""
    received: list[Received] = []
    started = time.perf_counter()
    with httpx.Client(timeout=10) as http, http.stream("POST", url, **request) as response:
        event: str | None = None
        data: list[str] = []
        for line in response.iter_lines():
            now = time.perf_counter() - started
            if line.startswith(":"):
                received.append(Received(now, None, None, line[1:].strip()))
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and event is not None:
                received.append(Received(now, event, json.loads("\n".join(data))))
                event, data = None, []
    return response, received


def events(received: list[Received], name: str) -> list[Received]:
    return [r for r in received if r.event == name]


def test_tokens_are_relayed_as_server_sent_events(bedrock_emulator: BedrockEmulator, serve: Any) -> None:
    url = serve(create_gateway(bedrock_emulator.client(), model_id=MODEL))

    response, received = read_sse(f"{url}/chat", json={"prompt": "Tell me about the ocean."})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert received[0].comment == "connected"
    tokens = events(received, "token")
    assert len(tokens) > 1
    (done,) = events(received, "done")
    assert received[-1] is done
    assert done.data is not None
    assert done.data["stopReason"] == "end_turn"
    assert done.data["usage"]["outputTokens"] > 0
    # The text the browser assembled is the model's answer, as a direct ConverseStream call gets it.
    direct = bedrock_emulator.client().converse(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": "Tell me about the ocean."}]}],
        inferenceConfig={"maxTokens": 1024},
    )
    text = "".join(t.data["text"] for t in tokens if t.data)
    assert text == direct["output"]["message"]["content"][0]["text"]


def test_an_in_stream_exception_becomes_an_error_event_after_the_tokens_sent(
    bedrock_emulator: BedrockEmulator, serve: Any
) -> None:
    bedrock_emulator.use_scenario("stream-exception-after-5")
    url = serve(create_gateway(bedrock_emulator.client(), model_id=MODEL))

    _response, received = read_sse(f"{url}/chat", json={"prompt": "Tell me about the ocean."})

    # 5 events: messageStart and 4 text deltas; then modelStreamErrorException inside the stream.
    assert len(events(received, "token")) == 4
    assert events(received, "done") == []
    (error,) = events(received, "error")
    assert received[-1] is error
    assert error.data == {
        "code": "ModelStreamErrorException",
        "message": "The system encountered an unexpected error during processing. Try your request again.",
        "retryable": True,
    }
    (entry,) = bedrock_emulator.requests("ConverseStream")
    assert entry.stream_end == "exception"


def test_a_slow_first_token_is_preceded_by_the_open_stream_and_keep_alives(
    bedrock_emulator: BedrockEmulator, serve: Any, shipped_faster: Callable[[str, float], str]
) -> None:
    shipped_faster("slow-first-token", 0.2)  # the shipped 2 s first event, 30 ms gaps: 0.4 s, 6 ms
    url = serve(create_gateway(bedrock_emulator.client(), model_id=MODEL, heartbeat=0.05))

    _response, received = read_sse(f"{url}/chat", json={"prompt": "Tell me about the ocean."})

    first_token = events(received, "token")[0]
    assert received[0].comment == "connected"
    assert received[0].at < 0.3  # the browser knows the answer is coming long before the token
    keep_alives = [r for r in received if r.comment == "keep-alive" and r.at < first_token.at]
    assert len(keep_alives) >= 3
    assert first_token.at >= 0.4
    (done,) = events(received, "done")
    assert done.data is not None
    assert done.data["timeToFirstToken"] >= 0.4


def test_a_refused_call_is_an_error_event(bedrock_emulator: BedrockEmulator, serve: Any) -> None:
    bedrock_emulator.use_scenario("throttle-always")
    url = serve(create_gateway(bedrock_emulator.client(), model_id=MODEL))

    _response, received = read_sse(f"{url}/chat", json={"prompt": "Hello"})

    (error,) = events(received, "error")
    assert error.data is not None
    assert (error.data["code"], error.data["retryable"]) == ("ThrottlingException", True)


@pytest.mark.parametrize(
    "body",
    [{"prompt": ""}, {"prompt": "x" * 100_001}, {"messages": []}, {"messages": "hi"}, ["prompt"]],
)
def test_bad_requests_are_refused_before_calling_bedrock(
    bedrock_emulator: BedrockEmulator, serve: Any, body: Any
) -> None:
    url = serve(create_gateway(bedrock_emulator.client(), model_id=MODEL))

    response = httpx.post(f"{url}/chat", json=body, timeout=10)

    assert response.status_code == 400
    assert "message" in response.json()
    assert bedrock_emulator.requests("ConverseStream") == []


def test_event_source_can_use_get(bedrock_emulator: BedrockEmulator, serve: Any) -> None:
    url = serve(create_gateway(bedrock_emulator.client(), model_id=MODEL))

    with httpx.stream("GET", f"{url}/chat", params={"prompt": "Hi there"}, timeout=10) as response:
        body = response.read().decode()

    assert "event: token" in body
    assert body.rstrip().split("\n\n")[-1].startswith("event: done")
