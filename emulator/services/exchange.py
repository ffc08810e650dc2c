"""What a handler receives and returns: plain values, no Flask, no HTTP.

A handler gets an ``OperationCall`` (the bound request) and returns a ``JsonReply``, a ``BytesReply``
(InvokeModel's raw provider body) or a ``StreamReply`` (an iterator of events, framed elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from emulator.engine.plan import ScriptedAnswer
from emulator.state import AppState
from emulator.wire import inputs
from emulator.wire.binding import parse_json_body
from emulator.wire.eventstream import StreamEvent

if TYPE_CHECKING:
    from emulator.responder import Responder

UNPARSED: Any = object()  # marker: the body is not a JSON object


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
    scripted: ScriptedAnswer | None = None  # the scenario's scripted answer, as the engine compiled it
    now: float | None = None  # the engine's virtual clock, for state that ages (async jobs)
    query_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # every value, e.g. tagKeys
    # The body as the data plane already parsed it (once per request), or UNPARSED when it is not a JSON
    # object; ``json()`` then raises the SerializationException the front end would send.
    json_body: Any = field(default=None, repr=False, compare=False)
    # The app's stores (emulator/state): created resources and everything remembered per tenant.
    state: AppState = field(default_factory=AppState, repr=False, compare=False)
    # A bidirectional stream's request body, read by the handler as the client writes it (raw_body is
    # then empty): InvokeModelWithBidirectionalStream.
    body_stream: BinaryIO | None = field(default=None, repr=False, compare=False)
    # What writes text models' answers: None, the deterministic stand-in; with ``serve --model-backend``,
    # a real model behind an OpenAI-compatible server (``emulator.model_backend``).
    responder: Responder | None = field(default=None, repr=False, compare=False)

    def json(self) -> Any:
        """The body parsed as a JSON object, or the SerializationException AWS answers for it."""
        if self.json_body is UNPARSED or self.json_body is None:
            return parse_json_body(self.raw_body)
        return self.json_body

    @property
    def input(self) -> Mapping[str, Any]:
        """The operation's input by member name, from URI labels, query, headers and body
        (``emulator/wire/inputs.py``); in a handler, already checked against botocore's model
        (types and constraints) by ``dispatch``. Bound once per call. Read it, do not change it."""
        bound = self.__dict__.get("_input")
        if bound is None:
            bound = inputs.bind(self)
            self.__dict__["_input"] = bound  # frozen: cached beside the fields, not as one
        return bound


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class JsonReply:
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # None: the operation's own success status (route table)
    usage: Usage | None = None
    model_id: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class BytesReply:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # None: the operation's own success status (route table)
    usage: Usage | None = None
    model_id: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class StreamReply:
    events: Iterator[StreamEvent]
    headers: dict[str, str] = field(default_factory=dict)
    usage: Usage | None = None
    model_id: str | None = None
    warnings: tuple[str, ...] = ()


Reply = JsonReply | BytesReply | StreamReply
