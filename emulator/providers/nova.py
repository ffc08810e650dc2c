"""Amazon Nova bodies ("nova"): the ``messages-v1`` schema in, Nova's native output and stream events out.

Nova's schema is closed at every level, so an Anthropic-style block is refused with
``#/messages/0/content/0: extraneous key [type] is not permitted`` (crmne/ruby_llm#586).
"""

# ruff: noqa: ARG002  # every family implements the one Provider signature; not all need every argument

from __future__ import annotations

from typing import Any

from emulator import reasoning
from emulator.generation import Completion, ToolSpec
from emulator.model_features import features_of
from emulator.providers.contract import ModelInfo, Prompt, compact_json, request_key
from emulator.providers.schema import Schema, array, enum, integer, number, obj, string, validate
from emulator.reasoning import Thinking

_OPEN: Schema = {"type": "object"}
_ANY: Schema = {}
# Nova's schema is closed inside the blocks too (AWS's "Complete request schema" for Nova; wire-facts §31):
# an Anthropic-style or misspelled member anywhere is an extraneous key.
_SOURCE: Schema = obj(
    {"bytes": string(), "s3Location": obj({"uri": string(), "bucketOwner": string()}, required=("uri",))}
)
_IMAGE: Schema = obj({"format": string(), "source": _SOURCE}, required=("format", "source"))
_VIDEO: Schema = obj({"format": string(), "source": _SOURCE}, required=("format", "source"))
_DOCUMENT: Schema = obj(
    {"format": string(), "name": string(), "source": _SOURCE}, required=("format", "name", "source")
)
_CACHE_POINT: Schema = obj({"type": string()})

_BLOCK: Schema = obj(
    {
        "text": string(),
        "image": _IMAGE,
        "video": _VIDEO,
        "document": _DOCUMENT,
        "toolUse": obj(
            {"toolUseId": string(), "name": string(), "input": _ANY}, required=("toolUseId", "name", "input")
        ),
        "toolResult": obj(
            {
                "toolUseId": string(),
                "content": array(
                    obj(
                        {
                            "text": string(),
                            "json": _ANY,
                            "image": _IMAGE,
                            "document": _DOCUMENT,
                            "video": _VIDEO,
                        }
                    )
                ),
                "status": string(),
            },
            required=("toolUseId", "content"),
        ),
        "cachePoint": _CACHE_POINT,
        "reasoningContent": obj(
            {"reasoningText": obj({"text": string(), "signature": string()}), "redactedContent": string()}
        ),
    }
)


def _schema(model: ModelInfo) -> Schema:
    # Nova 2 Lite takes its extended thinking as a top-level reasoningConfig; on other Nova models the
    # member is extraneous like any other (wire-facts §31).
    thinking: dict[str, Schema] = {"reasoningConfig": _OPEN} if _reasons(model) else {}
    return obj(
        {
            **thinking,
            "schemaVersion": string(),
            "system": array(obj({"text": string(), "cachePoint": _CACHE_POINT})),
            "messages": array(
                obj(
                    {"role": {"type": "string", **enum("user", "assistant")}, "content": array(_BLOCK)},
                    required=("role", "content"),
                )
            ),
            "inferenceConfig": obj(
                {
                    "max_new_tokens": integer(1, model.max_output_tokens),
                    "maxTokens": integer(1, model.max_output_tokens),
                    "temperature": number(0, 1),
                    "top_p": number(0, 1),
                    "topP": number(0, 1),
                    "top_k": integer(0, 128),
                    "topK": integer(0, 128),
                    "stopSequences": array(string(), maxItems=4),
                    "reasoningConfig": _OPEN,
                }
            ),
            "toolConfig": obj(
                {
                    "tools": array(
                        obj(
                            {
                                "toolSpec": obj(
                                    {
                                        "name": string(),
                                        "description": string(),
                                        "inputSchema": obj({"json": _OPEN}),
                                    },
                                    required=("name", "inputSchema"),
                                )
                            },
                            required=("toolSpec",),
                        )
                    ),
                    "toolChoice": obj(
                        {"auto": obj(), "any": obj(), "tool": obj({"name": string()}, required=("name",))}
                    ),
                }
            ),
        },
        required=("messages",),
    )


def _block_text(block: dict[str, Any]) -> str:
    if "text" in block:
        return str(block["text"])
    if "toolUse" in block:
        return compact_json(block["toolUse"].get("input", {}))
    if "toolResult" in block:
        return "\n".join(
            str(part.get("text", compact_json(part.get("json", ""))))
            for part in block["toolResult"].get("content", [])
            if isinstance(part, dict)
        )
    return ""


def _tool_choice(config: dict[str, Any], tools: tuple[ToolSpec, ...]) -> str | None:
    if not tools:
        return None
    choice = config.get("toolChoice", {"auto": {}})
    if "tool" in choice:
        return f"tool:{choice['tool'].get('name', '')}"
    return "any" if "any" in choice else "auto"


_SAMPLING = ("inferenceConfig",)


def _reasons(model: ModelInfo) -> bool:
    return features_of(model.model_id).reasoning == "effort"


def _thinking(valid: dict[str, Any], model: ModelInfo, max_tokens: int) -> Thinking | None:
    inference = valid.get("inferenceConfig", {})
    return reasoning.read_nova(
        valid.get("reasoningConfig"),
        supported=_reasons(model),
        inference={
            "temperature": inference.get("temperature"),
            "topP": inference.get("topP", inference.get("top_p")),
            "maxTokens": inference.get("max_new_tokens", inference.get("maxTokens")),
        },
        max_tokens=max_tokens,
        converse=False,
    )


def _reasoning_block(completion: Completion) -> list[dict[str, Any]]:
    thought = completion.reasoning
    return [] if thought is None else [{"reasoningContent": {"reasoningText": {"text": thought.text}}}]


class Nova:
    def validate(self, body: Any, model: ModelInfo) -> Prompt:
        valid = validate(body, _schema(model))
        parts = [str(block.get("text", "")) for block in valid.get("system", ())]
        for message in valid["messages"]:
            parts.extend(_block_text(block) for block in message["content"])
        config = valid.get("toolConfig", {})
        tools = tuple(
            ToolSpec(
                tool["toolSpec"]["name"],
                tool["toolSpec"].get("description", ""),
                dict(tool["toolSpec"]["inputSchema"].get("json", {"type": "object"})),
            )
            for tool in config.get("tools", ())
        )
        parts.extend(compact_json(tool["toolSpec"]) for tool in config.get("tools", ()))
        inference = valid.get("inferenceConfig", {})
        messages = valid["messages"]
        after_tool_result = bool(messages) and any("toolResult" in block for block in messages[-1]["content"])
        max_tokens = inference.get("max_new_tokens", inference.get("maxTokens", model.default_max_tokens))
        return Prompt(
            text_for_tokens="\n".join(part for part in parts if part),
            key=request_key(model, valid, _SAMPLING),
            max_tokens=max_tokens,
            stop_sequences=tuple(inference.get("stopSequences", ())),
            tools=tools,
            tool_choice=_tool_choice(config, tools),
            after_tool_result=after_tool_result,
            body=valid,
            thinking=_thinking(valid, model, max_tokens),
        )

    def respond(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str
    ) -> dict[str, Any]:
        content = _reasoning_block(completion)
        if completion.text or not completion.tool_calls:
            content.append({"text": completion.text})
        content.extend(
            {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name, "input": call.input}}
            for call in completion.tool_calls
        )
        return {
            "output": {"message": {"content": content, "role": "assistant"}},
            "stopReason": completion.stop_reason,
            "usage": _usage(prompt, completion),
        }

    def stream_chunks(
        self, prompt: Prompt, completion: Completion, model: ModelInfo, request_id: str, deltas: list[str]
    ) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
        index = 0
        if completion.reasoning is not None:  # as ConverseStream's reasoning delta (wire-facts §25)
            delta = {"reasoningContent": {"text": completion.reasoning.text}}
            chunks.append({"contentBlockDelta": {"delta": delta, "contentBlockIndex": index}})
            chunks.append({"contentBlockStop": {"contentBlockIndex": index}})
            index += 1
        if completion.text or not completion.tool_calls:
            chunks.extend(
                {"contentBlockDelta": {"delta": {"text": d}, "contentBlockIndex": index}} for d in deltas
            )
            chunks.append({"contentBlockStop": {"contentBlockIndex": index}})
            index += 1
        for call in completion.tool_calls:
            start = {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name}}
            chunks.append({"contentBlockStart": {"start": start, "contentBlockIndex": index}})
            chunks.extend(
                # Nova streams a tool's whole input in one delta (wire-facts §27)
                {"contentBlockDelta": {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": index}}
                for piece in [compact_json(call.input)]
            )
            chunks.append({"contentBlockStop": {"contentBlockIndex": index}})
            index += 1
        chunks.append({"messageStop": {"stopReason": completion.stop_reason}})
        usage = {
            "inputTokens": prompt.input_tokens,
            "outputTokens": completion.output_tokens,
            "cacheReadInputTokenCount": 0,
            "cacheWriteInputTokenCount": 0,
        }
        chunks.append({"metadata": {"usage": usage, "metrics": {}, "trace": {}}})
        return chunks


def _usage(prompt: Prompt, completion: Completion) -> dict[str, int]:
    return {
        "inputTokens": prompt.input_tokens,
        "outputTokens": completion.output_tokens,
        "totalTokens": prompt.input_tokens + completion.output_tokens,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    }


NOVA = Nova()
