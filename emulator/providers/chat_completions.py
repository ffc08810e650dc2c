"""OpenAI-style chat-completions bodies: AI21 Jamba ("ai21-jamba") and OpenAI gpt-oss ("openai-chat").

Both take ``messages`` with system/user/assistant/tool roles and answer with ``choices[].message`` and
``usage``; streams are ``choices[].delta`` chunks ending with the finish reason and usage.
"""

from __future__ import annotations

import time
from typing import Any

from emulator.conversation import latency_ms
from emulator.generation import Completion, ToolSpec
from emulator.providers.contract import ModelInfo, Prompt, compact_json, request_key, stable_id
from emulator.providers.schema import Schema, array, enum, integer, number, obj, string, validate

_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
_SAMPLING = (
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "n",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stream",
    "stream_options",
    "reasoning_effort",
)
_OPEN: Schema = {"type": "object"}
_MESSAGE: Schema = obj(
    {
        "role": {"type": "string", **enum("system", "developer", "user", "assistant", "tool")},
        "content": {"anyOf": [string(), array(_OPEN), {"type": "null"}]},
        "tool_calls": array(_OPEN),
        "tool_call_id": string(),
        "name": string(),
        "reasoning": string(),
        "reasoning_content": string(),
    },
    required=("role",),
)


def _jamba_schema(model: ModelInfo) -> Schema:
    return obj(
        {
            "messages": array(_MESSAGE, minItems=1),
            "max_tokens": integer(0, model.max_output_tokens),
            "temperature": number(0, 2),
            "top_p": number(0, 1),
            "stop": {"anyOf": [string(), array(string())]},
            "n": integer(1, 16),
            "frequency_penalty": number(),
            "presence_penalty": number(),
            "tools": array(_OPEN),
            "tool_choice": {"anyOf": [string(), _OPEN]},
            "response_format": _OPEN,
            "documents": array(_OPEN),
        },
        required=("messages",),
    )


def _openai_schema(model: ModelInfo) -> Schema:
    # Bedrock's OpenAI-compatible models accept the wide chat-completions surface; only the core is checked.
    return obj(
        {
            "messages": array(_MESSAGE, minItems=1),
            "max_tokens": integer(1, model.max_output_tokens),
            "max_completion_tokens": integer(1, model.max_output_tokens),
            "temperature": number(0, 2),
            "top_p": number(0, 1),
            "stop": {"anyOf": [string(), array(string())]},
            "tools": array(_OPEN),
            "tool_choice": {"anyOf": [string(), _OPEN]},
        },
        required=("messages",),
        closed=False,
    )


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    parts = [content] if isinstance(content, str) else [str(p.get("text", "")) for p in content or ()]
    parts.extend(compact_json(call.get("function", {})) for call in message.get("tool_calls", ()))
    return "\n".join(part for part in parts if part)


def _tools(body: dict[str, Any]) -> tuple[ToolSpec, ...]:
    specs = []
    for tool in body.get("tools", ()):
        function = tool.get("function", {})
        parameters = function.get("parameters", {"type": "object"})
        specs.append(
            ToolSpec(str(function.get("name", "")), str(function.get("description", "")), dict(parameters))
        )
    return tuple(specs)


def _tool_choice(body: dict[str, Any], tools: tuple[ToolSpec, ...]) -> str | None:
    if not tools:
        return None
    choice = body.get("tool_choice", "auto")
    if isinstance(choice, dict):
        return f"tool:{choice.get('function', {}).get('name', '')}"
    return {"required": "any"}.get(str(choice), str(choice))


def _stops(body: dict[str, Any]) -> tuple[str, ...]:
    stop = body.get("stop", ())
    return (stop,) if isinstance(stop, str) else tuple(stop)


def _call_id(tool_use_id: str) -> str:
    # An id already in this form (a scenario's scripted one) is sent as it is; others are derived.
    return tool_use_id if tool_use_id.startswith("call_") else "call_" + stable_id(tool_use_id, 24)


def _tool_calls(completion: Completion) -> list[dict[str, Any]] | None:
    if not completion.tool_calls:
        return None
    return [
        {
            "id": _call_id(call.tool_use_id),
            "type": "function",
            "function": {"name": call.name, "arguments": compact_json(call.input)},
        }
        for call in completion.tool_calls
    ]


def _usage(prompt: Prompt, completion: Completion) -> dict[str, int]:
    return {
        "prompt_tokens": prompt.input_tokens,
        "completion_tokens": completion.output_tokens,
        "total_tokens": prompt.input_tokens + completion.output_tokens,
    }


def _jamba_name(model_id: str) -> str:
    """AI21's name for a Jamba model (``ai21.jamba-1-5-mini-v1:0`` answers as ``jamba-1.5-mini``)."""
    name = model_id.removeprefix("ai21.").split("-v")[0]
    return name.replace("-1-5-", "-1.5-")


class _ChatCompletions:
    def __init__(self, schema: Any, *, openai: bool) -> None:
        self._schema = schema
        self._openai = openai

    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, self._schema(model))
        tools = _tools(valid)
        parts = [_text(message) for message in valid["messages"]]
        parts.extend(compact_json(tool) for tool in valid.get("tools", ()))
        max_tokens = valid.get("max_completion_tokens", valid.get("max_tokens", model.default_max_tokens))
        return Prompt(
            text_for_tokens="\n".join(part for part in parts if part),
            key=request_key(model, valid, _SAMPLING),
            max_tokens=max_tokens,
            stop_sequences=_stops(valid),
            tools=tools,
            tool_choice=_tool_choice(valid, tools),
            after_tool_result=valid["messages"][-1]["role"] == "tool",
            body=valid,
        )

    def _envelope(self, model: ModelInfo, request_id: str, kind: str) -> dict[str, Any]:
        envelope: dict[str, Any] = {"id": "chatcmpl-" + stable_id(request_id, 24)}
        if self._openai:
            envelope.update(object=kind, created=int(time.time()), model=model.model_id)
        return envelope

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        message = {"role": "assistant", "content": completion.text, "tool_calls": _tool_calls(completion)}
        choice = {"index": 0, "message": message, "finish_reason": _REASONS[completion.stop_reason]}
        body = {
            **self._envelope(model, request_id, "chat.completion"),
            "choices": [choice],
            "usage": _usage(prompt, completion),
        }
        if not self._openai:  # Jamba's answer ends with its run time and AI21's own model name (recorded)
            duration = latency_ms(prompt.input_tokens, completion.output_tokens)
            body.update(meta={"requestDurationMillis": duration}, model=_jamba_name(model.model_id))
        return body

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        envelope = self._envelope(model, request_id, "chat.completion.chunk")

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks.extend(chunk({"content": piece}) for piece in deltas)
        calls = _tool_calls(completion)
        if calls:
            chunks.append(chunk({"tool_calls": [{"index": i, **call} for i, call in enumerate(calls)]}))
        final = chunk({}, _REASONS[completion.stop_reason])
        final["usage"] = _usage(prompt, completion)
        chunks.append(final)
        return chunks


AI21_JAMBA = _ChatCompletions(_jamba_schema, openai=False)
OPENAI_CHAT = _ChatCompletions(_openai_schema, openai=True)
