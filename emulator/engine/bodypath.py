"""The small JSON path language rules use to look into request bodies: ``messages[0].content[*].text``.

Dotted names, ``[n]`` for a list index (negative counts from the end) and ``[*]`` for every element of a
list or every value of an object. A path yields every value it reaches, so a condition holds if any does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

ANY = "[*]"
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(-?\d+|\*)\]")

Segment = str | int


def parse_path(path: str) -> tuple[Segment, ...]:
    """``messages[0].content[*].text`` -> ("messages", 0, "content", ANY, "text"); ``$.`` may lead."""
    text = path.removeprefix("$").removeprefix(".")
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        if text[position] == "." and segments:
            position += 1
        found = _SEGMENT.match(text, position)
        if found is None:
            raise ValueError(f"a body path like messages[0].content[*].text, got {path!r}")
        name, index = found.groups()
        if name is not None:
            segments.append(name)
        else:
            segments.append(ANY if index == "*" else int(index))
        position = found.end()
    if not segments:
        raise ValueError(f"a non-empty body path, got {path!r}")
    return tuple(segments)


def values_at(node: Any, segments: tuple[Segment, ...]) -> Iterator[Any]:
    """Every value ``segments`` reaches in ``node``; nothing when the path leads nowhere."""
    if not segments:
        yield node
        return
    head, rest = segments[0], segments[1:]
    if head == ANY:
        if isinstance(node, list):
            for item in node:
                yield from values_at(item, rest)
        elif isinstance(node, dict):
            for item in node.values():
                yield from values_at(item, rest)
    elif isinstance(head, int):
        if isinstance(node, list) and -len(node) <= head < len(node):
            yield from values_at(node[head], rest)
    elif isinstance(node, dict) and head in node:
        yield from values_at(node[head], rest)
