"""ValidateFlowDefinition's checks, also run by PrepareFlow: what a flow definition lacks or gets
wrong, as FlowValidation items (``message``, ``severity``, ``type``, ``details``).

Structural checks here (starting and ending nodes, connections to unknown nodes, duplicate
connections, unreachable nodes, condition nodes without a default), then the flow runtime's own parser
(``emulator.flows.definition``), so a definition that prepares is one InvokeFlow can run; whatever the
parser refuses is reported as an ``Unspecified`` error with its message. Messages are the emulator's
own (wire-facts §13.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ERROR = "Error"
WARNING = "Warning"


def validate(definition: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The validations of a flow definition; empty when it can be prepared."""
    definition = definition or {}
    nodes = [n for n in definition.get("nodes") or [] if isinstance(n, Mapping)]
    connections = [c for c in definition.get("connections") or [] if isinstance(c, Mapping)]
    names = {str(n.get("name")) for n in nodes}
    found: list[dict[str, Any]] = []
    if not any(n.get("type") == "Input" for n in nodes):
        found.append(_item("The flow has no starting node: add an Input node.", "MissingStartingNodes", {}))
    if not any(n.get("type") == "Output" for n in nodes):
        found.append(_item("The flow has no ending node: add an Output node.", "MissingEndingNodes", {}))
    seen_pairs: set[tuple[str, str, str, str]] = set()
    for connection in connections:
        name = str(connection.get("name", ""))
        source, target = str(connection.get("source", "")), str(connection.get("target", ""))
        if source not in names:
            found.append(
                _item(
                    f"Connection {name} starts at an unknown node {source}.",
                    "UnknownConnectionSource",
                    {"connection": name},
                )
            )
        if target not in names:
            found.append(
                _item(
                    f"Connection {name} ends at an unknown node {target}.",
                    "UnknownConnectionTarget",
                    {"connection": name},
                )
            )
        data = (
            connection.get("configuration", {}).get("data", {})
            if isinstance(connection.get("configuration"), Mapping)
            else {}
        )
        pair = (source, target, str(data.get("sourceOutput", "")), str(data.get("targetInput", "")))
        if pair in seen_pairs:
            found.append(
                _item(
                    f"Nodes {source} and {target} are connected more than once.",
                    "DuplicateConnections",
                    {"source": source, "target": target},
                )
            )
        seen_pairs.add(pair)
    found += _unreachable(nodes, connections)
    for node in nodes:
        if node.get("type") == "Condition" and not _has_default(node):
            node_name = str(node.get("name"))
            found.append(
                _item(
                    f"Condition node {node_name} has no default condition.",
                    "MissingDefaultCondition",
                    {"node": node_name},
                )
            )
    if not any(item["severity"] == ERROR for item in found):
        found += _parser_findings(definition)
    return found


def _unreachable(
    nodes: list[Mapping[str, Any]], connections: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    starts = [str(n.get("name")) for n in nodes if n.get("type") == "Input"]
    if not starts:
        return []
    following: dict[str, list[str]] = {}
    for connection in connections:
        following.setdefault(str(connection.get("source")), []).append(str(connection.get("target")))
    reached, todo = set(starts), list(starts)
    while todo:
        for target in following.get(todo.pop(), []):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return [
        _item(
            f"Node {n.get('name')} cannot be reached from the flow's input.",
            "UnreachableNode",
            {"node": str(n.get("name"))},
            WARNING,
        )
        for n in nodes
        if str(n.get("name")) not in reached
    ]


def _has_default(node: Mapping[str, Any]) -> bool:
    configuration = node.get("configuration")
    condition = configuration.get("condition", {}) if isinstance(configuration, Mapping) else {}
    return any(
        isinstance(c, Mapping) and c.get("name") == "default" for c in condition.get("conditions") or []
    )


def _parser_findings(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    from emulator.flows.definition import DefinitionError, parse

    try:
        parse(definition)
    except DefinitionError as exc:
        return [_item(str(exc), "Unspecified", {})]
    return []


def _item(message: str, kind: str, details: Mapping[str, Any], severity: str = ERROR) -> dict[str, Any]:
    detail_member = kind[0].lower() + kind[1:]
    return {"message": message, "severity": severity, "type": kind, "details": {detail_member: dict(details)}}
