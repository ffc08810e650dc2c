"""What a handler receives and returns: plain values, no Flask, no HTTP.

A handler gets an ``OperationCall`` (the bound request) and returns a ``JsonReply``, a ``BytesReply``
(InvokeModel's raw provider body) or a ``StreamReply`` (an iterator of events, framed elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScriptedReply:
    """An answer a scenario dictates in place of the stand-in model's (converted from the engine's plan)."""

    text: str | None = None
    tool_use: tuple[tuple[str, dict[str, Any]], ...] = ()  # (tool name, input)
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    invoke_body: Mapping[str, Any] | None = None  # InvokeModel: the provider body to answer verbatim
    retrieval_results: tuple[Mapping[str, Any], ...] | None = None  # knowledge-base calls


@dataclass(frozen=True)
class OperationCall:
    service: str
    operation: str
    labels: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]  # the last value of each query key
    raw_body: bytes
    region: str
    tenant: str
    request_id: str
    strict: bool
    seed: int
    scripted: ScriptedReply | None = None
    now: float | None = None  # the engine's virtual clock, for state that ages (async jobs)
    query_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # every value, e.g. tagKeys
    _json_cache: list[Any] = field(default_factory=list, repr=False, compare=False)

    def json(self) -> Any:
        """The body parsed as JSON, or a SerializationException-style ValidationException."""
        if not self._json_cache:
            from emulator.wire.binding import parse_json_body

            self._json_cache.append(parse_json_body(self.raw_body))
        return self._json_cache[0]


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class JsonReply:
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    usage: Usage | None = None
    model_id: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class BytesReply:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    usage: Usage | None = None
    model_id: str | None = None
    warnings: tuple[str, ...] = ()


StreamEvent = tuple[str, dict[str, Any]]


@dataclass
class StreamReply:
    events: Iterator[StreamEvent]
    headers: dict[str, str] = field(default_factory=dict)
    usage: Usage | None = None
    model_id: str | None = None
    warnings: tuple[str, ...] = ()


Reply = JsonReply | BytesReply | StreamReply
