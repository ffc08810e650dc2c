"""Loading scenario files: good files load, bad ones are refused naming file, rule, field path, expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.engine import Engine, ScenarioError, validate_files
from emulator.engine.checks import operations_for
from emulator.engine.loader import load_text


def _refusal(text: str, source: str = "bad.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, source, "bad")
    return caught.value


def test_minimal_yaml_scenario_takes_its_name_from_the_file_stem(tmp_path: Path) -> None:
    file = tmp_path / "my-throttle.yaml"
    file.write_text("version: 1\nrules:\n  - id: t\n    error: ThrottlingException\n")
    engine = Engine()
    assert engine.load_path(file) == ["my-throttle"]
    assert engine.get("my-throttle") is not None


def test_json_scenario_loads() -> None:
    scenario = load_text('{"version": 1, "name": "j", "rules": [{"id": "r", "drop": true}]}', "j.json")
    assert scenario.name == "j"
    assert scenario.rules[0].drop is True


def test_unknown_field_is_refused_with_file_rule_and_path() -> None:
    error = _refusal("version: 1\nrules:\n  - id: slow\n    dealy: 0.2\n")
    assert (error.file, error.rule, error.path) == ("bad.yaml", "slow", "rules[0].dealy")
    assert "not part of the scenario format" in error.expected
    assert "bad.yaml" in str(error)
    assert "slow" in str(error)
    assert "rules[0].dealy" in str(error)


def test_wrong_type_names_what_was_expected_and_what_came() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    take: {first: -2}\n    drop: true\n")
    assert error.path == "rules[0].take.first"
    assert "greater than 0" in error.expected
    assert "-2" in error.expected


def test_missing_version_is_refused() -> None:
    error = _refusal("rules: []\n")
    assert error.path == "version"
    assert "required" in error.expected


def test_two_outcomes_in_one_rule_are_refused() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    error: ThrottlingException\n    hang: 3\n")
    assert error.path == "rules[0]"
    assert "at most one of" in error.expected


def test_delay_combines_with_error_but_stream_does_not() -> None:
    load_text(
        "version: 1\nrules:\n  - id: r\n    error: ThrottlingException\n    delay: 0.1\n", "ok.yaml", "ok"
    )
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    error: ThrottlingException\n    stream: {cut_after: 2}\n"
    )
    assert "stream combines only with answer" in error.expected


def test_duplicate_yaml_keys_are_refused() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    delay: 0.1\n    delay: 0.2\n")
    assert "appears twice" in error.expected
    assert "line 5" in error.path


def test_error_code_must_be_declared_by_every_listed_operation() -> None:
    error = _refusal(
        "version: 1\nrules:\n  - id: flaky\n    match: {operations: [Converse, Retrieve, GetAgent]}\n"
        "    error: ServiceUnavailableException\n"
    )
    assert error.rule == "flaky"
    assert error.path == "rules[0].error.code"
    # Most of them lack it in botocore, so the message names the one that declares it.
    assert "declared only by Converse " in error.expected


def test_an_unlisted_operation_set_narrows_to_the_operations_declaring_the_error() -> None:
    scenario = load_text(
        "version: 1\nrules:\n  - id: flaky\n    error: ServiceUnavailableException\n", "ok.yaml", "ok"
    )
    operations = operations_for(scenario.rules[0])
    assert {"Converse", "ApplyGuardrail", "StartAsyncInvoke"} <= operations
    assert "Retrieve" not in operations  # bedrock-agent-runtime declares no ServiceUnavailableException
    assert "CreateModelCopyJob" not in operations_for(
        load_text("version: 1\nrules:\n  - id: t\n    error: ThrottlingException\n", "t.yaml", "t").rules[0]
    )


def test_an_error_no_operation_declares_is_refused() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    error: ModelStreamErrorExceptio\n")
    assert error.path == "rules[0].error.code"


def test_error_code_declared_by_listed_operations_is_accepted() -> None:
    load_text(
        "version: 1\nrules:\n  - id: r\n    match: {operations: [Converse]}\n"
        "    error: ServiceUnavailableException\n",
        "ok.yaml",
        "ok",
    )


def test_unknown_operation_suggests_the_close_name() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    match: {operations: [Converze]}\n    drop: true\n")
    assert error.path == "rules[0].match.operations[0]"
    assert "Converse" in error.expected


def test_error_fields_must_be_members_of_the_error_shape() -> None:
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {operations: [Converse]}\n"
        "    error: {code: ThrottlingException, fields: {originalStatusCode: 500}}\n"
    )
    assert error.path == "rules[0].error.fields"


def test_stream_exception_member_must_be_declared_by_the_stream() -> None:
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {operations: [ConverseStream]}\n"
        "    stream: {exception_after: {events: 1, member: modelTimeoutException}}\n"
    )
    assert error.path == "rules[0].stream.exception_after.member"
    assert "ConverseStream" in error.expected


def test_stream_faults_refuse_non_streaming_operations() -> None:
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {operations: [Converse]}\n    stream: {cut_after: 1}\n"
    )
    assert error.path == "rules[0].stream"


def test_probability_without_a_seed_is_refused() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    take: {probability: 0.5}\n    drop: true\n")
    assert error.path == "rules[0].take.probability"
    assert "seed" in error.expected


def test_take_needs_exactly_one_mode() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    take: {first: 1, every: 2}\n    drop: true\n")
    assert error.path == "rules[0].take"


def test_answer_needs_listed_operations_that_return_each_part() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    answer: {text: hi}\n")
    assert error.path == "rules[0].match.operations"
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {operations: [Converse]}\n"
        "    answer: {retrieval_results: []}\n"
    )
    assert error.path == "rules[0].answer.retrieval_results"


def test_scripted_events_must_belong_to_the_stream() -> None:
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {operations: [ConverseStream]}\n"
        "    answer: {events: [{event: chunk}]}\n"
    )
    assert error.path == "rules[0].answer.events[0].event"


def test_bad_body_path_and_regex_are_refused_at_load() -> None:
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {body: [{path: 'a[x]', equals: 1}]}\n    drop: true\n"
    )
    assert error.path == "rules[0].match.body[0].path"
    error = _refusal(
        "version: 1\nrules:\n  - id: r\n    match: {body: [{path: a, regex: '('}]}\n    drop: true\n"
    )
    assert error.path == "rules[0].match.body[0].regex"


def test_duplicate_rule_ids_are_refused() -> None:
    error = _refusal("version: 1\nrules:\n  - id: r\n    drop: true\n  - id: r\n    drop: true\n")
    assert "twice" in error.expected


def test_invalid_yaml_names_the_line() -> None:
    error = _refusal("version: 1\nrules: [\n")
    assert "YAML" in error.expected
    assert error.path.startswith("line")


def test_every_problem_is_reported_not_only_the_first() -> None:
    error = _refusal("version: 1\nrules:\n  - id: a\n    bogus: 1\n  - id: b\n    take: {first: 0}\n")
    assert {p.rule for p in error.problems} == {"a", "b"}


def test_validate_files_lists_problems_and_is_empty_for_good_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\nrules: []\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 2\nrules: []\n")
    assert validate_files([good]) == []
    problems = validate_files([good, bad])
    assert len(problems) == 1
    assert str(bad) in problems[0]
    assert "version" in problems[0]


def test_a_bad_file_in_a_directory_refuses_the_whole_load(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\nrules: []\n")
    (tmp_path / "b.yml").write_text("version: 1\nrules: [{id: x, nope: 1}]\n")
    engine = Engine()
    with pytest.raises(ScenarioError):
        engine.load_path(tmp_path)
    assert engine.scenarios() == []


def test_load_text_without_a_name_from_a_request_is_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        Engine().load_text("version: 1\nrules: []\n")
    assert caught.value.path == "name"
