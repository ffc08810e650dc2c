"""Where a model's answer comes from: the seam between the Bedrock-shaped side (validation, ids, usage,
streams, faults) and what writes the words.

An `Ask` is what Converse and InvokeModel reduce a request to, family-independent; a `Responder` turns it
into a `Completion`. `STAND_IN`, the deterministic stand-in model (``emulator.generation``), is the
default; ``serve --model-backend URL`` puts a real model behind an OpenAI-compatible chat-completions
server in its place (``emulator.model_backend``). Scripted answers of a scenario come before either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from emulator import generation, reasoning, structured_output
from emulator.generation import Completion, ToolSpec
from emulator.reasoning import Thinking


@dataclass(frozen=True)
class ChatInput:
    """The conversation as chat-completions ``messages``, and the sampling parameters the request set."""

    messages: list[dict[str, Any]]
    temperature: float | None = None
    top_p: float | None = None


def _no_chat() -> ChatInput:
    return ChatInput([])


@dataclass(frozen=True)
class Ask:
    """A validated request to a text model.

    ``key`` identifies the request for the stand-in; ``prompt_text`` is what it matches tool names
    against. ``chat`` builds the conversation for a real model, only when one is asked (the stand-in
    never needs it); ``converse`` says whether the model's refusals read as Converse wraps them.
    """

    model_id: str
    key: bytes
    max_tokens: int
    stop_sequences: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # "auto" | "any" | "none" | "tool:<name>" | None
    prompt_text: str = ""
    after_tool_result: bool = False
    tool_preface: bool = (
        True  # a sentence may come before a tool call (not where the model's rules refuse it)
    )
    thinking: Thinking | None = None
    output_schema: Mapping[str, Any] | None = None
    converse: bool = False
    chat: Callable[[], ChatInput] = field(default=_no_chat, compare=False, repr=False)


class Responder(Protocol):
    """What writes a model's answer."""

    def answer(self, ask: Ask, *, seed: int) -> Completion:
        """The completion of ``ask``; raises ``AwsError`` (Bedrock's model errors) when it cannot."""
        ...


class StandIn:
    """The deterministic stand-in model: the same ask and seed give the same completion."""

    def answer(self, ask: Ask, *, seed: int) -> Completion:
        completion = reasoning.think(
            ask.thinking,
            lambda max_tokens: generation.complete(
                ask.key,
                max_tokens=max_tokens,
                stop_sequences=ask.stop_sequences,
                tools=ask.tools,
                tool_choice=ask.tool_choice,
                seed=seed,
                prompt_text=ask.prompt_text,
                after_tool_result=ask.after_tool_result,
                preface=ask.tool_preface,
            ),
            key=ask.key,
            seed=seed,
            max_tokens=ask.max_tokens,
            prompt_text=ask.prompt_text,
        )
        return structured_output.answer(completion, ask.output_schema, key=ask.key, seed=seed)


STAND_IN: Responder = StandIn()
