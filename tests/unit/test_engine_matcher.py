"""Match criteria: model globs (bare, profile, ARN), tenants, headers, body paths, resource ids."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.engine import Call
from emulator.engine.matcher import CompiledMatch
from emulator.engine.schema import Match

OPUS = "anthropic.claude-3-opus-20240229-v1:0"


def matches(criteria: dict[str, Any], **fields: Any) -> bool:
    values: dict[str, Any] = {"service": "bedrock-runtime", "operation": "Converse", "tenant": "t"} | fields
    return CompiledMatch(Match.model_validate(criteria)).matches(Call(**values))


@pytest.mark.parametrize(
    ("sent", "resolved"),
    [
        (OPUS, OPUS),
        (f"us.{OPUS}", OPUS),
        (f"arn:aws:bedrock:us-east-1::foundation-model/{OPUS}", OPUS),
        (f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{OPUS}", OPUS),
    ],
)
def test_model_globs_match_the_resolved_foundation_model_however_sent(sent: str, resolved: str) -> None:
    assert matches({"models": ["anthropic.claude-3-opus-*"]}, model_id=sent, foundation_model_id=resolved)
    assert not matches({"models": ["meta.*"]}, model_id=sent, foundation_model_id=resolved)


def test_model_glob_can_match_the_id_as_sent() -> None:
    assert matches({"models": ["us.*"]}, model_id=f"us.{OPUS}", foundation_model_id=OPUS)
    assert not matches({"models": ["us.*"]}, model_id=None, foundation_model_id=None)


def test_tenant_and_header_globs() -> None:
    assert matches({"tenants": ["ci-*"]}, tenant="ci-42")
    assert not matches({"tenants": ["ci-*"]}, tenant="dev")
    assert matches({"headers": {"X-Test": "on*"}}, headers={"x-test": "only"})
    assert not matches({"headers": {"x-test": "on"}}, headers={})


BODY = {
    "messages": [
        {"role": "user", "content": [{"text": "What is the weather in Paris?"}]},
        {"role": "assistant", "content": [{"text": "Sunny"}]},
    ],
    "inferenceConfig": {"maxTokens": 512, "temperature": 0.5},
    "stream": True,
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"path": "inferenceConfig.maxTokens", "equals": 512}, True),
        ({"path": "$.inferenceConfig.maxTokens", "equals": 512.0}, True),
        ({"path": "inferenceConfig.maxTokens", "equals": 513}, False),
        ({"path": "stream", "equals": 1}, False),
        ({"path": "stream", "equals": True}, True),
        ({"path": "messages[0].content[0].text", "contains": "Paris"}, True),
        ({"path": "messages[*].content[*].text", "contains": "Sunny"}, True),
        ({"path": "messages[-1].role", "equals": "assistant"}, True),
        ({"path": "messages[*].role", "regex": "^assist"}, True),
        ({"path": "messages[5].role", "equals": "user"}, False),
        ({"path": "inferenceConfig", "contains": "temperature"}, True),
        ({"path": "missing.path", "equals": None}, False),
    ],
)
def test_body_conditions(condition: dict[str, Any], expected: bool) -> None:
    assert matches({"body": [condition]}, body=BODY) is expected


def test_body_condition_on_a_missing_body_does_not_match() -> None:
    assert not matches({"body": [{"path": "a", "equals": 1}]}, body=None)


def test_knowledge_base_from_path_label_or_retrieve_and_generate_body() -> None:
    criteria = {"knowledge_bases": ["KB123*"]}
    assert matches(criteria, operation="Retrieve", labels={"knowledgeBaseId": "KB1234"})
    rag_body = {
        "retrieveAndGenerateConfiguration": {"knowledgeBaseConfiguration": {"knowledgeBaseId": "KB1239"}}
    }
    assert matches(criteria, operation="RetrieveAndGenerate", body=rag_body)
    assert not matches(criteria, operation="Retrieve", labels={"knowledgeBaseId": "OTHER"})


def test_agent_and_flow_ids() -> None:
    assert matches({"agents": ["AG*"]}, labels={"agentId": "AGENT1"})
    assert matches({"flows": ["FL1"]}, labels={"flowIdentifier": "FL1"})
    assert not matches({"flows": ["FL1"]}, labels={})


def test_all_criteria_must_hold() -> None:
    criteria = {"tenants": ["t"], "models": ["meta.*"]}
    assert not matches(criteria, model_id=OPUS, foundation_model_id=OPUS)
