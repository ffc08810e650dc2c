"""The model's answer as an agent trace's ``rawResponse`` holds it (wire-facts, "Agent and guardrail
traces"): a Claude model's Messages answer, any other model's Converse answer, each serialised as Bedrock's
agents serialise them (every member of a content block present, null when unused), compact JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.providers.anthropic import model_name
from emulator.providers.contract import stable_id


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: Mapping[str, Any]


# The members of a content block as Bedrock's agents serialise a Claude message (every one, null when unused)
# and a Converse one; recorded in 2025.
_CLAUDE_BLOCK = (
    "imageSource",
    "reasoningTextSignature",
    "reasoningRedactedContent",
    "name",
    "type",
    "id",
    "source",
    "input",
    "is_error",
    "text",
    "content",
    "reasoningText",
    "guardContent",
    "tool_use_id",
)
_CONVERSE_BLOCK = (
    "text",
    "image",
    "document",
    "video",
    "toolUse",
    "toolResult",
    "guardContent",
    "cachePoint",
    "reasoningContent",
    "citationsContent",
)
_CONVERSE_USAGE_NULLS = (
    "cacheReadInputTokenCount",
    "cacheWriteInputTokenCount",
    "cacheReadInputTokens",
    "cacheWriteInputTokens",
)


def raw_response(
    foundation_model: str,
    trace_id: str,
    parts: Sequence[str | ToolCall],
    stop_reason: str,
    stop_sequence: str | None,
    input_tokens: int,
    output_tokens: int,
) -> str:
    """The model's answer as an agent trace's ``rawResponse`` holds it: a Claude model's Messages answer, any
    other model's Converse answer, as compact JSON."""
    if "anthropic." in foundation_model:
        blocks = [
            _block(_CLAUDE_BLOCK, {"type": "text", "text": p})
            if isinstance(p, str)
            else _block(
                _CLAUDE_BLOCK, {"type": "tool_use", "id": p.id, "name": p.name, "input": dict(p.input)}
            )
            for p in parts
        ]
        message: dict[str, Any] = {
            "stop_sequence": stop_sequence,
            "type": "message",
            "id": "msg_bdrk_01" + stable_id(trace_id, 22),
            "content": blocks,
            "model": model_name(foundation_model),
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_read_input_tokens": None,
                "cache_creation_input_tokens": None,
            },
            "role": "assistant",
            "stop_reason": stop_reason,
        }
    else:
        content = [
            _block(_CONVERSE_BLOCK, {"text": p})
            if isinstance(p, str)
            else _block(
                _CONVERSE_BLOCK, {"toolUse": {"toolUseId": p.id, "name": p.name, "input": dict(p.input)}}
            )
            for p in parts
        ]
        usage: dict[str, Any] = {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": None,  # as recorded (Nova Pro, August 2025)
        }
        usage.update(dict.fromkeys(_CONVERSE_USAGE_NULLS))
        message = {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": usage,
            "metrics": None,
            "additionalModelResponseFields": None,
            "trace": None,
            "performanceConfig": None,
        }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _block(members: tuple[str, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values.get(name) for name in members}
