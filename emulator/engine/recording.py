"""Turns recorded exchanges (request, response, stream frames with timing) into a replay scenario.

Each exchange becomes one rule that matches its operation and model exactly, takes only its first
matching call and answers what was recorded, with the recorded latency. Rules are kept in recording order;
since a rule counts only the calls that reach it, ``take: {first: 1}`` on each rule replays the k-th call
of an (operation, model) pair with the k-th recorded answer for it, whatever else is interleaved. What a
scenario cannot express (undeclared errors, operations without scripted answers) is skipped with a note.
How a connection ended is replayed too: no answer at all becomes a dropped connection (after the recorded
wait), a stream cut mid-way is cut after the same events, a body cut short is truncated at the same length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from emulator.engine.checks import ANSWER_OPERATIONS
from emulator.engine.loader import scenario_from_data
from emulator.engine.schema import Scenario
from emulator.wire.declared import OPERATIONS, error_members


@dataclass(frozen=True)
class RecordedFrame:
    """One event-stream frame: its event type (or lower-camel exception member), payload and timing."""

    event_type: str
    payload: Mapping[str, Any]
    offset_seconds: float  # since the request was sent
    exception: bool = False


@dataclass(frozen=True)
class Exchange:
    operation: str
    model_id: str | None
    request_body: Any
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    body: Any = None  # parsed JSON of a unary response
    frames: tuple[RecordedFrame, ...] | None = None
    latency_seconds: float = 0.0  # time to the first response byte (to the connection's end when status 0)
    # status 0: no answer came, the connection closed first. With frames: the connection was cut after them.
    disconnected: bool = False
    truncated_after: int | None = None  # a unary body cut after this many bytes
    corrupt_frame: int | None = None  # the index (among events) of a frame that came with a bad CRC


@dataclass
class Replay:
    """The scenario document (ready to dump as YAML) and what could not be replayed."""

    document: dict[str, Any]
    skipped: list[str]

    def scenario(self) -> Scenario:
        name = self.document.get("name")
        return scenario_from_data(self.document, f"<replay {name}>")

    def to_yaml(self) -> str:
        header = "".join(f"# skipped: {note}\n" for note in self.skipped)
        dumped: str = yaml.dump(self.document, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
        return header + dumped


class _NoAliasDumper(yaml.SafeDumper):
    """Writes a value seen twice in full, so a long recording never meets the loader's bound on aliases."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - PyYAML's signature
        return True


def _glob_literal(text: str) -> str:
    # Model ids are matched as globs; bracket the glob metacharacters so the id matches only itself.
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _error_code(exchange: Exchange) -> str | None:
    header = exchange.headers.get("x-amzn-errortype")
    if header:
        return header.split(":", 1)[0].rsplit("#", 1)[-1]
    if isinstance(exchange.body, dict):
        for key in ("__type", "code", "Code"):
            if isinstance(exchange.body.get(key), str):
                return str(exchange.body[key]).rsplit("#", 1)[-1]
    return None


def _converse_answer(body: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    if not isinstance(body, dict):
        return answer
    content = body.get("output", {}).get("message", {}).get("content", [])
    texts = [block["text"] for block in content if isinstance(block, dict) and "text" in block]
    if texts:
        answer["text"] = "".join(texts)
    for block in content:
        if isinstance(block, dict) and isinstance(block.get("toolUse"), dict):
            use = block["toolUse"]
            answer["tool_use"] = {"name": use.get("name", ""), "input": use.get("input", {})}
            if use.get("toolUseId"):
                answer["tool_use"]["id"] = use["toolUseId"]
            break
    if isinstance(body.get("stopReason"), str):
        answer["stop_reason"] = body["stopReason"]
    usage = body.get("usage")
    if isinstance(usage, dict):
        answer["usage"] = {
            "input_tokens": usage.get("inputTokens", 0),
            "output_tokens": usage.get("outputTokens", 0),
        }
    return answer


def _retrieval_results(body: Any) -> list[dict[str, Any]]:
    results = body.get("retrievalResults", []) if isinstance(body, dict) else []
    converted: list[dict[str, Any]] = []
    for result in results:
        item: dict[str, Any] = {"text": result.get("content", {}).get("text", "")}
        for key in ("score", "location", "metadata"):
            if result.get(key) is not None:
                item[key] = result[key]
        converted.append(item)
    return converted


def _unary_answer(exchange: Exchange) -> dict[str, Any] | None:
    op, body = exchange.operation, exchange.body
    if op == "Converse":
        return _converse_answer(body) or None
    if op == "InvokeModel":
        return {"invoke_body": body}
    if op == "Retrieve":
        return {"retrieval_results": _retrieval_results(body)}
    if op == "RetrieveAndGenerate" and isinstance(body, dict):
        text = body.get("output", {}).get("text")
        return {"text": text} if isinstance(text, str) else None
    return None


def _stream_answer(frames: tuple[RecordedFrame, ...]) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    previous = 0.0
    for frame in frames:
        wait = max(0.0, round(frame.offset_seconds - previous, 4))
        previous = frame.offset_seconds
        event: dict[str, Any] = {"event": frame.event_type, "payload": dict(frame.payload)}
        if wait:
            event["delay"] = wait
        events.append(event)
    return {"events": events}


class _Builder:
    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []
        self.skipped: list[str] = []

    def add(self, index: int, exchange: Exchange) -> None:
        op = exchange.operation
        label = f"exchange {index + 1} ({op})"
        declared = OPERATIONS.get(op)
        if declared is None:
            self.skipped.append(f"{label}: not an emulated operation")
            return
        match: dict[str, Any] = {"operations": [op]}
        if exchange.model_id:
            match["models"] = [_glob_literal(exchange.model_id)]
        rule: dict[str, Any] = {"id": f"{index + 1:04d}-{op}", "match": match, "take": {"first": 1}}
        if exchange.status == 0:
            rule["drop"] = True
        elif exchange.truncated_after is not None:
            # The cut body cannot be parsed into an answer; the emulated one is cut at the same length.
            rule["truncate"] = {"keep_bytes": exchange.truncated_after}
        elif exchange.status >= 300:
            if not self._error(rule, label, exchange):
                return
        elif exchange.frames is not None:
            if declared.stream is None:
                self.skipped.append(f"{label}: frames recorded for an operation that does not stream")
                return
            members = {*declared.stream.events, *declared.stream.exceptions}
            unknown = sorted({f.event_type for f in exchange.frames} - members)
            if unknown:
                self.skipped.append(f"{label}: the stream carried undeclared events {', '.join(unknown)}")
                return
            frames, disconnected = exchange.frames, exchange.disconnected
            corrupt = exchange.corrupt_frame
            if corrupt is not None and corrupt >= sum(1 for f in frames if not f.exception):
                # The recorder stops at a frame with a bad checksum, as clients do, so its content is
                # unknown; clients never read it, so any event of the stream stands in for it.
                stand_in = frames[-1] if frames else RecordedFrame(declared.stream.events[0], {}, 0.0)
                frames = (*frames, RecordedFrame(stand_in.event_type, {}, stand_in.offset_seconds))
                disconnected = False
            self._stream(rule, frames, disconnected=disconnected)
            if corrupt is not None and "answer" in rule:
                rule.setdefault("stream", {})["corrupt_crc_at"] = corrupt
        else:
            answer = _unary_answer(exchange)
            if answer is None or not set(answer) <= {p for p, ops in ANSWER_OPERATIONS.items() if op in ops}:
                self.skipped.append(f"{label}: its answer cannot be scripted; it will be emulated")
                return
            rule["answer"] = answer
        # Sub-millisecond waits are the emulator's own processing, not behaviour worth replaying.
        if exchange.latency_seconds >= 0.001 and exchange.frames is None:
            rule["delay"] = round(exchange.latency_seconds, 4)
        self.rules.append(rule)

    @staticmethod
    def _stream(rule: dict[str, Any], frames: tuple[RecordedFrame, ...], *, disconnected: bool) -> None:
        if not frames:
            # Nothing to script (a scripted stream has at least one event): the emulated one ends at once.
            rule["stream"] = {"cut_after": 0} if disconnected else {"end_without_close_after": 0}
            return
        rule["answer"] = _stream_answer(frames)
        if disconnected and not frames[-1].exception:
            events = rule["answer"]["events"]
            rule["stream"] = {"cut_after": len(events)}
            # The cut is taken before the event that would follow, so one must follow; it is never sent.
            events.append({"event": events[-1]["event"], "payload": events[-1]["payload"]})

    def _error(self, rule: dict[str, Any], label: str, exchange: Exchange) -> bool:
        code = _error_code(exchange)
        declared = OPERATIONS[exchange.operation]
        if code is None or code not in declared.errors:
            self.skipped.append(
                f"{label}: status {exchange.status} error {code!r} is not declared by the operation"
            )
            return False
        body = exchange.body if isinstance(exchange.body, dict) else {}
        error: dict[str, Any] = {"code": code}
        message = body.get("message", body.get("Message"))
        if isinstance(message, str):
            error["message"] = message
        allowed = error_members(declared.service, code)
        fields = {k: v for k, v in body.items() if k in allowed}
        if fields:
            error["fields"] = fields
        rule["error"] = error
        return True


def replay_of(
    exchanges: Iterable[Exchange], *, name: str, description: str | None = None, strict: bool = False
) -> Replay:
    """A scenario that answers the recorded exchanges again, in order, with their timing."""
    builder = _Builder()
    for index, exchange in enumerate(exchanges):
        builder.add(index, exchange)
    document: dict[str, Any] = {
        "version": 1,
        "name": name,
        "description": description or f"Replay of {len(builder.rules)} recorded exchanges.",
    }
    if strict:
        document["strict"] = True
    document["rules"] = builder.rules
    return Replay(document, builder.skipped)
