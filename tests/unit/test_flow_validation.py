"""ValidateFlowDefinition's findings: every problem, each under its FlowValidation type and details."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.control.flow_validation import validate
from emulator.flows.sample import SAMPLE_DEFINITION


def prompt(name: str, text: str, **extra: Any) -> dict[str, Any]:
    inline = {"modelId": "m", "templateType": "TEXT", "templateConfiguration": {"text": {"text": text}}}
    return {
        "name": name,
        "type": "Prompt",
        "configuration": {"prompt": {"sourceConfiguration": {"inline": inline}}},
        **extra,
    }


def link(
    name: str, source: str, target: str, output: str | None = None, to: str | None = None
) -> dict[str, Any]:
    connection: dict[str, Any] = {"name": name, "type": "Data", "source": source, "target": target}
    if output or to:
        connection["configuration"] = {"data": {"sourceOutput": output, "targetInput": to}}
    return connection


def flow(*middle: dict[str, Any], connections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "nodes": [
            {"name": "In", "type": "Input", "configuration": {"input": {}}},
            *middle,
            {"name": "Out", "type": "Output", "configuration": {"output": {}}},
        ],
        "connections": connections,
    }


def found(definition: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(v["type"], v["severity"], next(iter(v["details"].values()))) for v in validate(definition)]


def test_definitions_the_runtime_runs_have_no_findings() -> None:
    assert validate(SAMPLE_DEFINITION) == []
    assert (
        validate(flow(prompt("P", "Say {{x}}"), connections=[link("a", "In", "P"), link("b", "P", "Out")]))
        == []
    )


def test_an_empty_definition_has_neither_start_nor_end() -> None:
    assert found({}) == [("MissingStartingNodes", "Error", {}), ("MissingEndingNodes", "Error", {})]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (
            {"name": "P", "type": "Prompt", "configuration": {"prompt": {}}},
            ("MissingNodeConfiguration", "Error", {"node": "P"}),
        ),
        (
            {"name": "K", "type": "KnowledgeBase"},
            ("MissingNodeConfiguration", "Error", {"node": "K"}),
        ),
        (
            prompt(
                "P", "Say {{x}} and {{y}}", inputs=[{"name": "x", "type": "String", "expression": "$.data"}]
            ),
            ("MissingNodeInput", "Error", {"node": "P", "input": "y"}),
        ),
        (
            prompt("P", "Say {{x}}", inputs=[{"name": "x", "type": "String", "expression": "data.x"}]),
            (
                "MalformedNodeInputExpression",
                "Error",
                {"node": "P", "input": "x", "cause": "The expression data.x must start with $.data."},
            ),
        ),
    ],
)
def test_node_problems(node: dict[str, Any], expected: tuple[str, str, dict[str, Any]]) -> None:
    assert expected in found(
        flow(node, connections=[link("a", "In", node["name"]), link("b", node["name"], "Out")])
    )


def test_condition_problems_are_each_reported() -> None:
    condition = {
        "name": "Route",
        "type": "Condition",
        "configuration": {
            "condition": {
                "conditions": [
                    {"name": "big", "expression": "amount >"},
                    {"name": "small", "expression": "amount < 10"},
                    {"name": "tiny", "expression": "amount  < 10"},
                ]
            }
        },
    }

    kinds = found(flow(condition, connections=[link("a", "In", "Route")]))

    assert kinds[:3] == [
        ("MissingDefaultCondition", "Error", {"node": "Route"}),
        (
            "MalformedConditionExpression",
            "Error",
            {"node": "Route", "condition": "big", "cause": "Condition expression ends too early: amount >"},
        ),
        ("DuplicateConditionExpression", "Error", {"node": "Route", "expression": "amount  < 10"}),
    ]


def test_connection_problems_are_each_reported() -> None:
    two_inputs = prompt("P", "{{x}} {{y}}")
    definition = flow(
        two_inputs,
        connections=[
            link("a", "In", "P"),  # P has two inputs: which one?
            link("b", "In", "P", "nothing", "x"),
            link("c", "Ghost", "Out"),
            link("d", "P", "Out", "modelCompletion", "document"),
            {
                "name": "e",
                "type": "Conditional",
                "source": "P",
                "target": "Out",
                "configuration": {"conditional": {"condition": "yes"}},
            },
        ],
    )

    assert found(definition)[:4] == [
        ("MissingConnectionConfiguration", "Error", {"connection": "a"}),
        ("UnknownConnectionSourceOutput", "Error", {"connection": "b"}),
        ("UnknownConnectionSource", "Error", {"connection": "c"}),
        ("UnknownConnectionCondition", "Error", {"connection": "e"}),
    ]


def test_what_only_the_runtime_refuses_is_unspecified() -> None:
    definition = flow(connections=[link("a", "In", "Out")])
    definition["nodes"].append({"name": "Keep", "type": "Storage", "configuration": {"storage": {}}})
    definition["connections"].append(link("b", "In", "Keep"))

    [(kind, severity, details)] = found(definition)

    assert (kind, severity, details) == ("Unspecified", "Error", {})
    assert "Storage" in validate(definition)[0]["message"]


def test_an_unreachable_node_is_a_warning_beside_its_unfed_input() -> None:
    definition = flow(connections=[link("a", "In", "Out")])
    definition["nodes"].append({"name": "Spare", "type": "Output", "configuration": {"output": {}}})

    assert found(definition) == [
        ("UnfulfilledNodeInput", "Error", {"node": "Spare", "input": "document"}),
        ("UnreachableNode", "Warning", {"node": "Spare"}),
    ]
