"""The route table: (method, raw path) -> operation and its unquoted URI labels.

Every operation of the four services is routed, from botocore's models by way of the committed protocol
data (``emulator/wire/protocol_data.py``); operations without a handler answer NotImplementedException.

Routing runs on the *raw* request path and unquotes each label afterwards: a model id can be an ARN
whose ``/`` arrives as ``%2F`` and whose ``:`` may arrive as ``%3A`` or raw, which decoded-path routing
cannot tell apart from a path separator. Templates are matched segment by segment: a literal segment
must be equal, a label takes one whole non-empty segment (never a raw ``/``). Routes are bucketed by
method and first path segment, so a Converse compares against the six ``/model/`` routes only.

Two services declare the same method and URI for tagging (bedrock-agent-runtime and bedrock-agent,
``/tags/{resourceArn}``), and a client with an ``endpoint_url`` sends both to the same host. The request
goes to the first of them (in ``protocol_data.SERVICES`` order) whose label patterns accept its labels,
else to the last: bedrock-agent-runtime takes session ARNs, which are all its pattern allows, and
bedrock-agent everything else (its declared pattern is malformed in botocore, ``/d{12}`` for ``\\d{12}``,
so it cannot be the test).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from emulator.wire import protocol_data


@dataclass(frozen=True)
class Route:
    """One operation's route: its service and name, method, URI template and success status."""

    service: str
    operation: str
    method: str
    template: str
    status: int  # the success status (botocore's ``responseCode``)
    label_patterns: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def segments(self) -> tuple[tuple[str | None, str | None], ...]:
        """The template's path segments, each (literal, None) or (None, label name)."""
        return tuple(
            (None, part[1:-1]) if part.startswith("{") else (part, None) for part in self.template.split("/")
        )

    def bind(self, parts: list[str]) -> dict[str, str] | None:
        """The unquoted labels when the path's segments fit this template, else None."""
        segments = self.segments
        if len(parts) != len(segments):
            return None
        labels: dict[str, str] = {}
        for part, (literal, label) in zip(parts, segments, strict=True):
            if label is not None:
                if not part:
                    return None
                labels[label] = unquote(part) if "%" in part else part
            elif part != literal:
                return None
        return labels

    def accepts(self, labels: Mapping[str, str]) -> bool:
        """Whether every label with a declared pattern satisfies it (only shared routes carry patterns)."""
        return all(
            name not in labels or _accepts(pattern, labels[name])
            for name, pattern in self.label_patterns.items()
        )


@dataclass(frozen=True)
class Match:
    """A resolved request: its route and its unquoted URI labels."""

    route: Route
    labels: dict[str, str]

    @property
    def service(self) -> str:
        return self.route.service

    @property
    def operation(self) -> str:
        return self.route.operation


def _table() -> tuple[Route, ...]:
    return tuple(
        Route(service, name, method, template, status, operation.get("labelPatterns", {}))
        for service, declared in protocol_data.services().items()
        for name, operation in declared["operations"].items()
        for method, template, status in (operation["http"],)
    )


_TABLE: tuple[Route, ...] = _table()

# (service, operation, method, URI template, success status), for tests and tools.
ROUTES: tuple[tuple[str, str, str, str, int], ...] = tuple(
    (r.service, r.operation, r.method, r.template, r.status) for r in _TABLE
)


def routes() -> tuple[Route, ...]:
    return _TABLE


# A bucket: the routes a (method, first segment) can reach, each a group of routes sharing one template
# (one route, but for the shared tagging URIs), most literal templates first.
_Bucket = tuple[tuple[Route, ...], ...]


@functools.cache
def _index() -> dict[tuple[str, str], _Bucket]:
    groups: dict[tuple[str, str], list[Route]] = {}
    for route in _TABLE:
        groups.setdefault((route.method, route.template), []).append(route)
    buckets: dict[tuple[str, str], list[tuple[Route, ...]]] = {}
    for (method, template), group in groups.items():
        first = template.split("/")[1] if template.count("/") else ""
        buckets.setdefault((method, first), []).append(tuple(group))
    return {
        key: tuple(sorted(group_list, key=lambda group: _specificity(group[0])))
        for key, group_list in buckets.items()
    }


def _specificity(route: Route) -> tuple[int, ...]:
    # Literal segments before labels, left to right: a literal route wins over a label one if both fit.
    return tuple(0 if literal is not None else 1 for literal, _ in route.segments)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _accepts(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is not None and compiled.search(value) is not None


def resolve(method: str, raw_path: str) -> Match | None:
    """The operation for a request, or None. ``raw_path`` is the path as sent, still percent-encoded."""
    parts = raw_path.split("?", 1)[0].split("/")
    if len(parts) < 2 or parts[0]:
        return None
    for group in _index().get((method.upper(), parts[1]), ()):
        labels = group[0].bind(parts)
        if labels is None:
            continue
        if len(group) == 1:
            return Match(group[0], labels)
        chosen = next((route for route in group if route.accepts(labels)), group[-1])
        return Match(chosen, labels)
    return None
