"""InvokeModelWithBidirectionalStream (Amazon Nova Sonic) on the wire: an HTTP/2 client written with the
``h2`` package sends input events while it reads the answer, frame by frame, over a real socket.
The AWS SDK for JavaScript's own client is in tests/e2e/test_js_sdk.py."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from typing import Any

import h2.config
import h2.connection
import h2.events
import pytest
from botocore.eventstream import EventStreamBuffer

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings
from emulator.wire.eventstream import encode_event

MODEL = "amazon.nova-2-sonic-v1:0"
PROMPT = "p-1"
AUDIO_CONFIG = {
    "mediaType": "audio/lpcm",
    "sampleRateHertz": 16000,
    "sampleSizeBits": 16,
    "channelCount": 1,
    "audioType": "SPEECH",
    "encoding": "base64",
}
WEATHER_TOOL = {
    "toolSpec": {
        "name": "getWeather",
        "description": "The weather in a city",
        "inputSchema": {
            "json": json.dumps(
                {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
            )
        },
    }
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    started = EmulatorServer(create_app(Settings(port=0)), "127.0.0.1", 0).start()
    yield started
    started.stop()


def event(name: str, **body: Any) -> dict[str, Any]:
    return {name: body}


def opening(tools: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    prompt: dict[str, Any] = {
        "promptName": PROMPT,
        "textOutputConfiguration": {"mediaType": "text/plain"},
        "audioOutputConfiguration": {**AUDIO_CONFIG, "sampleRateHertz": 24000, "voiceId": "tiffany"},
    }
    if tools:
        prompt["toolConfiguration"] = {"tools": tools}
    return [
        event("sessionStart", inferenceConfiguration={"maxTokens": 200, "topP": 0.9, "temperature": 0.7}),
        event("promptStart", **prompt),
        event(
            "contentStart",
            promptName=PROMPT,
            contentName="sys",
            type="TEXT",
            interactive=False,
            role="SYSTEM",
            textInputConfiguration={"mediaType": "text/plain"},
        ),
        event("textInput", promptName=PROMPT, contentName="sys", content="You are brief."),
        event("contentEnd", promptName=PROMPT, contentName="sys"),
    ]


def user_audio(name: str = "mic", frames: int = 5) -> list[dict[str, Any]]:
    frame = base64.b64encode(bytes(range(256)) * 4).decode()
    return [
        event(
            "contentStart",
            promptName=PROMPT,
            contentName=name,
            type="AUDIO",
            interactive=True,
            role="USER",
            audioInputConfiguration=AUDIO_CONFIG,
        ),
        *[event("audioInput", promptName=PROMPT, contentName=name, content=frame) for _ in range(frames)],
        event("contentEnd", promptName=PROMPT, contentName=name),
    ]


CLOSING = [event("promptEnd", promptName=PROMPT), event("sessionEnd")]


class Session:
    """One bidirectional stream: send events, read the model's as they come."""

    def __init__(self, server: EmulatorServer, *, tenant: str, model: str = MODEL) -> None:
        host, port = server.endpoint_url.removeprefix("http://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.stream = self.conn.get_next_available_stream_id()
        path = f"/model/{model.replace(':', '%3A')}/invoke-with-bidirectional-stream"
        self.conn.send_headers(
            self.stream,
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", f"{host}:{port}"),
                (":path", path),
                ("content-type", "application/vnd.amazon.eventstream"),
                (
                    "authorization",
                    f"AWS4-HMAC-SHA256 Credential={tenant}/20261207/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=0",
                ),
            ],
        )
        self.sock.sendall(self.conn.data_to_send())
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.frames = EventStreamBuffer()
        self.received: list[tuple[str, str, Any]] = []  # (message type, event or exception type, body)
        self.ended = False

    def send(self, *events: dict[str, Any], end: bool = False) -> None:
        for item in events:
            payload = {"bytes": base64.b64encode(json.dumps({"event": item}).encode()).decode()}
            self.conn.send_data(self.stream, encode_event("chunk", payload))
        if end:
            self.conn.end_stream(self.stream)
        self.sock.sendall(self.conn.data_to_send())

    def read_until(self, done: Any) -> list[tuple[str, str, Any]]:
        while not self.ended and not done(self.received):
            data = self.sock.recv(65536)
            if not data:
                break
            for happened in self.conn.receive_data(data):
                if isinstance(happened, h2.events.ResponseReceived):
                    headers = {bytes(k).decode(): bytes(v).decode() for k, v in happened.headers}
                    self.status, self.headers = int(headers[":status"]), headers
                elif isinstance(happened, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(happened.flow_controlled_length, happened.stream_id)
                    if self.status == 200:
                        self._take(happened.data)
                    else:
                        error_type = self.headers.get("x-amzn-errortype", "").split(":")[0]
                        self.received.append(("error", error_type, json.loads(happened.data)))
                elif isinstance(happened, h2.events.StreamEnded | h2.events.StreamReset):
                    self.ended = True
            self.sock.sendall(self.conn.data_to_send())
        return self.received

    def _take(self, data: bytes) -> None:
        self.frames.add_data(data)
        for message in self.frames:
            kind = message.headers[":message-type"]
            if kind == "event":
                body = json.loads(base64.b64decode(json.loads(message.payload)["bytes"]))["event"]
                ((name, fields),) = body.items()
                self.received.append(("event", name, fields))
            else:
                self.received.append(
                    (kind, message.headers.get(":exception-type", ""), json.loads(message.payload))
                )

    def close(self) -> None:
        self.sock.close()


def names(received: list[tuple[str, str, Any]]) -> list[str]:
    return [name for _, name, _ in received]


def saw(name: str) -> Any:
    return lambda received: name in names(received)


def test_a_spoken_turn_is_answered_while_the_client_is_still_sending(server: EmulatorServer) -> None:
    session = Session(server, tenant="sonic-turn")
    try:
        session.send(*opening(), *user_audio())
        answered = session.read_until(saw("usageEvent"))  # promptEnd not sent yet: the stream is open
        assert session.status == 200
        assert session.headers["content-type"] == "application/vnd.amazon.eventstream"
        assert not session.ended
        session.send(*CLOSING, end=True)
        received = session.read_until(lambda _: False)
    finally:
        session.close()

    assert received[: len(answered)] == answered
    sequence = names(received)
    assert sequence[0] == "completionStart"
    assert sequence[-1] == "completionEnd"
    blocks = [
        (
            fields["type"],
            fields["role"],
            json.loads(fields.get("additionalModelFields", "{}")).get("generationStage"),
        )
        for _, name, fields in received
        if name == "contentStart"
    ]
    assert blocks == [
        ("TEXT", "USER", "FINAL"),
        ("TEXT", "ASSISTANT", "SPECULATIVE"),
        ("AUDIO", "ASSISTANT", "FINAL"),
        ("TEXT", "ASSISTANT", "FINAL"),
    ]
    ids = {(f["sessionId"], f["promptName"], f["completionId"]) for _, _, f in received}
    assert len(ids) == 1
    assert next(iter(ids))[1] == PROMPT
    texts = [f["content"] for _, name, f in received if name == "textOutput"]
    assert texts[1] == texts[2]  # what was planned is what was said
    audio = [base64.b64decode(f["content"]) for _, name, f in received if name == "audioOutput"]
    assert audio
    assert all(len(chunk) == 4800 for chunk in audio)  # 100 ms of 24 kHz 16-bit mono each
    assert sum(map(len, audio)) == len(texts[2].split()) * 7200 * 2
    audio_start = next(f for _, name, f in received if name == "contentStart" and f["type"] == "AUDIO")
    assert audio_start["audioOutputConfiguration"]["voiceId"] == "tiffany"
    assert audio_start["audioOutputConfiguration"]["sampleRateHertz"] == 24000
    ends = [(f["type"], f["stopReason"]) for _, name, f in received if name == "contentEnd"]
    assert ends[-1] == ("TEXT", "END_TURN")
    usage = next(f for _, name, f in received if name == "usageEvent")
    assert usage["totalTokens"] == usage["totalInputTokens"] + usage["totalOutputTokens"] > 0
    assert usage["details"]["total"]["input"]["speechTokens"] > 0


def test_the_same_session_gets_the_same_answer(server: EmulatorServer) -> None:
    answers = []
    for tenant in ("sonic-same-a", "sonic-same-b"):
        session = Session(server, tenant=tenant)
        try:
            session.send(*opening(), *user_audio(), *CLOSING, end=True)
            received = session.read_until(lambda _: False)
        finally:
            session.close()
        answers.append([(n, {k: v for k, v in f.items() if k != "sessionId"}) for _, n, f in received])
    assert answers[0] == answers[1]


def test_a_tool_is_asked_for_and_its_result_answered(server: EmulatorServer) -> None:
    session = Session(server, tenant="sonic-tool")
    try:
        session.send(*opening([WEATHER_TOOL]), *user_audio())
        received = session.read_until(saw("toolUse"))
        tool_use = next(f for _, name, f in received if name == "toolUse")
        assert tool_use["toolName"] == "getWeather"
        assert isinstance(json.loads(tool_use["content"])["city"], str)
        assert "audioOutput" not in names(received)
        session.send(
            event(
                "contentStart",
                promptName=PROMPT,
                contentName="result",
                type="TOOL",
                interactive=False,
                role="TOOL",
                toolResultInputConfiguration={
                    "toolUseId": tool_use["toolUseId"],
                    "type": "TEXT",
                    "textInputConfiguration": {"mediaType": "text/plain"},
                },
            ),
            event(
                "toolResult",
                promptName=PROMPT,
                contentName="result",
                content=json.dumps({"forecast": "sunny"}),
            ),
            event("contentEnd", promptName=PROMPT, contentName="result"),
            *CLOSING,
            end=True,
        )
        received = session.read_until(lambda _: False)
    finally:
        session.close()
    tool_end = next(f for _, name, f in received if name == "contentEnd" and f["type"] == "TOOL")
    assert tool_end["stopReason"] == "TOOL_USE"
    after = names(received)[names(received).index("toolUse") :]
    assert "audioOutput" in after
    assert after[-1] == "completionEnd"


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([event("promptStart", promptName=PROMPT)], "The first event must be sessionStart"),
        (
            [*opening()[:2], event("audioInput", promptName=PROMPT, contentName="x", content="AAAA")],
            "audioInput must follow a contentStart of type AUDIO",
        ),
        (
            [
                *opening()[:2],
                event("contentStart", promptName="other", contentName="x", type="TEXT", role="USER"),
            ],
            "contentStart.promptName does not name the open prompt",
        ),
        ([*opening(), event("sessionEnd")], "sessionEnd arrived before promptEnd"),
    ],
)
def test_events_out_of_order_end_the_stream_with_a_validation_exception(
    server: EmulatorServer, events: list[dict[str, Any]], message: str
) -> None:
    session = Session(server, tenant="sonic-order")
    try:
        session.send(*events)
        received = session.read_until(lambda got: any(kind == "exception" for kind, _, _ in got))
    finally:
        session.close()
    kind, name, body = received[-1]
    assert (kind, name) == ("exception", "validationException")
    assert body["message"].startswith(message)


def test_malformed_input_bytes_are_a_validation_exception_not_a_hang(server: EmulatorServer) -> None:
    session = Session(server, tenant="sonic-garbage")
    try:
        session.conn.send_data(session.stream, encode_event("chunk", {"bytes": "not base64!"}))
        session.sock.sendall(session.conn.data_to_send())
        received = session.read_until(bool)
    finally:
        session.close()
    assert received[-1][:2] == ("exception", "validationException")


def test_a_model_without_speech_to_speech_is_refused_before_the_stream(server: EmulatorServer) -> None:
    session = Session(server, tenant="sonic-wrong-model", model="amazon.nova-micro-v1:0")
    try:
        session.send(*opening())
        received = session.read_until(bool)
    finally:
        session.close()
    assert session.status == 400
    assert received[0][:2] == ("error", "ValidationException")
    assert "does not support bidirectional streaming" in received[0][2]["message"]


def test_scenario_stream_faults_apply_to_the_session(server: EmulatorServer) -> None:
    import urllib.request

    scenario = {
        "name": "sonic-break",
        "version": 1,
        "description": "Sonic sessions break after 3 events.",
        "rules": [
            {
                "id": "sonic-break",
                "match": {"operations": ["InvokeModelWithBidirectionalStream"]},
                "stream": {
                    "exception_after": {
                        "events": 3,
                        "member": "modelStreamErrorException",
                        "fields": {"originalStatusCode": 500},
                    }
                },
            }
        ],
    }
    base = server.endpoint_url
    for method, path, body in (
        ("PUT", "/_emulator/scenarios", json.dumps(scenario).encode()),
        ("PUT", "/_emulator/tenants/sonic-fault/scenario", json.dumps({"name": "sonic-break"}).encode()),
    ):
        request = urllib.request.Request(
            base + path, data=body, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status in (200, 201, 204)
    session = Session(server, tenant="sonic-fault")
    try:
        session.send(*opening(), *user_audio(), *CLOSING, end=True)
        received = session.read_until(lambda _: False)
    finally:
        session.close()
    assert [kind for kind, _, _ in received] == ["event", "event", "event", "exception"]
    assert received[-1][1] == "modelStreamErrorException"
