"""Per-model conversation rules: what a model takes in a Converse conversation beyond the request shape.

The rules are data (the ``rules`` section of ``emulator/data/model_features.json``): a default, overridden
by the model's body family and then by the model itself. They are resolved once at import into one
``Rules`` per catalogue model, together with the catalogue's own facts (system prompt, media kinds), so a
request pays one dict lookup. docs/wire-facts.md §31 cites where each rule comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from emulator import catalog, model_features
from emulator.catalog import FoundationModel

__all__ = ["MEDIA_KINDS", "SAMPLING", "Rules", "build", "rules_of", "rules_of_id"]

MEDIA_KINDS: Final = ("image", "document", "video", "audio")
SAMPLING: Final = ("temperature", "top_p")  # the parameters exclusive_sampling may name (Anthropic's names)
_FIELDS: Final = (
    "s3_sources",
    "tool_choices",
    "assistant_first",
    "system_messages",
    "alternate",
    "whitespace_text",
    "tool_result_mixing",
    "tool_use_mixing",
    "exclusive_sampling",
)


@dataclass(frozen=True)
class Rules:
    media: frozenset[str]  # content kinds user messages may carry: image, document, video, audio
    system_prompt: bool  # a top-level system prompt is taken
    s3_sources: bool  # media may come from an s3Location instead of bytes
    tool_choices: frozenset[str]  # toolConfig.toolChoice members taken: auto, any, tool
    assistant_first: bool  # the conversation may open with an assistant message
    system_messages: bool  # messages with role system may follow the first message
    alternate: bool  # user and assistant turns must alternate
    whitespace_text: bool  # a whitespace-only text block is taken (Claude refuses it)
    tool_result_mixing: bool  # a user turn may carry text or media beside its tool results
    tool_use_mixing: bool  # an assistant turn may carry text or media beside its tool uses
    exclusive_sampling: tuple[str, ...]  # inference parameters refused together (Converse names)


def _media(model: FoundationModel) -> frozenset[str]:
    kinds = set()
    if model.image_input:
        kinds.add("image")
    if model.document_chat:
        kinds.add("document")
    kinds.update(kind for kind in ("video", "audio") if kind.upper() in model.input_modalities)
    return frozenset(kinds)


def _resolve(model: FoundationModel, spec: dict[str, Any]) -> Rules:
    missing = set(_FIELDS) - set(spec)
    if missing:
        raise ValueError(f"model_features.json rules for {model.model_id}: missing {sorted(missing)}")
    return Rules(
        media=_media(model),
        system_prompt=model.system_prompt,
        s3_sources=bool(spec["s3_sources"]),
        tool_choices=frozenset(str(choice) for choice in spec["tool_choices"]),
        assistant_first=bool(spec["assistant_first"]),
        system_messages=bool(spec["system_messages"]),
        alternate=bool(spec["alternate"]),
        whitespace_text=bool(spec["whitespace_text"]),
        tool_result_mixing=bool(spec["tool_result_mixing"]),
        tool_use_mixing=bool(spec["tool_use_mixing"]),
        exclusive_sampling=tuple(str(name) for name in spec["exclusive_sampling"]),
    )


def build(data: dict[str, Any]) -> tuple[dict[str, Rules], dict[str, Any]]:
    """Every catalogue model's rules from the ``rules`` section, and the default spec; refuses names it
    does not know, since a typo would otherwise silently give a model the default rules."""
    default: dict[str, Any] = data["default"]
    families: dict[str, dict[str, Any]] = data["families"]
    models: dict[str, dict[str, Any]] = data["models"]
    unknown = (set(families) - catalog.BODY_FAMILIES) | {m for m in models if catalog.get(m) is None}
    specs = (default, *families.values(), *models.values())
    unknown |= {key for spec in specs for key in spec} - set(_FIELDS)
    unknown |= {name for spec in specs for name in spec.get("exclusive_sampling", ())} - set(SAMPLING)
    unknown |= {name for spec in specs for name in spec.get("tool_choices", ())} - {"auto", "any", "tool"}
    if unknown:
        raise ValueError(
            f"model_features.json rules name unknown families, models, fields or values: {sorted(unknown)}"
        )
    table = {
        model.model_id: _resolve(
            model, {**default, **families.get(model.body_family, {}), **models.get(model.model_id, {})}
        )
        for model in catalog.foundation_models()
    }
    return table, default


def _load() -> tuple[dict[str, Rules], dict[str, Any]]:
    return build(model_features.data()["rules"])


_TABLE, _DEFAULT = _load()


def rules_of(model: FoundationModel) -> Rules:
    """The rules of a catalogue model: one lookup (a model built outside the catalogue gets the defaults)."""
    rules = _TABLE.get(model.model_id)
    return rules if rules is not None else _resolve(model, _DEFAULT)


def rules_of_id(model_id: str) -> Rules | None:
    """The rules of a bare catalogue model id, None for another (the InvokeModel families see ``ModelInfo``)."""
    return _TABLE.get(model_id)
