"""Running a flow definition: nodes in topological order, data along connections, conditions gating.

A node runs when every input has a value and, if conditional connections lead to it, one of them was
chosen; otherwise it is skipped (and so is everything that depends on it alone). An Iterator runs the
nodes downstream of it once per array item, in a scope of their own, up to the Collectors, which then
receive the collected items. An Agent node that asks a question pauses the run (``INPUT_REQUIRED``);
``resume`` continues it with the answer. Every step is recorded as a plain ``Event``; the services layer
turns them into InvokeFlow stream events or flow-execution events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from emulator.flows import nodes, paths
from emulator.flows.definition import DATA_TYPES, FlowDefinition, Node

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "Number": (int, float),
    "Boolean": (bool,),
    "Object": (dict,),
    "Array": (list,),
}


class FlowInputError(ValueError):
    """The caller's input does not fit the flow (wrong node, wrong type, nothing waiting for it)."""


@dataclass(frozen=True)
class Field:
    name: str
    value: Any
    type: str
    source: tuple[str, str, str] | None = None  # (node, output, expression) the value came from
    next: tuple[tuple[str, str], ...] = ()  # (node, input) the value goes to


@dataclass(frozen=True)
class Event:
    """One step of a run. ``kind``: flowInput, nodeInput, nodeOutput, condition, action, flowOutput,
    inputRequest, completion, failure."""

    kind: str
    node: str
    node_type: str
    timestamp: float
    fields: tuple[Field, ...] = ()
    satisfied: tuple[str, ...] = ()
    action: nodes.Action | None = None
    text: str | None = None  # flowOutput document (any JSON value), question, failure message
    value: Any = None
    reason: str | None = None  # completion: SUCCESS | INPUT_REQUIRED; failure: error code


@dataclass
class _Scope:
    values: dict[tuple[str, str], Any] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)  # targets of chosen conditional connections
    done: set[str] = field(default_factory=set)  # run or skipped


class Execution:
    """One run of a flow; ``start`` then, while it waits for input, ``resume``."""

    def __init__(self, flow: FlowDefinition, context: nodes.Context) -> None:
        self.flow = flow
        self.context = context
        self.events: list[Event] = []
        self.waiting: Node | None = None
        self.finished = False
        self.failed = False
        self._scope = _Scope()

    @property
    def status(self) -> str:
        if self.failed:
            return "Failed"
        return "Succeeded" if self.finished else "Running"

    def start(self, node_name: str, output_name: str | None, document: Any) -> list[Event]:
        node = self.flow.input_nodes[0]
        if node_name != node.name:
            raise FlowInputError(
                f"The flow has no input node named {node_name}; its input node is {node.name}."
            )
        output = node.outputs[0]
        if output_name is not None and output_name != output.name:
            raise FlowInputError(f"Node {node.name} has no output named {output_name}.")
        if not _fits(document, output.type):
            raise FlowInputError(f"The input to node {node.name} must be of type {output.type}.")
        mark = len(self.events)
        self._emit("flowInput", node, fields=(Field(output.name, document, output.type),))
        self._emit("nodeOutput", node, fields=self._output_fields(node, {output.name: document}))
        self._deliver(node, {output.name: document}, self._scope)
        self._scope.done.add(node.name)
        self._proceed(None)
        return self.events[mark:]

    def resume(self, node_name: str, input_name: str | None, document: Any) -> list[Event]:
        waiting = self.waiting
        if waiting is None or self.finished:
            raise FlowInputError("The flow execution is not waiting for input.")
        if node_name != waiting.name:
            raise FlowInputError(
                f"The flow execution is waiting for input to node {waiting.name}, not {node_name}."
            )
        if input_name not in (None, "agentInputText"):
            raise FlowInputError(f"Node {waiting.name} takes its answer as agentInputText, not {input_name}.")
        mark = len(self.events)
        self.waiting = None
        self._proceed(document if isinstance(document, str) else str(document))
        return self.events[mark:]

    # -- running ------------------------------------------------------------------------------------------

    def _proceed(self, answer: str | None) -> None:
        for name in self.flow.order:
            if name in self._scope.done:
                continue
            node = self.flow.nodes[name]
            try:
                paused = self._step(node, self._scope, answer, may_ask=True)
            except (nodes.NodeError, paths.PathError) as exc:
                self.failed = True
                self._emit("failure", node, text=str(exc), reason="NODE_EXECUTION_FAILED")
                return
            answer = None
            if paused:
                self._emit("completion", node, reason="INPUT_REQUIRED")
                return
        self.finished = True
        self._emit("completion", self.flow.input_nodes[0], reason="SUCCESS")

    def _step(self, node: Node, scope: _Scope, answer: str | None, *, may_ask: bool) -> bool:
        """Run ``node`` if it can run; True when it paused for input."""
        if not self._ready(node, scope):
            scope.done.add(node.name)
            return False
        inputs = {i.name: paths.select(i.expression, scope.values[(node.name, i.name)]) for i in node.inputs}
        self._emit("nodeInput", node, fields=self._input_fields(node, inputs))
        if node.type == "Output":
            self._emit("flowOutput", node, value=inputs.get("document"))
            scope.done.add(node.name)
            return False
        if node.type == "Iterator":
            self._iterate(node, inputs, scope)
            scope.done.add(node.name)
            return False
        result = nodes.run(node, inputs, self.context, answer)
        if result.question is not None and may_ask:
            self.waiting = node
            self._emit("inputRequest", node, text=result.question)
            return True
        if result.satisfied:
            self._emit("condition", node, satisfied=result.satisfied)
            for connection in self.flow.outgoing(node.name):
                if connection.type == "Conditional" and connection.condition in result.satisfied:
                    scope.reached.add(connection.target)
        if result.action is not None:
            self._emit("action", node, action=result.action)
        if result.outputs:
            self._emit("nodeOutput", node, fields=self._output_fields(node, result.outputs))
            self._deliver(node, result.outputs, scope)
        scope.done.add(node.name)
        return False

    def _ready(self, node: Node, scope: _Scope) -> bool:
        if any((node.name, i.name) not in scope.values for i in node.inputs):
            return False
        gated = any(c.type == "Conditional" for c in self.flow.incoming(node.name))
        return not gated or node.name in scope.reached

    def _iterate(self, node: Node, inputs: dict[str, Any], scope: _Scope) -> None:
        items = inputs.get("array")
        if not isinstance(items, list):
            raise nodes.NodeError(f"The input to iterator node {node.name} must be an array.")
        body, collectors = self._body(node.name)
        collected: dict[str, list[Any]] = {name: [] for name in collectors}
        for item in items:
            inner = _Scope(dict(scope.values), set(scope.reached), set(scope.done))
            outputs = {"arrayItem": item, "arraySize": len(items)}
            self._emit("nodeOutput", node, fields=self._output_fields(node, outputs))
            self._deliver(node, outputs, inner)
            for name in body:
                if name not in inner.done:
                    self._step(self.flow.nodes[name], inner, None, may_ask=False)
            for name in collectors:
                if (name, "arrayItem") in inner.values:
                    collected[name].append(inner.values[(name, "arrayItem")])
        scope.done.update(body)
        for name, values in collected.items():
            scope.values[(name, "arrayItem")] = values
            scope.values[(name, "arraySize")] = len(items)

    def _body(self, iterator: str) -> tuple[list[str], list[str]]:
        """The nodes run once per item (topological order) and the Collectors that end the loop."""
        body: set[str] = set()
        collectors: list[str] = []
        frontier = [iterator]
        while frontier:
            for connection in self.flow.outgoing(frontier.pop()):
                target = self.flow.nodes[connection.target]
                if target.type == "Collector":
                    if target.name not in collectors:
                        collectors.append(target.name)
                elif target.name not in body:
                    body.add(target.name)
                    frontier.append(target.name)
        return [name for name in self.flow.order if name in body], collectors

    def _deliver(self, node: Node, outputs: dict[str, Any], scope: _Scope) -> None:
        for connection in self.flow.outgoing(node.name):
            if connection.type == "Data" and connection.source_output in outputs:
                scope.values[(connection.target, connection.target_input or "")] = outputs[
                    connection.source_output
                ]

    # -- recording ----------------------------------------------------------------------------------------

    def _input_fields(self, node: Node, inputs: dict[str, Any]) -> tuple[Field, ...]:
        fields = []
        for node_input in node.inputs:
            feeding = next(
                (
                    c
                    for c in self.flow.incoming(node.name)
                    if c.type == "Data" and c.target_input == node_input.name
                ),
                None,
            )
            source = (feeding.source, feeding.source_output or "", node_input.expression) if feeding else None
            fields.append(Field(node_input.name, inputs[node_input.name], node_input.type, source))
        return tuple(fields)

    def _output_fields(self, node: Node, outputs: dict[str, Any]) -> tuple[Field, ...]:
        fields = []
        for name, value in outputs.items():
            declared = node.output(name)
            kind = declared.type if declared is not None else _type_of(value)
            targets = tuple(
                (c.target, c.target_input or "")
                for c in self.flow.outgoing(node.name)
                if c.type == "Data" and c.source_output == name
            )
            fields.append(Field(name, value, kind, None, targets))
        return tuple(fields)

    def _emit(self, kind: str, node: Node, **details: Any) -> None:
        # Strictly increasing timestamps keep events in order when a client sorts by time.
        now = time.time()
        if self.events and now <= self.events[-1].timestamp:
            now = self.events[-1].timestamp + 0.001
        self.events.append(Event(kind, node.name, node.wire_type, now, **details))


def _fits(value: Any, kind: str) -> bool:
    if kind == "Number" and isinstance(value, bool):
        return False
    return isinstance(value, _PYTHON_TYPES.get(kind, (object,)))


def _type_of(value: Any) -> str:
    for kind in DATA_TYPES:
        if _fits(value, kind):
            return kind
    return "String"
