"""Keep Converse requests inside a token budget, using Bedrock's own count.

``TokenBudget`` asks CountTokens (free, and the same count Converse will bill as ``inputTokens``)
before a call, and either refuses a request over budget or drops the oldest turns of the history until
it fits. ``UsageTracker`` adds up the ``usage`` Bedrock reports back, and refuses new work once a
spending limit would be passed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BudgetExceededError", "FittedRequest", "TokenBudget", "Usage", "UsageTracker"]

Message = Mapping[str, Any]


class BudgetExceededError(Exception):
    """The request (or the spending so far) does not fit the budget."""

    def __init__(self, needed: int, budget: int, what: str = "input tokens") -> None:
        super().__init__(f"{needed} {what} needed, budget is {budget}")
        self.needed = needed
        self.budget = budget


@dataclass(frozen=True)
class FittedRequest:
    """The messages to send, their counted input tokens and how many leading messages were dropped."""

    messages: list[Message]
    input_tokens: int
    dropped: int


class TokenBudget:
    """Counts a Converse request with CountTokens and holds it to ``max_input_tokens``.

    ``model_id`` is what CountTokens takes: the foundation-model id (``anthropic.claude-...``), not an
    inference profile.
    """

    def __init__(self, client: Any, model_id: str, *, max_input_tokens: int) -> None:
        if max_input_tokens < 1:
            raise ValueError("max_input_tokens must be positive")
        self._client = client
        self.model_id = model_id
        self.max_input_tokens = max_input_tokens

    def count(
        self,
        messages: Sequence[Message],
        *,
        system: Sequence[Mapping[str, Any]] | None = None,
        tool_config: Mapping[str, Any] | None = None,
    ) -> int:
        converse: dict[str, Any] = {"messages": list(messages)}
        if system:
            converse["system"] = list(system)
        if tool_config:
            converse["toolConfig"] = dict(tool_config)
        response = self._client.count_tokens(modelId=self.model_id, input={"converse": converse})
        return int(response["inputTokens"])

    def check(
        self,
        messages: Sequence[Message],
        *,
        system: Sequence[Mapping[str, Any]] | None = None,
        tool_config: Mapping[str, Any] | None = None,
    ) -> int:
        """The request's input tokens; BudgetExceededError if over budget."""
        tokens = self.count(messages, system=system, tool_config=tool_config)
        if tokens > self.max_input_tokens:
            raise BudgetExceededError(tokens, self.max_input_tokens)
        return tokens

    def fit(
        self,
        messages: Sequence[Message],
        *,
        system: Sequence[Mapping[str, Any]] | None = None,
        tool_config: Mapping[str, Any] | None = None,
    ) -> FittedRequest:
        """Drop the oldest turns until the request fits. The system prompt, tools and the last
        message are never dropped; BudgetExceededError if even they do not fit."""
        kept = list(messages)
        dropped = 0
        while True:
            tokens = self.count(kept, system=system, tool_config=tool_config)
            if tokens <= self.max_input_tokens:
                return FittedRequest(kept, tokens, dropped)
            cut = _next_cut(kept)
            if cut is None:
                raise BudgetExceededError(tokens, self.max_input_tokens)
            kept = kept[cut:]
            dropped += cut


def _next_cut(messages: Sequence[Message]) -> int | None:
    """How many leading messages to drop so the rest still starts a valid conversation: with a user
    message that is not a tool result (a toolResult without its toolUse is refused by Converse)."""
    for index in range(1, len(messages)):
        if _starts_turn(messages[index]):
            return index
    return None


def _starts_turn(message: Message) -> bool:
    if message.get("role") != "user":
        return False
    return not any("toolResult" in block for block in message.get("content", []))


@dataclass(frozen=True)
class Usage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class UsageTracker:
    """Adds up the usage Bedrock reports. Thread-safe. With ``limit_total_tokens``, ``reserve``
    refuses work that could take the total past the limit."""

    def __init__(self, *, limit_total_tokens: int | None = None) -> None:
        self.limit_total_tokens = limit_total_tokens
        self._lock = threading.Lock()
        self._usage = Usage()

    @property
    def usage(self) -> Usage:
        with self._lock:
            return self._usage

    @property
    def remaining(self) -> int | None:
        if self.limit_total_tokens is None:
            return None
        return max(0, self.limit_total_tokens - self.usage.total_tokens)

    def ensure_room(self, input_tokens: int, max_output_tokens: int) -> None:
        """BudgetExceededError if a call of this size could pass the limit (output at its maximum)."""
        remaining = self.remaining
        needed = input_tokens + max_output_tokens
        if remaining is not None and needed > remaining:
            raise BudgetExceededError(needed, remaining, "tokens (input + max output)")

    def record(self, usage: Mapping[str, Any]) -> Usage:
        """Add a Converse ``usage`` (or a ConverseStream ``metadata.usage``) map; returns the total."""
        with self._lock:
            current = self._usage
            self._usage = Usage(
                current.calls + 1,
                current.input_tokens + int(usage.get("inputTokens", 0)),
                current.output_tokens + int(usage.get("outputTokens", 0)),
            )
            return self._usage

    def record_response(self, response: Mapping[str, Any]) -> Usage:
        """Add the usage of a Converse response."""
        return self.record(response.get("usage", {}))
