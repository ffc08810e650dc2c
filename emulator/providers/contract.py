"""What every provider family reduces a body to, and what it needs from the model catalogue.

A family validates its native body into a ``Prompt`` (so generation and token counting never depend on
the family), then renders a ``Completion`` back into its native response body and stream chunks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from emulator.citations import Document
from emulator.generation import Completion, ToolSpec, complete, count_tokens
from emulator.reasoning import Thinking
from emulator.wire.binding import read_json
from emulator.wire.errors import AwsError

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Real Bedrock's answer to a body its JSON parser refuses: the schema message without a violation
# (seen verbatim, Content-Length 80, in aws-samples/amazon-bedrock-client-for-mac#12).
MALFORMED_BODY = "Malformed input request, please reformat your input and try again."


class ModelInfo(Protocol):
    """The catalogue facts a family needs (``catalog.FoundationModel`` satisfies this)."""

    @property
    def model_id(self) -> str: ...

    @property
    def max_output_tokens(self) -> int: ...

    @property
    def default_max_tokens(self) -> int: ...


@dataclass(frozen=True)
class EmbeddingRequest:
    texts: tuple[str, ...]
    dimensions: int
    normalize: bool
    types: tuple[str, ...]  # the family's own names, e.g. ("float",) or ("float", "int8")


@dataclass(frozen=True)
class Prompt:
    """A validated request, family-independent.

    ``key`` is the canonical identity of the request for the deterministic stand-in: sorted-keys JSON of
    the model id and the body without the sampling and length parameters (temperature, top_p, max tokens,
    ...), so changing only those does not change the answer's words; max tokens and stop sequences are
    applied afterwards by ``generation.complete``.
    """

    text_for_tokens: str
    key: bytes
    max_tokens: int
    stop_sequences: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # "auto" | "any" | "none" | "tool:<name>" | None
    embedding: EmbeddingRequest | None = None
    after_tool_result: bool = False
    body: Mapping[str, Any] = field(default_factory=dict, compare=False)  # the validated native body
    thinking: Thinking | None = None  # extended thinking the body asks for (Anthropic Messages)
    output_schema: Mapping[str, Any] | None = None  # the JSON schema the answer follows (output_config)
    counted_tokens: int | None = None  # the prompt's tokens as a real model counted them (model backend)
    documents: tuple[Document, ...] = ()  # the documents the answer cites (Anthropic citations)
    overhead: int = 0  # the model's chat template and hidden prompts (token_overhead), set by the caller

    @property
    def input_tokens(self) -> int:
        if self.counted_tokens is not None:
            return self.counted_tokens
        return count_tokens(self.text_for_tokens) + self.overhead


class Provider(Protocol):
    """One body format of InvokeModel / InvokeModelWithResponseStream."""

    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        """The normalized prompt; raises ``AwsError`` with Bedrock's message for an invalid body."""
        ...

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        """The InvokeModel response body."""
        ...

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        """The native stream chunk objects in order; ``"".join(deltas) == completion.text``."""
        ...


def parse_body(raw: bytes) -> Any:
    """The JSON value of a raw InvokeModel body, or Bedrock's error for one that is not JSON."""
    try:
        return read_json(raw)  # bounded: no deep nesting, no NaN or infinite numbers
    except ValueError:
        raise AwsError("ValidationException", MALFORMED_BODY) from None


def generate(prompt: Prompt, *, seed: int = 0) -> Completion:
    """The stand-in model's answer to a prompt; an embedding request has no text answer."""
    if prompt.embedding is not None:
        return Completion("", 0, "end_turn", None, ())
    return complete(
        prompt.key,
        max_tokens=prompt.max_tokens,
        stop_sequences=prompt.stop_sequences,
        tools=prompt.tools,
        tool_choice=prompt.tool_choice,
        seed=seed,
        prompt_text=prompt.text_for_tokens,
        after_tool_result=prompt.after_tool_result,
    )


def request_key(model: ModelInfo, body: Mapping[str, Any], ignored: Iterable[str]) -> bytes:
    skip = set(ignored)
    content = {k: v for k, v in body.items() if k not in skip}
    return json.dumps(
        {"model": model.model_id, "input": content}, sort_keys=True, separators=(",", ":")
    ).encode()


def stable_id(source: str, length: int, alphabet: str = BASE62) -> str:
    """A deterministic id-looking string derived from ``source``."""
    number = int.from_bytes(hashlib.sha256(source.encode()).digest(), "big")
    chars: list[str] = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


def stable_uuid(source: str) -> str:
    digest = hashlib.sha256(source.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


def running_token_counts(deltas: list[str], total: int) -> list[int]:
    """Cumulative output tokens after each delta, ending exactly at ``total`` (the header's count)."""
    counts: list[int] = []
    running = 0
    for delta in deltas:
        running = min(total, running + count_tokens(delta))
        counts.append(running)
    if counts:
        counts[-1] = total
    return counts


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def text_of(value: Any) -> str:
    """All strings inside a JSON value, in document order, for token counting."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(part for part in (text_of(item) for item in value) if part)
    if isinstance(value, dict):
        return "\n".join(part for part in (text_of(item) for item in value.values()) if part)
    return ""
