"""Bedrock conversations as OpenAI chat-completions ``messages``: what a real model behind
``serve --model-backend`` is shown (``emulator.model_backend`` sends it).

Converse bodies (and Nova's InvokeModel bodies, which share their blocks) and Anthropic Messages bodies
are translated block by block: text, images as data URLs, text documents as their text, tool uses as
assistant ``tool_calls`` with Bedrock's ids, tool results as ``tool`` messages. Chat-shaped bodies
(OpenAI, Mistral chat, Jamba) pass through; Cohere's chat history becomes turns; text-completion bodies
become one user message holding the prompt. Reasoning blocks and cache points are not shown to the model.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Final

from emulator.responder import ChatInput

__all__ = ["from_converse", "from_invoke", "speaks"]

# The InvokeModel body families whose answers are text (embeddings, rerank and images are not).
_TEXT_FAMILIES: Final = frozenset(
    {
        "anthropic-messages",
        "anthropic-text",
        "titan-text",
        "nova",
        "llama",
        "mistral",
        "mistral-chat",
        "cohere-command-r",
        "ai21-jamba",
        "openai-chat",
        "deepseek",
    }
)
_CHAT_FAMILIES: Final = frozenset({"openai-chat", "mistral-chat", "ai21-jamba"})
_TEXT_DOCUMENTS: Final = frozenset({"txt", "md", "csv", "html"})
_IMAGE_TYPES: Final = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}

Message = dict[str, Any]


def speaks(family: str) -> bool:
    """Whether a body family's answers are text a chat model writes."""
    return family in _TEXT_FAMILIES


def from_converse(body: Mapping[str, Any]) -> ChatInput:
    """A validated Converse (or Nova InvokeModel) body as chat messages and sampling parameters."""
    messages: list[Message] = []
    system = "\n".join(_texts(_list(body.get("system")), "text"))
    if system:
        messages.append({"role": "system", "content": system})
    for message in _list(body.get("messages")):
        if not isinstance(message, Mapping):
            continue
        blocks = [block for block in _list(message.get("content")) if isinstance(block, Mapping)]
        if message.get("role") == "assistant":
            calls = [_call(b["toolUse"], "toolUseId", "input") for b in blocks if _has(b, "toolUse")]
            messages.append(_assistant(_texts(blocks, "text"), calls))
            continue
        for block in blocks:
            if _has(block, "toolResult"):
                result = block["toolResult"]
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": str(result.get("toolUseId", "")),
                        "content": _result_text(_list(result.get("content"))),
                    }
                )
        parts = [part for block in blocks for part in _converse_parts(block)]
        if parts:
            messages.append({"role": "user", "content": _content(parts)})
    inference = body.get("inferenceConfig")
    return ChatInput(messages, *_sampling(inference, "temperature", ("topP", "top_p")))


def from_invoke(family: str, body: Mapping[str, Any], prompt_text: str) -> ChatInput:
    """A validated InvokeModel body of ``family`` as chat messages and sampling parameters;
    ``prompt_text`` is what a family without turns shows the model."""
    if family == "nova":
        return from_converse(body)
    sampling = _sampling(body, "temperature", ("top_p", "p"))
    if family == "anthropic-messages":
        return ChatInput(_anthropic(body), *sampling)
    if family in _CHAT_FAMILIES:
        return ChatInput(_chat(body), *sampling)
    if family == "cohere-command-r":
        return ChatInput(_cohere(body), *sampling)
    if family == "titan-text":
        sampling = _sampling(body.get("textGenerationConfig"), "temperature", ("topP",))
    text = body.get("prompt", body.get("inputText"))
    return ChatInput([{"role": "user", "content": text if isinstance(text, str) else prompt_text}], *sampling)


# -- Converse blocks --------------------------------------------------------------------------------


def _converse_parts(block: Mapping[str, Any]) -> list[Message]:
    if isinstance(block.get("text"), str):
        return [_text(block["text"])]
    guarded = block.get("guardContent")
    if isinstance(guarded, Mapping) and isinstance(guarded.get("text"), Mapping):
        return [_text(str(guarded["text"].get("text", "")))]
    image = block.get("image")
    if isinstance(image, Mapping):
        source = image.get("source")
        data = source.get("bytes") if isinstance(source, Mapping) else None
        media = _IMAGE_TYPES.get(str(image.get("format")))
        if isinstance(data, str) and media:
            return [_image(f"data:{media};base64,{data}")]
    document = block.get("document")
    if isinstance(document, Mapping):
        return [_text(_document(document))]
    return []


def _document(document: Mapping[str, Any]) -> str:
    """A document as the model reads it: the text of a text format, else its name."""
    name = str(document.get("name", "document"))
    source = document.get("source")
    if isinstance(source, Mapping):
        if isinstance(source.get("text"), str):
            return f"{name}:\n{source['text']}"
        data = source.get("bytes")
        if isinstance(data, str) and document.get("format") in _TEXT_DOCUMENTS:
            try:
                return f"{name}:\n{base64.b64decode(data).decode('utf-8', 'replace')}"
            except (binascii.Error, ValueError):
                pass
    return f"[document: {name}]"


def _result_text(content: list[Any]) -> str:
    pieces: list[str] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        if isinstance(part.get("text"), str):
            pieces.append(part["text"])
        elif "json" in part:
            pieces.append(json.dumps(part["json"], ensure_ascii=False))
        elif isinstance(part.get("document"), Mapping):
            pieces.append(_document(part["document"]))
    return "\n".join(pieces)


# -- InvokeModel bodies -----------------------------------------------------------------------------


def _anthropic(body: Mapping[str, Any]) -> list[Message]:
    messages: list[Message] = []
    system = body.get("system")
    text = system if isinstance(system, str) else "\n".join(_texts(_list(system), "text"))
    if text:
        messages.append({"role": "system", "content": text})
    for message in _list(body.get("messages")):
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else _list(content)
        blocks = [block for block in blocks if isinstance(block, Mapping)]
        typed = [block for block in blocks if isinstance(block.get("type"), str)]
        if message.get("role") == "assistant":
            calls = [_call(b, "id", "input") for b in typed if b["type"] == "tool_use"]
            words = [str(b.get("text", "")) for b in typed if b["type"] == "text"]
            messages.append(_assistant(words, calls))
            continue
        for block in typed:
            if block["type"] == "tool_result":
                result = block.get("content")
                shown = result if isinstance(result, str) else _result_text(_list(result))
                messages.append(
                    {"role": "tool", "tool_call_id": str(block.get("tool_use_id", "")), "content": shown}
                )
        parts = [part for block in typed for part in _anthropic_parts(block)]
        if parts:
            messages.append({"role": "user", "content": _content(parts)})
    return messages


def _anthropic_parts(block: Mapping[str, Any]) -> list[Message]:
    kind = block["type"]
    if kind == "text":
        return [_text(str(block.get("text", "")))]
    source = block.get("source")
    if not isinstance(source, Mapping):
        return []
    if kind == "image" and source.get("type") == "base64":
        return [_image(f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}")]
    if kind == "image" and source.get("type") == "url":
        return [_image(str(source.get("url", "")))]
    if kind == "document":
        title = str(block.get("title", "document"))
        if source.get("type") == "text":
            return [_text(f"{title}:\n{source.get('data', '')}")]
        return [_text(f"[document: {title}]")]
    return []


def _chat(body: Mapping[str, Any]) -> list[Message]:
    """Chat-shaped bodies already are chat messages: only the members chat-completions knows are kept."""
    keep = ("role", "content", "tool_calls", "tool_call_id", "name")
    messages: list[Message] = []
    for message in _list(body.get("messages")):
        if isinstance(message, Mapping):
            kept = {key: message[key] for key in keep if message.get(key) is not None}
            kept.setdefault("content", "")
            messages.append(kept)
    return messages


def _cohere(body: Mapping[str, Any]) -> list[Message]:
    roles = {"USER": "user", "CHATBOT": "assistant", "SYSTEM": "system"}
    messages: list[Message] = []
    if isinstance(body.get("preamble"), str):
        messages.append({"role": "system", "content": body["preamble"]})
    for turn in _list(body.get("chat_history")):
        if isinstance(turn, Mapping):
            role = roles.get(str(turn.get("role", "")).upper(), "user")
            messages.append({"role": role, "content": str(turn.get("message", ""))})
    documents = [json.dumps(doc, ensure_ascii=False) for doc in _list(body.get("documents"))]
    message = str(body.get("message", ""))
    messages.append({"role": "user", "content": "\n".join([*documents, message]) if documents else message})
    return messages


# -- pieces -----------------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _has(block: Mapping[str, Any], member: str) -> bool:
    return isinstance(block.get(member), Mapping)


def _texts(blocks: list[Any], member: str) -> list[str]:
    return [b[member] for b in blocks if isinstance(b, Mapping) and isinstance(b.get(member), str)]


def _text(text: str) -> Message:
    return {"type": "text", "text": text}


def _image(url: str) -> Message:
    return {"type": "image_url", "image_url": {"url": url}}


def _content(parts: list[Message]) -> str | list[Message]:
    """Plain text when every part is text (what every server reads), else the parts."""
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _call(use: Mapping[str, Any], id_member: str, input_member: str) -> Message:
    arguments = use.get(input_member)
    return {
        "id": str(use.get(id_member, "")),
        "type": "function",
        "function": {
            "name": str(use.get("name", "")),
            "arguments": json.dumps(arguments if arguments is not None else {}, ensure_ascii=False),
        },
    }


def _assistant(texts: list[str], calls: list[Message]) -> Message:
    message: Message = {"role": "assistant", "content": "\n".join(texts) if texts or not calls else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _sampling(
    config: Any, temperature_member: str, top_p_members: tuple[str, ...]
) -> tuple[float | None, float | None]:
    if not isinstance(config, Mapping):
        return None, None
    temperature = _number(config.get(temperature_member))
    top_p = next((_number(config[m]) for m in top_p_members if m in config), None)
    return temperature, top_p


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
