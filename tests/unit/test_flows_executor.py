"""The executor on plain definitions: order of steps, skipped branches, iteration, pausing for input."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.flows.definition import parse
from emulator.flows.executor import Execution, FlowInputError
from emulator.flows.nodes import Context
from emulator.flows.sample import SAMPLE_DEFINITION


def _lambda(name: str, output: str, expression: str = "$.data") -> dict[str, Any]:
    return {
        "name": name,
        "type": "LambdaFunction",
        "inputs": [{"name": "codeHookInput", "type": "String", "expression": expression}],
        "emulator": {"outputs": {"functionResponse": output}},
    }


def test_the_sample_flow_runs_its_nodes_in_order_and_outputs_the_priority_text() -> None:
    execution = Execution(parse(SAMPLE_DEFINITION), Context(seed=0))
    events = execution.start("Input", "document", "Invoice 1")
    assert [(e.kind, e.node) for e in events if e.kind in ("nodeInput", "flowOutput", "completion")] == [
        ("nodeInput", "ExtractInfo"),
        ("nodeInput", "ClassifyPriority"),
        ("nodeInput", "Output"),
        ("flowOutput", "Output"),
        ("completion", "Input"),
    ]
    assert execution.status == "Succeeded"
    timestamps = [e.timestamp for e in events]
    assert timestamps == sorted(timestamps)
    assert len(set(timestamps)) == len(timestamps)


def test_same_input_and_seed_give_the_same_output_and_another_seed_another() -> None:
    def output(seed: int) -> Any:
        events = Execution(parse(SAMPLE_DEFINITION), Context(seed=seed)).start("Input", None, "Invoice 1")
        return next(e.value for e in events if e.kind == "flowOutput")

    assert output(0) == output(0)
    assert output(0) != output(1)


def test_an_unchosen_branch_and_everything_only_it_feeds_is_skipped() -> None:
    flow = parse(
        {
            "nodes": [
                {"name": "In", "type": "Input", "outputs": [{"name": "document", "type": "Number"}]},
                {
                    "name": "If",
                    "type": "Condition",
                    "configuration": {
                        "condition": {
                            "conditions": [{"name": "big", "expression": "n > 10"}, {"name": "default"}]
                        }
                    },
                    "inputs": [{"name": "n", "type": "Number", "expression": "$.data"}],
                },
                _lambda("Big", "big {{codeHookInput}}"),
                {"name": "BigOut", "type": "Output"},
                {
                    "name": "SmallOut",
                    "type": "Output",
                    "inputs": [{"name": "document", "type": "Number", "expression": "$.data"}],
                },
            ],
            "connections": [
                {"name": "a", "source": "In", "target": "If"},
                {
                    "name": "b",
                    "type": "Conditional",
                    "source": "If",
                    "target": "Big",
                    "configuration": {"conditional": {"condition": "big"}},
                },
                {
                    "name": "c",
                    "type": "Conditional",
                    "source": "If",
                    "target": "SmallOut",
                    "configuration": {"conditional": {"condition": "default"}},
                },
                {"name": "d", "source": "In", "target": "Big"},
                {"name": "e", "source": "Big", "target": "BigOut"},
                {"name": "f", "source": "In", "target": "SmallOut"},
            ],
        }
    )
    small = Execution(flow, Context()).start("In", None, 3)
    assert [(e.node, e.value) for e in small if e.kind == "flowOutput"] == [("SmallOut", 3)]
    assert not [e for e in small if e.node in ("Big", "BigOut")]
    big = Execution(flow, Context()).start("In", None, 30)
    assert [(e.node, e.value) for e in big if e.kind == "flowOutput"] == [("BigOut", "big 30")]
    assert [e.satisfied for e in big if e.kind == "condition"] == [("big",)]


def test_an_output_inside_an_iterator_reports_once_per_item() -> None:
    flow = parse(
        {
            "nodes": [
                {"name": "In", "type": "Input", "outputs": [{"name": "document", "type": "Array"}]},
                {"name": "Each", "type": "Iterator"},
                {"name": "Out", "type": "Output"},
            ],
            "connections": [
                {"name": "a", "source": "In", "target": "Each"},
                {
                    "name": "b",
                    "source": "Each",
                    "target": "Out",
                    "configuration": {"data": {"sourceOutput": "arrayItem", "targetInput": "document"}},
                },
            ],
        }
    )
    events = Execution(flow, Context()).start("In", None, ["x", "y"])
    assert [e.value for e in events if e.kind == "flowOutput"] == ["x", "y"]
    assert events[-1].reason == "SUCCESS"


def test_an_asking_agent_pauses_the_run_and_resume_finishes_it() -> None:
    flow = parse(
        {
            "nodes": [
                {"name": "In", "type": "Input"},
                {
                    "name": "Ask",
                    "type": "Agent",
                    "emulator": {
                        "ask": "Why {{agentInputText}}?",
                        "outputs": {"agentResponse": "{{agentInputText}}: {{answer}}"},
                    },
                },
                {"name": "Out", "type": "Output"},
            ],
            "connections": [
                {"name": "a", "source": "In", "target": "Ask"},
                {"name": "b", "source": "Ask", "target": "Out"},
            ],
        }
    )
    execution = Execution(flow, Context())
    first = execution.start("In", None, "refund")
    assert [(e.kind, e.text or e.reason) for e in first[-2:]] == [
        ("inputRequest", "Why refund?"),
        ("completion", "INPUT_REQUIRED"),
    ]
    with pytest.raises(FlowInputError, match="waiting for input to node Ask"):
        execution.resume("Out", None, "x")
    second = execution.resume("Ask", "agentInputText", "damaged")
    assert [e.value for e in second if e.kind == "flowOutput"] == ["refund: damaged"]
    assert execution.status == "Succeeded"
    with pytest.raises(FlowInputError, match="not waiting"):
        execution.resume("Ask", None, "again")


def test_input_of_the_wrong_type_or_to_the_wrong_node_is_refused() -> None:
    execution = Execution(parse(SAMPLE_DEFINITION), Context())
    with pytest.raises(FlowInputError, match="must be of type String"):
        execution.start("Input", None, {"not": "a string"})
    with pytest.raises(FlowInputError, match="its input node is Input"):
        execution.start("Other", None, "x")


def test_forgetting_a_tenant_drops_only_its_executions() -> None:
    from emulator.flows import executions
    from emulator.flows.registry import Registry
    from emulator.state import AppState

    state = AppState()
    store = executions.store(state)
    flow = Registry().sample
    for tenant in ("a", "b"):
        run = executions.FlowRun("x", "F", "A", "arn", flow, Execution(flow.definition, Context()), 0.0, True)
        store.add(tenant, run)
    state.forget("a")
    assert store.find("a", "x") is None
    assert store.find("b", "x") is not None
