"""The tokens a token quota admits a model call on: its input tokens as its usage will count them, plus
the output tokens it asks for (Bedrock reserves both as a call starts and corrects the reservation to real
usage when it ends: docs/wire-facts.md §11).

One counter: the input tokens come from the functions the handlers report usage with (Converse's
``conversation.read_request``, the InvokeModel body family's ``validate``), so what usage counts as no
tokens (an image, a document's bytes) reserves none either. The engine asks for the estimate only when a
rule limiting tokens matches the call, so other calls never pay for it. A body those functions refuse
reserves only its requested output: the handler refuses it, and nothing of it reaches the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.catalog import FoundationModel

_CONVERSE = frozenset({"Converse", "ConverseStream"})
_INVOKE = frozenset({"InvokeModel", "InvokeModelWithResponseStream"})
# Where a body asks for its maximum output tokens: Converse's inferenceConfig, then the InvokeModel
# families' own names (Nova, Titan Text, Anthropic/Mistral/Cohere/DeepSeek, OpenAI-style chat, Claude's
# text completions, Llama).
_REQUESTED_OUTPUT: tuple[tuple[str, ...], ...] = (
    ("inferenceConfig", "maxTokens"),
    ("inferenceConfig", "max_new_tokens"),
    ("textGenerationConfig", "maxTokenCount"),
    ("max_tokens",),
    ("max_completion_tokens",),
    ("max_tokens_to_sample",),
    ("max_gen_len",),
)


def estimate(operation: str, body: Any, model: FoundationModel | None) -> int:
    """Input tokens as usage counts them plus the requested output tokens."""
    return input_tokens(operation, body, model) + requested_output_tokens(body)


def input_tokens(operation: str, body: Any, model: FoundationModel | None) -> int:
    """The input tokens the call's usage will report (0 for a body the handler refuses, or no model)."""
    if model is None or not isinstance(body, dict):
        return 0
    try:
        if operation in _CONVERSE:
            from emulator import conversation

            return conversation.read_request(body, model).input_tokens
        if operation in _INVOKE:
            from emulator.providers import provider_for
            from emulator.token_overhead import with_invoke_overhead

            return with_invoke_overhead(
                provider_for(model.body_family).validate(body, model), model
            ).input_tokens
    except Exception:  # any refusal (or a body of the wrong types) is the handler's to report
        return 0
    return 0


def requested_output_tokens(body: Any) -> int:
    """The maximum output tokens the body asks for, or 0 when it names none."""
    for path in _REQUESTED_OUTPUT:
        value = body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0
