"""Request bodies against botocore's input shapes: the type check AWS's front end makes as it reads a
restJson1 body into the operation's input structure, before the service sees it.

One job: ``check(service, operation, body)`` walks the parsed JSON body along the operation's input
shape and raises the ``SerializationException`` AWS answers for a value of the wrong JSON type (texts
and sources in wire-facts.md §9). It also reads the body the way that front end does: a ``null`` member
or list element counts as absent (and is removed), and a fractional number sent for an integer member
is truncated. Handlers therefore see members of their declared types, or nothing.

Only body-bound members are walked: members bound to the URI, query string or headers are the wire
layer's, and an operation whose body is a payload blob or an event stream (InvokeModel's provider body)
is not checked here at all. Constraints (lengths, ranges, patterns, enums: "N validation errors
detected") are not checked yet; this is the place they go, as more steps of the same compiled walk.

botocore's service model is read lazily, once per service, and each operation's checker is compiled on
first use and cached: a Converse body costs a few microseconds (``bench/fuzz.py --check-cost``).
Nothing is loaded at import time; ``handlers.warm_up`` loads bedrock-runtime's beside the server starting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from emulator.wire import botocore_data
from emulator.wire.binding import START_OF_LIST, START_OF_MAP
from emulator.wire.errors import AwsError

# A compiled check: takes a JSON value, returns it (or what the front end reads it as), or raises.
Checker = Callable[[Any], Any]

EXPECTED_STRUCTURE = "Expected null"
EXPECTED_LIST = "Expected list or null"
EXPECTED_MAP = "Expected map or null"

# Java's int and long, which Coral reads Smithy's integer and long into.
_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# How the messages name the target of a failed scalar conversion.
_TARGET = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "float": "a Float",
    "double": "a Double",
    "boolean": "a Boolean",
    "blob": "a Blob",
    "timestamp": "a Timestamp",
}
_NON_BODY_LOCATIONS = frozenset({"uri", "querystring", "header", "headers", "statusCode"})
# What ``model`` keeps of each operation (the rest is documentation and SDK hints).
_KEPT_OPERATION_KEYS = frozenset({"input", "output", "errors", "http"})


class _MismatchError(Exception):
    """A value of the wrong JSON type: the message AWS sends for it."""


def check(service: str, operation: str, body: Any) -> Any:
    """The body as the service reads it, or the ``SerializationException`` for a member of the wrong type.

    ``body`` is the parsed JSON object of the request; it may be normalised in place (nulls removed).
    Operations botocore does not know, or whose body is not a JSON structure, pass unchecked.
    """
    checker = _registry.checker(service, operation)
    if checker is None:
        return body
    try:
        return checker(body)
    except _MismatchError as mismatch:
        raise AwsError("SerializationException", str(mismatch)) from None


def binds_body(service: str, operation: str) -> bool:
    """Whether the operation reads members from a JSON body (so an unreadable body is an error)."""
    return _registry.checker(service, operation) is not None


def model(service: str) -> Mapping[str, Any] | None:
    """botocore's model of a service (operations with their input, output, errors and http binding,
    and shapes; no documentation), or None. Shared: read it, never change it."""
    return _registry.model(service)


def warm_up(service: str) -> None:
    """Load a service's model and compile every operation's checker (for a background thread)."""
    model = _registry.model(service)
    if model is not None:
        for operation in model.get("operations", {}):
            _registry.checker(service, operation)


# -- the registry: models and compiled checkers, built on first use -----------------------------------


class _Registry:
    def __init__(self) -> None:
        self._models: dict[str, Mapping[str, Any] | None] = {}
        self._checkers: dict[tuple[str, str], Checker | None] = {}
        self._lock = threading.Lock()

    def model(self, service: str) -> Mapping[str, Any] | None:
        if service not in self._models:
            with self._lock:
                if service not in self._models:
                    self._models[service] = _load(service)
        return self._models[service]

    def checker(self, service: str, operation: str) -> Checker | None:
        key = (service, operation)
        try:
            return self._checkers[key]
        except KeyError:
            pass
        model = self.model(service)
        compiled = _compile_operation(model, operation) if model is not None else None
        with self._lock:
            return self._checkers.setdefault(key, compiled)


def _load(service: str) -> Mapping[str, Any] | None:
    model = botocore_data.load(service)  # botocore's file, without importing botocore (start-up)
    if model is None:
        return None
    # Kept without its documentation strings, which are most of its size.
    return {
        "operations": {
            name: {key: value for key, value in operation.items() if key in _KEPT_OPERATION_KEYS}
            for name, operation in model["operations"].items()
        },
        "shapes": {name: _undocumented(shape) for name, shape in model["shapes"].items()},
    }


def _undocumented(shape: Mapping[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in shape.items() if key != "documentation"}
    if "members" in kept:
        kept["members"] = {
            name: {key: value for key, value in member.items() if key != "documentation"}
            for name, member in kept["members"].items()
        }
    return kept


_registry = _Registry()


# -- compiling shapes to checkers ---------------------------------------------------------------------


def _compile_operation(model: Mapping[str, Any], operation: str) -> Checker | None:
    definition = model.get("operations", {}).get(operation)
    if definition is None or "input" not in definition:
        return None
    shapes: Mapping[str, Any] = model["shapes"]
    input_name = definition["input"]["shape"]
    input_shape = shapes[input_name]
    payload = input_shape.get("payload")
    if payload is not None:
        member = input_shape["members"][payload]
        target = shapes[member["shape"]]
        if target["type"] != "structure" or target.get("eventstream"):
            return None  # a blob or an event stream: not a JSON body
        return _Compiler(shapes).compile(member["shape"])
    body_members = {
        name: member
        for name, member in input_shape.get("members", {}).items()
        if member.get("location") not in _NON_BODY_LOCATIONS
    }
    if not body_members:
        return None
    compiler = _Compiler(shapes)
    return compiler.structure({name: compiler.compile(m["shape"]) for name, m in body_members.items()})


class _Compiler:
    """Shape name -> checker, memoised, so recursive shapes compile to a finite set of closures."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes
        self._done: dict[str, Checker] = {}

    def compile(self, name: str) -> Checker:
        done = self._done.get(name)
        if done is not None:
            return done
        shape = self._shapes[name]
        kind = shape["type"]
        checker: Checker
        if shape.get("document"):  # botocore spells a document as a structure flagged "document"
            checker = _any
        elif kind == "structure":
            # Registered before its members compile, through a cell, so a member may refer back to it.
            cell: list[Checker] = []

            def forward(value: Any) -> Any:
                return cell[0](value)

            self._done[name] = forward
            checker = self.structure({m: self.compile(s["shape"]) for m, s in shape["members"].items()})
            cell.append(checker)
        elif kind == "list":
            checker = _list(self.compile(shape["member"]["shape"]))
        elif kind == "map":
            checker = _map(self.compile(shape["value"]["shape"]))
        else:
            checker = _scalar(kind)
        self._done[name] = checker
        return checker

    @staticmethod
    def structure(members: Mapping[str, Checker]) -> Checker:
        return _structure(dict(members))


def _structure(members: dict[str, Checker]) -> Checker:
    def check_structure(value: Any) -> Any:
        if type(value) is not dict:
            raise _MismatchError(_container_mismatch(value, EXPECTED_STRUCTURE))
        absent: list[str] = []
        for name, item in value.items():
            if item is None:
                absent.append(name)
                continue
            member = members.get(name)
            if member is not None:  # unknown members are ignored, as AWS ignores them
                read = member(item)
                if read is not item:
                    value[name] = read
        for name in absent:
            del value[name]
        return value

    return check_structure


def _list(element: Checker) -> Checker:
    def check_list(value: Any) -> Any:
        if type(value) is not list:
            raise _MismatchError(_container_mismatch(value, EXPECTED_LIST))
        if None in value:
            value[:] = [item for item in value if item is not None]
        for index, item in enumerate(value):
            read = element(item)
            if read is not item:
                value[index] = read
        return value

    return check_list


def _map(entry: Checker) -> Checker:
    def check_map(value: Any) -> Any:
        if type(value) is not dict:
            raise _MismatchError(_container_mismatch(value, EXPECTED_MAP))
        absent = [key for key, item in value.items() if item is None]
        for key in absent:
            del value[key]
        for key, item in value.items():
            read = entry(item)
            if read is not item:
                value[key] = read
        return value

    return check_map


def _container_mismatch(value: Any, scalar_message: str) -> str:
    if isinstance(value, list):
        return START_OF_LIST
    if isinstance(value, dict):
        return START_OF_MAP
    return scalar_message


def _scalar_mismatch(value: Any, kind: str) -> _MismatchError:
    if isinstance(value, list):
        return _MismatchError(START_OF_LIST)
    if isinstance(value, dict):
        return _MismatchError(START_OF_MAP)
    if value is True:
        token = "TRUE_VALUE"
    elif value is False:
        token = "FALSE_VALUE"
    elif isinstance(value, str):
        token = "STRING_VALUE"
    else:
        token = "NUMBER_VALUE"
    return _MismatchError(f"{token} can not be converted to {_TARGET[kind]}")


def _scalar(kind: str) -> Checker:
    if kind == "document":
        return _any
    if kind in ("string", "blob"):
        return _string(kind)
    if kind in _RANGES:
        return _integer(kind)
    if kind in ("float", "double"):
        return _floating(kind)
    if kind == "boolean":
        return _boolean
    if kind == "timestamp":
        return _timestamp
    return _any  # a shape type botocore may add later: let it through rather than refuse valid input


def _any(value: Any) -> Any:
    return value


def _string(kind: str) -> Checker:
    def check_string(value: Any) -> Any:
        if type(value) is not str:
            raise _scalar_mismatch(value, kind)
        return value

    return check_string


def _integer(kind: str) -> Checker:
    low, high = _RANGES[kind]

    def check_integer(value: Any) -> Any:
        kind_of = type(value)
        if kind_of is float:
            value = int(value)  # AWS reads 2.7 as 2; the parser admits finite floats only
        elif kind_of is not int:
            raise _scalar_mismatch(value, kind)
        if not low <= value <= high:
            raise _MismatchError(f"NUMBER_VALUE can not be converted to {_TARGET[kind]}")
        return value

    return check_integer


def _floating(kind: str) -> Checker:
    def check_floating(value: Any) -> Any:
        kind_of = type(value)
        if kind_of is float:
            return value
        if kind_of is not int:
            raise _scalar_mismatch(value, kind)
        if not _fits_double(value):
            raise _MismatchError(f"NUMBER_VALUE can not be converted to {_TARGET[kind]}")
        return value

    return check_floating


def _fits_double(value: int) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _boolean(value: Any) -> Any:
    if type(value) is not bool:
        raise _scalar_mismatch(value, "boolean")
    return value


def _timestamp(value: Any) -> Any:
    # restJson1 bodies carry epoch seconds; AWS front ends also read ISO 8601 strings.
    kind_of = type(value)
    if kind_of is str or kind_of is float or (kind_of is int and _fits_double(value)):
        return value
    raise _scalar_mismatch(value, "timestamp")


# -- reachability, for compilers that skip what needs no work ----------------------------------------


def reaching(
    shapes_by_name: Mapping[str, Any], direct: Callable[[Mapping[str, Any]], bool]
) -> frozenset[str]:
    """The names of the shapes that are ``direct`` or contain one, at any depth (documents excluded).

    One walk over the reversed containment graph, linear in the model whatever its cycles, so compilers
    can leave out every shape below which there is nothing to do.
    """
    parents: dict[str, list[str]] = {}
    found: list[str] = []
    for name, shape in shapes_by_name.items():
        if direct(shape):
            found.append(name)
        if shape.get("document"):
            continue
        kind = shape.get("type")
        if kind == "structure":
            children = [member["shape"] for member in shape.get("members", {}).values()]
        elif kind == "list":
            children = [shape["member"]["shape"]]
        elif kind == "map":
            children = [shape["key"]["shape"], shape["value"]["shape"]]
        else:
            continue
        for child in children:
            parents.setdefault(child, []).append(name)
    reached = set(found)
    while found:
        for parent in parents.get(found.pop(), ()):
            if parent not in reached:
                reached.add(parent)
                found.append(parent)
    return frozenset(reached)
