"""Engine.plan with plain Call values: selection, take modes, state machines, effects, determinism."""

from __future__ import annotations

import pytest

from emulator.engine import (
    NO_PLAN,
    Call,
    Drop,
    Engine,
    Hang,
    Plan,
    ScenarioError,
    Truncate,
    UnknownScenarioError,
)

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def call(
    tenant: str = "t1",
    operation: str = "Converse",
    *,
    service: str = "bedrock-runtime",
    model: str | None = MODEL,
    header: str | None = None,
    streaming: bool = False,
    body: object = None,
) -> Call:
    return Call(
        service=service,
        operation=operation,
        tenant=tenant,
        model_id=model,
        foundation_model_id=model,
        body=body,
        scenario_header=header,
        streaming=streaming,
    )


def engine_with(text: str, **options: object) -> Engine:
    engine = Engine(**options)  # type: ignore[arg-type]
    engine.load_text(text, source="s.yaml")
    return engine


def codes(engine: Engine, calls: list[Call]) -> list[str | None]:
    return [p.error.code if p.error else None for p in map(engine.plan, calls)]


def test_no_scenario_returns_the_shared_no_plan() -> None:
    assert Engine().plan(call()) is NO_PLAN
    assert NO_PLAN.rule_label is None


def test_selection_precedence_header_binding_tenant_name_default() -> None:
    engine = Engine(default_scenario="d")
    for name in ("h", "b", "t1", "d"):
        engine.load_text(f"version: 1\nname: {name}\nrules: [{{id: r, drop: true}}]\n")
    engine.bind("t1", "b")
    assert engine.plan(call(header="h")).scenario == "h"
    assert engine.plan(call()).scenario == "b"
    engine.bind("t1", None)
    assert engine.plan(call()).scenario == "t1"
    assert engine.plan(call(tenant="other")).scenario == "d"


def test_unknown_scenario_header_raises_a_distinct_error() -> None:
    with pytest.raises(UnknownScenarioError) as caught:
        Engine().plan(call(header="nope"))
    assert caught.value.name == "nope"


def test_binding_an_unknown_scenario_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        Engine().bind("t1", "nope")


def test_missing_default_scenario_is_a_warning_not_a_failure() -> None:
    plan = Engine(default_scenario="later").plan(call())
    assert plan.rule_id is None
    assert "later" in plan.warnings[0]


def test_first_match_wins_and_labels_the_rule() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - {id: a, match: {operations: [InvokeModel]}, drop: true}\n"
        "  - {id: b, error: ThrottlingException}\n"
        "  - {id: c, drop: true}\n"
    )
    plan = engine.plan(call(header="s"))
    assert plan.rule_label == "s/b"
    assert plan.error is not None
    assert plan.error.code == "ThrottlingException"
    assert plan.error.message.endswith("requests.  Wait before trying again.")


def test_take_modes_count_matching_calls_per_rule() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - {id: first, match: {operations: [Converse]}, take: {first: 2}, error: ThrottlingException}\n"
        "  - {id: every, match: {operations: [InvokeModel]}, take: {every: 3}, error: ThrottlingException}\n"
        "  - {id: nth, match: {operations: [CountTokens]}, take: {nth: [2, 4]}, error: ThrottlingException}\n"
        "  - {id: after, match: {operations: [ConverseStream]}, take: {after: 2},"
        " error: ThrottlingException}\n"
    )
    t = "ThrottlingException"
    assert codes(engine, [call(header="s")] * 4) == [t, t, None, None]
    assert codes(engine, [call(operation="InvokeModel", header="s")] * 6) == [None, None, t, None, None, t]
    assert codes(engine, [call(operation="CountTokens", header="s")] * 5) == [None, t, None, t, None]
    assert codes(engine, [call(operation="ConverseStream", header="s")] * 4) == [None, None, t, t]


def test_wiremock_state_machine_moves_on_firing() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - {id: one, state: {required: Started, next: two}, error: ThrottlingException}\n"
        "  - {id: two, state: {required: two, next: done}, error: AccessDeniedException}\n"
    )
    assert codes(engine, [call(header="s")] * 3) == ["ThrottlingException", "AccessDeniedException", None]
    assert engine.state_of("t1", "s") == ("done", {"one": 1, "two": 1})


def test_tenants_have_separate_counts_and_states() -> None:
    engine = engine_with("version: 1\nname: s\nrules: [{id: r, take: {first: 1}, drop: true}]\n")
    assert isinstance(engine.plan(call("a", header="s")).connection, Drop)
    assert isinstance(engine.plan(call("b", header="s")).connection, Drop)
    assert engine.plan(call("a", header="s")).connection is None


def test_reset_of_one_tenant_restarts_only_its_counts() -> None:
    engine = engine_with("version: 1\nname: s\nrules: [{id: r, take: {first: 1}, drop: true}]\n")
    for tenant in ("a", "b"):
        engine.plan(call(tenant, header="s"))
    engine.reset("a")
    assert engine.plan(call("a", header="s")).connection is not None
    assert engine.plan(call("b", header="s")).connection is None
    engine.reset()
    assert engine.plan(call("b", header="s")).connection is not None


def test_reloading_a_scenario_restarts_its_counts() -> None:
    text = "version: 1\nname: s\nrules: [{id: r, take: {first: 1}, drop: true}]\n"
    engine = engine_with(text)
    engine.plan(call(header="s"))
    engine.load_text(text)
    assert engine.plan(call(header="s")).connection is not None


def test_delete_unbinds_and_forgets() -> None:
    engine = engine_with("version: 1\nname: s\nrules: [{id: r, drop: true}]\n")
    engine.bind("t1", "s")
    assert engine.delete("s") is True
    assert engine.delete("s") is False
    assert engine.bound("t1") is None
    assert engine.plan(call()) is NO_PLAN


def test_connection_faults() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - {id: h, match: {operations: [Converse]}, hang: 70}\n"
        "  - {id: t, match: {operations: [InvokeModel]}, truncate: 10}\n"
    )
    assert engine.plan(call(header="s")).connection == Hang(70)
    assert engine.plan(call(operation="InvokeModel", header="s")).connection == Truncate(10)


def test_error_with_override_message_and_extra_fields() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - id: e\n    match: {operations: [InvokeModel]}\n"
        "    error: {code: ModelErrorException, message: boom, fields: {originalStatusCode: 400}}\n"
    )
    error = engine.plan(call(operation="InvokeModel", header="s")).error
    assert error is not None
    assert error.body() == {"message": "boom", "originalStatusCode": 400}
    assert error.status("bedrock-runtime") == 424


def test_stream_faults_apply_to_streams_with_their_real_default_message() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - id: x\n    match: {operations: [ConverseStream]}\n"
        "    stream: {first_event_delay: 2, event_delay: 0.03,"
        " exception_after: {events: 5, member: modelStreamErrorException,"
        " fields: {originalStatusCode: 500}}}\n"
    )
    faults = engine.plan(call(operation="ConverseStream", streaming=True, header="s")).stream
    assert faults is not None
    assert (faults.first_event_delay, faults.event_delay) == (2.0, 0.03)
    assert faults.exception_after is not None
    assert faults.exception_after.count == 5
    assert faults.exception_after.member == "modelStreamErrorException"
    assert faults.exception_after.payload == {
        "message": "The system encountered an unexpected error during processing. Try your request again.",
        "originalStatusCode": 500,
    }


def test_agent_runtime_stream_throttling_uses_its_own_message() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - {id: x, match: {operations: [InvokeAgent]},"
        " stream: {exception_after: {events: 0, member: throttlingException}}}\n"
    )
    plan = engine.plan(
        call(operation="InvokeAgent", service="bedrock-agent-runtime", streaming=True, header="s")
    )
    assert plan.stream is not None
    assert plan.stream.exception_after is not None
    assert plan.stream.exception_after.payload["message"].startswith("Your request rate is too high.")


def test_stream_rules_without_operations_only_touch_streaming_calls() -> None:
    engine = engine_with("version: 1\nname: s\nrules: [{id: x, stream: {cut_after: 3}}]\n")
    assert engine.plan(call(header="s")).rule_id is None
    assert engine.plan(call(operation="ConverseStream", streaming=True, header="s")).stream is not None


def test_scripted_answer_with_delay() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - id: a\n    match: {operations: [Converse, ConverseStream]}\n    delay: 0.25\n"
        "    answer:\n      text: hi\n      stop_reason: tool_use\n"
        "      tool_use: {name: get_weather, input: {city: Paris}}\n"
        "      usage: {input_tokens: 3, output_tokens: 4}\n"
    )
    plan = engine.plan(call(header="s"))
    assert plan.delay_seconds == 0.25
    assert plan.answer is not None
    assert plan.answer.text == "hi"
    assert plan.answer.tool_use is not None
    assert plan.answer.tool_use.input == {"city": "Paris"}
    assert plan.answer.usage is not None
    assert plan.answer.usage.output_tokens == 4


def test_scripted_event_sequence() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - id: a\n    match: {operations: [ConverseStream]}\n    answer:\n      events:\n"
        "        - {event: messageStart, payload: {role: assistant}}\n"
        "        - {event: contentBlockDelta, payload: {contentBlockIndex: 0, delta: {text: Hi}},"
        " delay: 0.1}\n"
        "        - {event: throttlingException, payload: {message: slow down}}\n"
    )
    answer = engine.plan(call(operation="ConverseStream", streaming=True, header="s")).answer
    assert answer is not None
    assert answer.events is not None
    assert [e.event_type for e in answer.events] == [
        "messageStart",
        "contentBlockDelta",
        "throttlingException",
    ]
    assert answer.events[1].delay_seconds == 0.1
    event_type, payload, delay = answer.events[0]
    assert (event_type, payload, delay) == ("messageStart", {"role": "assistant"}, 0.0)


def test_pass_rule_shields_later_rules_and_is_labelled() -> None:
    engine = engine_with(
        "version: 1\nname: s\nrules:\n"
        "  - {id: let-haiku-through, match: {models: ['*haiku*']}}\n"
        "  - {id: rest, error: ThrottlingException}\n"
    )
    plan = engine.plan(call(header="s"))
    assert plan.rule_label == "s/let-haiku-through"
    assert plan.error is None
    assert engine.plan(call(model="meta.llama3-8b-instruct-v1:0", header="s")).error is not None


def test_strict_comes_from_engine_or_scenario() -> None:
    assert Engine(strict=True).plan(call()).strict is True
    engine = engine_with("version: 1\nname: s\nstrict: true\nrules: []\n")
    assert engine.plan(call(header="s")).strict is True
    assert engine.plan(call()).strict is False


def _placements(text: str, n: int = 200) -> tuple[list[bool], list[float]]:
    engine = engine_with(text)
    plans: list[Plan] = [engine.plan(call(header="s")) for _ in range(n)]
    return [p.error is not None for p in plans], [p.delay_seconds for p in plans]


def test_same_seed_and_sequence_give_the_same_faults_and_delays() -> None:
    text = (
        "version: 1\nname: s\nseed: 3\nrules:\n"
        "  - id: flaky\n    match: {operations: [Converse]}\n    take: {probability: 0.2}\n"
        "    error: ServiceUnavailableException\n"
        "  - {id: slow, delay: {distribution: lognormal, median: 0.2, sigma: 0.5}}\n"
    )
    first, second = _placements(text), _placements(text)
    assert first == second
    assert 20 < sum(first[0]) < 60
    assert len(set(first[1])) > 100
    other = _placements(text.replace("seed: 3", "seed: 4"))
    assert other[0] != first[0]


def test_one_tenants_traffic_does_not_shift_anothers_faults() -> None:
    text = (
        "version: 1\nname: s\nseed: 9\nrules:\n"
        "  - {id: f, match: {operations: [Converse]}, take: {probability: 0.5}, error: ThrottlingException}\n"
    )
    alone = engine_with(text)
    expected = codes(alone, [call("a", header="s")] * 30)
    mixed = engine_with(text)
    seen = []
    for _ in range(30):
        mixed.plan(call("b", header="s"))
        seen.extend(codes(mixed, [call("a", header="s")]))
    assert seen == expected


@pytest.mark.parametrize(
    ("delay", "low", "high"),
    [
        ("{distribution: uniform, min: 0.1, max: 0.2}", 0.1, 0.2),
        ("{distribution: normal, mean: 0.05, stddev: 0.1}", 0.0, 1.0),
        ("{distribution: lognormal, median: 0.3, sigma: 2, max: 1.5}", 0.0, 1.5),
    ],
)
def test_random_delays_stay_in_bounds(delay: str, low: float, high: float) -> None:
    _, delays = _placements(f"version: 1\nname: s\nrules: [{{id: d, delay: {delay}}}]\n", 300)
    assert all(low <= d <= high for d in delays)
