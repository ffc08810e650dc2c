"""plan() is on every request's path: cheap with no scenario, and still cheap with ten rules."""

from __future__ import annotations

import timeit

import emulator.engine
from emulator.engine import Call, Engine

RULES = "".join(
    f"  - {{id: r{i}, match: {{operations: [Converse], models: ['meta.*'],"
    f" body: [{{path: 'messages[0].role', equals: user}}]}}, error: ThrottlingException}}\n"
    for i in range(9)
)


def _best_microseconds(engine: Engine, call: Call, number: int = 500) -> float:
    return min(timeit.repeat(lambda: engine.plan(call), number=number, repeat=5)) / number * 1e6


def test_plan_without_a_scenario_takes_under_20_microseconds() -> None:
    call = Call("bedrock-runtime", "Converse", "t", model_id="m", foundation_model_id="m")
    assert _best_microseconds(Engine(), call) < 20


def test_plan_through_a_10_rule_scenario_takes_under_100_microseconds() -> None:
    engine = Engine()
    engine.load_text(f"version: 1\nname: t\nrules:\n{RULES}  - {{id: last, delay: 0.01}}\n")
    model = "anthropic.claude-3-haiku-20240307-v1:0"
    call = Call(
        "bedrock-runtime",
        "Converse",
        "t",
        model_id=model,
        foundation_model_id=model,
        body={"messages": [{"role": "user"}]},
    )
    assert engine.plan(call).rule_id == "last"
    assert _best_microseconds(engine, call) < 100


def test_public_api_is_exactly_what_the_data_plane_codes_against() -> None:
    assert set(emulator.engine.__all__) == {
        "NO_PLAN",
        "Call",
        "Clock",
        "ConnectionFault",
        "Drop",
        "Engine",
        "ExceptionAfter",
        "Hang",
        "Plan",
        "Problem",
        "QuotaTicket",
        "Scenario",
        "ScenarioError",
        "ScriptedAnswer",
        "ScriptedEvent",
        "StreamFaults",
        "ToolUse",
        "Truncate",
        "UnknownScenarioError",
        "Usage",
        "validate_files",
    }
    for name in emulator.engine.__all__:
        assert getattr(emulator.engine, name) is not None
