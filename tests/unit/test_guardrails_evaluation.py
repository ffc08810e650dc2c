"""Guardrail definitions, the registry and evaluation, with plain values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.control.accounts import account_id
from emulator.guardrails import Registry, evaluate, read_definition, sample
from emulator.guardrails.invocation import for_converse, for_invoke
from emulator.guardrails.registry import DRAFTS, VERSIONS
from emulator.state import AppState, MemoryStore
from emulator.wire.errors import AwsError

_STATE = AppState()  # an app with no guardrails files: unknown ids meet the sample

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def guardrail(**policies: Any) -> Any:
    body = {
        "name": "g",
        "blockedInputMessaging": "in-blocked",
        "blockedOutputsMessaging": "out-blocked",
        **policies,
    }
    return read_definition(body, guardrail_id="gid", region="us-east-1", created_at=WHEN)


def test_anonymize_masks_every_match_with_its_type_placeholder() -> None:
    g = guardrail(
        sensitiveInformationPolicyConfig={
            "piiEntitiesConfig": [
                {"type": "EMAIL", "action": "ANONYMIZE"},
                {"type": "PHONE", "action": "ANONYMIZE"},
            ]
        }
    )
    result = evaluate(g, ["a@b.io or 555-123-4567, a@b.io"], "INPUT")
    assert result.masked == ("{EMAIL} or {PHONE}, {EMAIL}",)
    assert result.action == "GUARDRAIL_INTERVENED"
    assert not result.blocked


def test_block_wins_over_anonymize_and_uses_the_sources_messaging() -> None:
    g = guardrail(
        sensitiveInformationPolicyConfig={
            "piiEntitiesConfig": [
                {"type": "EMAIL", "action": "ANONYMIZE"},
                {"type": "US_SOCIAL_SECURITY_NUMBER", "action": "BLOCK"},
            ]
        }
    )
    assert evaluate(g, ["a@b.io 123-45-6789"], "INPUT").outputs() == [{"text": "in-blocked"}]
    assert evaluate(g, ["a@b.io 123-45-6789"], "OUTPUT").outputs() == [{"text": "out-blocked"}]


def test_detect_only_action_none_reports_without_intervening() -> None:
    g = guardrail(
        sensitiveInformationPolicyConfig={
            "piiEntitiesConfig": [{"type": "EMAIL", "action": "BLOCK", "inputAction": "NONE"}]
        }
    )
    result = evaluate(g, ["a@b.io"], "INPUT")
    assert result.action == "NONE"
    assert result.policies["sensitiveInformationPolicy"]["piiEntities"][0]["action"] == "NONE"


def test_disabled_direction_is_not_evaluated() -> None:
    g = guardrail(wordPolicyConfig={"wordsConfig": [{"text": "zorp", "outputEnabled": False}]})
    assert evaluate(g, ["zorp"], "INPUT").blocked
    assert evaluate(g, ["zorp"], "OUTPUT").policies == {}


def test_usage_counts_units_of_1000_characters_for_configured_policies_only() -> None:
    g = guardrail(wordPolicyConfig={"managedWordListsConfig": [{"type": "PROFANITY"}]})
    usage = evaluate(g, ["x" * 1001], "INPUT").usage
    assert usage["wordPolicyUnits"] == 2
    assert usage["topicPolicyUnits"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "has space"},
        {
            "contentPolicyConfig": {
                "filtersConfig": [{"type": "GORE", "inputStrength": "HIGH", "outputStrength": "HIGH"}]
            }
        },
        {
            "contentPolicyConfig": {
                "filtersConfig": [
                    {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "HIGH"}
                ]
            }
        },
        {
            "sensitiveInformationPolicyConfig": {
                "regexesConfig": [{"name": "r", "pattern": "(", "action": "BLOCK"}]
            }
        },
    ],
)
def test_invalid_definitions_are_validation_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(AwsError) as error:
        guardrail(**bad)
    assert error.value.code == "ValidationException"


def _created(word: str, version: str = "DRAFT") -> dict[str, Any]:
    """A record as CreateGuardrail / CreateGuardrailVersion keep it (emulator/bedrock_control/guardrails.py)."""
    return {
        "guardrailId": "mine12345678",
        "version": version,
        "status": "READY",
        "region": "us-east-1",
        "createdAt": "2026-01-01T00:00:00Z",
        "definition": {
            "name": "mine",
            "blockedInputMessaging": "x",
            "blockedOutputsMessaging": "y",
            "wordPolicyConfig": {"wordsConfig": [{"text": word}]},
        },
    }


def test_registry_serves_the_sample_for_unknown_ids_unless_strict_and_keeps_tenants_apart() -> None:
    store = MemoryStore()
    registry = Registry(store=store)
    assert registry.resolve("unknown1", tenant="t", region="us-east-1", strict=False).name == sample().name
    with pytest.raises(AwsError):
        registry.resolve("unknown1", tenant="t", region="us-east-1", strict=True)
    store.put("t1", DRAFTS, "mine12345678", _created("refund"))
    store.put("t1", VERSIONS, "mine12345678/1", _created("competitor", "1"))
    draft = registry.resolve("mine12345678", tenant="t1", region="us-east-1", strict=True)
    frozen = registry.resolve(draft.arn, tenant="t1", region="us-east-1", strict=True, version="1")
    assert ([w.text for w in draft.words], draft.version) == (["refund"], "DRAFT")
    assert ([w.text for w in frozen.words], frozen.version) == (["competitor"], "1")
    assert draft.arn.split(":")[4] == account_id("t1")
    with pytest.raises(AwsError) as missing:  # a version the guardrail does not have, in either mode
        registry.resolve("mine12345678", tenant="t1", region="us-east-1", strict=False, version="2")
    assert missing.value.code == "ResourceNotFoundException"
    with pytest.raises(AwsError):
        registry.resolve("mine12345678", tenant="t2", region="us-east-1", strict=True)
    store.put("t1", DRAFTS, "mine12345678", {**_created("refund"), "status": "DELETING"})
    with pytest.raises(AwsError):
        registry.resolve("mine12345678", tenant="t1", region="us-east-1", strict=True, runtime=True)


def test_converse_guard_masks_user_text_only_and_prefers_guard_content() -> None:
    body = {
        "messages": [{"role": "user", "content": [{"text": "mail a@b.io"}]}],
        "system": [{"text": "admin@corp.io"}],
        "guardrailConfig": {"guardrailIdentifier": "anyid", "guardrailVersion": "DRAFT"},
    }
    guard = for_converse(body, tenant="t", region="us-east-1", strict=False, state=_STATE)
    assert guard is not None
    assert guard.body["messages"][0]["content"][0]["text"] == "mail {EMAIL}"
    assert guard.body["system"][0]["text"] == "admin@corp.io"
    tagged = {
        **body,
        "messages": [
            {
                "role": "user",
                "content": [{"text": "a@b.io"}, {"guardContent": {"text": {"text": "c@d.io"}}}],
            }
        ],
    }
    guard = for_converse(tagged, tenant="t", region="us-east-1", strict=False, state=_STATE)
    assert guard is not None
    assert guard.body["messages"][0]["content"] == [
        {"text": "a@b.io"},
        {"guardContent": {"text": {"text": "{EMAIL}"}}},
    ]


def test_invoke_guard_reads_the_native_body_and_needs_both_headers() -> None:
    members = {"guardrailIdentifier": "anyid", "guardrailVersion": "1"}  # InvokeModel's header members
    guard = for_invoke(
        members,
        {"inputText": "call 555-123-4567"},
        tenant="t",
        region="us-east-1",
        strict=False,
        state=_STATE,
    )
    assert guard is not None
    assert guard.body == {"inputText": "call {PHONE}"}
    assert guard.invoke_fields() == {"amazon-bedrock-guardrailAction": "INTERVENED"}
    with pytest.raises(AwsError):
        for_invoke(
            {"guardrailIdentifier": "anyid"},
            {},
            tenant="t",
            region="us-east-1",
            strict=False,
            state=_STATE,
        )
    assert for_invoke({}, {}, tenant="t", region="us-east-1", strict=False, state=_STATE) is None
