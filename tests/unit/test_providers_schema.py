"""The JSON-schema validator speaks Bedrock's (everit's) words."""

from __future__ import annotations

import pytest

from emulator.providers import MALFORMED_BODY, parse_body
from emulator.providers.schema import array, check, enum, integer, number, obj, render, string
from emulator.wire.errors import AwsError

SCHEMA = obj(
    {
        "prompt": string(minLength=1),
        "max_tokens_to_sample": integer(maximum=8191),
        "temperature": number(0, 1),
        "stop_sequences": array(string(), maxItems=2),
        "role": {"type": "string", **enum("user", "assistant")},
    },
    required=("prompt", "max_tokens_to_sample"),
)


def messages(body: object) -> list[str]:
    return [violation.full() for violation in check(body, SCHEMA)]


def test_missing_and_extraneous_keys_are_reported_required_first() -> None:
    assert messages({"foo": 1}) == [
        "#: required key [prompt] not found",
        "#: required key [max_tokens_to_sample] not found",
        "#: extraneous key [foo] is not permitted",
    ]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("temperature", "hot", "#/temperature: expected type: Number, found: String"),
        ("temperature", None, "#/temperature: expected type: Number, found: Null"),
        ("temperature", 1.5, "#/temperature: 1.5 is not less or equal to 1"),
        ("temperature", -1, "#/temperature: -1 is not greater or equal to 0"),
        ("max_tokens_to_sample", 8192, "#/max_tokens_to_sample: 8192 is not less or equal to 8191"),
        ("max_tokens_to_sample", 1.5, "#/max_tokens_to_sample: expected type: Integer, found: BigDecimal"),
        ("max_tokens_to_sample", True, "#/max_tokens_to_sample: expected type: Integer, found: Boolean"),
        ("prompt", "", "#/prompt: expected minLength: 1, actual: 0"),
        ("stop_sequences", "x", "#/stop_sequences: expected type: JSONArray, found: String"),
        ("stop_sequences", ["a", "b", "c"], "#/stop_sequences: expected maximum item count: 2, found: 3"),
        ("stop_sequences", ["a", 1], "#/stop_sequences/1: expected type: String, found: Integer"),
        ("role", "system", "#/role: system is not a valid enum value"),
    ],
)
def test_each_rule_has_its_everit_message(field: str, value: object, expected: str) -> None:
    body = {"prompt": "p", "max_tokens_to_sample": 10, field: value}
    assert messages(body) == [expected]


def test_a_body_that_is_not_an_object() -> None:
    assert messages([1]) == ["#: expected type: JSONObject, found: JSONArray"]


def test_not_schema_message_prints_the_schema_compactly() -> None:
    violations = check({"messages": []}, {"not": {"required": ["messages"]}})
    assert [v.full() for v in violations] == [
        '#: subject must not be valid against schema {"required":["messages"]}'
    ]


def test_any_of_reports_every_branch_when_none_matches() -> None:
    schema = obj({"content": {"anyOf": [string(), array(minItems=1)]}})
    assert [v.full() for v in check({"content": []}, schema)] == [
        "#/content: expected type: String, found: JSONArray",
        "#/content: expected minimum item count: 1, found: 0",
    ]
    assert check({"content": "x"}, schema) == []


def test_all_rendering_concatenates_without_separator() -> None:
    error = render(check({"foo": 1}, SCHEMA))
    assert error.code == "ValidationException"
    assert error.message == (
        "Malformed input request: #: required key [prompt] not found#: required key [max_tokens_to_sample] "
        "not found#: extraneous key [foo] is not permitted, please reformat your input and try again."
    )


def test_top_rendering_drops_the_pointer_and_counts_several() -> None:
    one = render(check({"prompt": "p", "max_tokens_to_sample": 1, "x": 1}, SCHEMA), "top")
    assert one.message == (
        "Malformed input request: extraneous key [x] is not permitted, "
        "please reformat your input and try again."
    )
    two = render(check({"x": 1, "prompt": "p"}, SCHEMA), "top")
    assert (
        two.message
        == "Malformed input request: 2 schema violations found, please reformat your input and try again."
    )


def test_a_body_that_is_not_json_gets_the_bare_malformed_message() -> None:
    with pytest.raises(AwsError) as caught:
        parse_body(b"{not json")
    assert caught.value.code == "ValidationException"
    assert caught.value.message == MALFORMED_BODY
    assert parse_body(b'{"a": 1}') == {"a": 1}
