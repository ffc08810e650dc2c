"""Amazon Nova Sonic's speech-to-speech session, as InvokeModelWithBidirectionalStream carries it.

The client writes an event stream of ``chunk`` events whose ``bytes`` are JSON ``{"event": {...}}``:
``sessionStart``, ``promptStart`` (output configuration, voice, tools), content blocks
(``contentStart`` / ``textInput`` or ``audioInput`` or ``toolResult`` / ``contentEnd``), ``promptEnd``,
``sessionEnd``. While it is still writing, the model answers each user turn with the same kind of
chunks (AWS's "Handling output events with the bidirectional API" pages, Nova 1 and Nova 2 Sonic):
``completionStart`` once, then per turn the transcript of the user's speech (role USER, generation stage
FINAL), the assistant's planned text (SPECULATIVE), its speech as 24 kHz 16-bit mono LPCM in
``audioOutput`` chunks, the text of what was said (FINAL), a ``usageEvent``; ``completionEnd`` when the
prompt ends. With tools configured the first turn asks for a tool (``toolUse``) and answers once the
client sends the tool's result.

Stand-ins are deterministic: the transcript and answers come from ``emulator.generation`` keyed by the
session's input, and the speech is a quiet tone whose length follows the answer's words (the bytes
matter less than shape, order and pacing). Events out of order or malformed end the stream with a
``validationException`` event; texts are the emulator's (docs/wire-facts.md §20, "Nova Sonic's
bidirectional stream").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import struct
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

from botocore.eventstream import EventStreamBuffer, EventStreamMessage, ParserError

from emulator import generation
from emulator.generation import ToolSpec
from emulator.wire.errors import AwsError, validation
from emulator.wire.eventstream import StreamEvent

OUTPUT_SAMPLE_RATE: Final = 24000
_CHUNK_SAMPLES: Final = 2400  # 100 ms of speech per audioOutput event
_SAMPLES_PER_WORD: Final = 7200  # 0.3 s of speech per word
_READ_SIZE: Final = 16384
_MAX_EVENT_BYTES: Final = 1 << 20  # one input event's JSON (an audio frame is ~1.4 KB of base64)
_ROLES: Final = frozenset({"SYSTEM", "USER", "ASSISTANT", "TOOL", "SYSTEM_SPEECH"})
_TYPES: Final = frozenset({"TEXT", "AUDIO", "TOOL"})


def read_events(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """The JSON events a client writes, unwrapped from their event-stream messages (and from the SigV4
    envelope a signing client puts around each message: its payload is the message itself)."""
    buffer = EventStreamBuffer()
    while True:
        data = stream.read(_READ_SIZE)
        if not data:
            return
        buffer.add_data(data)
        try:
            messages = list(buffer)
        except ParserError as exc:
            raise validation(f"The input event stream could not be read: {type(exc).__name__}.") from exc
        for message in messages:
            event = _event_of(message)
            if event is not None:
                yield event


def _event_of(message: EventStreamMessage) -> dict[str, Any] | None:
    headers = message.headers
    if ":chunk-signature" in headers:  # a signed envelope; the empty one marks the end of input
        if not message.payload:
            return None
        inner = EventStreamBuffer()
        inner.add_data(message.payload)
        try:
            (message,) = list(inner)
        except (ParserError, ValueError) as exc:
            raise validation("The input event stream could not be read: bad signed message.") from exc
        headers = message.headers
    if headers.get(":event-type") != "chunk" or len(message.payload) > _MAX_EVENT_BYTES:
        raise validation("Each input event must be a chunk of at most 1 MB.")
    try:
        part = json.loads(message.payload)
        event = json.loads(base64.b64decode(part["bytes"], validate=True))["event"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise validation('Each input chunk must carry one JSON event as {"event": {...}}.') from exc
    if not isinstance(event, dict) or len(event) != 1:
        raise validation("Each input chunk must carry exactly one event.")
    return event


@dataclass
class _Content:
    name: str
    kind: str  # TEXT, AUDIO, TOOL
    role: str
    interactive: bool
    text: list[str] = field(default_factory=list)
    audio_bytes: int = 0
    digest: Any = field(default_factory=hashlib.sha256)


@dataclass
class Usage:
    speech_in: int = 0
    text_in: int = 0
    speech_out: int = 0
    text_out: int = 0


class Session:
    """One bidirectional session: reads the client's events, yields the model's as chunk events."""

    def __init__(self, *, seed: int, session_id: str, now: Callable[[], float], time_limit: float) -> None:
        self._seed = seed
        self._session_id = session_id
        self._now = now
        self._deadline = now() + time_limit
        self._started = False
        self._prompt: str | None = None
        self._voice = "matthew"
        self._tools: tuple[ToolSpec, ...] = ()
        self._max_tokens = 1024
        self._open: dict[str, _Content] = {}
        self._history = hashlib.sha256()
        self._completion_id: str | None = None
        self._waiting_tool: str | None = None
        self.usage = Usage()

    def run(self, events: Iterator[dict[str, Any]]) -> Iterator[StreamEvent]:
        for event in events:
            if self._now() > self._deadline:
                raise AwsError("ModelTimeoutException", "The session exceeded its time limit of 8 minutes.")
            ((name, body),) = event.items()
            if not isinstance(body, dict):
                raise validation(f"The {name} event must be a JSON object.")
            yield from self._on(name, body)
            if name == "sessionEnd":
                return

    # -- input events, in the order the API requires ----------------------------------------------------

    def _on(self, name: str, body: dict[str, Any]) -> Iterator[StreamEvent]:
        if not self._started and name != "sessionStart":
            raise validation(f"The first event must be sessionStart, not {name}.")
        if name == "sessionStart":
            if self._started:
                raise validation("sessionStart can only be sent once.")
            self._started = True
            config = body.get("inferenceConfiguration") or {}
            self._max_tokens = _int(config.get("maxTokens", 1024), "inferenceConfiguration.maxTokens")
        elif name == "promptStart":
            yield from self._prompt_start(body)
        elif name == "contentStart":
            self._content_start(body)
        elif name in ("textInput", "audioInput", "toolResult"):
            self._content_input(name, body)
        elif name == "contentEnd":
            yield from self._content_end(body)
        elif name == "promptEnd":
            self._check_prompt(body, name)
            if self._open:
                raise validation("promptEnd arrived while a content block was still open.")
            if self._completion_id is not None:
                yield self._out("completionEnd", {"stopReason": "END_TURN"})
            self._prompt = None
            self._completion_id = None
        elif name == "sessionEnd":
            if self._prompt is not None:
                raise validation("sessionEnd arrived before promptEnd.")
        else:
            raise validation(f"Unknown input event {name}.")

    def _prompt_start(self, body: dict[str, Any]) -> Iterator[StreamEvent]:
        if self._prompt is not None:
            raise validation("promptStart arrived while another prompt was open.")
        prompt = body.get("promptName")
        if not isinstance(prompt, str) or not prompt:
            raise validation("promptStart needs a promptName.")
        audio = body.get("audioOutputConfiguration") or {}
        if audio.get("sampleRateHertz", OUTPUT_SAMPLE_RATE) not in (8000, 16000, 24000):
            raise validation("audioOutputConfiguration.sampleRateHertz must be 8000, 16000 or 24000.")
        self._voice = str(audio.get("voiceId", "matthew"))
        self._prompt = prompt
        tools = ((body.get("toolConfiguration") or {}).get("tools")) or []
        self._tools = tuple(_tool(spec, index) for index, spec in enumerate(tools))
        return iter(())

    def _content_start(self, body: dict[str, Any]) -> None:
        self._check_prompt(body, "contentStart")
        name, kind, role = body.get("contentName"), body.get("type"), body.get("role", "USER")
        if not isinstance(name, str) or not name or name in self._open:
            raise validation("contentStart needs a contentName not already open.")
        if kind not in _TYPES or role not in _ROLES:
            raise validation("contentStart.type must be TEXT, AUDIO or TOOL, with a valid role.")
        if kind == "TOOL" and self._waiting_tool is None:
            raise validation("A tool result was sent, but no tool use is waiting for one.")
        self._open[name] = _Content(name, kind, role, bool(body.get("interactive", kind == "AUDIO")))

    def _content_input(self, event: str, body: dict[str, Any]) -> None:
        self._check_prompt(body, event)
        content = self._open.get(str(body.get("contentName")))
        expected = {"textInput": "TEXT", "audioInput": "AUDIO", "toolResult": "TOOL"}[event]
        if content is None or content.kind != expected:
            raise validation(
                f"{event} must follow a contentStart of type {expected} with the same contentName."
            )
        value = body.get("content")
        if not isinstance(value, str):
            raise validation(f"{event}.content must be a string.")
        if event == "audioInput":
            try:
                audio = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise validation("audioInput.content must be base64-encoded audio.") from exc
            content.audio_bytes += len(audio)
            content.digest.update(audio)
        else:
            content.text.append(value)
            content.digest.update(value.encode())

    def _content_end(self, body: dict[str, Any]) -> Iterator[StreamEvent]:
        self._check_prompt(body, "contentEnd")
        content = self._open.pop(str(body.get("contentName")), None)
        if content is None:
            raise validation("contentEnd names no open content block.")
        self._history.update(content.digest.digest())
        if content.kind == "AUDIO":
            self.usage.speech_in += max(1, content.audio_bytes // 1280)  # ~25 speech tokens a second
        else:
            self.usage.text_in += generation.count_tokens(" ".join(content.text))
        if content.kind == "TOOL":
            self._waiting_tool = None
            yield from self._answer(transcript=None)
        elif content.role == "USER" and (content.kind == "AUDIO" or content.interactive):
            yield from self._answer(transcript=content)

    def _check_prompt(self, body: dict[str, Any], event: str) -> None:
        if self._prompt is None:
            raise validation(f"{event} arrived outside a prompt: send promptStart first.")
        if body.get("promptName") != self._prompt:
            raise validation(f"{event}.promptName does not name the open prompt.")

    # -- output events -------------------------------------------------------------------------------

    def _answer(self, transcript: _Content | None) -> Iterator[StreamEvent]:
        key = self._history.digest()
        if self._completion_id is None:
            self._completion_id = str(uuid.UUID(bytes=key[:16], version=4))
            yield self._out("completionStart", {})
        if transcript is not None:
            heard = " ".join(transcript.text) if transcript.kind == "TEXT" else _words(key, 12)
            yield from self._text_block("USER", "FINAL", heard)
            if self._tools:
                tool_call = generation.complete(
                    key, max_tokens=self._max_tokens, tools=self._tools, tool_choice="any", seed=self._seed
                ).tool_calls[0]
                self._waiting_tool = tool_call.tool_use_id
                yield from self._tool_block(tool_call.name, tool_call.tool_use_id, tool_call.input)
                return
        reply = generation.complete(key, max_tokens=self._max_tokens, seed=self._seed).text.strip()
        yield from self._text_block("ASSISTANT", "SPECULATIVE", reply)
        yield from self._audio_block(key, reply)
        yield from self._text_block("ASSISTANT", "FINAL", reply, stop="END_TURN")
        self.usage.text_out += generation.count_tokens(reply)
        yield self._out("usageEvent", self._usage_fields())

    def _text_block(
        self, role: str, stage: str, text: str, stop: str = "PARTIAL_TURN"
    ) -> Iterator[StreamEvent]:
        content_id = self._content_id(role + stage + text)
        yield self._out(
            "contentStart",
            {
                "contentId": content_id,
                "type": "TEXT",
                "role": role,
                "additionalModelFields": json.dumps({"generationStage": stage}, separators=(",", ":")),
                "textOutputConfiguration": {"mediaType": "text/plain"},
            },
        )
        yield self._out("textOutput", {"contentId": content_id, "content": text, "role": role})
        yield self._out("contentEnd", {"contentId": content_id, "stopReason": stop, "type": "TEXT"})

    def _audio_block(self, key: bytes, text: str) -> Iterator[StreamEvent]:
        content_id = self._content_id("audio" + text)
        yield self._out(
            "contentStart",
            {
                "contentId": content_id,
                "type": "AUDIO",
                "role": "ASSISTANT",
                "additionalModelFields": json.dumps({"generationStage": "FINAL"}, separators=(",", ":")),
                "audioOutputConfiguration": {
                    "mediaType": "audio/lpcm",
                    "sampleRateHertz": OUTPUT_SAMPLE_RATE,
                    "sampleSizeBits": 16,
                    "channelCount": 1,
                    "voiceId": self._voice,
                    "encoding": "base64",
                    "audioType": "SPEECH",
                },
            },
        )
        samples = max(_CHUNK_SAMPLES, len(text.split()) * _SAMPLES_PER_WORD)
        pitch = 180 + key[0] % 60  # a voice of its own per answer, Hz
        for start in range(0, samples, _CHUNK_SAMPLES):
            count = min(_CHUNK_SAMPLES, samples - start)
            chunk = _tone(start, count, pitch)
            self.usage.speech_out += 2  # ~25 speech tokens a second of 24 kHz audio
            yield self._out(
                "audioOutput",
                {"contentId": content_id, "content": base64.b64encode(chunk).decode(), "role": "ASSISTANT"},
            )
        yield self._out(
            "contentEnd", {"contentId": content_id, "stopReason": "PARTIAL_TURN", "type": "AUDIO"}
        )

    def _tool_block(self, tool: str, tool_use_id: str, arguments: dict[str, Any]) -> Iterator[StreamEvent]:
        content_id = self._content_id("tool" + tool_use_id)
        yield self._out(
            "contentStart",
            {
                "contentId": content_id,
                "type": "TOOL",
                "role": "TOOL",
                "toolUseOutputConfiguration": {"mediaType": "application/json"},
            },
        )
        yield self._out(
            "toolUse",
            {
                "contentId": content_id,
                "content": json.dumps(arguments, separators=(",", ":")),
                "role": "TOOL",
                "toolName": tool,
                "toolUseId": tool_use_id,
            },
        )
        yield self._out("contentEnd", {"contentId": content_id, "stopReason": "TOOL_USE", "type": "TOOL"})

    def _usage_fields(self) -> dict[str, Any]:
        usage = self.usage
        total_in, total_out = usage.speech_in + usage.text_in, usage.speech_out + usage.text_out
        totals = {
            "input": {"speechTokens": usage.speech_in, "textTokens": usage.text_in},
            "output": {"speechTokens": usage.speech_out, "textTokens": usage.text_out},
        }
        return {
            "details": {"delta": totals, "total": totals},
            "totalInputTokens": total_in,
            "totalOutputTokens": total_out,
            "totalTokens": total_in + total_out,
        }

    def _content_id(self, text: str) -> str:
        digest = hashlib.sha256(f"{self._completion_id}|{text}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _out(self, name: str, fields: dict[str, Any]) -> StreamEvent:
        body = {
            "sessionId": self._session_id,
            "promptName": self._prompt,
            "completionId": self._completion_id,
        }
        body.update(fields)
        payload = json.dumps({"event": {name: body}}, separators=(",", ":")).encode()
        return "chunk", {"bytes": base64.b64encode(payload).decode()}


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise validation(f"{where} must be a positive integer.")
    return value


def _tool(spec: Any, index: int) -> ToolSpec:
    tool = spec.get("toolSpec") if isinstance(spec, dict) else None
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        raise validation(f"toolConfiguration.tools[{index}] must be a toolSpec with a name.")
    schema = (tool.get("inputSchema") or {}).get("json") or "{}"
    try:
        parsed = json.loads(schema) if isinstance(schema, str) else schema
    except ValueError as exc:
        raise validation(f"toolConfiguration.tools[{index}].inputSchema.json is not JSON.") from exc
    return ToolSpec(
        tool["name"], str(tool.get("description", "")), parsed if isinstance(parsed, dict) else {}
    )


def _words(key: bytes, count: int) -> str:
    return generation.complete(key + b"|heard", max_tokens=count).text.strip()


def _tone(start: int, count: int, pitch: int) -> bytes:
    """16-bit little-endian samples of a soft sine at ``pitch`` Hz."""
    step = 2 * math.pi * pitch / OUTPUT_SAMPLE_RATE
    return struct.pack(f"<{count}h", *(int(900 * math.sin(step * (start + i))) for i in range(count)))
