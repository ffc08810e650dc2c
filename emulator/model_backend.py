"""A real model behind an OpenAI-compatible chat-completions server (``serve --model-backend URL``):
Ollama, vLLM, llama.cpp's server, LM Studio.

`ModelBackend` is a ``Responder``: it sends an ``Ask`` as one non-streaming ``POST .../chat/completions``
(the conversation from ``emulator.chat_request``, tools as functions with their JSON schemas, the tool
choice, ``response_format`` for structured output, max tokens, stop sequences, sampling, the seed) and
reads the answer back into a ``Completion``: its text, tool calls (under Bedrock-style ids the emulator
makes), stop reason, token counts and reasoning. Everything else (validation, ids, usage blocks, stream
events, caching, faults) stays the emulator's, so streams are cut from the whole answer.

Failures answer Bedrock's model errors, never a traceback (docs/model-backend.md): a server that cannot
be reached, ServiceUnavailableException; one slower than the timeout, ModelTimeoutException; an answer
that is no chat completion (or bigger than ``MAX_RESPONSE_BYTES``), ModelErrorException.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from emulator import generation
from emulator.generation import Completion, Reasoning, ToolCall
from emulator.reasoning import CONVERSE_PREFIX
from emulator.responder import Ask, ChatInput
from emulator.wire.binding import read_json
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from http.client import HTTPConnection

    from emulator.settings import Settings

__all__ = ["MAX_RESPONSE_BYTES", "ModelBackend"]

log = logging.getLogger("bedrock_emulator")

MAX_RESPONSE_BYTES: Final = 8 << 20  # a chat completion of the largest max_tokens is far smaller
_MAX_ERROR_TEXT: Final = 1000  # of a backend's refusal, quoted in the ValidationException
_READ_SIZE: Final = 64 << 10

_STOP_REASONS: Final = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filtered",
}


class _NotACompletionError(Exception):
    """The backend answered something that is not a chat completion."""


@dataclass(frozen=True)
class ModelBackend:
    """``url``: the chat-completions endpoint; ``model``: the name sent (None: the Bedrock model id)."""

    url: str
    model: str | None = None
    timeout: float = 60.0

    @property
    def shown(self) -> str:
        """The endpoint as logs show it: without any user or password the URL carries."""
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{host}{parts.path}"

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelBackend:
        return cls(
            endpoint(settings.model_backend or ""),
            settings.model_backend_model,
            settings.model_backend_timeout,
        )

    def answer(self, ask: Ask, *, seed: int) -> Completion:
        payload = self.request(ask, ask.chat(), seed=seed)
        status, data = self._post(json.dumps(payload, ensure_ascii=False).encode())
        if status != 200:
            raise self._refusal(status, data, converse=ask.converse)
        try:
            return _completion(read_json(data), ask, seed=seed)
        except (_NotACompletionError, ValueError) as exc:
            log.warning("model backend %s: not a chat completion: %s", self.shown, exc)
            raise AwsError("ModelErrorException", originalStatusCode=status) from None

    def request(self, ask: Ask, chat: ChatInput, *, seed: int) -> dict[str, Any]:
        """The chat-completions request body for ``ask``."""
        body: dict[str, Any] = {
            "model": self.model or ask.model_id,
            "messages": chat.messages,
            "max_tokens": ask.max_tokens,
            "stream": False,
            "seed": seed,
        }
        if chat.temperature is not None:
            body["temperature"] = chat.temperature
        if chat.top_p is not None:
            body["top_p"] = chat.top_p
        if ask.stop_sequences:
            body["stop"] = list(ask.stop_sequences)
        if ask.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        **({"description": tool.description} if tool.description else {}),
                        "parameters": tool.input_schema,
                    },
                }
                for tool in ask.tools
            ]
            body["tool_choice"] = _tool_choice(ask.tool_choice)
        if ask.output_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": dict(ask.output_schema), "strict": True},
            }
        return body

    # -- HTTP ---------------------------------------------------------------------------------------

    def _connection(self) -> HTTPConnection:
        import http.client

        parts = urlsplit(self.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        return kind(parts.hostname or "", parts.port, timeout=self.timeout)

    def _post(self, data: bytes) -> tuple[int, bytes]:
        """The status and body of the backend's answer, read within the timeout and the size bound."""
        import http.client

        parts = urlsplit(self.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        deadline = time.monotonic() + self.timeout
        connection = self._connection()
        try:
            connection.connect()
            _until(connection, deadline)
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            connection.request("POST", path, body=data, headers=headers)
            _until(connection, deadline)
            response = connection.getresponse()
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read1(_READ_SIZE):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    log.warning("model backend %s: answer over %d bytes", self.shown, MAX_RESPONSE_BYTES)
                    raise AwsError("ModelErrorException", originalStatusCode=response.status)
                chunks.append(chunk)
                _until(connection, deadline)
            return response.status, b"".join(chunks)
        except TimeoutError:
            log.warning("model backend %s: no answer within %gs", self.shown, self.timeout)
            raise AwsError("ModelTimeoutException") from None
        except http.client.HTTPException as exc:  # not HTTP at all
            log.warning("model backend %s: not an HTTP answer: %r", self.shown, exc)
            raise AwsError("ModelErrorException") from None
        except OSError as exc:  # refused, unreachable, reset
            log.warning("model backend %s: unavailable: %s", self.shown, exc)
            raise AwsError("ServiceUnavailableException") from None
        finally:
            connection.close()

    def _refusal(self, status: int, data: bytes, *, converse: bool) -> AwsError:
        """Bedrock's error for a backend's error status: its refusals of the request as the model's
        ValidationException (Converse prefixes them), its timeouts and overload as Bedrock's."""
        message = _error_message(data)
        log.warning("model backend %s: HTTP %d %s", self.shown, status, message or "")
        if status in (408, 504):
            return AwsError("ModelTimeoutException")
        if status == 429:
            return AwsError("ThrottlingException")
        if 400 <= status < 500 and message:
            return AwsError("ValidationException", (CONVERSE_PREFIX if converse else "") + message)
        return AwsError("ModelErrorException", originalStatusCode=status)


def endpoint(url: str) -> str:
    """The chat-completions endpoint of a base URL (``http://host:11434/v1`` -> ``.../v1/chat/completions``)."""
    base = url.rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def _until(connection: HTTPConnection, deadline: float) -> None:
    """Each socket wait gets what is left of the whole call's time, so a trickling answer ends too."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    if connection.sock is not None:
        connection.sock.settimeout(remaining)


def _tool_choice(choice: str | None) -> Any:
    if choice == "any":
        return "required"
    if choice is not None and choice.startswith("tool:"):
        return {"type": "function", "function": {"name": choice.removeprefix("tool:")}}
    return choice if choice == "none" else "auto"


def _error_message(data: bytes) -> str | None:
    """The message of an OpenAI-style error body (``{"error": {"message": ...}}``, or a string)."""
    try:
        value = read_json(data)
    except ValueError:
        return None
    error = value.get("error", value) if isinstance(value, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return error[:_MAX_ERROR_TEXT] if isinstance(error, str) and error.strip() else None


# -- the answer -------------------------------------------------------------------------------------


def _completion(reply: Any, ask: Ask, *, seed: int) -> Completion:
    choices = reply.get("choices") if isinstance(reply, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise _NotACompletionError("no choices[0].message")
    message: dict[str, Any] = choice["message"]
    text = _text(message.get("content"))
    calls = tuple(
        _call(call, generation.tool_use_id(ask.key, seed, index))
        for index, call in enumerate(_list(message.get("tool_calls"), "tool_calls"))
    )
    finish = choice.get("finish_reason")
    stop_reason = _STOP_REASONS.get(finish, "end_turn") if isinstance(finish, str) else "end_turn"
    matched = choice.get("stop_reason")  # vLLM names the stop sequence that ended the answer
    stop_sequence = None
    if calls:
        stop_reason = "tool_use"
    elif isinstance(matched, str) and matched in ask.stop_sequences:
        stop_reason, stop_sequence = "stop_sequence", matched
    thought = _reasoning(message, ask, seed=seed)
    usage = reply.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    output_tokens = _count(usage.get("completion_tokens"))
    if output_tokens is None:
        output_tokens = generation.count_tokens(text) + (thought.tokens if thought else 0)
        output_tokens += sum(generation.count_tokens(json.dumps(c.input)) + 4 for c in calls)
    return Completion(
        text,
        output_tokens,
        stop_reason,
        stop_sequence,
        calls,
        reasoning=thought,
        input_tokens=_count(usage.get("prompt_tokens")),
    )


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _NotACompletionError(f"{name} is not a list")
    return value


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    raise _NotACompletionError("content is neither text nor parts")


def _call(call: Any, tool_use_id: str) -> ToolCall:
    function = call.get("function") if isinstance(call, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(function, dict) or not isinstance(name, str) or not name:
        raise _NotACompletionError("a tool call without a function name")
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = read_json(arguments.encode()) if arguments.strip() else {}
        except ValueError:
            raise _NotACompletionError(f"tool {name}: arguments are not JSON") from None
    if not isinstance(arguments, dict):
        raise _NotACompletionError(f"tool {name}: arguments are not a JSON object")
    return ToolCall(tool_use_id, name, arguments)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _reasoning(message: Mapping[str, Any], ask: Ask, *, seed: int) -> Reasoning | None:
    """The reasoning block when the request asks for thinking: the backend's own reasoning text where it
    sends one (``reasoning_content``, or Ollama's ``reasoning``), signed as Bedrock signs; else the
    stand-in's, so the answer keeps Bedrock's shape."""
    thinking = ask.thinking
    budget = min(thinking.budget, ask.max_tokens - 1) if thinking is not None else 0
    if thinking is None or budget < 1:
        return None
    redacted = thinking.signed and generation.REDACTION_TRIGGER in ask.prompt_text
    stand_in = generation.reasoning(
        ask.key, budget=budget, seed=seed, redacted=redacted, signed=thinking.signed
    )
    own = message.get("reasoning_content", message.get("reasoning"))
    if redacted or not isinstance(own, str) or not own.strip():
        return stand_in
    return Reasoning(own, stand_in.signature, b"", generation.count_tokens(own))
