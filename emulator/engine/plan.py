"""What the engine decided for one call: a plain, immutable value the data plane carries out.

A plan is decided once, before any byte of the answer is sent, so a fault never depends on how far a
response got. ``NO_PLAN`` is shared by every call no scenario applies to, which keeps the hot path free of
allocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from emulator.wire.errors import AwsError


@dataclass(frozen=True)
class Hang:
    """Hold the connection silent for ``seconds`` (past the client's read timeout), then close it."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending any response."""


@dataclass(frozen=True)
class Truncate:
    """Send only the first ``keep_bytes`` bytes of the response body, then close the connection."""

    keep_bytes: int


ConnectionFault = Hang | Drop | Truncate


@dataclass(frozen=True)
class ExceptionAfter:
    """After ``count`` events, send exception event ``member`` (lower-camel) with ``payload``, then end."""

    count: int
    member: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class StreamFaults:
    """Stream shaping. At most one of the four ways to end early is set; counts are events sent before it."""

    first_event_delay: float = 0.0
    event_delay: float = 0.0
    exception_after: ExceptionAfter | None = None
    # Stop after N events without the closing events (messageStop/metadata), closing the body cleanly.
    end_without_close_after: int | None = None
    # Reset the connection after N events, mid-stream.
    cut_after: int | None = None
    # Zero-based index of the frame whose message CRC is sent wrong.
    corrupt_crc_at: int | None = None


@dataclass(frozen=True)
class ToolUse:
    """A scripted tool call: the tool's name, its arguments (a JSON object) and, when the scenario gives
    one, the tool-use id the answer carries (``None``: the emulator's own)."""

    name: str
    input: Any
    tool_use_id: str | None = None


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None


class ScriptedEvent(NamedTuple):
    """One event of an exact stream: its type (event or exception member), payload, wait before it."""

    event_type: str
    payload: Mapping[str, Any]
    delay_seconds: float


@dataclass(frozen=True)
class ScriptedAnswer:
    """Content the handler uses in place of generated content; unset parts stay generated.

    The one type of a scripted answer: compiled once from the scenario's ``answer`` and handed to the
    handler as it is (``OperationCall.scripted``); ``emulator/scripted.py`` turns it into a completion.
    """

    text: str | None = None
    tool_use: ToolUse | None = None
    stop_reason: str | None = None
    usage: Usage | None = None
    invoke_body: Any = None
    events: tuple[ScriptedEvent, ...] | None = None
    retrieval_results: tuple[Mapping[str, Any], ...] | None = None


@dataclass(frozen=True)
class QuotaTicket:
    """The admission a quota granted, so ``Engine.settle`` can replace the estimate with real usage."""

    key: tuple[str, str, str, str]
    entry_id: int


@dataclass(frozen=True)
class Plan:
    scenario: str | None = None
    rule_id: str | None = None
    delay_seconds: float = 0.0
    error: AwsError | None = None
    connection: ConnectionFault | None = None
    stream: StreamFaults | None = None
    answer: ScriptedAnswer | None = None
    strict: bool = False
    warnings: tuple[str, ...] = ()
    quota_tickets: tuple[QuotaTicket, ...] = field(default=(), repr=False)
    match_number: int | None = None  # the fired rule's count of matching calls, this one included
    quota_window: float | None = None  # seconds of the quota window that throttled the call, if one did

    @property
    def rule_label(self) -> str | None:
        """``<scenario>/<rule id>`` for the ``x-bedrock-emulator-rule`` header, when a rule applied."""
        if self.scenario is None or self.rule_id is None:
            return None
        return f"{self.scenario}/{self.rule_id}"

    @property
    def is_noop(self) -> bool:
        """Whether the call is served as plain emulation (no rule shaped it)."""
        return self.rule_id is None


NO_PLAN = Plan()
