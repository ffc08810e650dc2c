"""Amazon Titan Text bodies ("titan-text"): ``inputText`` + ``textGenerationConfig`` in, ``results`` out."""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

from typing import Any

from emulator.generation import Completion
from emulator.providers.contract import ModelInfo, Prompt, request_key
from emulator.providers.schema import Schema, array, integer, number, obj, string, validate

_REASONS = {
    "end_turn": "FINISH",
    "max_tokens": "LENGTH",
    "stop_sequence": "STOP_CRITERIA_MET",
    "tool_use": "FINISH",
}


def _schema(model: ModelInfo) -> Schema:
    return obj(
        {
            "inputText": string(minLength=1),
            "textGenerationConfig": obj(
                {
                    "maxTokenCount": integer(0, model.max_output_tokens),
                    "temperature": number(0, 1),
                    "topP": number(0, 1),
                    "stopSequences": array(string()),
                }
            ),
        },
        required=("inputText",),
    )


class TitanText:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _schema(model))
        config: dict[str, Any] = valid.get("textGenerationConfig", {})
        return Prompt(
            text_for_tokens=valid["inputText"],
            key=request_key(model, {"inputText": valid["inputText"]}, ()),
            max_tokens=config.get("maxTokenCount", model.default_max_tokens),
            stop_sequences=tuple(config.get("stopSequences", ())),
            body=valid,
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        return {
            "inputTextTokenCount": prompt.input_tokens,
            "results": [
                {
                    "tokenCount": completion.output_tokens,
                    "outputText": completion.text,
                    "completionReason": _REASONS[completion.stop_reason],
                }
            ],
        }

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        pieces = deltas or [""]
        chunks: list[dict[str, Any]] = [
            {
                "outputText": piece,
                "index": 0,
                "totalOutputTextTokenCount": None,
                "completionReason": None,
                "inputTextTokenCount": prompt.input_tokens if position == 0 else None,
            }
            for position, piece in enumerate(pieces)
        ]
        # The running count is sent only with the last chunk, as the reason is (recorded, wire-facts §33)
        chunks[-1]["totalOutputTextTokenCount"] = completion.output_tokens
        chunks[-1]["completionReason"] = _REASONS[completion.stop_reason]
        return chunks


TITAN_TEXT = TitanText()
