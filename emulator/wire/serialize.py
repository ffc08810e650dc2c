"""A handler's JSON reply as the wire carries it, from botocore's output shape for the operation.

One job: ``output(service, operation, value)`` splits an operation's output (a dict keyed by member
names, as a handler builds it) into what goes where:

- members bound to a header (``location: header``) become that header, and a ``location: headers`` map
  becomes one header per entry under its prefix;
- a ``location: statusCode`` member becomes the HTTP status;
- a structure payload member is the whole body;
- everything else stays in the JSON body.

``datetime`` values are rendered as the shape says: the ``timestampFormat`` on the member or its shape,
else the protocol's default for the location (restJson1: epoch seconds in a body, an HTTP date in a
header; botocore's serializer and parser follow the same rules). bedrock, bedrock-agent and
bedrock-runtime declare their timestamps ``iso8601``: ``2024-05-01T12:34:56Z``, with microseconds
when there are any, as botocore writes them (wire-facts.md §10.6). Everything else is left as the handler
wrote it, so a reply already in wire form passes unchanged: strings stay strings, whatever their shape.

Writers are compiled per operation on first use and cached. An operation whose output has no header,
status or payload member and reaches no timestamp (Converse, most of the runtime) compiles to nothing:
its reply costs one dictionary lookup here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulator.wire import shapes

# Renders a body value along its shape: returns the value itself when nothing in it changes.
Renderer = Callable[[Any], Any]

_NO_HEADERS: Mapping[str, str] = {}


@dataclass(frozen=True)
class Output:
    body: Mapping[str, Any]
    headers: Mapping[str, str]
    status: int | None  # from a statusCode member, else None (the operation's own)


def output(service: str, operation: str, value: Mapping[str, Any]) -> Output:
    """The reply's body, extra headers and status as the operation's output shape binds them."""
    writer = _writer(service, operation)
    if writer is None:
        return Output(value, _NO_HEADERS, None)
    return writer.write(value)


def timestamp_text(moment: datetime, timestamp_format: str) -> Any:
    """A datetime in one of Smithy's three formats (naive datetimes are taken as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if timestamp_format == "iso8601":
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f" if moment.microsecond else "%Y-%m-%dT%H:%M:%S")
        return text + "Z"
    if timestamp_format == "rfc822":
        from email.utils import format_datetime  # only headers use it, and none of Bedrock's do yet

        return format_datetime(moment, usegmt=True)
    seconds = moment.timestamp()
    return int(seconds) if seconds.is_integer() else round(seconds, 6)


# -- writers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Writer:
    headers: tuple[tuple[str, str, str | None], ...]  # (member, header name, timestamp format or None)
    header_maps: tuple[tuple[str, str], ...]  # (member, prefix)
    status_member: str | None
    payload: str | None  # a structure payload: its value is the body
    render: Renderer | None  # the body's members, when some reach a timestamp
    moved: frozenset[str]  # the members that leave the body (headers, status)

    def write(self, value: Mapping[str, Any]) -> Output:
        headers: dict[str, str] = {}
        status: int | None = None
        moved = self.moved
        if not moved.isdisjoint(value.keys()):
            for member, name, timestamp_format in self.headers:
                item = value.get(member)
                if item is not None:
                    headers[name] = _header_text(item, timestamp_format)
            for member, prefix in self.header_maps:
                for key, item in (value.get(member) or {}).items():
                    headers[prefix + key] = str(item)
            if self.status_member is not None and value.get(self.status_member) is not None:
                status = int(value[self.status_member])
            value = {key: item for key, item in value.items() if key not in moved}
        if self.payload is not None and self.payload in value:
            value = value[self.payload]
        elif self.render is not None:
            value = self.render(value)
        return Output(value, headers or _NO_HEADERS, status)


def _header_text(item: Any, timestamp_format: str | None) -> str:
    if isinstance(item, datetime):
        return str(timestamp_text(item, timestamp_format or "rfc822"))
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


_writers: dict[tuple[str, str], _Writer | None] = {}
_lock = threading.Lock()


def _writer(service: str, operation: str) -> _Writer | None:
    key = (service, operation)
    try:
        return _writers[key]
    except KeyError:
        pass
    model = shapes.model(service)
    compiled = _compile(model, operation) if model is not None else None
    with _lock:
        return _writers.setdefault(key, compiled)


def _compile(model: Mapping[str, Any], operation: str) -> _Writer | None:
    definition = model.get("operations", {}).get(operation)
    if definition is None or "output" not in definition:
        return None
    shapes_by_name: Mapping[str, Any] = model["shapes"]
    output_shape = shapes_by_name[definition["output"]["shape"]]
    headers: list[tuple[str, str, str | None]] = []
    header_maps: list[tuple[str, str]] = []
    status_member: str | None = None
    body: dict[str, Mapping[str, Any]] = {}
    for name, member in output_shape.get("members", {}).items():
        location = member.get("location")
        target = shapes_by_name[member["shape"]]
        if location == "header":
            timestamp_format = None
            if target["type"] == "timestamp":
                timestamp_format = member.get("timestampFormat") or target.get("timestampFormat") or "rfc822"
            headers.append((name, member.get("locationName", name), timestamp_format))
        elif location == "headers":
            header_maps.append((name, member.get("locationName", "")))
        elif location == "statusCode":
            status_member = name
        elif location is None:
            body[name] = member
    payload = output_shape.get("payload")
    if payload is not None:
        target = shapes_by_name[output_shape["members"][payload]["shape"]]
        if target["type"] != "structure" or target.get("eventstream"):
            payload = None  # a blob or a stream: not a JSON reply (BytesReply, StreamReply)
    render = _Renderers(shapes_by_name).structure(body)
    if not headers and not header_maps and status_member is None and payload is None and render is None:
        return None
    moved = {member for member, _, _ in headers} | {member for member, _ in header_maps}
    if status_member is not None:
        moved.add(status_member)
    return _Writer(tuple(headers), tuple(header_maps), status_member, payload, render, frozenset(moved))


class _Renderers:
    """Shape name -> renderer, or None for shapes that reach no timestamp (left untouched)."""

    def __init__(self, shapes_by_name: Mapping[str, Any]) -> None:
        self._shapes = shapes_by_name
        self._reaching = _timestamp_shapes(shapes_by_name)
        self._done: dict[str, Renderer] = {}

    def structure(self, members: Mapping[str, Mapping[str, Any]]) -> Renderer | None:
        renderers: dict[str, Renderer] = {}
        for name, member in members.items():
            renderer = self.member(member)
            if renderer is not None:
                renderers[name] = renderer
        return _structure(renderers) if renderers else None

    def member(self, member: Mapping[str, Any]) -> Renderer | None:
        target = self._shapes[member["shape"]]
        if target["type"] == "timestamp" and "timestampFormat" in member:
            return _timestamp(member["timestampFormat"])
        return self.shape(member["shape"])

    def shape(self, name: str) -> Renderer | None:
        if name not in self._reaching:
            return None
        done = self._done.get(name)
        if done is not None:
            return done
        shape = self._shapes[name]
        kind = shape["type"]
        renderer: Renderer
        if kind == "timestamp":
            renderer = _timestamp(shape.get("timestampFormat", "unixTimestamp"))
        elif kind == "structure":
            cell: list[Renderer] = []

            def forward(value: Any) -> Any:
                return cell[0](value)

            self._done[name] = forward  # a recursive shape refers back through the cell
            inner = self.structure(shape["members"])
            renderer = inner if inner is not None else _unchanged
            cell.append(renderer)
        elif kind == "list":
            renderer = _list(self.member(shape["member"]) or _unchanged)
        else:  # a map
            renderer = _map(self.member(shape["value"]) or _unchanged)
        self._done[name] = renderer
        return renderer


_reaching_timestamps: dict[int, frozenset[str]] = {}


def _timestamp_shapes(shapes_by_name: Mapping[str, Any]) -> frozenset[str]:
    """The shapes of a model that are or contain a timestamp (once per model: models live as long as
    the process, in ``shapes``' registry)."""
    key = id(shapes_by_name)
    found = _reaching_timestamps.get(key)
    if found is None:
        found = shapes.reaching(shapes_by_name, _is_timestamp)
        _reaching_timestamps[key] = found
    return found


def _is_timestamp(shape: Mapping[str, Any]) -> bool:
    return bool(shape["type"] == "timestamp")


def _unchanged(value: Any) -> Any:
    return value


def _timestamp(timestamp_format: str) -> Renderer:
    def render(value: Any) -> Any:
        if isinstance(value, datetime):
            return timestamp_text(value, timestamp_format)
        return value

    return render


def _structure(members: dict[str, Renderer]) -> Renderer:
    def render(value: Any) -> Any:
        if type(value) is not dict:
            return value
        changed: dict[str, Any] | None = None
        for name, renderer in members.items():
            item = value.get(name)
            if item is None:
                continue
            written = renderer(item)
            if written is not item:
                if changed is None:
                    changed = dict(value)
                changed[name] = written
        return value if changed is None else changed

    return render


def _list(element: Renderer) -> Renderer:
    def render(value: Any) -> Any:
        if type(value) is not list:
            return value
        written = [element(item) for item in value]
        return value if all(a is b for a, b in zip(written, value, strict=True)) else written

    return render


def _map(entry: Renderer) -> Renderer:
    def render(value: Any) -> Any:
        if type(value) is not dict:
            return value
        written = {key: entry(item) for key, item in value.items()}
        return value if all(written[key] is item for key, item in value.items()) else written

    return render
