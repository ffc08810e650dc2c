"""ValidateFlowDefinition's checks, also run by PrepareFlow: everything a flow definition lacks or gets
wrong, as bedrock-agent's FlowValidation items (``message``, ``severity``, ``type``, ``details``).

Like Bedrock, it reports every problem it finds rather than the first, each under the validation type
botocore's model names for it, with that type's details member (``FlowValidationDetails`` is a union
keyed by the type's name, first letter lower-cased):

- the flow: no Input node (``MissingStartingNodes``), no Output node (``MissingEndingNodes``);
- a node: a configuration its type cannot run without (``MissingNodeConfiguration``), a Condition
  node without ``default`` (``MissingDefaultCondition``) or with an expression that does not parse
  (``MalformedConditionExpression``) or is repeated (``DuplicateConditionExpression``), an input
  expression that does not parse (``MalformedNodeInputExpression``), the Input node's ``document``
  output or the Output node's ``document`` input missing (``MissingNodeOutput`` / ``MissingNodeInput``),
  a template variable a Prompt node's declared inputs leave out (``MissingNodeInput``);
- a connection: an unknown source or target node (``UnknownConnectionSource`` / ``...Target``), an
  output or input the node does not have (``UnknownConnectionSourceOutput`` / ``...TargetInput``), a
  condition the source does not have (``UnknownConnectionCondition``), no configuration where one is
  needed (``MissingConnectionConfiguration``), the same connection twice (``DuplicateConnections``), a
  cycle (``CyclicConnection``);
- a node input with no connection (``UnfulfilledNodeInput``) or several (``MultipleNodeInputConnections``);
- a node no path from the Input node reaches (``UnreachableNode``, a Warning: it never runs).

Nodes are read as the flow runtime reads them (``emulator.flows.definition.node``: a node without
``inputs`` / ``outputs`` gets its type's, a Data connection without configuration joins the only output
to the only input, docs/flows.md), so what validates is what InvokeFlow runs; when nothing above is
wrong, the runtime's own parser has the last word, and whatever it still refuses (a node type the
emulator does not run, several Input nodes) is an ``Unspecified`` error with its message. Messages are
the emulator's own (wire-facts §13.7, §15.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from emulator.flows import conditions, paths
from emulator.flows.definition import DEFAULT_CONDITION, DefinitionError, Node, node, parse, template_text

ERROR: Final = "Error"
WARNING: Final = "Warning"
# Node types whose configuration carries what they cannot run without: (member, the required key).
REQUIRED_CONFIGURATION: Final[Mapping[str, tuple[str, str]]] = {
    "Prompt": ("prompt", "sourceConfiguration"),
    "KnowledgeBase": ("knowledgeBase", "knowledgeBaseId"),
    "LambdaFunction": ("lambdaFunction", "lambdaArn"),
    "Condition": ("condition", "conditions"),
    "Agent": ("agent", "agentAliasArn"),
}
DOCUMENT: Final = "document"
_VARIABLE: Final = re.compile(r"\{\{\s*([0-9A-Za-z_-]+)\s*\}\}")


def validate(definition: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The validations of a flow definition, in a stable order; no Error among them when it can be
    prepared."""
    return _Validation(definition or {}).run()


def item(kind: str, message: str, severity: str = ERROR, **details: str) -> dict[str, Any]:
    """One FlowValidation: ``details`` under the union member named after ``kind``."""
    member = kind[0].lower() + kind[1:]
    return {"message": message, "severity": severity, "type": kind, "details": {member: details}}


class _Validation:
    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        raw_nodes = definition.get("nodes")
        raw_connections = definition.get("connections")
        self.raw_nodes = (
            [n for n in raw_nodes if isinstance(n, Mapping)] if isinstance(raw_nodes, list) else []
        )
        self.raw_connections = (
            [c for c in raw_connections if isinstance(c, Mapping)]
            if isinstance(raw_connections, list)
            else []
        )
        self.names = {str(n.get("name")) for n in self.raw_nodes}
        self.types = {str(n.get("name")): str(n.get("type")) for n in self.raw_nodes}
        self.nodes: dict[str, Node] = {}  # the nodes the runtime can read, ports filled in
        self.found: list[dict[str, Any]] = []

    def run(self) -> list[dict[str, Any]]:
        self._flow()
        unreadable: list[dict[str, Any]] = []
        for raw in self.raw_nodes:
            before = len(self.found)
            self._node(raw)
            if len(self.found) == before:
                self._read(raw, unreadable)
        links = [self._connection(raw) for raw in self.raw_connections]
        self._duplicates()
        self._node_inputs([link for link in links if link is not None])
        self._cycles()
        self._unreachable()
        self.found += unreadable
        if not any(f["severity"] == ERROR for f in self.found):
            self.found += self._runtime()
        return self.found

    # -- the flow ----------------------------------------------------------------------------------------

    def _flow(self) -> None:
        if "Input" not in self.types.values():
            self._add(
                "MissingStartingNodes", "The flow has no starting node. Add an Input node and try again."
            )
        if "Output" not in self.types.values():
            self._add("MissingEndingNodes", "The flow has no ending node. Add an Output node and try again.")

    # -- nodes -------------------------------------------------------------------------------------------

    def _node(self, raw: Mapping[str, Any]) -> None:
        name, kind = str(raw.get("name")), str(raw.get("type"))
        configuration = _configuration(raw)
        required = REQUIRED_CONFIGURATION.get(kind)
        if required is not None and (
            not isinstance(configuration, Mapping) or not configuration.get(required[1])
        ):
            self._add(
                "MissingNodeConfiguration",
                f"The {kind} node {name} is missing its {required[1]} configuration. Add it and try again.",
                node=name,
            )
            return
        if kind == "Condition" and isinstance(configuration, Mapping):
            self._conditions(name, configuration.get("conditions"))
        for node_input in raw.get("inputs") or []:
            if not isinstance(node_input, Mapping):
                continue
            expression = node_input.get("expression", paths.ROOT)
            try:
                paths.validate(str(expression))
            except paths.PathError as exc:
                self._add(
                    "MalformedNodeInputExpression",
                    f"The expression of input {node_input.get('name')} of node {name} is malformed: {exc}",
                    node=name,
                    input=str(node_input.get("name")),
                    cause=str(exc),
                )
        declared_inputs = _names(raw.get("inputs"))
        declared_outputs = _names(raw.get("outputs"))
        if kind == "Input" and declared_outputs and DOCUMENT not in declared_outputs:
            self._add(
                "MissingNodeOutput",
                f"The Input node {name} needs an output named {DOCUMENT}. Add it and try again.",
                node=name,
                output=DOCUMENT,
            )
        if kind == "Output" and declared_inputs and DOCUMENT not in declared_inputs:
            self._add(
                "MissingNodeInput",
                f"The Output node {name} needs an input named {DOCUMENT}. Add it and try again.",
                node=name,
                input=DOCUMENT,
            )
        if kind == "Prompt" and declared_inputs and isinstance(configuration, Mapping):
            for variable in _template_variables(configuration):
                if variable not in declared_inputs:
                    self._add(
                        "MissingNodeInput",
                        f"The prompt of node {name} uses the variable {variable}, which is not one of the "
                        "node's inputs. Add an input with that name and try again.",
                        node=name,
                        input=variable,
                    )

    def _conditions(self, name: str, raw: Any) -> None:
        items = [c for c in raw if isinstance(c, Mapping)] if isinstance(raw, list) else []
        if not any(c.get("name") == DEFAULT_CONDITION for c in items):
            self._add(
                "MissingDefaultCondition",
                f"The Condition node {name} has no default condition. Add a condition named "
                f"{DEFAULT_CONDITION} and try again.",
                node=name,
            )
        seen: set[str] = set()
        for condition in items:
            if condition.get("name") == DEFAULT_CONDITION:
                continue
            text = condition.get("expression")
            try:
                conditions.parse(text if isinstance(text, str) else "")
            except conditions.ConditionError as exc:
                self._add(
                    "MalformedConditionExpression",
                    f"The expression of condition {condition.get('name')} of node {name} is malformed: {exc}",
                    node=name,
                    condition=str(condition.get("name")),
                    cause=str(exc),
                )
                continue
            expression = " ".join(str(text).split())
            if expression in seen:
                self._add(
                    "DuplicateConditionExpression",
                    f"The Condition node {name} has the expression {expression} more than once. "
                    "Remove the duplicate and try again.",
                    node=name,
                    expression=str(text),
                )
            seen.add(expression)

    def _read(self, raw: Mapping[str, Any], unreadable: list[dict[str, Any]]) -> None:
        try:
            read = node(raw)
        except DefinitionError as exc:
            unreadable.append(item("Unspecified", str(exc)))
            return
        self.nodes.setdefault(read.name, read)

    # -- connections -------------------------------------------------------------------------------------

    def _connection(self, raw: Mapping[str, Any]) -> tuple[str, str, str] | None:
        """Check one connection; the (target, target input, name) it feeds when it is a sound Data one."""
        name = str(raw.get("name", ""))
        source, target = str(raw.get("source", "")), str(raw.get("target", ""))
        known = True
        if source not in self.names:
            known = False
            self._add(
                "UnknownConnectionSource",
                f"The connection {name} starts at {source}, which is not a node of the flow.",
                connection=name,
            )
        if target not in self.names:
            known = False
            self._add(
                "UnknownConnectionTarget",
                f"The connection {name} ends at {target}, which is not a node of the flow.",
                connection=name,
            )
        configuration = _mapping(raw.get("configuration"))
        if raw.get("type") == "Conditional":
            condition = (configuration.get("conditional") or {}).get("condition")
            if not condition:
                self._missing_configuration(name)
            elif known and condition not in _condition_names(self.raw_node(source)):
                self._add(
                    "UnknownConnectionCondition",
                    f"The connection {name} follows the condition {condition}, which node {source} does not have.",
                    connection=name,
                )
            return None
        if not known or source not in self.nodes or target not in self.nodes:
            return None
        data = configuration.get("data") or {}
        source_output = data.get("sourceOutput") or _only(self.nodes[source].outputs)
        target_input = data.get("targetInput") or _only(self.nodes[target].inputs)
        if source_output is None or target_input is None:
            self._missing_configuration(name)
            return None
        sound = True
        if self.nodes[source].output(source_output) is None:
            sound = False
            self._add(
                "UnknownConnectionSourceOutput",
                f"The connection {name} starts at the output {source_output}, which node {source} does not have.",
                connection=name,
            )
        if self.nodes[target].input(target_input) is None:
            sound = False
            self._add(
                "UnknownConnectionTargetInput",
                f"The connection {name} ends at the input {target_input}, which node {target} does not have.",
                connection=name,
            )
        return (target, target_input, name) if sound else None

    def _missing_configuration(self, name: str) -> None:
        self._add(
            "MissingConnectionConfiguration",
            f"The connection {name} needs a configuration naming what it connects. Add it and try again.",
            connection=name,
        )

    def _duplicates(self) -> None:
        seen: set[tuple[str, ...]] = set()
        for raw in self.raw_connections:
            source, target = str(raw.get("source", "")), str(raw.get("target", ""))
            configuration = _mapping(raw.get("configuration"))
            data = configuration.get("data") or {}
            conditional = configuration.get("conditional") or {}
            key = (
                str(raw.get("type") or "Data"),
                source,
                target,
                str(data.get("sourceOutput", "")),
                str(data.get("targetInput", "")),
                str(conditional.get("condition", "")),
            )
            if key in seen:
                self._add(
                    "DuplicateConnections",
                    f"The nodes {source} and {target} are connected the same way more than once. "
                    "Remove the duplicate connection and try again.",
                    source=source,
                    target=target,
                )
            seen.add(key)

    def _node_inputs(self, links: Iterable[tuple[str, str, str]]) -> None:
        feeding: dict[tuple[str, str], int] = {}
        for target, target_input, _ in links:
            feeding[(target, target_input)] = feeding.get((target, target_input), 0) + 1
        for read in self.nodes.values():
            for node_input in read.inputs:
                count = feeding.get((read.name, node_input.name), 0)
                if count == 0:
                    self._add(
                        "UnfulfilledNodeInput",
                        f"The input {node_input.name} of node {read.name} has no connection. "
                        "Connect it and try again.",
                        node=read.name,
                        input=node_input.name,
                    )
                elif count > 1:
                    self._add(
                        "MultipleNodeInputConnections",
                        f"The input {node_input.name} of node {read.name} has {count} connections. "
                        "Keep one and try again.",
                        node=read.name,
                        input=node_input.name,
                    )

    def _cycles(self) -> None:
        edges = [
            (str(c.get("name", "")), str(c.get("source")), str(c.get("target")))
            for c in self.raw_connections
            if c.get("source") in self.names and c.get("target") in self.names
        ]
        remaining = set(self.names)
        while True:
            targets = {target for _, source, target in edges if source in remaining and target in remaining}
            ready = remaining - targets
            if not ready:
                break
            remaining -= ready
        for name, source, target in edges:
            if source in remaining and target in remaining:
                self._add(
                    "CyclicConnection",
                    f"The connection {name} closes a cycle. Flows run without cycles: remove it and try again.",
                    connection=name,
                )

    def _unreachable(self) -> None:
        starts = [name for name, kind in self.types.items() if kind == "Input"]
        if not starts:
            return
        following: dict[str, list[str]] = {}
        for connection in self.raw_connections:
            following.setdefault(str(connection.get("source")), []).append(str(connection.get("target")))
        reached, todo = set(starts), list(starts)
        while todo:
            for target in following.get(todo.pop(), []):
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for raw in self.raw_nodes:
            name = str(raw.get("name"))
            if name not in reached:
                self._add(
                    "UnreachableNode",
                    f"No path from the flow's Input node reaches node {name}, so it never runs.",
                    WARNING,
                    node=name,
                )

    def _runtime(self) -> list[dict[str, Any]]:
        try:
            parse(self.definition)
        except DefinitionError as exc:
            return [item("Unspecified", str(exc))]
        return []

    # -- helpers -----------------------------------------------------------------------------------------

    def raw_node(self, name: str) -> Mapping[str, Any]:
        return next((n for n in self.raw_nodes if str(n.get("name")) == name), {})

    def _add(self, kind: str, message: str, severity: str = ERROR, **details: str) -> None:
        self.found.append(item(kind, message, severity, **details))


def _configuration(raw: Mapping[str, Any]) -> Any:
    """The node's configuration: the one member of its FlowNodeConfiguration union."""
    wrapper = raw.get("configuration")
    if not isinstance(wrapper, Mapping) or len(wrapper) != 1:
        return None
    return next(iter(wrapper.values()))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _condition_names(raw: Mapping[str, Any]) -> set[str]:
    if raw.get("type") != "Condition":
        return set()
    configuration = _configuration(raw)
    items = configuration.get("conditions") if isinstance(configuration, Mapping) else None
    return {str(c.get("name")) for c in items or [] if isinstance(c, Mapping)}


def _names(raw: Any) -> list[str]:
    return [str(i.get("name")) for i in raw or [] if isinstance(i, Mapping)]


def _only(ports: tuple[Any, ...]) -> str | None:
    return str(ports[0].name) if len(ports) == 1 else None


def _template_variables(configuration: Mapping[str, Any]) -> list[str]:
    text = template_text(configuration) or ""
    found: list[str] = []
    for match in _VARIABLE.findall(text):
        if match not in found:
            found.append(match)
    return found
