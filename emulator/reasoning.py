"""Claude's extended thinking: the request's ``thinking`` (Converse ``additionalModelRequestFields``, or
the Anthropic body), checked as Bedrock checks it, and the thinking put before the answer.

Bedrock's Converse wraps the model's refusals in ``The model returned the following errors: ``; an
InvokeModel body gets the model's text alone (wire-facts §25).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from emulator import generation
from emulator.generation import Completion
from emulator.wire.errors import AwsError, validation

__all__ = ["Thinking", "check_turns", "converse_block_type", "read", "read_nova", "think"]

MIN_BUDGET: Final = 1024
CONVERSE_PREFIX: Final = "The model returned the following errors: "
# Later Claude models take a top_p of 0.95 or more with thinking; below it is refused.
_MIN_TOP_P: Final = 0.95
# A budget for adaptive thinking, where the model picks its own: it only bounds the stand-in's text.
_ADAPTIVE_BUDGET: Final = 2048


@dataclass(frozen=True)
class Thinking:
    budget: int
    signed: bool = True  # Claude signs its thinking; gpt-oss's reasoning carries no signature
    shown_as: str | None = None  # the text the answer shows instead of the thinking (Nova 2: [REDACTED])


def read(
    thinking: Any,
    *,
    reasoning: str | None,
    max_tokens: int,
    sampling: Mapping[str, Any],
    tool_choice: str | None,
    converse: bool,
) -> Thinking | None:
    """The thinking a request asks of a model with ``reasoning`` ("budget", "adaptive", "adaptive-only",
    "always" or None), or None. ``sampling`` holds the request's ``temperature``, ``top_p`` and ``top_k``.
    A model that always reasons does so whatever the request says (gpt-oss, wire-facts §25); one without
    extended thinking ignores the field, as do ``type: disabled`` and a non-object."""
    if reasoning == "always":
        return Thinking(min(_ADAPTIVE_BUDGET, max(1, max_tokens - 1)), signed=False)
    if reasoning is None or not isinstance(thinking, Mapping):
        return None
    kind = thinking.get("type")
    prefix = CONVERSE_PREFIX if converse else ""

    def refuse(message: str) -> AwsError:
        return validation(prefix + message)

    budget: Any
    if kind == "adaptive" and reasoning in ("adaptive", "adaptive-only"):
        budget = min(_ADAPTIVE_BUDGET, max(1, max_tokens - 1))
    elif kind == "enabled" and reasoning == "adaptive-only":
        raise refuse("thinking.type: Input should be 'adaptive' or 'disabled'")
    elif kind == "enabled":
        budget = thinking.get("budget_tokens")
        if budget is None:
            raise refuse("thinking.enabled.budget_tokens: Field required")
        if not isinstance(budget, int) or isinstance(budget, bool):
            raise refuse("thinking.enabled.budget_tokens: Input should be a valid integer")
        if budget < MIN_BUDGET:
            raise refuse(
                f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
            )
        if max_tokens <= budget:
            raise refuse(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation "
                "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
            )
    else:
        return None
    temperature, top_p, top_k = (sampling.get(name) for name in ("temperature", "top_p", "top_k"))
    if temperature is not None and float(temperature) != 1.0:
        raise refuse("temperature may only be set to 1 when thinking is enabled.")
    if top_p is not None and float(top_p) < _MIN_TOP_P:
        raise refuse("top_p must be unset when thinking is enabled.")
    if top_k is not None:
        raise refuse("top_k must be unset when thinking is enabled.")
    if tool_choice is not None and (tool_choice == "any" or tool_choice.startswith("tool:")):
        raise refuse("Thinking may not be enabled when tool_choice forces tool use.")
    return Thinking(budget)


def think(
    thinking: Thinking | None,
    answer: Any,
    *,
    key: bytes,
    seed: int,
    max_tokens: int,
    prompt_text: str,
) -> Completion:
    """``answer(max_tokens)`` gives the completion; with thinking, the thinking comes first and takes its
    tokens from the same ``max_tokens``."""
    budget = min(thinking.budget, max_tokens - 1) if thinking is not None else 0
    if thinking is None or budget < 1:  # no thinking asked, or no room for it beside the answer
        completion: Completion = answer(max_tokens)
        return completion
    thought = generation.reasoning(
        key,
        budget=budget,
        seed=seed,
        redacted=thinking.signed and generation.REDACTION_TRIGGER in prompt_text,
        signed=thinking.signed,
    )
    if thinking.shown_as is not None:  # the tokens are spent (and counted) but the text is withheld
        thought = replace(thought, text=thinking.shown_as)
    completion = answer(max_tokens - thought.tokens)
    return replace(completion, output_tokens=completion.output_tokens + thought.tokens, reasoning=thought)


# Nova 2's extended thinking (wire-facts §31): Converse additionalModelRequestFields.reasoningConfig.
NOVA_EFFORT_BUDGETS: Final = {"low": 512, "medium": 1024, "high": 2048}
NOVA_REDACTED: Final = "[REDACTED]"
_NOVA_INVALID: Final = (
    "Malformed input request: the provided reasoning config value is invalid, please reformat your input "
    "and try again."
)


def read_nova(
    config: Any, *, supported: bool, inference: Mapping[str, Any], max_tokens: int, converse: bool = True
) -> Thinking | None:
    """Nova's ``reasoningConfig``: ``{"type": "enabled", "maxReasoningEffort": "low" | "medium" | "high"}``
    on Nova 2 Lite; any reasoning config on a Nova model without it is refused (Nova Pro, seen). With
    reasoning on, ``temperature`` and ``topP`` must be unset, and ``maxTokens`` too at high effort
    (documented; the refusal texts are the emulator's, in Nova's validator wording)."""
    if config is None:
        return None
    prefix = CONVERSE_PREFIX if converse else ""
    if not supported:
        raise validation(prefix + _NOVA_INVALID)
    if not isinstance(config, Mapping) or config.get("type") not in ("enabled", "disabled"):
        raise validation(prefix + _NOVA_INVALID)
    if config["type"] == "disabled":
        return None
    effort = config.get("maxReasoningEffort")
    if effort not in NOVA_EFFORT_BUDGETS:
        raise validation(prefix + _NOVA_INVALID)
    for name in ("temperature", "topP"):
        if inference.get(name) is not None:
            raise validation(
                prefix + f"Malformed input request: {name} is not supported when reasoning is "
                "enabled, please reformat your input and try again."
            )
    if effort == "high" and inference.get("maxTokens") is not None:
        raise validation(
            prefix + "Malformed input request: maxTokens is not supported when maxReasoningEffort "
            "is high, please reformat your input and try again."
        )
    budget = min(NOVA_EFFORT_BUDGETS[str(effort)], max(1, max_tokens - 1))
    return Thinking(budget, signed=False, shown_as=NOVA_REDACTED)


# Anthropic's text when thinking is on and the turn that called a tool does not start with its thinking.
_UNSIGNED_TURN = (
    "messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. "
    "When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding "
    "the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
    "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)


def check_turns(
    thinking: Thinking | None, turns: Sequence[tuple[str, str | None, bool]], *, converse: bool
) -> None:
    """With Claude's thinking on, a conversation that returns tool results must give back the thinking that
    opened the assistant turn calling the tools. ``turns``: each message's role, the type of its first
    block in Anthropic's terms, and whether it holds a tool result (wire-facts §25)."""
    if thinking is None or not thinking.signed or len(turns) < 2:
        return
    (last_role, _, has_result), (role, first, _) = turns[-1], turns[-2]
    if last_role == "user" and has_result and role == "assistant" and first not in THINKING_BLOCKS:
        message = _UNSIGNED_TURN.format(index=len(turns) - 2, found=first)
        raise validation((CONVERSE_PREFIX if converse else "") + message)


THINKING_BLOCKS: Final = ("thinking", "redacted_thinking")
# Converse content block members as Claude names the blocks they become.
CONVERSE_BLOCK_TYPES: Final = {
    "text": "text",
    "toolUse": "tool_use",
    "toolResult": "tool_result",
    "image": "image",
    "document": "document",
    "citationsContent": "text",  # a cited statement given back: Claude reads it as a text block
}


def converse_block_type(block: Any) -> str | None:
    if not isinstance(block, Mapping):
        return None
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, Mapping):
        return "redacted_thinking" if "redactedContent" in reasoning else "thinking"
    return next((kind for member, kind in CONVERSE_BLOCK_TYPES.items() if member in block), None)
