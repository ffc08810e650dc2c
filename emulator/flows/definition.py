"""Flow definitions in bedrock-agent's shape: parsed, completed with each node type's defaults, validated.

A definition is what ``CreateFlow`` takes (``nodes`` with ``type``, ``configuration``, ``inputs``,
``outputs``; ``connections`` of type ``Data`` or ``Conditional``). Three liberties, for definitions
written by hand (like seed 002's): a node without ``inputs`` / ``outputs`` gets its type's fixed ones
(a Prompt node's inputs are its template's ``{{variables}}``, a Condition node's the names its
expressions read); a connection without ``type`` is ``Data``; a Data connection without
``configuration`` joins the source's only output to the target's only input. A node may carry an
``emulator`` block (scripted outputs, a question to ask), which is never shown back on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.flows import conditions, paths

SUPPORTED_TYPES = (
    "Input",
    "Output",
    "Prompt",
    "KnowledgeBase",
    "Condition",
    "LambdaFunction",
    "Iterator",
    "Collector",
    "Agent",
)
DATA_TYPES = ("String", "Number", "Boolean", "Object", "Array")
# The nodeType Bedrock reports in flowOutputEvent / flowMultiTurnInputRequestEvent.
WIRE_NODE_TYPES = {
    "Input": "FlowInputNode",
    "Output": "FlowOutputNode",
    "Prompt": "PromptNode",
    "KnowledgeBase": "KnowledgeBaseNode",
    "Condition": "ConditionNode",
    "LambdaFunction": "LambdaFunctionNode",
    "Iterator": "IteratorNode",
    "Collector": "CollectorNode",
    "Agent": "AgentNode",
}
DEFAULT_CONDITION = "default"
_NAME = re.compile(r"^[a-zA-Z]([_]?[0-9a-zA-Z]){0,50}$")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class DefinitionError(ValueError):
    """A definition Bedrock would refuse to prepare (the message says which rule it breaks)."""


@dataclass(frozen=True)
class NodeInput:
    name: str
    type: str
    expression: str


@dataclass(frozen=True)
class NodeOutput:
    name: str
    type: str


@dataclass(frozen=True)
class Condition:
    name: str
    expression: conditions.Expression | None  # None for ``default``


@dataclass(frozen=True)
class Node:
    name: str
    type: str
    configuration: dict[str, Any]  # the member of FlowNodeConfiguration for this type
    inputs: tuple[NodeInput, ...]
    outputs: tuple[NodeOutput, ...]
    conditions: tuple[Condition, ...] = ()
    emulator: dict[str, Any] = field(default_factory=dict)

    @property
    def wire_type(self) -> str:
        return WIRE_NODE_TYPES[self.type]

    def input(self, name: str) -> NodeInput | None:
        return next((i for i in self.inputs if i.name == name), None)

    def output(self, name: str) -> NodeOutput | None:
        return next((o for o in self.outputs if o.name == name), None)


@dataclass(frozen=True)
class Connection:
    name: str
    type: str  # "Data" | "Conditional"
    source: str
    target: str
    source_output: str | None = None
    target_input: str | None = None
    condition: str | None = None


@dataclass(frozen=True)
class FlowDefinition:
    nodes: dict[str, Node]
    connections: tuple[Connection, ...]
    order: tuple[str, ...]  # topological: every node after all its sources

    @property
    def input_nodes(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == "Input"]

    def outgoing(self, node: str) -> list[Connection]:
        return [c for c in self.connections if c.source == node]

    def incoming(self, node: str) -> list[Connection]:
        return [c for c in self.connections if c.target == node]

    def wire(self) -> dict[str, Any]:
        """The definition as bedrock-agent returns it (GetFlow, GetExecutionFlowSnapshot)."""
        return {
            "nodes": [_node_wire(n) for n in self.nodes.values()],
            "connections": [_connection_wire(c) for c in self.connections],
        }


def parse(definition: Mapping[str, Any]) -> FlowDefinition:
    raw_nodes = definition.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise DefinitionError("The flow definition must have at least one node.")
    nodes: dict[str, Node] = {}
    for raw in raw_nodes:
        node = _node(raw)
        if node.name in nodes:
            raise DefinitionError(f"The flow definition has more than one node named {node.name}.")
        nodes[node.name] = node
    raw_connections = definition.get("connections") or []
    if not isinstance(raw_connections, list):
        raise DefinitionError("connections must be a list.")
    connections = tuple(_connection(raw, nodes) for raw in raw_connections)
    _check(nodes, connections)
    return FlowDefinition(nodes, connections, _topological(nodes, connections))


# -- nodes ------------------------------------------------------------------------------------------------


def _node(raw: Any) -> Node:
    if not isinstance(raw, Mapping):
        raise DefinitionError("Each node must be an object with a name and a type.")
    name, kind = raw.get("name"), raw.get("type")
    if not isinstance(name, str) or not _NAME.match(name):
        raise DefinitionError(
            f"The node name {name!r} is invalid: use letters, digits and single underscores."
        )
    if kind not in SUPPORTED_TYPES:
        raise DefinitionError(
            f"Node {name} has type {kind!r}; bedrock-emulator runs {', '.join(SUPPORTED_TYPES)} nodes."
        )
    wrapper = raw.get("configuration") or {}
    member = _configuration_member(kind)
    configuration = wrapper.get(member) if isinstance(wrapper, Mapping) else None
    configuration = dict(configuration) if isinstance(configuration, Mapping) else {}
    emulator = dict(raw.get("emulator") or {})
    node_conditions = _conditions(name, configuration) if kind == "Condition" else ()
    inputs = _inputs(name, raw.get("inputs")) or _default_inputs(kind, configuration, node_conditions)
    outputs = _outputs(name, raw.get("outputs")) or _default_outputs(kind, configuration)
    return Node(name, kind, configuration, inputs, outputs, node_conditions, emulator)


def node(raw: Any) -> Node:
    """One node as ``parse`` reads it, its type's inputs and outputs filled in, or the DefinitionError
    ``parse`` would raise for the node itself (ValidateFlowDefinition reads a definition node by node)."""
    return _node(raw)


def _configuration_member(kind: str) -> str:
    return {"LambdaFunction": "lambdaFunction", "KnowledgeBase": "knowledgeBase"}.get(kind, kind.lower())


def _inputs(node: str, raw: Any) -> tuple[NodeInput, ...]:
    if not raw:
        return ()
    inputs = []
    for item in raw:
        name, kind = item.get("name"), item.get("type", "String")
        expression = item.get("expression", paths.ROOT)
        if not isinstance(name, str) or kind not in DATA_TYPES:
            raise DefinitionError(f"Node {node} has an input without a valid name and type.")
        try:
            paths.validate(expression)
        except paths.PathError as exc:
            raise DefinitionError(f"Node {node} input {name}: {exc}") from exc
        inputs.append(NodeInput(name, kind, expression))
    return tuple(inputs)


def _outputs(node: str, raw: Any) -> tuple[NodeOutput, ...]:
    if not raw:
        return ()
    outputs = []
    for item in raw:
        name, kind = item.get("name"), item.get("type", "String")
        if not isinstance(name, str) or kind not in DATA_TYPES:
            raise DefinitionError(f"Node {node} has an output without a valid name and type.")
        outputs.append(NodeOutput(name, kind))
    return tuple(outputs)


def _conditions(node: str, configuration: Mapping[str, Any]) -> tuple[Condition, ...]:
    raw = configuration.get("conditions")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 5:
        raise DefinitionError(f"Condition node {node} must have between 1 and 5 conditions.")
    result = []
    for item in raw:
        name = item.get("name")
        text = item.get("expression")
        if name == DEFAULT_CONDITION:
            result.append(Condition(name, None))
            continue
        if not isinstance(text, str):
            raise DefinitionError(f"Condition {name} of node {node} needs an expression.")
        try:
            result.append(Condition(str(name), conditions.parse(text)))
        except conditions.ConditionError as exc:
            raise DefinitionError(f"Condition {name} of node {node} is malformed: {exc}") from exc
    if not any(c.name == DEFAULT_CONDITION for c in result):
        raise DefinitionError(f"Condition node {node} is missing the default condition.")
    return tuple(result)


def _default_inputs(
    kind: str, configuration: Mapping[str, Any], node_conditions: tuple[Condition, ...]
) -> tuple[NodeInput, ...]:
    names: list[tuple[str, str]]
    if kind == "Output":
        names = [("document", "String")]
    elif kind == "Prompt":
        names = [(v, "String") for v in _template_variables(configuration)]
    elif kind == "KnowledgeBase":
        names = [("retrievalQuery", "String")]
    elif kind == "LambdaFunction":
        names = [("codeHookInput", "String")]
    elif kind == "Iterator":
        names = [("array", "Array")]
    elif kind == "Collector":
        names = [("arrayItem", "String"), ("arraySize", "Number")]
    elif kind == "Agent":
        names = [("agentInputText", "String")]
    elif kind == "Condition":
        seen: list[str] = []
        for condition in node_conditions:
            for name in condition.expression.names() if condition.expression else []:
                if name not in seen:
                    seen.append(name)
        names = [(n, "String") for n in seen]
    else:
        names = []
    return tuple(NodeInput(n, t, paths.ROOT) for n, t in names)


def _default_outputs(kind: str, configuration: Mapping[str, Any]) -> tuple[NodeOutput, ...]:
    names: list[tuple[str, str]] = {
        "Input": [("document", "String")],
        "Prompt": [("modelCompletion", "String")],
        "LambdaFunction": [("functionResponse", "String")],
        "Iterator": [("arrayItem", "String"), ("arraySize", "Number")],
        "Collector": [("collectedArray", "Array")],
        "Agent": [("agentResponse", "String")],
    }.get(kind, [])
    if kind == "KnowledgeBase":
        names = (
            [("outputText", "String")] if configuration.get("modelId") else [("retrievalResults", "Array")]
        )
    return tuple(NodeOutput(n, t) for n, t in names)


def template_text(configuration: Mapping[str, Any]) -> str | None:
    """A Prompt node's inline template as one text (a CHAT template's messages joined)."""
    inline = (configuration.get("sourceConfiguration") or {}).get("inline") or {}
    template = inline.get("templateConfiguration") or {}
    text = (template.get("text") or {}).get("text")
    if isinstance(text, str):
        return text
    chat = template.get("chat") or {}
    parts = [
        block.get("text", "")
        for message in chat.get("messages") or []
        for block in message.get("content") or []
        if isinstance(block, Mapping)
    ]
    return "\n".join(parts) if parts else None


def _template_variables(configuration: Mapping[str, Any]) -> list[str]:
    text = template_text(configuration) or ""
    found: list[str] = []
    for name in _VARIABLE.findall(text):
        if name not in found:
            found.append(name)
    return found


# -- connections ------------------------------------------------------------------------------------------


def _connection(raw: Any, nodes: Mapping[str, Node]) -> Connection:
    if not isinstance(raw, Mapping):
        raise DefinitionError("Each connection must be an object.")
    name = str(raw.get("name") or f"{raw.get('source')}To{raw.get('target')}")
    kind = raw.get("type") or "Data"
    source, target = str(raw.get("source")), str(raw.get("target"))
    if source not in nodes:
        raise DefinitionError(f"Connection {name} has an unknown source node {source}.")
    if target not in nodes:
        raise DefinitionError(f"Connection {name} has an unknown target node {target}.")
    configuration = raw.get("configuration") or {}
    if kind == "Conditional":
        condition = (configuration.get("conditional") or {}).get("condition")
        if nodes[source].type != "Condition":
            raise DefinitionError(f"Conditional connection {name} must start at a Condition node.")
        if condition not in {c.name for c in nodes[source].conditions}:
            raise DefinitionError(f"Connection {name} refers to an unknown condition {condition}.")
        return Connection(name, kind, source, target, condition=condition)
    if kind != "Data":
        raise DefinitionError(f"Connection {name} has type {kind!r}; use Data or Conditional.")
    data = configuration.get("data") or {}
    source_output = data.get("sourceOutput") or _only(nodes[source].outputs, name, "source output")
    target_input = data.get("targetInput") or _only(nodes[target].inputs, name, "target input")
    if nodes[source].output(source_output) is None:
        raise DefinitionError(f"Connection {name} uses an unknown output {source_output} of node {source}.")
    if nodes[target].input(target_input) is None:
        raise DefinitionError(f"Connection {name} uses an unknown input {target_input} of node {target}.")
    return Connection(name, kind, source, target, source_output, target_input)


def _only(items: tuple[NodeInput, ...] | tuple[NodeOutput, ...], connection: str, what: str) -> str:
    if len(items) != 1:
        raise DefinitionError(f"Connection {connection} needs a configuration naming its {what}.")
    return items[0].name


def _check(nodes: Mapping[str, Node], connections: tuple[Connection, ...]) -> None:
    if sum(1 for n in nodes.values() if n.type == "Input") != 1:
        raise DefinitionError("The flow definition must have exactly one Input node.")
    if not any(n.type == "Output" for n in nodes.values()):
        raise DefinitionError("The flow definition must have at least one Output node.")
    for node in nodes.values():
        for node_input in node.inputs:
            feeding = [
                c
                for c in connections
                if c.type == "Data" and c.target == node.name and c.target_input == node_input.name
            ]
            if not feeding:
                raise DefinitionError(f"Input {node_input.name} of node {node.name} is not connected.")
            if len(feeding) > 1:
                raise DefinitionError(
                    f"Input {node_input.name} of node {node.name} has more than one connection."
                )


def _topological(nodes: Mapping[str, Node], connections: tuple[Connection, ...]) -> tuple[str, ...]:
    remaining = {name: {c.source for c in connections if c.target == name} for name in nodes}
    order: list[str] = []
    while remaining:
        ready = [name for name, sources in remaining.items() if not sources]
        if not ready:
            raise DefinitionError("The flow definition has a cycle; Bedrock flows are acyclic.")
        for name in ready:  # definition order among ready nodes keeps execution order predictable
            order.append(name)
            del remaining[name]
        for sources in remaining.values():
            sources.difference_update(ready)
    return tuple(order)


# -- wire -------------------------------------------------------------------------------------------------


def _node_wire(node: Node) -> dict[str, Any]:
    configuration: dict[str, Any] = dict(node.configuration)
    if node.type == "Condition":
        configuration = {
            "conditions": [
                {"name": c.name, **({"expression": c.expression.text} if c.expression else {})}
                for c in node.conditions
            ]
        }
    wire: dict[str, Any] = {
        "name": node.name,
        "type": node.type,
        "configuration": {_configuration_member(node.type): configuration},
    }
    if node.inputs:
        wire["inputs"] = [{"name": i.name, "type": i.type, "expression": i.expression} for i in node.inputs]
    if node.outputs:
        wire["outputs"] = [{"name": o.name, "type": o.type} for o in node.outputs]
    return wire


def _connection_wire(connection: Connection) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": connection.name,
        "type": connection.type,
        "source": connection.source,
        "target": connection.target,
    }
    if connection.type == "Conditional":
        wire["configuration"] = {"conditional": {"condition": connection.condition}}
    else:
        wire["configuration"] = {
            "data": {"sourceOutput": connection.source_output, "targetInput": connection.target_input}
        }
    return wire
