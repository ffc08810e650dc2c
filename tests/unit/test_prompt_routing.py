"""How a prompt router chooses, without a server: the predicted gap, the threshold, the text it measures."""

from __future__ import annotations

from typing import Any

from emulator.bedrock_control import prompt_routers

ROUTER = {
    "models": [{"modelArn": "cheap"}, {"modelArn": "strong"}],
    "fallbackModel": {"modelArn": "strong"},
    "routingCriteria": {"responseQualityDifference": 5.0},
}


def test_a_point_of_predicted_gap_per_twenty_characters_capped_at_a_hundred() -> None:
    assert [prompt_routers.predicted_gap(n) for n in (0, 19, 20, 119, 120, 10**6)] == [0, 0, 1, 5, 6, 100]


def test_within_the_quality_difference_the_other_model_answers_else_the_fallback() -> None:
    assert prompt_routers.choose(ROUTER, 119) == "cheap"
    assert prompt_routers.choose(ROUTER, 120) == "strong"
    only_fallback = {**ROUTER, "models": [{"modelArn": "strong"}]}
    assert prompt_routers.choose(only_fallback, 0) == "strong"
    everything = {**ROUTER, "routingCriteria": {"responseQualityDifference": 100.0}}
    assert prompt_routers.choose(everything, 10**6) == "cheap"


def test_only_text_members_count_at_any_depth() -> None:
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": [{"text": "abcd"}]}],
        "max_tokens": "12345",
    }
    assert prompt_routers.text_length(body) == 4
    deep: Any = {"text": "xy"}
    for _ in range(5_000):  # deeper than the interpreter's recursion limit (1,000)
        deep = {"content": [deep]}
    assert prompt_routers.text_length(deep) == 2
