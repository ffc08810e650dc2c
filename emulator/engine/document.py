"""Reads a scenario's text (YAML, or JSON when it starts with ``{``) into plain data, within bounds.

A scenario also arrives over the admin API, so its text is untrusted: a few hundred bytes of YAML aliases
expand to millions of nodes (a "billion laughs"), and every later step (validation, error messages) would
walk the expansion. So a document is refused, before anything walks it, when its text is over
``MAX_TEXT_CHARS``, when it uses more than ``MAX_ALIASES`` aliases or aliases that together add more than
``MAX_ALIAS_NODES`` nodes, when an alias refers to its own ancestor, or when it nests deeper than
``MAX_DEPTH``. Keys are checked to appear once per mapping (PyYAML would keep the last silently).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from emulator.engine.problems import ScenarioError

MAX_TEXT_CHARS = 8 * 1024 * 1024
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64

# libyaml's parser is ~10x faster; the shipped library is parsed at every start.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RefusedError(Exception):
    def __init__(self, expected: str, mark: Any = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.mark = mark


def _where(mark: Any) -> str:
    return f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""


def parse_text(text: str, source: str) -> Any:
    """The document in ``text``; a ScenarioError naming ``source`` and what was expected otherwise."""
    if len(text) > MAX_TEXT_CHARS:
        raise ScenarioError.single(
            source, f"a scenario of at most {MAX_TEXT_CHARS} characters, got {len(text)}"
        )
    if text.lstrip().startswith("{"):
        return _parse_json(text, source)
    try:
        loader = _FAST_LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_graph(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except _RefusedError as refusal:
        raise ScenarioError.single(source, refusal.expected, path=_where(refusal.mark)) from None
    except RecursionError:
        raise ScenarioError.single(source, f"nesting at most {MAX_DEPTH} levels deep") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError.single(source, f"valid YAML: {problem}", path=_where(mark)) from None


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError.single(
            source, f"valid JSON: {error.msg}", path=f"line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise ScenarioError.single(source, f"nesting at most {MAX_DEPTH} levels deep") from None
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError.single(source, f"nesting at most {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return data


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_keys(node: yaml.Node) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in seen:
            shown = key if len(key) <= 60 else key[:60] + "..."
            raise _RefusedError(f"each key once per mapping, {shown!r} appears twice", key_node.start_mark)
        seen.add(key)


def _check_graph(root: yaml.Node) -> None:
    """Walks the composed nodes once in document order, without recursion.

    An alias is a second edge to a node, whose subtree was walked in full already (an anchor comes before
    its aliases); an edge to a node still open is an alias inside its own anchor.
    """
    size: dict[int, int] = {}  # per walked node: how many nodes it stands for once aliases expand
    height: dict[int, int] = {}
    ancestors: set[int] = set()
    aliases = 0
    alias_nodes = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            ancestors.discard(key)
            continue
        if key in ancestors:
            raise _RefusedError("no alias inside the node its anchor names", node.start_mark)
        if key in size:
            aliases += 1
            alias_nodes += size[key]
            if aliases > MAX_ALIASES:
                raise _RefusedError(
                    f"at most {MAX_ALIASES} YAML aliases (*name) (the anchor here is aliased past that)",
                    node.start_mark,
                )
            if alias_nodes > MAX_ALIAS_NODES:
                raise _RefusedError(
                    f"YAML aliases that add at most {MAX_ALIAS_NODES} nodes in all (the anchor here is"
                    " aliased until they add more)",
                    node.start_mark,
                )
            if len(ancestors) + height[key] > MAX_DEPTH:
                raise _RefusedError(f"nesting at most {MAX_DEPTH} levels deep", node.start_mark)
            continue
        if len(ancestors) >= MAX_DEPTH:
            raise _RefusedError(f"nesting at most {MAX_DEPTH} levels deep", node.start_mark)
        _check_keys(node)
        ancestors.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
