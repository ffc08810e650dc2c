"""Scenario texts are bounded: size, YAML aliases, nesting; refusals quote the input cut short."""

from __future__ import annotations

import json
import time

import pytest

from emulator.app import create_app
from emulator.engine import Engine, ScenarioError
from emulator.engine.document import MAX_ALIASES, MAX_DEPTH, MAX_TEXT_CHARS
from emulator.engine.loader import load_text
from emulator.settings import Settings


def _alias_bomb(levels: int) -> str:
    lines = ["version: 1", 'seed: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghij"[:levels]:
        lines.append(f"_{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append(f"description: *{previous}")
    return "\n".join(lines) + "\n"


def _refusal(text: str, source: str = "bad.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, source, "bad")
    return caught.value


def test_an_alias_bomb_is_refused_at_once_with_a_short_message() -> None:
    bomb = _alias_bomb(6)
    assert len(bomb) < 400
    started = time.perf_counter()
    error = _refusal(bomb)
    assert time.perf_counter() - started < 1.0
    assert error.file == "bad.yaml"
    assert "aliases" in error.expected
    assert error.path.startswith("line ")
    assert len(str(error)) < 300


def test_the_admin_api_answers_an_alias_bomb_with_a_small_400() -> None:
    client = create_app(Settings(), engine=Engine()).test_client()
    response = client.put("/_emulator/scenarios", data=_alias_bomb(6), content_type="application/yaml")
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "InvalidScenario"
    assert len(response.data) < 1000


def test_a_few_aliases_still_load() -> None:
    scenario = load_text(
        "version: 1\nname: ok\nrules:\n"
        "  - {id: a, match: {operations: &calls [Converse, ConverseStream]}, take: {first: 1}, drop: true}\n"
        "  - {id: b, match: {operations: *calls}, error: ThrottlingException}\n",
        "ok.yaml",
    )
    assert scenario.rules[1].match.operations == ["Converse", "ConverseStream"]


def test_more_aliases_than_the_bound_are_refused_even_when_each_is_small() -> None:
    items = ", ".join(["*s"] * (MAX_ALIASES + 1))
    error = _refusal(f"version: 1\ndescription: &s x\n_list: [{items}]\n")
    assert f"at most {MAX_ALIASES} YAML aliases" in error.expected


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    error = _refusal("version: 1\ndescription: &loop [1, *loop]\n")
    assert "anchor" in error.expected
    assert error.path == "line 2 column 14"


def test_yaml_nested_deeper_than_the_bound_is_refused_with_its_line() -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    error = _refusal(f"version: 1\ndescription: {deep}\n")
    assert error.expected == f"nesting at most {MAX_DEPTH} levels deep"
    assert error.path.startswith("line 2 ")
    shallow = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    assert "a valid string" in _refusal(f"version: 1\ndescription: {shallow}\n").expected


def test_json_nested_past_the_interpreter_limit_is_refused_cleanly() -> None:
    for depth in (MAX_DEPTH + 1, 100_000):
        text = '{"version": 1, "description": ' + "[" * depth + "]" * depth + "}"
        error = _refusal(text, "bad.json")
        assert error.expected == f"nesting at most {MAX_DEPTH} levels deep"


def test_a_text_over_the_size_bound_is_refused_before_parsing() -> None:
    text = "version: 1\ndescription: " + "x" * MAX_TEXT_CHARS + "\n"
    started = time.perf_counter()
    error = _refusal(text)
    assert time.perf_counter() - started < 0.5
    assert f"at most {MAX_TEXT_CHARS} characters" in error.expected


def test_refusals_quote_huge_input_cut_short() -> None:
    values = json.dumps(["word"] * 100_000)
    error = _refusal(f'{{"version": 1, "description": {values}}}', "bad.json")
    assert error.path == "description"
    assert "..." in error.expected
    assert len(error.expected) < 300
    long_key = "k" * 100_000
    error = _refusal(f"version: 1\n{long_key}: 1\n")
    assert len(str(error)) < 1500


def test_a_refusal_lists_at_most_fifty_problems_and_counts_the_rest() -> None:
    rules = "".join(f"  - {{id: r{i}, dealy: 1}}\n" for i in range(500))
    error = _refusal(f"version: 1\nrules:\n{rules}")
    assert len(error.problems) == 500
    message = str(error)
    assert message.count("\n") == 50
    assert message.endswith("... and 450 more problems")
