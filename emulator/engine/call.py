"""The plain values the engine decides on, captured from a request before any byte of the answer is sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    tenant: str
    model_id: str | None = None
    # The bare foundation model behind a profile id or ARN, so model globs match however the id was sent.
    foundation_model_id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    labels: Mapping[str, str] = field(default_factory=dict)
    scenario_header: str | None = None
    # What a token quota admits the call on (input plus requested output tokens): a number, or a function
    # the engine calls, outside its lock, only when a rule limiting tokens matches the call.
    estimated_tokens: int | Callable[[], int] = 0
    streaming: bool = False

    def admission_tokens(self) -> int:
        """The tokens a tpm/tpd quota admits the call on."""
        estimate = self.estimated_tokens
        return estimate if isinstance(estimate, int) else estimate()
