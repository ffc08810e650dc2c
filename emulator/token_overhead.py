"""The tokens a model's chat template and hidden prompts add to what a request says.

Bedrock's input counts (Converse ``usage``, InvokeModel's ``x-amzn-bedrock-input-token-count`` and usage
members, CountTokens) include more than the words sent: the turn markers of the model's chat template,
and, with tools, the system prompt the provider adds (Anthropic publishes its size per model and tool
choice). The figures are data (``emulator/data/token_overhead.json``): per body family, overridden per
model-id prefix; docs/wire-facts.md §33 cites them and measures the approximation against recorded
answers. Looking a model up is cached, so counting costs a few additions per call.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from emulator.catalog import FoundationModel
    from emulator.providers.contract import Prompt

__all__ = ["Overhead", "for_invoke_body", "overhead_of", "with_invoke_overhead"]


@dataclass(frozen=True)
class Overhead:
    """What one model adds around the words of a request."""

    request: int = 0  # once per request (a begin-of-text token, a default preamble)
    message: int = 0  # per turn: the role markers around it
    system: int = 0  # once when a system prompt is given: its markers
    reply: int = 0  # the assistant header the template ends with
    tools: Mapping[str, int] = field(default_factory=dict)  # tool choice -> the tool-use system prompt
    thinking: Mapping[str, int] = field(default_factory=dict)  # thinking type -> its system prompt

    def tool_prompt(self, tool_choice: str | None) -> int:
        """The system prompt the provider adds when a request has tools, by its tool choice."""
        return self.tools.get((tool_choice or "auto").partition(":")[0], 0)

    def count(
        self, *, messages: int, system: bool, tools: int, tool_choice: str | None, thinking: str | None
    ) -> int:
        total = self.request + self.message * messages + self.reply
        if system:
            total += self.system
        if tools:
            total += self.tool_prompt(tool_choice)
        if thinking is not None:
            total += self.thinking.get(thinking, 0)
        return total


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], tuple[str, ...]]:
    """The families, the model-id prefixes and those prefixes longest first; read with the first count."""
    text = resources.files("emulator").joinpath("data/token_overhead.json").read_text(encoding="utf-8")
    data = json.loads(text)
    models: dict[str, dict[str, Any]] = data["models"]
    return data["families"], models, tuple(sorted(models, key=len, reverse=True))


_NONE: Final = Overhead()


@lru_cache(maxsize=512)
def overhead_of(model_id: str, body_family: str) -> Overhead:
    """A model's overhead: its body family's figures with its longest matching model-id prefix's on top."""
    families, models, prefixes = _table()
    spec = dict(families.get(body_family, {}))
    prefix = next((p for p in prefixes if model_id.startswith(p)), None)
    if prefix is not None:
        spec.update(models[prefix])
    if not spec:
        return _NONE
    spec.pop("_source", None)
    return Overhead(**spec)


def _thinking_type(body: Mapping[str, Any]) -> str | None:
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") not in (None, "disabled"):
        return str(thinking["type"])
    return None


def for_invoke_body(
    overhead: Overhead, body: Mapping[str, Any], *, tools: int, tool_choice: str | None
) -> int:
    """The overhead of a validated InvokeModel body with ``messages`` (a raw prompt has none)."""
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns:
        return 0  # a text-completion body: the caller wrote the template's markers into the prompt
    return overhead.count(
        messages=len(turns),
        system=bool(body.get("system")),
        tools=tools,
        tool_choice=tool_choice,
        thinking=_thinking_type(body),
    )


def with_invoke_overhead(prompt: Prompt, model: FoundationModel) -> Prompt:
    """An InvokeModel prompt with its overhead, so every count of it (usage, headers, CountTokens,
    token admission) agrees."""
    overhead = for_invoke_body(
        overhead_of(model.model_id, model.body_family),
        prompt.body,
        tools=len(prompt.tools),
        tool_choice=prompt.tool_choice,
    )
    return dataclasses.replace(prompt, overhead=overhead) if overhead else prompt
