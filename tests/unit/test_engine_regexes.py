"""Body regexes run on RE2 in linear time, outside the engine's lock; what RE2 cannot run is refused at load."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from emulator.engine import Call, Engine, ScenarioError
from emulator.engine.loader import load_text
from emulator.engine.matcher import CompiledMatch
from emulator.engine.regexes import MAX_INSPECTED_CHARS, Regex
from emulator.engine.schema import Match

REGEX_RULE = """
version: 1
name: s
rules:
  - id: by-regex
    match: {{operations: [Converse], body: [{{path: 'messages[0].content[0].text', regex: '{regex}'}}]}}
    error: ThrottlingException
"""


def _body(text: str) -> dict[str, Any]:
    return {"messages": [{"content": [{"text": text}]}]}


def _call(tenant: str, body: Any) -> Call:
    return Call("bedrock-runtime", "Converse", tenant, model_id="m", body=body, scenario_header="s")


def _refusal(regex: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_text(REGEX_RULE.format(regex=regex), "bad.yaml")
    return caught.value


def test_nested_quantifier_against_a_crafted_body_answers_at_once() -> None:
    engine = Engine()
    engine.load_text(REGEX_RULE.format(regex="(a+)+$"))
    started = time.perf_counter()
    plan = engine.plan(_call("t", _body("a" * 100_000 + "!")))
    # Python's re needs seconds for 26 a's here; RE2 is linear in the text.
    assert time.perf_counter() - started < 1.0
    assert plan.rule_id is None
    assert engine.plan(_call("t", _body("aaaa"))).rule_id == "by-regex"


@pytest.mark.parametrize(
    ("regex", "hint"),
    [
        ("(a)\\1", "backreferences are not supported"),
        ("(?P<x>a)(?P=x)", "backreferences"),
        ("foo(?=bar)", "lookahead"),
        ("foo(?!bar)", "negative lookahead"),
        ("(?<=a)b", "lookbehind"),
        ("(?<!a)b", "lookbehind"),
        ("(?>ab)c", "atomic groups"),
        ("a++", "possessive quantifiers"),
        ("end\\Z", "\\z"),
        ("(", "missing )"),
    ],
)
def test_syntax_re2_cannot_run_is_refused_with_file_rule_field_and_what_was_expected(
    regex: str, hint: str
) -> None:
    error = _refusal(regex)
    assert (error.file, error.rule, error.path) == ("bad.yaml", "by-regex", "rules[0].match.body[0].regex")
    assert "RE2" in error.expected
    assert hint in error.expected


def test_a_pattern_too_large_for_the_bound_is_refused() -> None:
    error = _refusal("\\pL{9}")
    assert "at most 10000 RE2 instructions" in error.expected


def test_the_quoted_pattern_in_a_refusal_is_cut_short() -> None:
    error = _refusal("x" * 5000 + "(?=y)")
    assert "..." in error.expected
    assert len(error.expected) < 400


def test_refusals_print_nothing_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    _refusal("(?=y)")
    assert capfd.readouterr().err == ""


def test_common_python_syntax_still_works() -> None:
    assert Regex(r"(?i)^hello\s+(?P<who>\w+)$").search("HELLO   world")
    assert Regex(r"\d{3}-\d{4}").search("call 555-1234 now")
    assert Regex(r"caf\x{e9}|\pL+ü").search("café")
    assert not Regex(r"^b").search("ab")


def test_a_regex_inspects_only_the_first_mebibyte_of_a_value() -> None:
    needle = Regex("NEEDLE")
    assert needle.search("x" * (MAX_INSPECTED_CHARS - 6) + "NEEDLE")
    assert not needle.search("x" * MAX_INSPECTED_CHARS + "NEEDLE")


@pytest.mark.parametrize(
    "glob",
    ["*a*a*a*a*a*a*a*a*a*a*b", "*?*?*?*?*?*?*?*?*?*?x", "*[a-c]*[a-c]*[a-c]*[a-c]*z", "a*a*a*a*a*a*a*a"],
)
def test_globs_take_linear_time_on_a_long_crafted_value(glob: str) -> None:
    value = "a" * 1_000_000
    test = CompiledMatch(Match(tenants=[glob], headers={"x-h": glob}))
    started = time.perf_counter()
    test.matches(Call("bedrock-runtime", "Converse", value, headers={"x-h": value}))
    # Backtracking would need longer than the age of the universe; linear takes milliseconds.
    assert time.perf_counter() - started < 1.0


class _SlowBody(dict[str, Any]):
    """A body whose matching blocks until released, standing for a slow body condition."""

    def __init__(self, entered: threading.Event, release: threading.Event) -> None:
        super().__init__(_body("a"))
        self._entered = entered
        self._release = release

    def __contains__(self, key: object) -> bool:
        self._entered.set()
        assert self._release.wait(10)
        return super().__contains__(key)


def test_matching_runs_outside_the_lock_so_other_tenants_are_not_held_up() -> None:
    engine = Engine()
    engine.load_text(REGEX_RULE.format(regex="^a$"))
    entered, release = threading.Event(), threading.Event()
    slow: list[str | None] = []
    worker = threading.Thread(
        target=lambda: slow.append(engine.plan(_call("slow", _SlowBody(entered, release))).rule_id)
    )
    worker.start()
    try:
        assert entered.wait(10)
        started = time.perf_counter()
        assert engine.plan(_call("other", _body("a"))).rule_id == "by-regex"
        assert engine.state_of("other", "s") == ("Started", {"by-regex": 1})
        assert time.perf_counter() - started < 1.0
    finally:
        release.set()
        worker.join(10)
    assert slow == ["by-regex"]


def test_a_scenario_replaced_while_a_call_matches_is_matched_again() -> None:
    engine = Engine()
    engine.load_text(REGEX_RULE.format(regex="^a$"))
    entered, release = threading.Event(), threading.Event()
    fired: list[str | None] = []
    worker = threading.Thread(
        target=lambda: fired.append(engine.plan(_call("t", _SlowBody(entered, release))).rule_id)
    )
    worker.start()
    try:
        assert entered.wait(10)
        engine.load_text(REGEX_RULE.format(regex="^b$").replace("by-regex", "replaced"))
    finally:
        release.set()
        worker.join(10)
    # Matched again under the new rules: "a" does not match ^b$, and the old rule's count never moved.
    assert fired == [None]
    assert engine.state_of("t", "s") == ("Started", {})


def test_rules_after_one_that_always_fires_are_neither_matched_nor_counted() -> None:
    engine = Engine()
    engine.load_text(
        "version: 1\nname: s\nrules:\n"
        "  - {id: always, match: {operations: [Converse]}, error: ThrottlingException}\n"
        "  - {id: never-reached, match: {operations: [Converse]}, take: {first: 1}, drop: true}\n"
    )
    for _ in range(3):
        assert engine.plan(_call("t", None)).rule_id == "always"
    assert engine.state_of("t", "s") == ("Started", {"always": 3})
