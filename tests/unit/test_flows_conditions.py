"""Condition-node expressions and node-input paths, as plain values."""

from __future__ import annotations

import pytest

from emulator.flows import conditions, paths


@pytest.mark.parametrize(
    ("expression", "inputs", "expected"),
    [
        ("amount > 1000", {"amount": 1500}, True),
        ("amount > 1000", {"amount": 1000}, False),
        ("amount >= 1000", {"amount": 1000}, True),
        ("amount < 10.5", {"amount": 10.25}, True),
        ("amount <= 3", {"amount": 4}, False),
        ('status == "paid"', {"status": "paid"}, True),
        ("status != 'paid'", {"status": "paid"}, False),
        ("(a > 1) and (b == true)", {"a": 2, "b": True}, True),
        ("a > 1 and b == true", {"a": 2, "b": False}, False),
        ("a > 1 or b == true", {"a": 0, "b": True}, True),
        ("not a > 1", {"a": 0}, True),
        ("not (a > 1 or a < -1)", {"a": 0}, True),
        ("a > 1 or b > 1 and c > 1", {"a": 2, "b": 0, "c": 0}, True),  # and binds tighter than or
        ("amount > 5", {"amount": "seven"}, False),  # mistyped input: no match, not an error
        ("flag", {"flag": True}, True),
    ],
)
def test_condition_expressions_evaluate_the_documented_operators(
    expression: str, inputs: dict[str, object], expected: bool
) -> None:
    assert conditions.parse(expression).evaluate(inputs) is expected


def test_condition_expression_lists_the_inputs_it_reads() -> None:
    assert conditions.parse('(total > 5) and (vendor == "x" or total < 1)').names() == ["total", "vendor"]


@pytest.mark.parametrize("expression", ["", "a >", "(a > 1", "a > 1 )", "a === 1", "and", "a > 1 b"])
def test_malformed_condition_expressions_are_refused(expression: str) -> None:
    with pytest.raises(conditions.ConditionError):
        conditions.parse(expression)


def test_paths_select_fields_and_elements_of_the_incoming_value() -> None:
    value = {"invoice": {"lines": [{"sku": "A"}, {"sku": "B"}]}}
    assert paths.select("$.data", value) is value
    assert paths.select("$.data.invoice.lines[1].sku", value) == "B"


@pytest.mark.parametrize("expression", ["$.data.missing", "$.data.invoice.lines[5]", "$.data[0]"])
def test_paths_that_do_not_match_the_value_raise(expression: str) -> None:
    with pytest.raises(paths.PathError):
        paths.select(expression, {"invoice": {"lines": []}})


@pytest.mark.parametrize("expression", ["data", "$.data..x", "$.data.[0]", "$.input"])
def test_malformed_paths_are_refused(expression: str) -> None:
    with pytest.raises(paths.PathError):
        paths.validate(expression)
