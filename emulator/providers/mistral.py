"""Mistral AI bodies: text completion with an ``[INST]`` prompt ("mistral") and chat completion for Mistral
Large 2 and later ("mistral-chat"), as the Bedrock parameter pages describe them."""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

from typing import Any

from emulator.generation import Completion, ToolSpec
from emulator.providers.contract import ModelInfo, Prompt, compact_json, request_key, stable_id
from emulator.providers.schema import Schema, array, enum, integer, number, obj, string, validate

_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
_SAMPLING = ("max_tokens", "temperature", "top_p", "top_k", "stop")


def _text_schema(model: ModelInfo) -> Schema:
    return obj(
        {
            "prompt": string(),
            "max_tokens": integer(1, model.max_output_tokens),
            "stop": array(string(), maxItems=10),
            "temperature": number(0, 1),
            "top_p": number(0, 1),
            "top_k": integer(0, 200),
        },
        required=("prompt",),
    )


class MistralText:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _text_schema(model))
        return Prompt(
            text_for_tokens=valid["prompt"],
            key=request_key(model, valid, _SAMPLING),
            max_tokens=valid.get("max_tokens", model.default_max_tokens),
            stop_sequences=tuple(valid.get("stop", ())),
            body=valid,
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        return {"outputs": [{"text": completion.text, "stop_reason": _REASONS[completion.stop_reason]}]}

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        pieces = deltas or [""]
        chunks = [{"outputs": [{"text": piece, "stop_reason": None}]} for piece in pieces]
        chunks[-1]["outputs"][0]["stop_reason"] = _REASONS[completion.stop_reason]
        return chunks


def _chat_schema(model: ModelInfo) -> Schema:
    function = obj(
        {"name": string(), "description": string(), "parameters": {"type": "object"}}, required=("name",)
    )
    return obj(
        {
            "messages": array(
                obj(
                    {
                        "role": {"type": "string", **enum("system", "user", "assistant", "tool")},
                        "content": {"anyOf": [string(), array({"type": "object"})]},
                        "tool_calls": array({"type": "object"}),
                        "tool_call_id": string(),
                        "name": string(),
                    },
                    required=("role",),
                ),
                minItems=1,
            ),
            "tools": array(
                obj({"type": enum("function"), "function": function}, required=("type", "function"))
            ),
            "tool_choice": {"type": "string", **enum("auto", "any", "none")},
            "max_tokens": integer(1, model.max_output_tokens),
            "temperature": number(0, 1),
            "top_p": number(0, 1),
        },
        required=("messages",),
    )


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    parts = [content] if isinstance(content, str) else [str(p.get("text", "")) for p in content or ()]
    parts.extend(compact_json(call.get("function", {})) for call in message.get("tool_calls", ()))
    return "\n".join(part for part in parts if part)


def _call_id(tool_use_id: str) -> str:
    # Mistral's tool call ids are nine alphanumerics: one already in that form (a scenario's scripted one)
    # is sent as it is, others are derived.
    if len(tool_use_id) == 9 and tool_use_id.isascii() and tool_use_id.isalnum():
        return tool_use_id
    return stable_id(tool_use_id, 9)


def _chat_tool_calls(completion: Completion) -> list[dict[str, Any]]:
    return [
        {
            "id": _call_id(call.tool_use_id),
            "function": {"name": call.name, "arguments": compact_json(call.input)},
        }
        for call in completion.tool_calls
    ]


class MistralChat:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _chat_schema(model))
        tools = tuple(
            ToolSpec(
                tool["function"]["name"],
                tool["function"].get("description", ""),
                dict(tool["function"].get("parameters", {"type": "object"})),
            )
            for tool in valid.get("tools", ())
        )
        parts = [_message_text(message) for message in valid["messages"]]
        parts.extend(compact_json(tool["function"]) for tool in valid.get("tools", ()))
        return Prompt(
            text_for_tokens="\n".join(part for part in parts if part),
            key=request_key(model, valid, _SAMPLING),
            max_tokens=valid.get("max_tokens", model.default_max_tokens),
            tools=tools,
            tool_choice=valid.get("tool_choice", "auto") if tools else None,
            after_tool_result=valid["messages"][-1]["role"] == "tool",
            body=valid,
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": completion.text, "tool_calls": None}
        if completion.tool_calls:
            message["tool_calls"] = _chat_tool_calls(completion)
        return {
            "choices": [{"index": 0, "message": message, "stop_reason": _REASONS[completion.stop_reason]}]
        }

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = [
            {
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": piece}, "stop_reason": None}
                ]
            }
            for piece in deltas or [""]
        ]
        if completion.tool_calls:
            tool_message = {"role": "assistant", "content": "", "tool_calls": _chat_tool_calls(completion)}
            chunks.append({"choices": [{"index": 0, "message": tool_message, "stop_reason": None}]})
        chunks[-1]["choices"][0]["stop_reason"] = _REASONS[completion.stop_reason]
        return chunks


MISTRAL_TEXT = MistralText()
MISTRAL_CHAT = MistralChat()
