"""Parsing flow definitions: node-type defaults, seed 002's hand-written shape, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.flows.definition import DefinitionError, parse
from emulator.flows.sample import SAMPLE_DEFINITION


def _prompt(name: str, text: str) -> dict[str, Any]:
    inline = {"modelId": "m", "templateConfiguration": {"text": {"text": text}}}
    return {
        "name": name,
        "type": "Prompt",
        "configuration": {"prompt": {"sourceConfiguration": {"inline": inline}}},
    }


# The shape of seed 002's create_flow call: no inputs/outputs, connections without type or configuration.
SEED_STYLE = {
    "nodes": [
        {"name": "Input", "type": "Input", "configuration": {"input": {"document": {"type": "String"}}}},
        _prompt("ExtractInfo", "Extract from:\n{{document}}"),
        _prompt("ClassifyPriority", "Classify: {{extracted_info}}"),
        {"name": "Output", "type": "Output", "configuration": {"output": {"priority": {"type": "String"}}}},
    ],
    "connections": [
        {"name": "c1", "source": "Input", "target": "ExtractInfo"},
        {"name": "c2", "source": "ExtractInfo", "target": "ClassifyPriority"},
        {"name": "c3", "source": "ClassifyPriority", "target": "Output"},
    ],
}


def test_a_seed_style_definition_gets_each_node_types_inputs_outputs_and_data_connections() -> None:
    flow = parse(SEED_STYLE)
    assert [i.name for i in flow.nodes["ClassifyPriority"].inputs] == ["extracted_info"]
    assert [o.name for o in flow.nodes["ExtractInfo"].outputs] == ["modelCompletion"]
    c2 = flow.connections[1]
    assert (c2.type, c2.source_output, c2.target_input) == ("Data", "modelCompletion", "extracted_info")
    assert flow.order == ("Input", "ExtractInfo", "ClassifyPriority", "Output")


def test_the_wire_form_is_bedrock_shaped_and_parses_back_to_the_same_flow() -> None:
    flow = parse(SAMPLE_DEFINITION)
    wire = flow.wire()
    assert wire["connections"][0]["configuration"] == {
        "data": {"sourceOutput": "document", "targetInput": "document"}
    }
    assert parse(wire) == flow


def test_knowledge_base_node_output_depends_on_whether_it_names_a_model() -> None:
    def kb(configuration: dict[str, Any]) -> list[str]:
        flow = parse(
            {
                "nodes": [
                    {"name": "In", "type": "Input"},
                    {
                        "name": "Kb",
                        "type": "KnowledgeBase",
                        "configuration": {"knowledgeBase": configuration},
                    },
                    {"name": "Out", "type": "Output"},
                ],
                "connections": [{"source": "In", "target": "Kb"}, {"source": "Kb", "target": "Out"}],
            }
        )
        return [o.name for o in flow.nodes["Kb"].outputs]

    assert kb({"knowledgeBaseId": "KB12345678"}) == ["retrievalResults"]
    assert kb({"knowledgeBaseId": "KB12345678", "modelId": "m"}) == ["outputText"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: (d["nodes"].pop(0), d["connections"].pop(0)), "exactly one Input node"),
        (lambda d: (d["nodes"].pop(), d["connections"].pop()), "at least one Output node"),
        (lambda d: d["connections"].pop(1), "extracted_info of node ClassifyPriority is not connected"),
        (
            lambda d: d["connections"].append({"name": "c9", "source": "Output", "target": "Nowhere"}),
            "unknown target",
        ),
        (lambda d: d["nodes"].append({"name": "Odd", "type": "Lex"}), "type 'Lex'"),
        (
            lambda d: d["connections"].append(
                {
                    "name": "back",
                    "source": "ClassifyPriority",
                    "target": "ExtractInfo",
                    "configuration": {"data": {"sourceOutput": "modelCompletion", "targetInput": "document"}},
                }
            ),
            "more than one connection",
        ),
    ],
)
def test_definitions_bedrock_would_not_prepare_are_refused(change: Any, message: str) -> None:
    import copy

    definition = copy.deepcopy(SEED_STYLE)
    change(definition)
    with pytest.raises(DefinitionError, match=message):
        parse(definition)


def test_condition_node_needs_a_default_and_well_formed_expressions() -> None:
    def condition(conditions: list[dict[str, str]]) -> None:
        parse(
            {
                "nodes": [
                    {"name": "In", "type": "Input"},
                    {
                        "name": "If",
                        "type": "Condition",
                        "configuration": {"condition": {"conditions": conditions}},
                    },
                    {"name": "Out", "type": "Output"},
                ],
                "connections": [
                    {"source": "In", "target": "If"},
                    {
                        "name": "yes",
                        "type": "Conditional",
                        "source": "If",
                        "target": "Out",
                        "configuration": {"conditional": {"condition": "default"}},
                    },
                    {"source": "In", "target": "Out"},
                ],
            }
        )

    condition([{"name": "big", "expression": "x > 1"}, {"name": "default"}])
    with pytest.raises(DefinitionError, match="missing the default"):
        condition([{"name": "big", "expression": "x > 1"}])
    with pytest.raises(DefinitionError, match="malformed"):
        condition([{"name": "big", "expression": "x >"}, {"name": "default"}])


def test_a_cycle_is_refused() -> None:
    definition = {
        "nodes": [
            {"name": "In", "type": "Input"},
            {
                "name": "A",
                "type": "LambdaFunction",
                "inputs": [{"name": "x", "type": "String", "expression": "$.data"}],
            },
            {
                "name": "B",
                "type": "LambdaFunction",
                "inputs": [{"name": "y", "type": "String", "expression": "$.data"}],
            },
            {"name": "Out", "type": "Output"},
        ],
        "connections": [
            {"name": "a", "source": "B", "target": "A"},
            {"name": "b", "source": "A", "target": "B"},
            {"name": "c", "source": "In", "target": "Out"},
        ],
    }
    with pytest.raises(DefinitionError, match="cycle"):
        parse(definition)
