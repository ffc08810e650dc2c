"""Anthropic Claude bodies: the Messages API ("anthropic-messages") and Claude v2 text completions
("anthropic-text").

Bedrock validates every Anthropic body against one schema that accepts either shape: a body carrying
``messages`` fails the text-completion branch with ``#: subject must not be valid against schema
{"required":["messages"]}`` and that message prefixes the Messages-branch violations (quoted in
ziya-ai/ziya#24, fumito-ito/AnthropicSwiftSDK#19); a body
without ``messages`` reports only text-completion violations (spring-projects/spring-ai#2276). Claude 3+
refuses a valid text-completion body with ``"<model>" is not supported on this API. Please use the
Messages API instead.`` (langchain-ai/langchain#18514). Claude v2 models accept both shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from emulator import citations, reasoning, structured_output
from emulator.generation import Completion, Reasoning, ToolSpec, split_deltas, split_json
from emulator.model_features import features_of
from emulator.model_rules import rules_of_id
from emulator.prompt_cache import CacheUsage
from emulator.providers.contract import ModelInfo, Prompt, compact_json, request_key, stable_id
from emulator.providers.schema import (
    Schema,
    array,
    check,
    enum,
    integer,
    number,
    obj,
    render,
    string,
)
from emulator.wire.errors import validation

ANTHROPIC_VERSION = "bedrock-2023-05-31"
# The Anthropic SDK's Bedrock client (2.x) fills in its own API date when the body names none.
ACCEPTED_VERSIONS = frozenset({ANTHROPIC_VERSION, "2026-10-21"})
HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"

_NOT_MESSAGES: Schema = {"not": {"required": ["messages"]}}

_SAMPLING = (
    "max_tokens",
    "max_tokens_to_sample",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "anthropic_version",
    "anthropic_beta",
    "metadata",
)

_TEXT_SCHEMA: Schema = obj(
    {
        "prompt": string(),
        "max_tokens_to_sample": integer(maximum=8191),
        "temperature": number(0, 1),
        "top_p": number(0, 1),
        "top_k": integer(0, 500),
        "stop_sequences": array(string()),
        "anthropic_version": string(),
    },
    required=("prompt", "max_tokens_to_sample"),
)

_BLOCK_TYPES = (
    "text",
    "image",
    "document",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
    "search_result",
)

_CONTENT: Schema = {
    "anyOf": [
        string(),
        array(
            {"type": "object", "required": ["type"], "properties": {"type": enum(*_BLOCK_TYPES)}}, minItems=1
        ),
    ]
}

_MESSAGES_SCHEMA: Schema = obj(
    {
        "anthropic_version": string(),
        "anthropic_beta": array(string()),
        "max_tokens": integer(minimum=1),
        "messages": array(
            obj(
                {"role": {"type": "string", **enum("user", "assistant")}, "content": _CONTENT},
                required=("role", "content"),
            )
        ),
        "system": {"anyOf": [string(), array({"type": "object", "required": ["type", "text"]})]},
        "stop_sequences": array(string()),
        "temperature": number(0, 1),
        "top_p": number(0, 1),
        "top_k": integer(0, 500),
        "tools": array(
            {
                "type": "object",
                "required": ["name"],
                "properties": {"name": string(), "description": string(), "input_schema": {"type": "object"}},
            }
        ),
        "tool_choice": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": enum("auto", "any", "tool", "none"), "name": string()},
        },
        "thinking": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": enum("enabled", "disabled", "adaptive"), "budget_tokens": integer()},
        },
        "metadata": {"type": "object"},
        "output_config": {"type": "object"},
        "context_management": {"type": "object"},
    },
    required=("anthropic_version", "max_tokens", "messages"),
)

_REGION_PREFIX = re.compile(r"^(?:[a-z]{2}(?:-[a-z]+)?|apac|global)\.(?=anthropic\.)")
_VERSION_SUFFIX = re.compile(r"-v\d+(?::\d+)?$")
# Pre-Claude-3 ids carry no date; Anthropic's names for them differ from the id.
_LEGACY_NAMES = {
    "claude-v2": "claude-2.0",
    "claude-v2:1": "claude-2.1",
    "claude-instant-v1": "claude-instant-1.2",
}


def model_name(model_id: str) -> str:
    """Anthropic's own name for a Bedrock model id.

    ``eu.anthropic.claude-haiku-4-5-20251001-v1:0`` -> ``claude-haiku-4-5-20251001``.
    """
    name = _REGION_PREFIX.sub("", model_id.rsplit("/", 1)[-1]).removeprefix("anthropic.")
    return _LEGACY_NAMES.get(name) or _VERSION_SUFFIX.sub("", name)


def _validate_body(body: Any, model: ModelInfo, *, text_api_allowed: bool) -> Prompt:
    if isinstance(body, dict) and "messages" in body:
        # The text-completion branch always fails on such a body, so its one violation leads the list.
        violations = check(body, _MESSAGES_SCHEMA)
        if violations:
            raise render(check(body, _NOT_MESSAGES) + violations)
        return _messages_prompt(body, model)
    violations = check(body, _TEXT_SCHEMA)
    if violations:
        raise render(violations)
    if not text_api_allowed:
        raise validation(
            f'"{model_name(model.model_id)}" is not supported on this API. '
            "Please use the Messages API instead."
        )
    return _text_prompt(body, model)


# -- Messages API ------------------------------------------------------------------------------------


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_use":
        return f"{block.get('name', '')} {compact_json(block.get('input', {}))}"
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return "\n".join(_block_text(part) for part in content if isinstance(part, dict))
        return str(content)
    if kind == "thinking":
        return str(block.get("thinking", ""))
    if kind == "document":
        source = block.get("source", {})
        if not isinstance(source, dict):
            return ""
        if source.get("type") == "text":
            return str(source.get("data", ""))
        content = source.get("content") if source.get("type") == "content" else None
        if isinstance(content, list):
            return "\n".join(_block_text(part) for part in content if isinstance(part, dict))
        return str(content or "")
    return ""


def _messages_semantics(body: dict[str, Any], model: ModelInfo) -> None:
    """Checks the model itself makes after the schema passed; texts as Bedrock returns them."""
    version = body["anthropic_version"]
    if version not in ACCEPTED_VERSIONS:
        raise validation(f"Invalid API version: {version}")
    max_tokens: int = body["max_tokens"]
    if max_tokens > model.max_output_tokens:
        # The InvokeModel text quoted raw in charmbracelet/crush#946 (Converse adds a "Try again" sentence).
        raise validation(
            f"The maximum tokens you requested exceeds the model limit of {model.max_output_tokens}"
        )
    rules = rules_of_id(model.model_id)
    exclusive = rules.exclusive_sampling if rules is not None else ()
    if exclusive and all(body.get(name) is not None for name in exclusive):
        # Claude Opus 4.1 and later (wire-facts §31); Converse sends the same text after its prefix
        raise validation(
            " and ".join(f"`{name}`" for name in exclusive)
            + " cannot both be specified for this model. Please use only one."
        )
    messages = body["messages"]
    if not messages:
        raise validation("messages: at least one message is required")  # Anthropic's own text
    for index, message in enumerate(messages):
        content = message["content"]
        final_assistant = index == len(messages) - 1 and message["role"] == "assistant"
        if isinstance(content, str):
            if not content and not final_assistant:
                raise validation(
                    f"messages.{index}: all messages must have non-empty content except for the optional "
                    "final assistant message"
                )
            continue
        for block in content:
            if block.get("type") == "text" and not str(block.get("text", "")):
                raise validation("messages: text content blocks must be non-empty")
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if budget is None:
            raise validation("thinking.enabled.budget_tokens: Field required")
        if budget < 1024:
            raise validation("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if max_tokens <= budget:
            raise validation(
                "`max_tokens` must be greater than `thinking.budget_tokens`. "
                "Please consult our documentation at "
                "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
            )


def _tools(body: dict[str, Any]) -> tuple[ToolSpec, ...]:
    return tuple(
        ToolSpec(
            str(tool["name"]),
            str(tool.get("description", "")),
            dict(tool.get("input_schema", {"type": "object"})),
        )
        for tool in body.get("tools", ())
        if "input_schema" in tool or "type" not in tool or tool.get("type") == "custom"
    )


def _tool_choice(body: dict[str, Any], tools: tuple[ToolSpec, ...]) -> str | None:
    choice = body.get("tool_choice")
    if not tools:
        return None
    if not isinstance(choice, dict):
        return "auto"
    kind = choice.get("type")
    return f"tool:{choice.get('name', '')}" if kind == "tool" else str(kind)


def _messages_prompt(body: dict[str, Any], model: ModelInfo) -> Prompt:
    _messages_semantics(body, model)
    parts: list[str] = []
    system = body.get("system")
    if isinstance(system, str):
        parts.append(system)
    elif isinstance(system, list):
        parts.extend(str(block.get("text", "")) for block in system)
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(_block_text(block) for block in content)
    tools = _tools(body)
    parts.extend(
        compact_json({"name": t.name, "description": t.description, "input_schema": t.input_schema})
        for t in tools
    )
    tool_choice = _tool_choice(body, tools)
    output_schema = structured_output.anthropic_schema(
        body.get("output_config"), supported=features_of(model.model_id).structured_output
    )
    documents = citations.anthropic_documents(
        body["messages"], supported=features_of(model.model_id).citations
    )
    citations.check_structured(documents, output_schema, converse=False)
    thinking = reasoning.read(
        body.get("thinking"),
        reasoning=features_of(model.model_id).reasoning,
        max_tokens=body["max_tokens"],
        sampling=body,
        tool_choice=tool_choice,
        converse=False,
    )
    if thinking is not None:
        reasoning.check_turns(thinking, _turns(body["messages"]), converse=False)
    last = body["messages"][-1]
    last_content = last["content"]
    after_tool_result = (
        last["role"] == "user"
        and isinstance(last_content, list)
        and any(block.get("type") == "tool_result" for block in last_content)
    )
    return Prompt(
        text_for_tokens="\n".join(part for part in parts if part),
        key=request_key(model, body, _SAMPLING),
        max_tokens=body["max_tokens"],
        stop_sequences=tuple(body.get("stop_sequences", ())),
        tools=tools,
        tool_choice=tool_choice,
        after_tool_result=after_tool_result,
        body=body,
        thinking=thinking,
        output_schema=output_schema,
        documents=documents,
    )


def _turns(messages: list[dict[str, Any]]) -> list[tuple[str, str | None, bool]]:
    turns: list[tuple[str, str | None, bool]] = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            turns.append((message["role"], "text", False))
            continue
        first = content[0].get("type") if content else None
        turns.append((message["role"], first, any(block.get("type") == "tool_result" for block in content)))
    return turns


def _message_id(request_id: str) -> str:
    return "msg_bdrk_01" + stable_id(request_id, 22)


def _tool_id(tool_use_id: str) -> str:
    # An id already in Anthropic's form (a scenario's scripted one) is sent as it is; others are derived.
    if tool_use_id.startswith("toolu_"):
        return tool_use_id
    return "toolu_bdrk_01" + stable_id(tool_use_id, 22)


def _thinking_block(thought: Reasoning) -> dict[str, Any]:
    if thought.redacted:
        return {"type": "redacted_thinking", "data": thought.redacted.decode()}
    return {"type": "thinking", "thinking": thought.text, "signature": thought.signature}


def _content(completion: Completion) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if completion.reasoning is not None:
        blocks.append(_thinking_block(completion.reasoning))
    segments = citations.segments_of(completion)
    if segments is not None:
        blocks.extend(citations.anthropic_blocks(segments))
    elif completion.text or not completion.tool_calls:
        blocks.append({"type": "text", "text": completion.text})
    blocks.extend(
        {"type": "tool_use", "id": _tool_id(call.tool_use_id), "name": call.name, "input": call.input}
        for call in completion.tool_calls
    )
    return blocks


def _messages_response(
    prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
) -> dict[str, Any]:
    return {
        "id": _message_id(request_id),
        "type": "message",
        "role": "assistant",
        "model": model_name(model.model_id),
        "content": _content(completion),
        "stop_reason": completion.stop_reason,
        "stop_sequence": completion.stop_sequence,
        "usage": {"input_tokens": prompt.input_tokens, "output_tokens": completion.output_tokens},
    }


def _messages_chunks(
    prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
) -> list[dict[str, Any]]:
    start = _messages_response(prompt, completion, model, request_id)
    start.update(content=[], stop_reason=None, stop_sequence=None)
    start["usage"] = {"input_tokens": prompt.input_tokens, "output_tokens": 1}
    chunks: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    index = 0
    thought = completion.reasoning
    if thought is not None:
        if thought.redacted:
            opening = _thinking_block(thought)
            chunks.append({"type": "content_block_start", "index": 0, "content_block": opening})
        else:
            opening = {"type": "thinking", "thinking": "", "signature": ""}
            chunks.append({"type": "content_block_start", "index": 0, "content_block": opening})
            chunks.extend(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": piece},
                }
                for piece in split_deltas(thought.text)
            )
            chunks.append(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": thought.signature},
                }
            )
        chunks.append({"type": "content_block_stop", "index": 0})
        index = 1
    segments = citations.segments_of(completion)
    if segments is not None:
        for segment in segments:
            chunks.extend(_segment_chunks(segment, index))
            index += 1
    elif completion.text or not completion.tool_calls:
        chunks.append(
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
        )
        chunks.extend(
            {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": delta}}
            for delta in deltas
        )
        chunks.append({"type": "content_block_stop", "index": index})
        index += 1
    for call in completion.tool_calls:
        block = {"type": "tool_use", "id": _tool_id(call.tool_use_id), "name": call.name, "input": {}}
        chunks.append({"type": "content_block_start", "index": index, "content_block": block})
        # The real API opens every tool input with an empty partial_json before the pieces.
        # Claude writes the input with spaces after separators, in many small pieces (wire-facts §27).
        for piece in ["", *split_json(json.dumps(call.input, ensure_ascii=False))]:
            chunks.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                }
            )
        chunks.append({"type": "content_block_stop", "index": index})
        index += 1
    chunks.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": completion.stop_reason, "stop_sequence": completion.stop_sequence},
            "usage": {"output_tokens": completion.output_tokens},
        }
    )
    chunks.append({"type": "message_stop"})
    return chunks


def _segment_chunks(segment: citations.Segment, index: int) -> list[dict[str, Any]]:
    """One text block of a cited answer: a cited block opens with ``citations: []`` and its
    ``citations_delta`` events come before its text, as recorded streams send them (wire-facts §30)."""
    opening: dict[str, Any] = {"type": "text", "text": ""}
    if segment.citations:
        opening = {"citations": [], **opening}
    chunks: list[dict[str, Any]] = [{"type": "content_block_start", "index": index, "content_block": opening}]
    chunks.extend(
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "citations_delta", "citation": citations.anthropic_citation(cited)},
        }
        for cited in segment.citations
    )
    chunks.extend(
        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
        for piece in split_deltas(segment.text)
    )
    chunks.append({"type": "content_block_stop", "index": index})
    return chunks


def with_cache_usage(message: Mapping[str, Any], cache: CacheUsage) -> dict[str, Any]:
    """A Messages answer (or a stream's ``message_start`` message) whose usage carries the prompt cache's
    counts as recorded Bedrock answers do: ``input_tokens`` without the cached part, then the write and
    read counts and the write broken down by TTL (wire-facts §3.2, §24)."""
    usage = message.get("usage") or {}
    written = dict.fromkeys(("5m", "1h"), 0)
    for ttl, tokens in cache.written:
        written[ttl] = written.get(ttl, 0) + tokens
    return {
        **message,
        "usage": {
            "input_tokens": int(usage.get("input_tokens", 0)) - cache.read - cache.write,
            "cache_creation_input_tokens": cache.write,
            "cache_read_input_tokens": cache.read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": written["5m"],
                "ephemeral_1h_input_tokens": written["1h"],
            },
            "output_tokens": usage.get("output_tokens", 0),
        },
    }


# -- Text completions (Claude v2, Instant) -------------------------------------------------------------


def _check_turns(prompt: str) -> None:
    problems: list[str] = []
    first_human = prompt.find(HUMAN)
    # Claude 2.1 allows a system prompt before the first Human turn, but no Assistant turn before it.
    if first_human < 0 or ASSISTANT in prompt[:first_human]:
        problems.append(f'prompt must start with "{HUMAN}" turn after an optional system prompt')
    # The last turn must be the Assistant's; text after it is allowed: words put in Claude's mouth (§31).
    if prompt.rfind(ASSISTANT) <= prompt.rfind(HUMAN):
        problems.append(f'prompt must end with "{ASSISTANT}" turn')
    if problems:
        raise validation(", ".join(problems))


def _text_prompt(body: dict[str, Any], model: ModelInfo) -> Prompt:
    _check_turns(body["prompt"])
    stops = tuple(body.get("stop_sequences", ()))
    return Prompt(
        text_for_tokens=body["prompt"],
        key=request_key(model, body, _SAMPLING),
        max_tokens=body["max_tokens_to_sample"],
        stop_sequences=stops,
        body=body,
    )


def _text_stop(completion: Completion) -> tuple[str, str | None]:
    if completion.stop_reason == "max_tokens":
        return "max_tokens", None
    if completion.stop_reason == "stop_sequence":
        return "stop_sequence", completion.stop_sequence
    # A finished turn ends where the model would start the next Human turn.
    return "stop_sequence", HUMAN


def _text_response(completion: Completion) -> dict[str, Any]:
    reason, stop = _text_stop(completion)
    return {"completion": completion.text, "stop_reason": reason, "stop": stop}


def _text_chunks(completion: Completion, deltas: list[str]) -> list[dict[str, Any]]:
    reason, stop = _text_stop(completion)
    pieces = deltas or [""]
    chunks: list[dict[str, Any]] = [
        {"completion": piece, "stop_reason": None, "stop": None} for piece in pieces
    ]
    chunks[-1].update(stop_reason=reason, stop=stop)
    return chunks


# -- the two families ----------------------------------------------------------------------------------


class _Anthropic:
    def __init__(self, *, text_api_allowed: bool) -> None:
        self._text_api_allowed = text_api_allowed

    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        return _validate_body(body, model, text_api_allowed=self._text_api_allowed)

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        if "messages" in prompt.body:
            return _messages_response(prompt, completion, model, request_id)
        return _text_response(completion)

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        if "messages" in prompt.body:
            return _messages_chunks(prompt, completion, model, request_id, deltas)
        return _text_chunks(completion, deltas)


MESSAGES = _Anthropic(text_api_allowed=False)
TEXT = _Anthropic(text_api_allowed=True)

__all__ = ["ANTHROPIC_VERSION", "MESSAGES", "TEXT", "model_name", "with_cache_usage"]
