"""Consume a ConverseStream response into one result: the text and tool calls it assembled, how fast
it came (time to first token, gaps between tokens), the usage from its ``metadata`` event, and how it
ended: ``completed`` (``messageStop`` arrived), ``exception`` (an in-stream exception event, named by
its member, e.g. ``modelStreamErrorException``) or ``cut`` (the connection broke, or the body ended
before ``messageStop``).

A partial answer is never passed off as a complete one: callers read ``ending`` or call
``raise_for_ending()``; ``converse_stream_with_retry`` restarts the whole stream on transient endings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import botocore.exceptions

from .retry import CONNECTION_ERROR, Retrier, RetryResult, error_code

__all__ = [
    "Ending",
    "IncompleteStreamError",
    "StreamResult",
    "StreamUsage",
    "ToolUse",
    "consume_converse_stream",
    "converse_stream",
    "converse_stream_with_retry",
]

Ending = Literal["completed", "exception", "cut"]


@dataclass(frozen=True)
class ToolUse:
    """A tool call the model streamed. ``input`` is None when the streamed JSON was incomplete."""

    tool_use_id: str
    name: str
    raw_input: str
    input: dict[str, Any] | None


@dataclass(frozen=True)
class StreamUsage:
    input_tokens: int
    output_tokens: int
    total_tokens: int


@dataclass
class StreamResult:
    """Everything one ConverseStream call delivered, and how it ended."""

    ending: Ending
    text: str = ""
    tool_uses: list[ToolUse] = field(default_factory=list)
    stop_reason: str | None = None
    usage: StreamUsage | None = None
    latency_ms: int | None = None
    exception_member: str | None = None
    exception_message: str | None = None
    time_to_first_token: float | None = None
    inter_token_gaps: list[float] = field(default_factory=list)
    total_seconds: float = 0.0
    events: int = 0
    error: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def completed(self) -> bool:
        return self.ending == "completed"

    @property
    def max_gap(self) -> float | None:
        return max(self.inter_token_gaps) if self.inter_token_gaps else None

    @property
    def mean_gap(self) -> float | None:
        gaps = self.inter_token_gaps
        return sum(gaps) / len(gaps) if gaps else None

    def raise_for_ending(self) -> StreamResult:
        """Return self if the stream completed, else raise IncompleteStreamError (from the original error)."""
        if self.completed:
            return self
        raise IncompleteStreamError(self) from self.error


class IncompleteStreamError(Exception):
    """A stream that did not complete. ``bedrock_error_code`` lets the retrier classify it."""

    def __init__(self, result: StreamResult) -> None:
        what = result.exception_member if result.ending == "exception" else "connection cut"
        super().__init__(f"stream ended with {result.ending} ({what}) after {result.events} events")
        self.result = result
        member = result.exception_member or ""
        self.bedrock_error_code = member[:1].upper() + member[1:] if member else CONNECTION_ERROR


@dataclass
class _Assembly:
    text: list[str] = field(default_factory=list)
    tool_starts: dict[int, tuple[str, str]] = field(default_factory=dict)
    tool_inputs: dict[int, list[str]] = field(default_factory=dict)
    tool_uses: list[ToolUse] = field(default_factory=list)

    def delta(self, event: Mapping[str, Any]) -> bool:
        """Apply a contentBlockDelta; True if it carried generated content (a token)."""
        delta = event.get("delta", {})
        index = int(event.get("contentBlockIndex", 0))
        if "text" in delta:
            self.text.append(delta["text"])
            return True
        if "toolUse" in delta:
            self.tool_inputs.setdefault(index, []).append(delta["toolUse"].get("input", ""))
            return True
        # reasoningContent and citations are content too, though not kept here.
        return bool(delta)

    def stop(self, index: int) -> None:
        if index not in self.tool_starts:
            return
        tool_use_id, name = self.tool_starts.pop(index)
        raw = "".join(self.tool_inputs.pop(index, []))
        self.tool_uses.append(ToolUse(tool_use_id, name, raw, _parse_input(raw)))

    def flush_open_tools(self) -> None:
        # A tool block never stopped (the stream broke): keep what arrived, marked unparsed if broken.
        for index in sorted(self.tool_starts):
            self.stop(index)


def _parse_input(raw: str) -> dict[str, Any] | None:
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def consume_converse_stream(
    stream: Iterable[Mapping[str, Any]],
    *,
    started: float,
    clock: Callable[[], float] = time.perf_counter,
) -> StreamResult:
    """Read ``stream`` (a ConverseStream response's ``stream``) to its end. ``started`` is the
    ``clock`` reading taken just before the request was sent, so time to first token includes the
    wait for the response headers."""
    assembly = _Assembly()
    result = StreamResult(ending="cut")
    last_token: float | None = None
    stopped = False
    try:
        for event in stream:
            now = clock()
            result.events += 1
            if "contentBlockStart" in event:
                start = event["contentBlockStart"]
                tool = start.get("start", {}).get("toolUse")
                if tool is not None:
                    index = int(start.get("contentBlockIndex", 0))
                    assembly.tool_starts[index] = (tool["toolUseId"], tool["name"])
            elif "contentBlockDelta" in event:
                if assembly.delta(event["contentBlockDelta"]):
                    if last_token is None:
                        result.time_to_first_token = now - started
                    else:
                        result.inter_token_gaps.append(now - last_token)
                    last_token = now
            elif "contentBlockStop" in event:
                assembly.stop(int(event["contentBlockStop"].get("contentBlockIndex", 0)))
            elif "messageStop" in event:
                result.stop_reason = event["messageStop"].get("stopReason")
                stopped = True
            elif "metadata" in event:
                _read_metadata(result, event["metadata"])
        result.ending = "completed" if stopped else "cut"
    except botocore.exceptions.EventStreamError as error:
        result.ending = "exception"
        result.error = error
        details = error.response.get("Error", {})
        result.exception_member = str(details.get("Code", "")) or None
        result.exception_message = str(details.get("Message", "")) or None
    except Exception as error:
        if error_code(error) != CONNECTION_ERROR:
            raise
        result.ending = "cut"
        result.error = error
    assembly.flush_open_tools()
    result.text = "".join(assembly.text)
    result.tool_uses = assembly.tool_uses
    result.total_seconds = clock() - started
    return result


def _read_metadata(result: StreamResult, metadata: Mapping[str, Any]) -> None:
    usage = metadata.get("usage")
    if usage is not None:
        input_tokens = int(usage.get("inputTokens", 0))
        output_tokens = int(usage.get("outputTokens", 0))
        total = int(usage.get("totalTokens", input_tokens + output_tokens))
        result.usage = StreamUsage(input_tokens, output_tokens, total)
    metrics = metadata.get("metrics")
    if metrics is not None and "latencyMs" in metrics:
        result.latency_ms = int(metrics["latencyMs"])


def converse_stream(
    client: Any, *, clock: Callable[[], float] = time.perf_counter, **request: Any
) -> StreamResult:
    """Call ConverseStream with ``request`` (modelId, messages, ...) and consume the stream. Errors
    answered before the stream starts (HTTP 4xx/5xx) raise as usual ClientErrors."""
    started = clock()
    response = client.converse_stream(**request)
    return consume_converse_stream(response["stream"], started=started, clock=clock)


def converse_stream_with_retry(
    client: Any,
    retrier: Retrier,
    *,
    clock: Callable[[], float] = time.perf_counter,
    **request: Any,
) -> RetryResult[StreamResult]:
    """ConverseStream, restarted from the beginning whenever the call or the stream fails
    transiently. Partial text of a failed attempt is discarded: a restarted stream regenerates it."""

    def attempt() -> StreamResult:
        return converse_stream(client, clock=clock, **request).raise_for_ending()

    return retrier.call(attempt)
