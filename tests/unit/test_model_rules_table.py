"""The rules table loads for every catalogue model and refuses names it does not know (a typo would
otherwise give a model the default rules without a word)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from emulator import catalog, model_rules


def _data() -> dict[str, Any]:
    text = resources.files("emulator").joinpath("data/model_features.json").read_text(encoding="utf-8")
    rules: dict[str, Any] = json.loads(text)["rules"]
    return rules


def test_every_catalogue_model_has_rules_from_its_family_and_its_own_entry() -> None:
    table, _ = model_rules.build(_data())
    assert set(table) == {model.model_id for model in catalog.foundation_models()}
    nova_micro = table["amazon.nova-micro-v1:0"]
    assert (table["amazon.nova-lite-v1:0"].s3_sources, nova_micro.s3_sources) == (True, False)
    assert table["meta.llama3-1-70b-instruct-v1:0"].tool_choices == frozenset({"auto"})
    assert table["anthropic.claude-3-haiku-20240307-v1:0"].exclusive_sampling == ()
    assert table["anthropic.claude-opus-4-1-20250805-v1:0"].exclusive_sampling == ("temperature", "top_p")


@pytest.mark.parametrize(
    ("section", "entry"),
    [
        ("families", {"no-such-family": {}}),
        ("models", {"acme.model-v1:0": {}}),
        ("models", {"amazon.nova-lite-v1:0": {"s3_source": True}}),
        ("models", {"amazon.nova-lite-v1:0": {"exclusive_sampling": ["temperature", "topP"]}}),
        ("families", {"llama": {"tool_choices": ["auto", "none"]}}),
    ],
)
def test_unknown_names_are_refused_at_load(section: str, entry: dict[str, Any]) -> None:
    data = _data()
    data[section] = {**data[section], **entry}
    with pytest.raises(ValueError, match="unknown families, models, fields or values"):
        model_rules.build(data)
