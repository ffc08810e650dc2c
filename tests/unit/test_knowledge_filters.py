"""RetrievalFilter: every operator, groups, missing keys and validation."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.knowledge.filters import matches, validate
from emulator.wire.errors import AwsError

META: dict[str, Any] = {
    "category": "shipping",
    "year": 2024,
    "audience": ["customers", "support"],
    "title": "Shipping policy",
    "draft": False,
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"equals": {"key": "category", "value": "shipping"}}, True),
        ({"equals": {"key": "year", "value": 2024.0}}, True),
        ({"equals": {"key": "year", "value": "2024"}}, False),
        ({"equals": {"key": "draft", "value": False}}, True),
        ({"notEquals": {"key": "category", "value": "returns"}}, True),
        ({"notEquals": {"key": "missing", "value": "x"}}, True),
        ({"greaterThan": {"key": "year", "value": 2023}}, True),
        ({"greaterThan": {"key": "year", "value": 2024}}, False),
        ({"greaterThanOrEquals": {"key": "year", "value": 2024}}, True),
        ({"lessThan": {"key": "year", "value": 2024}}, False),
        ({"lessThanOrEquals": {"key": "year", "value": 2024}}, True),
        ({"greaterThan": {"key": "category", "value": 1}}, False),
        ({"in": {"key": "category", "value": ["returns", "shipping"]}}, True),
        ({"notIn": {"key": "category", "value": ["returns", "shipping"]}}, False),
        ({"notIn": {"key": "missing", "value": ["a"]}}, True),
        ({"startsWith": {"key": "title", "value": "Ship"}}, True),
        ({"startsWith": {"key": "title", "value": "policy"}}, False),
        ({"listContains": {"key": "audience", "value": "support"}}, True),
        ({"listContains": {"key": "category", "value": "shipping"}}, False),
        ({"stringContains": {"key": "title", "value": "policy"}}, True),
        ({"stringContains": {"key": "audience", "value": "custom"}}, True),
        ({"equals": {"key": "missing", "value": "x"}}, False),
    ],
)
def test_operator(spec: dict[str, Any], expected: bool) -> None:
    validate(spec)
    assert matches(spec, META) is expected


def test_and_all_needs_every_filter_and_or_all_any() -> None:
    yes = {"equals": {"key": "category", "value": "shipping"}}
    no = {"equals": {"key": "category", "value": "returns"}}
    assert matches({"andAll": [yes, yes]}, META)
    assert not matches({"andAll": [yes, no]}, META)
    assert matches({"orAll": [no, yes]}, META)
    assert not matches({"orAll": [no, no]}, META)
    assert matches({"orAll": [no, {"andAll": [yes, yes]}]}, META)


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"equals": {"key": "a", "value": 1}, "notEquals": {"key": "a", "value": 2}},
        {"andAll": [{"equals": {"key": "a", "value": 1}}]},
        {"equals": {"key": "a"}},
        {"in": {"key": "a", "value": "not-a-list"}},
        {"greaterThan": {"key": "a", "value": "10"}},
        {"startsWith": {"key": "a", "value": 3}},
        {"near": {"key": "a", "value": 1}},
        {"equals": {"key": "", "value": 1}},
    ],
)
def test_invalid_filters_are_validation_errors(spec: dict[str, Any]) -> None:
    with pytest.raises(AwsError) as caught:
        validate(spec)
    assert caught.value.code == "ValidationException"
