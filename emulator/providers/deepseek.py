"""DeepSeek-R1 bodies ("deepseek"): a templated ``prompt`` in, ``choices[].text`` out."""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

from typing import Any

from emulator.generation import Completion
from emulator.providers.contract import ModelInfo, Prompt, request_key
from emulator.providers.schema import Schema, array, integer, number, obj, string, validate

_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "stop", "max_tokens": "length"}


def _schema(model: ModelInfo) -> Schema:
    return obj(
        {
            "prompt": string(),
            "max_tokens": integer(1, model.max_output_tokens),
            "temperature": number(0, 1),
            "top_p": number(0, 1),
            "stop": array(string(), maxItems=10),
        },
        required=("prompt",),
    )


class DeepSeek:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _schema(model))
        return Prompt(
            text_for_tokens=valid["prompt"],
            key=request_key(model, valid, ("max_tokens", "temperature", "top_p", "stop")),
            max_tokens=valid.get("max_tokens", model.default_max_tokens),
            stop_sequences=tuple(valid.get("stop", ())),
            body=valid,
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        return {"choices": [{"text": completion.text, "stop_reason": _REASONS[completion.stop_reason]}]}

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        chunks = [{"choices": [{"text": piece, "stop_reason": None}]} for piece in deltas or [""]]
        chunks[-1]["choices"][0]["stop_reason"] = _REASONS[completion.stop_reason]
        return chunks


DEEPSEEK = DeepSeek()
