"""The operation's input against the constraints of botocore's model: AWS's ``N validation errors
detected`` before the service sees a request.

One job: ``check(service, operation, bound)`` walks the bound input (``OperationCall.input``: members
from the URI, query, headers and body) along the operation's input shape and raises the
``ValidationException`` AWS's front end sends for what breaks the model's constraints:

- a ``required`` member absent: ``Value null at 'x' failed to satisfy constraint: Member must not be null``;
- a string's ``pattern`` (the whole value must match), its length (``min``/``max``, in characters),
  its ``enum``: ``Member must satisfy regular expression pattern: <pattern>``, ``Member must have length
  greater than or equal to N`` / ``less than or equal to N``, ``Member must satisfy enum value set: [a, b]``;
- a list's or map's number of entries and a blob's number of bytes (``min``/``max``);
- a number's range: ``Member must have value greater than or equal to N`` / ``less than or equal to N``.

Rendering, with its sources in wire-facts.md §10: ``Value '<v>' at '<path>' failed to satisfy
constraint: <rule>``; values as Java prints them (``[a, b]`` for lists, ``{k=v}`` for maps); no value at
all (``Value at 'x'``) inside a ``sensitive`` shape; list elements as ``messages.1.member.role``
(counted from 1), map entries as ``requestMetadata.<key>.member``; a list of scalars or a map's keys
and values failing their own shape's rules as one error on the container, ``Member must satisfy
constraint: [<every rule of the element shape>]`` (``Map keys must satisfy constraint: [...]``, ``Map value
must satisfy constraint: [...]``). Several errors join with ``; `` after ``N validation errors detected:``,
in the model's member order, at most ten of them.

Unions (exactly one member) and documents are not constrained here; timestamps have no constraints.
Validators are compiled per operation on first use and cached; shapes without any constraint below
them compile to nothing, so a Converse costs a few microseconds.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from emulator.wire import shapes
from emulator.wire.errors import AwsError

log = logging.getLogger("bedrock_emulator")

MAX_ERRORS = 10  # AWS lists at most this many (wire-facts.md §10.3)

# A compiled validator: (value, path, hidden, errors) -> None, appending AWS's texts to ``errors``.
Validator = Callable[[Any, str, bool, list[str]], None]
# Its fast twin: whether the value breaks nothing (no paths, no texts; the report runs only when not).
Check = Callable[[Any], bool]
# One rule of a scalar shape: (value) -> the rule's text when broken, else None.
Rule = Callable[[Any], str | None]

# Published patterns the real services cannot be enforcing, because values they accept fail them.
# Values real answers carry that botocore's enum lacks, accepted when a caller sends them back: Claude's
# Converse toolUse blocks say type "tool_use" (wire-facts §24), and callers return the message as received.
RECORDED_ENUM_VALUES: Mapping[str, tuple[str, ...]] = {"ToolUseType": ("tool_use",)}

UNENFORCED_PATTERNS: Mapping[str, str] = {
    # bedrock-agent TaggableResourcesArn (TagResource, UntagResource, ListTagsForResource): "/d{12}" where
    # "\\d{12}" was meant, so no real ARN matches, yet tagging real agents, knowledge bases, flows and
    # prompts works (wire-facts.md §10.7, §13.8).
    ".*(^arn:aws:bedrock:[a-zA-Z0-9-]+:/d{12}:(agent|agent-alias|knowledge-base|flow|prompt)/[A-Z0-9]{10}"
    "(?:/[A-Z0-9]{10})?$|^arn:aws:bedrock:[a-zA-Z0-9-]+:/d{12}:flow/([A-Z0-9]{10})/alias/([A-Z0-9]{10})$|"
    "^arn:aws:bedrock:[a-zA-Z0-9-]+:/d{12}:prompt/([A-Z0-9]{10})?(?::/d+)?$|^arn:aws(-cn|-us-gov|-eusc|"
    "-iso(-[b-f])?)?:bedrock:[a-zA-Z0-9-]+:[0-9]{12}:retrieval-instruction/[a-z0-9]{10}$).*": (
        "bedrock-agent TaggableResourcesArn"
    ),
    # bedrock PromptRouterArn (GetPromptRouter, DeletePromptRouter): only "default-prompt-router/", yet a
    # router made by CreatePromptRouter is "prompt-router/<id>" and is read and deleted by it (wire-facts §22.2).
    "arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:default-prompt-router/[a-zA-Z0-9-:.]+": (
        "bedrock PromptRouterArn"
    ),
}

_CONTAINERS = frozenset({"structure", "list", "map"})
_NUMBERS = frozenset({"integer", "long", "float", "double"})


def check(service: str, operation: str, bound: Mapping[str, Any]) -> None:
    """Raise AWS's ``ValidationException`` when the bound input breaks its model's constraints."""
    compiled = _validator(service, operation)
    if compiled is None or compiled[0](bound):
        return
    errors: list[str] = []
    compiled[1](bound, "", False, errors)
    if errors:
        raise violations(errors)


def violations(errors: list[str]) -> AwsError:
    """AWS's message for a list of constraint violations (the first ``MAX_ERRORS`` of them)."""
    shown = errors[:MAX_ERRORS]
    count = len(shown)
    noun = "error" if count == 1 else "errors"
    return AwsError("ValidationException", f"{count} validation {noun} detected: {'; '.join(shown)}")


def violation(path: str, value: Any, rule: str, *, hidden: bool = False) -> str:
    """One violation as AWS writes it: ``Value '<v>' at '<path>' failed to satisfy constraint: <rule>``."""
    if hidden:
        shown = ""
    elif value is None:
        shown = " null"
    else:
        shown = f" '{java_text(value)}'"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {rule}"


def java_text(value: Any) -> str:
    """A value as the Java front end prints it in a message: lists ``[a, b]``, maps ``{k=v}``."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return "[" + ", ".join(java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={java_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, bytes | bytearray):
        return _byte_buffer(value)
    return str(value)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# -- the registry -------------------------------------------------------------------------------------

_validators: dict[tuple[str, str], _Compiled | None] = {}
_lock = threading.Lock()


def _validator(service: str, operation: str) -> _Compiled | None:
    key = (service, operation)
    try:
        return _validators[key]
    except KeyError:
        pass
    model = shapes.model(service)
    compiled = _compile_operation(model, operation) if model is not None else None
    with _lock:
        return _validators.setdefault(key, compiled)


def warm_up(service: str) -> None:
    """Compile every operation's validator (for a background thread)."""
    model = shapes.model(service)
    if model is not None:
        for operation in model.get("operations", {}):
            _validator(service, operation)


def _compile_operation(model: Mapping[str, Any], operation: str) -> _Compiled | None:
    definition = model.get("operations", {}).get(operation)
    if definition is None or "input" not in definition:
        return None
    return _Compiler(model["shapes"]).shape(definition["input"]["shape"])


# -- compiling ----------------------------------------------------------------------------------------

_Compiled = tuple[Check, Validator]


class _Compiler:
    """Shape name -> validator (None when nothing below it is constrained), memoised; recursive shapes
    refer back to themselves through a cell."""

    def __init__(self, shapes_by_name: Mapping[str, Any]) -> None:
        self._shapes = shapes_by_name
        self._done: dict[str, _Compiled | None] = {}
        self._constrained = _constrained_shapes(shapes_by_name)

    def shape(self, name: str) -> _Compiled | None:
        if name in self._done:
            return self._done[name]
        if name not in self._constrained:
            self._done[name] = None
            return None
        shape = self._shapes[name]
        kind = shape["type"]
        compiled: _Compiled
        if kind == "structure":
            cell: list[_Compiled] = []

            def forward_check(value: Any) -> bool:
                return cell[0][0](value)

            def forward(value: Any, path: str, hidden: bool, errors: list[str]) -> None:
                cell[0][1](value, path, hidden, errors)

            self._done[name] = (forward_check, forward)
            compiled = self._structure(shape)
            cell.append(compiled)
        elif kind == "list":
            compiled = self._list(shape)
        elif kind == "map":
            compiled = self._map(shape)
        else:
            if name in RECORDED_ENUM_VALUES:
                shape = {**shape, "enum": [*shape.get("enum", ()), *RECORDED_ENUM_VALUES[name]]}
            rules = _rules(shape)
            compiled = (_scalar_check(shape), _scalar(rules, bool(shape.get("sensitive")), _shown(kind)))
        self._done[name] = compiled
        return compiled

    def _structure(self, shape: Mapping[str, Any]) -> _Compiled:
        members = shape.get("members", {})
        required = set(shape.get("required", ()))
        # (declared index, member name, path segment, validator or None, required)
        entries: dict[str, tuple[int, str, str, Validator | None, bool]] = {}
        checks: dict[str, Check] = {}
        for index, (name, member) in enumerate(members.items()):
            compiled = self.shape(member["shape"])
            if compiled is not None:
                checks[name] = compiled[0]
            if compiled is not None or name in required:
                segment = name[:1].lower() + name[1:]
                validator = compiled[1] if compiled is not None else None
                entries[name] = (index, name, segment, validator, name in required)
        required_entries = tuple(sorted((e for e in entries.values() if e[4]), key=_index))
        sensitive = bool(shape.get("sensitive"))
        return (
            _structure_check(checks, tuple(e[1] for e in required_entries)),
            _structure(entries, required_entries, sensitive),
        )

    def _list(self, shape: Mapping[str, Any]) -> _Compiled:
        bounds = _bounds(shape)
        element_name = shape["member"]["shape"]
        element = self._shapes[element_name]
        sensitive = bool(shape.get("sensitive"))
        if element["type"] in _CONTAINERS:
            compiled = self.shape(element_name)
            return (
                _list_check(bounds, compiled[0] if compiled is not None else None),
                _list_of_containers(bounds, compiled[1] if compiled is not None else None, sensitive),
            )
        rules = _rules(element)
        return (
            _list_check(bounds, _scalar_check(element) if rules else None),
            _list_of_scalars(
                bounds, tuple(rules), _listing(element), sensitive or bool(element.get("sensitive"))
            ),
        )

    def _map(self, shape: Mapping[str, Any]) -> _Compiled:
        bounds = _bounds(shape)
        key = self._shapes[shape["key"]["shape"]]
        value_name = shape["value"]["shape"]
        value = self._shapes[value_name]
        sensitive = bool(shape.get("sensitive"))
        key_rules = _rules(key)
        key_check = _scalar_check(key) if key_rules else None
        if value["type"] in _CONTAINERS:
            compiled = self.shape(value_name)
            return (
                _map_check(bounds, key_check, compiled[0] if compiled is not None else None),
                _map_of(
                    bounds,
                    tuple(key_rules),
                    _listing(key),
                    compiled[1] if compiled is not None else None,
                    (),
                    "",
                    sensitive,
                ),
            )
        value_rules = _rules(value)
        return (
            _map_check(bounds, key_check, _scalar_check(value) if value_rules else None),
            _map_of(
                bounds, tuple(key_rules), _listing(key), None, tuple(value_rules), _listing(value), sensitive
            ),
        )


_reaching_constraints: dict[int, frozenset[str]] = {}


def _constrained_shapes(shapes_by_name: Mapping[str, Any]) -> frozenset[str]:
    """The shapes of a model with a constraint in or below them (once per model: models live as long
    as the process, in ``shapes``' registry)."""
    key = id(shapes_by_name)
    found = _reaching_constraints.get(key)
    if found is None:
        found = shapes.reaching(shapes_by_name, _has_constraints)
        _reaching_constraints[key] = found
    return found


def _has_constraints(shape: Mapping[str, Any]) -> bool:
    """Whether a shape has rules of its own (cheaply: without compiling its pattern)."""
    kind = shape["type"]
    if shape.get("document"):
        return False
    if kind == "structure":
        return bool(shape.get("required"))
    if kind == "string":
        return bool(shape.get("enum")) or "pattern" in shape or _has_bounds(shape)
    if kind in ("list", "map", "blob") or kind in _NUMBERS:
        return _has_bounds(shape)
    return False


def _has_bounds(shape: Mapping[str, Any]) -> bool:
    return "min" in shape or "max" in shape


def _number_text(bound: Any) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _bounds(shape: Mapping[str, Any]) -> tuple[int | None, int | None]:
    low = shape.get("min")
    high = shape.get("max")
    return (int(low) if low is not None else None, int(high) if high is not None else None)


def _length_rules(low: int | None, high: int | None, measure: Callable[[Any], int]) -> list[Rule]:
    rules: list[Rule] = []
    if low is not None and low > 0:
        too_short = f"Member must have length greater than or equal to {low}"

        def at_least(value: Any) -> str | None:
            return too_short if measure(value) < low else None

        rules.append(at_least)
    if high is not None:
        too_long = f"Member must have length less than or equal to {high}"

        def at_most(value: Any) -> str | None:
            return too_long if measure(value) > high else None

        rules.append(at_most)
    return rules


def _blob_length(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    text = str(value)  # a body blob is base64 text: its decoded length, without decoding it
    return len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))


def _rules(shape: Mapping[str, Any]) -> list[Rule]:
    """A scalar shape's rules in the order AWS reports them: enum, pattern, lengths, range."""
    kind = shape["type"]
    rules: list[Rule] = []
    if kind == "string":
        enum = shape.get("enum")
        if enum:
            allowed = frozenset(enum)
            enum_rule = f"Member must satisfy enum value set: [{', '.join(enum)}]"

            def in_enum(value: Any) -> str | None:
                return None if value in allowed else enum_rule

            rules.append(in_enum)
        pattern = shape.get("pattern")
        if pattern is not None and pattern not in UNENFORCED_PATTERNS:
            matcher = _matcher(pattern)
            if matcher is not None:
                pattern_rule = f"Member must satisfy regular expression pattern: {pattern}"

                def matches(value: Any, matcher: Callable[[str], bool] = matcher) -> str | None:
                    return None if matcher(value) else pattern_rule

                rules.append(matches)
        rules.extend(_length_rules(*_bounds(shape), len))
    elif kind == "blob":
        rules.extend(_length_rules(*_bounds(shape), _blob_length))
    elif kind in _NUMBERS:
        low = shape.get("min")
        high = shape.get("max")
        if low is not None:
            small = f"Member must have value greater than or equal to {_number_text(low)}"

            def at_least(value: Any, low: Any = low) -> str | None:
                return small if value < low else None

            rules.append(at_least)
        if high is not None:
            large = f"Member must have value less than or equal to {_number_text(high)}"

            def at_most(value: Any, high: Any = high) -> str | None:
                return large if value > high else None

            rules.append(at_most)
    return rules


def _listing(shape: Mapping[str, Any]) -> str:
    """Every rule of an element shape, as AWS lists them inside ``Member must satisfy constraint: [...]``:
    maximum length, minimum length, pattern, enum, maximum value, minimum value."""
    kind = shape["type"]
    parts: list[str] = []
    if kind in ("string", "blob"):
        if "max" in shape:
            parts.append(f"Member must have length less than or equal to {int(shape['max'])}")
        if "min" in shape:
            parts.append(f"Member must have length greater than or equal to {int(shape['min'])}")
        if kind == "string" and "pattern" in shape:
            parts.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
        if kind == "string" and shape.get("enum"):
            parts.append(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
    elif kind in _NUMBERS:
        if "max" in shape:
            parts.append(f"Member must have value less than or equal to {_number_text(shape['max'])}")
        if "min" in shape:
            parts.append(f"Member must have value greater than or equal to {_number_text(shape['min'])}")
    return "[" + ", ".join(parts) + "]"


def _matcher(pattern: str) -> Callable[[str], bool] | None:
    """Whether a whole value matches a model pattern (Java's ``String.matches``), or None when the pattern
    cannot be checked.

    Python's ``re`` runs short values (a fraction of a microsecond; ASCII classes, as in Java). It
    backtracks, and a few model patterns are quadratic on a long near-miss, so values longer than
    ``_BACKTRACKING_LIMIT`` go to RE2 (linear; ~20 µs a call through its binding), compiled on the first
    such value. Java's Unicode classes (``\\p{L}``), which ``re`` lacks, go to RE2 always; RE2 refuses
    lookarounds and counts over 1000, which ``re`` reads. A pattern neither can read is not checked,
    rather than refusing valid input.
    """
    try:
        backtracking = re.compile(pattern, re.ASCII).fullmatch
    except re.error:
        linear = _re2(pattern)
        if linear is None:
            log.debug("constraint pattern not checked: %r", pattern)
            return None

        def matches_linear(value: str) -> bool:
            return linear(value) is not None

        return matches_linear
    long_values: list[Callable[[str], Any] | None] = []  # RE2's matcher, once a long value needs it

    def matches(value: str) -> bool:
        if len(value) <= _BACKTRACKING_LIMIT:
            return backtracking(value) is not None
        if not long_values:
            long_values.append(_re2(pattern))
        linear = long_values[0] or backtracking  # RE2 cannot read it: lookarounds, long counts
        return linear(value) is not None

    return matches


_BACKTRACKING_LIMIT = 256


def _re2(pattern: str) -> Callable[[str], Any] | None:
    try:
        import re2  # google-re2, untyped; imported when the first constraint pattern compiles

        compiled: Any = re2.compile(pattern)
    except Exception:  # RE2 refuses lookarounds and counted repetitions over 1000
        return None
    fullmatch: Callable[[str], Any] = compiled.fullmatch
    return fullmatch


# -- fast checks: whether anything is broken, nothing more ---------------------------------------------


def _scalar_check(shape: Mapping[str, Any]) -> Check:
    """The shape's rules (``_rules``) inlined into one function: no texts, no per-rule calls."""
    kind = shape["type"]
    if kind in _NUMBERS:
        low = shape.get("min", -math.inf)
        high = shape.get("max", math.inf)

        def check_number(value: Any) -> bool:
            return bool(low <= value <= high)

        return check_number
    shortest, longest = _within(_bounds(shape))
    if kind == "blob":

        def check_blob(value: Any) -> bool:
            return shortest <= _blob_length(value) <= longest

        return check_blob
    enum = shape.get("enum")
    allowed = frozenset(enum) if enum else None
    pattern = shape.get("pattern")
    matcher = _matcher(pattern) if pattern is not None and pattern not in UNENFORCED_PATTERNS else None

    def check_string(value: Any) -> bool:
        if allowed is not None and value not in allowed:
            return False
        if matcher is not None and not matcher(value):
            return False
        return shortest <= len(value) <= longest

    return check_string


def _within(bounds: tuple[int | None, int | None]) -> tuple[int, int]:
    low, high = bounds
    return (low or 0, high if high is not None else sys.maxsize)


def _structure_check(checks: dict[str, Check], required: tuple[str, ...]) -> Check:
    def check(value: Any) -> bool:
        if type(value) is not dict:
            return True
        for name in required:
            if value.get(name) is None:
                return False
        for name, item in value.items():
            member = checks.get(name)
            if member is not None and item is not None and not member(item):
                return False
        return True

    return check


def _list_check(bounds: tuple[int | None, int | None], element: Check | None) -> Check:
    low, high = _within(bounds)

    def check(value: Any) -> bool:
        if type(value) is not list:
            return True
        if not low <= len(value) <= high:
            return False
        if element is not None:
            for item in value:
                if not element(item):
                    return False
        return True

    return check


def _map_check(bounds: tuple[int | None, int | None], key: Check | None, entry: Check | None) -> Check:
    low, high = _within(bounds)

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return True
        if not low <= len(value) <= high:
            return False
        if key is not None:
            for name in value:
                if not key(name):
                    return False
        if entry is not None:
            for item in value.values():
                if not entry(item):
                    return False
        return True

    return check


# -- validators: the report, with AWS's texts -----------------------------------------------------------


def _shown(kind: str) -> Callable[[Any], Any]:
    """How a scalar of the kind appears in a message, as the Java front end prints it."""
    if kind in ("float", "double"):
        return float  # a Float 1 prints as 1.0
    if kind == "blob":
        return _byte_buffer
    return _as_is


def _as_is(value: Any) -> Any:
    return value


def _byte_buffer(value: Any) -> str:
    size = _blob_length(value)  # a blob is read into a ByteBuffer, and that is what gets printed
    return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"


def _scalar(rules: list[Rule], sensitive: bool, show: Callable[[Any], Any]) -> Validator:
    checks = tuple(rules)

    def validate(value: Any, path: str, hidden: bool, errors: list[str]) -> None:
        for rule in checks:
            broken = rule(value)
            if broken is not None:
                shown = show(value)
                errors.append(violation(path, shown, broken, hidden=hidden or sensitive))

    return validate


def _structure(
    entries: dict[str, tuple[int, str, str, Validator | None, bool]],
    required: tuple[tuple[int, str, str, Validator | None, bool], ...],
    sensitive: bool,
) -> Validator:
    def validate(value: Any, path: str, hidden: bool, errors: list[str]) -> None:
        if type(value) is not dict:
            return
        hidden = hidden or sensitive
        found = [entries[name] for name in value if name in entries]
        if required:
            for entry in required:
                if value.get(entry[1]) is None:
                    found.append(entry)
        if not found:
            return
        if len(found) > 1:
            found.sort(key=_index)
        for _, name, segment, validator, _ in found:
            item = value.get(name)
            member_path = f"{path}.{segment}" if path else segment
            if item is None:
                errors.append(violation(member_path, None, "Member must not be null", hidden=hidden))
            elif validator is not None:
                validator(item, member_path, hidden, errors)

    return validate


def _index(entry: tuple[int, str, str, Validator | None, bool]) -> int:
    return entry[0]


def _count_rules(bounds: tuple[int | None, int | None]) -> tuple[Rule, ...]:
    return tuple(_length_rules(*bounds, len))


def _list_of_containers(
    bounds: tuple[int | None, int | None], element: Validator | None, sensitive: bool
) -> Validator:
    counts = _count_rules(bounds)

    def validate(value: Any, path: str, hidden: bool, errors: list[str]) -> None:
        if type(value) is not list:
            return
        hidden = hidden or sensitive
        _check_counts(counts, value, path, hidden, errors)
        if element is not None:
            for index, item in enumerate(value, 1):
                element(item, f"{path}.{index}.member", hidden, errors)

    return validate


def _check_counts(counts: tuple[Rule, ...], value: Any, path: str, hidden: bool, errors: list[str]) -> None:
    """A list's or map's length rules (min/max items), one violation each."""
    for rule in counts:
        broken = rule(value)
        if broken is not None:
            errors.append(violation(path, value, broken, hidden=hidden))


def _list_of_scalars(
    bounds: tuple[int | None, int | None], rules: tuple[Rule, ...], listing: str, sensitive: bool
) -> Validator:
    counts = _count_rules(bounds)
    element_rule = f"Member must satisfy constraint: {listing}"

    def validate(value: Any, path: str, hidden: bool, errors: list[str]) -> None:
        if type(value) is not list:
            return
        hidden = hidden or sensitive
        _check_counts(counts, value, path, hidden, errors)
        if rules and any(rule(item) is not None for item in value for rule in rules):
            errors.append(violation(path, value, element_rule, hidden=hidden))

    return validate


def _map_of(
    bounds: tuple[int | None, int | None],
    key_rules: tuple[Rule, ...],
    key_listing: str,
    entry: Validator | None,
    value_rules: tuple[Rule, ...],
    value_listing: str,
    sensitive: bool,
) -> Validator:
    counts = _count_rules(bounds)
    key_rule = f"Map keys must satisfy constraint: {key_listing}"
    value_rule = f"Map value must satisfy constraint: {value_listing}"

    def validate(value: Any, path: str, hidden: bool, errors: list[str]) -> None:
        if type(value) is not dict:
            return
        hidden = hidden or sensitive
        _check_counts(counts, value, path, hidden, errors)
        if key_rules and any(rule(key) is not None for key in value for rule in key_rules):
            errors.append(violation(path, value, key_rule, hidden=hidden))
        if value_rules and any(rule(item) is not None for item in value.values() for rule in value_rules):
            errors.append(violation(path, value, value_rule, hidden=hidden))
        if entry is not None:
            for key, item in value.items():
                entry(item, f"{path}.{key}.member", hidden, errors)

    return validate
