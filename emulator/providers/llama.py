"""Meta Llama bodies ("llama"): a templated ``prompt`` in, ``generation`` with token counts out."""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

from typing import Any

from emulator.generation import Completion
from emulator.providers.contract import ModelInfo, Prompt, request_key, running_token_counts
from emulator.providers.schema import Schema, array, integer, number, obj, string, validate

_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "stop", "max_tokens": "length"}


def _schema(model: ModelInfo) -> Schema:
    return obj(
        {
            "prompt": string(),
            "max_gen_len": integer(1, model.max_output_tokens),
            "temperature": number(0, 1),
            "top_p": number(0, 1),
            "images": array(string()),
        },
        required=("prompt",),
    )


class Llama:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _schema(model))
        return Prompt(
            text_for_tokens=valid["prompt"],
            key=request_key(model, valid, ("max_gen_len", "temperature", "top_p")),
            max_tokens=valid.get("max_gen_len", model.default_max_tokens),
            body=valid,
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        return {
            "generation": completion.text,
            "prompt_token_count": prompt.input_tokens,
            "generation_token_count": completion.output_tokens,
            "stop_reason": _REASONS[completion.stop_reason],
        }

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        pieces = deltas or [""]
        counts = running_token_counts(pieces, completion.output_tokens)
        chunks: list[dict[str, Any]] = [
            {
                "generation": piece,
                "prompt_token_count": prompt.input_tokens if position == 0 else None,
                "generation_token_count": count,
                "stop_reason": None,
            }
            for position, (piece, count) in enumerate(zip(pieces, counts, strict=True))
        ]
        chunks[-1]["stop_reason"] = _REASONS[completion.stop_reason]
        return chunks


LLAMA = Llama()
