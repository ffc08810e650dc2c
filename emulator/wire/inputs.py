"""A request bound to its operation's input: members by name, from wherever botocore's model binds them.

One job: ``bind(call)`` returns the operation's input as a dict keyed by member names (the names in
botocore's input shape, not the wire's location names), so handlers stop reading raw labels, query
pairs, headers and body keys one by one. ``OperationCall.input`` is this, computed once per call.

Where each member comes from:

- ``location: uri``: the URI label, already percent-decoded by the router;
- ``location: querystring``: typed by the member's shape: integers and longs as ``int``, booleans as
  ``bool`` (``true``/``false``), lists from every repetition of the key (``tagKeys=a&tagKeys=b``), a map
  from every query pair no other member takes; strings and timestamps as sent;
- ``location: header``: the header's value, typed the same way; ``location: headers`` (a map with a
  prefix): every header with that prefix, the prefix taken off;
- everything else: the JSON body, after ``shapes.check`` (so of the declared JSON types, nulls gone).
  Unknown body keys are not members and are left out. A payload member is the whole body: the JSON
  object for a structure payload, the raw bytes for a blob payload (InvokeModel's ``body``).

Values stay as the wire carries them: a blob inside a JSON body is its base64 text, a timestamp is the
string or number sent. Only the operation's URI, query and header members are converted, because their
wire form (text) is not their type. A query or header value that does not read as its type (``maxResults=
ten``) is refused with the ``SerializationException`` the body's type check sends for the same mistake
(wire-facts.md §9.2, §10.6).

Binders are compiled per operation on first use from ``shapes.model`` (itself lazy), and cached.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.wire import shapes
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from emulator.services.exchange import OperationCall

# Reads one text value (a query value or a header) as its shape's type, or raises AwsError.
TextReader = Callable[[str], Any]

_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class _Binder:
    labels: tuple[tuple[str, str], ...]  # (member, label)
    query: tuple[tuple[str, str, TextReader, bool], ...]  # (member, key, reader, is a list)
    query_map: str | None  # the member taking every query pair not bound by name
    headers: tuple[tuple[str, str, TextReader], ...]  # (member, lower-cased header name, reader)
    header_maps: tuple[tuple[str, str], ...]  # (member, lower-cased prefix)
    body_members: frozenset[str]
    payload: str | None  # the payload member, when the body is one member
    payload_is_json: bool  # a structure payload (JSON object) rather than a blob or string


def bind(call: OperationCall) -> dict[str, Any]:
    """The operation's input by member name (see the module docstring), or ``{}`` for an unknown one."""
    binder = _binder(call.service, call.operation)
    if binder is None:
        return {}
    bound: dict[str, Any] = {}
    body = _body(call)
    if binder.payload is not None:
        if binder.payload_is_json:
            if body:
                bound[binder.payload] = body
        elif call.raw_body:
            bound[binder.payload] = call.raw_body
        elif call.body_stream is not None:
            # An input event stream the handler reads as it arrives: present, its events not yet known.
            bound[binder.payload] = {}
    elif body:
        members = binder.body_members
        for name, value in body.items():
            if name in members:
                bound[name] = value
    for member, label in binder.labels:
        value = call.labels.get(label)
        if value is not None:
            bound[member] = value
    if binder.query or binder.query_map is not None:
        _bind_query(call, binder, bound)
    if binder.headers or binder.header_maps:
        _bind_headers(call, binder, bound)
    return bound


def _body(call: OperationCall) -> dict[str, Any] | None:
    body = call.json_body
    if body is None and call.raw_body:  # a call built without the data plane's parse (tests, tools)
        body = call.json()
    return body if type(body) is dict else None


def _bind_query(call: OperationCall, binder: _Binder, bound: dict[str, Any]) -> None:
    lists = call.query_lists
    taken: set[str] = set()
    for member, key, reader, is_list in binder.query:
        if is_list:
            values = lists.get(key)
            if values is None and key in call.query:
                values = (call.query[key],)
            if values is not None:
                bound[member] = [reader(value) for value in values]
                taken.add(key)
        elif key in call.query:
            bound[member] = reader(call.query[key])
            taken.add(key)
    if binder.query_map is not None:
        rest = {key: value for key, value in call.query.items() if key not in taken}
        if rest:
            bound[binder.query_map] = rest


def _bind_headers(call: OperationCall, binder: _Binder, bound: dict[str, Any]) -> None:
    headers = call.headers
    for member, name, reader in binder.headers:
        value = headers.get(name)
        if value is not None:
            bound[member] = reader(value)
    for member, prefix in binder.header_maps:
        found = {name[len(prefix) :]: value for name, value in headers.items() if name.startswith(prefix)}
        if found:
            bound[member] = found


# -- compiling ----------------------------------------------------------------------------------------

_binders: dict[tuple[str, str], _Binder | None] = {}
_lock = threading.Lock()


def _binder(service: str, operation: str) -> _Binder | None:
    key = (service, operation)
    try:
        return _binders[key]
    except KeyError:
        pass
    model = shapes.model(service)
    compiled = _compile(model, operation) if model is not None else None
    with _lock:
        return _binders.setdefault(key, compiled)


def _compile(model: Mapping[str, Any], operation: str) -> _Binder | None:
    definition = model.get("operations", {}).get(operation)
    if definition is None:
        return None
    shapes_by_name: Mapping[str, Any] = model["shapes"]
    if "input" not in definition:
        return _Binder((), (), None, (), (), frozenset(), None, False)
    input_shape = shapes_by_name[definition["input"]["shape"]]
    labels: list[tuple[str, str]] = []
    query: list[tuple[str, str, TextReader, bool]] = []
    query_map: str | None = None
    headers: list[tuple[str, str, TextReader]] = []
    header_maps: list[tuple[str, str]] = []
    body_members: set[str] = set()
    for name, member in input_shape.get("members", {}).items():
        location = member.get("location")
        wire_name = member.get("locationName", name)
        target = shapes_by_name[member["shape"]]
        if location == "uri":
            labels.append((name, wire_name.rstrip("+")))
        elif location == "querystring":
            if target["type"] == "map":
                query_map = name
            elif target["type"] == "list":
                element = shapes_by_name[target["member"]["shape"]]["type"]
                query.append((name, wire_name, _reader(element), True))
            else:
                query.append((name, wire_name, _reader(target["type"]), False))
        elif location == "header":
            reader = _json_header(wire_name) if member.get("jsonvalue") else _reader(target["type"])
            headers.append((name, wire_name.lower(), reader))
        elif location == "headers":
            header_maps.append((name, wire_name.lower()))
        elif location is None:
            body_members.add(name)
    payload = input_shape.get("payload")
    payload_is_json = False
    if payload is not None:
        target = shapes_by_name[input_shape["members"][payload]["shape"]]
        payload_is_json = target["type"] == "structure" and not target.get("eventstream")
    return _Binder(
        tuple(labels),
        tuple(query),
        query_map,
        tuple(headers),
        tuple(header_maps),
        frozenset(body_members),
        payload,
        payload_is_json,
    )


def _reader(kind: str) -> TextReader:
    if kind in ("integer", "long"):
        return _integer_reader(kind)
    if kind in ("float", "double"):
        return _float_reader(kind)
    if kind == "boolean":
        return _read_boolean
    return _as_text


def _as_text(value: str) -> str:
    return value


def _mismatch(target: str) -> AwsError:
    return AwsError("SerializationException", f"STRING_VALUE can not be converted to {target}")


def _integer_reader(kind: str) -> TextReader:
    target = "an Integer" if kind == "integer" else "a Long"
    low, high = (-(2**31), 2**31 - 1) if kind == "integer" else (-(2**63), 2**63 - 1)

    def read(value: str) -> int:
        text = value.strip()
        if not text.lstrip("+-").isdigit() or len(text) > 20:
            raise _mismatch(target)
        number = int(text)
        if not low <= number <= high:
            raise _mismatch(target)
        return number

    return read


def _float_reader(kind: str) -> TextReader:
    target = "a Float" if kind == "float" else "a Double"

    def read(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise _mismatch(target) from None
        if not math.isfinite(number):
            raise _mismatch(target)
        return number

    return read


def _read_boolean(value: str) -> bool:
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError:
        raise _mismatch("a Boolean") from None


def _json_header(wire_name: str) -> TextReader:
    """A ``jsonvalue`` header: base64 of a JSON text, read back to the JSON value."""

    def read(value: str) -> Any:
        try:
            return json.loads(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise AwsError(
                "SerializationException", f"Unable to parse the {wire_name} header as JSON."
            ) from None

    return read
