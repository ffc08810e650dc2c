"""Cohere Command R / R+ bodies ("cohere-command-r"): Cohere's v1 chat API (``message``, ``chat_history``,
``preamble``) in, ``text`` with the updated ``chat_history`` out; streams Cohere's own chat events."""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

from typing import Any

from emulator.generation import Completion, ToolSpec
from emulator.providers.contract import ModelInfo, Prompt, compact_json, request_key, stable_uuid
from emulator.providers.schema import Schema, array, boolean, enum, integer, number, obj, string, validate

_REASONS = {
    "end_turn": "COMPLETE",
    "tool_use": "COMPLETE",
    "max_tokens": "MAX_TOKENS",
    "stop_sequence": "STOP_SEQUENCE",
}
_SAMPLING = (
    "max_tokens",
    "temperature",
    "p",
    "k",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "return_prompt",
    "stop_sequences",
)
_OPEN: Schema = {"type": "object"}


def _schema(model: ModelInfo) -> Schema:
    return obj(
        {
            "message": string(),
            "chat_history": array(
                obj(
                    {
                        "role": {"type": "string", **enum("USER", "CHATBOT", "SYSTEM", "TOOL")},
                        "message": string(),
                    },
                    required=("role",),
                    closed=False,
                )
            ),
            "documents": array(_OPEN),
            "search_queries_only": boolean(),
            "preamble": string(),
            "max_tokens": integer(1, model.max_output_tokens),
            "temperature": number(0, 1),
            "p": number(0.01, 0.99),
            "k": integer(0, 500),
            "prompt_truncation": {"type": "string", **enum("OFF", "AUTO_PRESERVE_ORDER")},
            "frequency_penalty": number(0, 1),
            "presence_penalty": number(0, 1),
            "seed": integer(),
            "return_prompt": boolean(),
            "tools": array(_OPEN),
            "tool_results": array(_OPEN),
            "stop_sequences": array(string(), maxItems=4),
            "raw_prompting": boolean(),
        },
        required=("message",),
    )


_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
}


def _tool(spec: dict[str, Any]) -> ToolSpec:
    """Cohere's ``parameter_definitions`` as the JSON schema generation expects."""
    definitions: dict[str, Any] = spec.get("parameter_definitions", {})
    properties = {
        name: {"type": _TYPES.get(str(d.get("type", "str")).split("[")[0].lower(), "string")}
        for name, d in definitions.items()
    }
    required = [name for name, d in definitions.items() if d.get("required")]
    schema = {"type": "object", "properties": properties, "required": required}
    return ToolSpec(str(spec.get("name", "")), str(spec.get("description", "")), schema)


class CohereCommandR:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _schema(model))
        parts = [str(valid.get("preamble", ""))]
        parts.extend(str(turn.get("message", "")) for turn in valid.get("chat_history", ()))
        parts.extend(compact_json(document) for document in valid.get("documents", ()))
        parts.extend(compact_json(result) for result in valid.get("tool_results", ()))
        parts.append(valid["message"])
        tools = tuple(_tool(spec) for spec in valid.get("tools", ()))
        parts.extend(compact_json(spec) for spec in valid.get("tools", ()))
        return Prompt(
            text_for_tokens="\n".join(part for part in parts if part),
            key=request_key(model, valid, _SAMPLING),
            max_tokens=valid.get("max_tokens", model.default_max_tokens),
            stop_sequences=tuple(valid.get("stop_sequences", ())),
            tools=tools,
            tool_choice="auto" if tools else None,
            after_tool_result=bool(valid.get("tool_results")),
            body=valid,
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        history = [*prompt.body.get("chat_history", ()), {"role": "USER", "message": prompt.body["message"]}]
        reply: dict[str, Any] = {"role": "CHATBOT", "message": completion.text}
        response: dict[str, Any] = {
            "response_id": stable_uuid("response" + request_id),
            "text": completion.text,
            "generation_id": stable_uuid("generation" + request_id),
            "chat_history": [*history, reply],
            "finish_reason": _REASONS[completion.stop_reason],
        }
        if completion.tool_calls:
            calls = [{"name": call.name, "parameters": call.input} for call in completion.tool_calls]
            response["tool_calls"] = calls
            reply["tool_calls"] = calls
        return response

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        final = self.respond(prompt, completion, model, request_id)
        chunks: list[dict[str, Any]] = [
            {"is_finished": False, "event_type": "stream-start", "generation_id": final["generation_id"]}
        ]
        chunks.extend(
            {"is_finished": False, "event_type": "text-generation", "text": piece} for piece in deltas
        )
        if completion.tool_calls:
            chunks.append(
                {
                    "is_finished": False,
                    "event_type": "tool-calls-generation",
                    "tool_calls": final["tool_calls"],
                }
            )
        chunks.append(
            {
                "is_finished": True,
                "event_type": "stream-end",
                "response": final,
                "finish_reason": final["finish_reason"],
            }
        )
        return chunks


COHERE_COMMAND_R = CohereCommandR()
