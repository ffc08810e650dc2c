"""Checking a customization job's JSONL data in the format its base model's family documents, and
counting its records.

- fine-tuning Titan Text, Llama, Cohere: ``{"prompt": "...", "completion": "..."}``;
- continued pre-training: ``{"input": "..."}``;
- Amazon Nova (fine-tuning and distillation): ``{"schemaVersion": "bedrock-conversation-2024",
  "system": [{"text"}], "messages": [{"role": "user"|"assistant", "content": [{"text"}]}]}`` (distillation
  prompts may stop at the user's turn);
- Claude 3 Haiku: ``{"system": "...", "messages": [{"role", "content": "..."}]}``, alternating, user first;
- image models: ``{"image-ref": "s3://...", "caption": "..."}``.

A record that does not fit fails the job with the message Bedrock gives for its format (the
prompt/completion one is seen, wire-facts §21; the others are worded the same way).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from emulator.bedrock_control import customizable
from emulator.bedrock_control.s3_data import DataError, parse_uri

_SHAPES: Final = {
    customizable.PROMPT_COMPLETION: '{"prompt": "<input text>", "completion": "<output text>"}',
    "input": '{"input": "<input text>"}',
    customizable.CONVERSATION: (
        '{"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "<system prompt>"}], '
        '"messages": [{"role": "user", "content": [{"text": "<input text>"}]}, '
        '{"role": "assistant", "content": [{"text": "<output text>"}]}]}'
    ),
    customizable.CLAUDE_MESSAGES: (
        '{"system": "<system message>", "messages": [{"role": "user", "content": "<user query>"}, '
        '{"role": "assistant", "content": "<expected generated text>"}]}'
    ),
    customizable.IMAGE_CAPTION: '{"image-ref": "s3://<bucket>/<image>", "caption": "<caption text>"}',
}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _prompt_completion(record: dict[str, Any], _distill: bool) -> bool:
    return _text(record.get("prompt")) and isinstance(record.get("completion"), str)


def _input(record: dict[str, Any], _distill: bool) -> bool:
    return _text(record.get("input"))


def _conversation(record: dict[str, Any], distill: bool) -> bool:
    if record.get("schemaVersion") != "bedrock-conversation-2024":
        return False
    system = record.get("system", [])
    if not isinstance(system, list) or not all(isinstance(s, dict) and _text(s.get("text")) for s in system):
        return False
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return False
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if not isinstance(message, dict) or message.get("role") != expected:
            return False
        content = message.get("content")
        if not isinstance(content, list) or not content or not all(isinstance(c, dict) for c in content):
            return False
    return distill or messages[-1].get("role") == "assistant"


def _claude(record: dict[str, Any], _distill: bool) -> bool:
    if "system" in record and not isinstance(record["system"], str):
        return False
    messages = record.get("messages")
    if not isinstance(messages, list) or len(messages) < 2:
        return False
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if (
            not isinstance(message, dict)
            or message.get("role") != expected
            or not _text(message.get("content"))
        ):
            return False
    return bool(messages[-1].get("role") == "assistant")


def _image_caption(record: dict[str, Any], _distill: bool) -> bool:
    ref = record.get("image-ref")
    return isinstance(ref, str) and parse_uri(ref) is not None and _text(record.get("caption"))


_CHECKS: Final[dict[str, Callable[[dict[str, Any], bool], bool]]] = {
    customizable.PROMPT_COMPLETION: _prompt_completion,
    "input": _input,
    customizable.CONVERSATION: _conversation,
    customizable.CLAUDE_MESSAGES: _claude,
    customizable.IMAGE_CAPTION: _image_caption,
}


def record_format(variant: customizable.Variant, customization_type: str) -> str:
    """The JSONL record a job of this type on this model reads."""
    if customization_type == customizable.CONTINUED_PRE_TRAINING:
        return "input"
    return variant.data_format


def count_records(data: bytes, uri: str, data_format: str, *, limit: int, distillation: bool = False) -> int:
    """The number of records in a JSONL file, or ``DataError`` for the first one out of format. Counting
    stops past ``limit`` (the answer is then ``limit + 1``): a job over its quota fails either way."""
    location = parse_uri(uri)
    key = location[1] if location is not None else uri
    wrong = DataError(f"Input data at {key} must follow '{_SHAPES[data_format]}' format")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"Input data at {key} is not valid UTF-8 text.") from None
    check = _CHECKS[data_format]
    count = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise wrong from None
        if not isinstance(record, dict) or not check(record, distillation):
            raise wrong
        count += 1
        if count > limit:
            break
    if count == 0:
        raise DataError(f"Input data at {key} contains no records.")
    return count
