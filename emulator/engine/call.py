"""The plain values the engine decides on, captured from a request before any byte of the answer is sent."""

from __future__ import annotations

from collections.abc import Mapping
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
    estimated_tokens: int = 0
    streaming: bool = False
