"""The JSONL formats a customization job checks its data in (emulator/bedrock_control/training_data.py):
one good and one bad record per family, the failure texts, and the quota cut-off."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.bedrock_control import customizable
from emulator.bedrock_control.s3_data import DataError
from emulator.bedrock_control.training_data import count_records, record_format

URI = "s3://bucket/data/train.jsonl"
TURN = [{"role": "user", "content": [{"text": "Hi"}]}, {"role": "assistant", "content": [{"text": "Hello"}]}]
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        customizable.PROMPT_COMPLETION,
        {"prompt": "Hi", "completion": "Hello"},
        {"prompt": "Hi", "answer": "x"},
    ),
    ("input", {"input": "Some domain text."}, {"text": "Some domain text."}),
    (
        customizable.CONVERSATION,
        {"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "Be brief."}], "messages": TURN},
        {"schemaVersion": "bedrock-conversation-2024", "messages": TURN[::-1]},
    ),
    (
        customizable.CLAUDE_MESSAGES,
        {
            "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        },
        {"messages": [{"role": "user", "content": "Hi"}]},
    ),
    (
        customizable.IMAGE_CAPTION,
        {"image-ref": "s3://bucket/images/cat.png", "caption": "A cat."},
        {"image-ref": "cat.png", "caption": "A cat."},
    ),
]


def _jsonl(*records: Any) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode() + b"\n"


@pytest.mark.parametrize(("data_format", "good", "bad"), CASES, ids=[c[0] for c in CASES])
def test_each_family_counts_its_records_and_refuses_another_shape(
    data_format: str, good: dict[str, Any], bad: dict[str, Any]
) -> None:
    assert count_records(_jsonl(good, good, good), URI, data_format, limit=100) == 3
    with pytest.raises(DataError) as refused:
        count_records(_jsonl(good, bad), URI, data_format, limit=100)
    assert str(refused.value).startswith("Input data at data/train.jsonl must follow '")


def test_the_prompt_completion_text_is_bedrocks() -> None:
    with pytest.raises(DataError) as refused:
        count_records(b"not json\n", URI, customizable.PROMPT_COMPLETION, limit=10)
    assert str(refused.value) == (
        """Input data at data/train.jsonl must follow '{"prompt": "<input text>", "completion": "<output text>"}' format"""
    )


def test_distillation_prompts_may_stop_at_the_users_turn() -> None:
    prompt_only = {"schemaVersion": "bedrock-conversation-2024", "messages": TURN[:1]}
    assert (
        count_records(_jsonl(prompt_only), URI, customizable.CONVERSATION, limit=10, distillation=True) == 1
    )
    with pytest.raises(DataError):
        count_records(_jsonl(prompt_only), URI, customizable.CONVERSATION, limit=10)


def test_empty_data_and_counting_past_the_quota() -> None:
    with pytest.raises(DataError) as empty:
        count_records(b"\n\n", URI, customizable.PROMPT_COMPLETION, limit=10)
    assert str(empty.value) == "Input data at data/train.jsonl contains no records."
    many = _jsonl(*({"prompt": str(i), "completion": "x"} for i in range(50)))
    assert count_records(many, URI, customizable.PROMPT_COMPLETION, limit=10) == 11


def test_continued_pre_training_reads_input_records() -> None:
    titan = customizable.variant("amazon.titan-text-express-v1")
    assert titan is not None
    assert titan.model_id == "amazon.titan-text-express-v1:0:8k"
    assert record_format(titan, customizable.CONTINUED_PRE_TRAINING) == "input"
    assert record_format(titan, customizable.FINE_TUNING) == customizable.PROMPT_COMPLETION


def test_provisioned_only_variants_and_regions() -> None:
    sonnet = customizable.exact("anthropic.claude-3-sonnet-20240229-v1:0:28k")
    assert sonnet is not None
    assert sonnet.customizations_in("us-east-1") == ()
    haiku = customizable.variant(
        "anthropic.claude-3-haiku-20240307-v1:0"
    )  # the catalogue id: the tunable one
    assert haiku is not None
    assert haiku.model_id == "anthropic.claude-3-haiku-20240307-v1:0:200k"
    assert haiku.customizations_in("us-west-2") == (customizable.FINE_TUNING, customizable.DISTILLATION)
    assert haiku.customizations_in("us-east-1") == ()
