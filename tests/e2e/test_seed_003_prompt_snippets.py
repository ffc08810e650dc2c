"""Seed 003's "Prompt Management" snippet against the emulator in ``--strict`` mode: its calls with only
``endpoint_url`` and the test's credentials added.

The snippet creates a prompt with three ``{{variables}}`` and a version, then calls Converse with the
*bare* Claude 3.5 Sonnet v2 id and the prompt's text pasted by hand. That last call is refused in
us-east-1 as Bedrock refuses it (the model needs an inference profile there; tests/e2e/test_seed_snippets.py
asserts the same for InvokeModel), so the test then does what the article's comment says it means to do:
use the version it created, by ARN, with the variables as ``promptVariables``.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator.pytest_plugin import BedrockEmulator

SONNET_V2 = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TEMPLATE = """You are a friendly and knowledgeable support agent for {{company_name}}.
Your goals:
- Resolve customer issues on the first interaction
- Be empathetic and solution-focused
- Escalate to a human agent if the issue cannot be resolved in 3 turns
- Never discuss pricing without checking the current rate card
Current date: {{current_date}}
Agent name: {{agent_name}}"""


@pytest.fixture
def strict(bedrock_emulator: BedrockEmulator) -> BedrockEmulator:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: seed-003-prompts-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator


def _create_prompt(
    bedrock_agent: Any, model_id: str = SONNET_V2, name: str = "support-chat-system-prompt"
) -> dict[str, Any]:
    response: dict[str, Any] = bedrock_agent.create_prompt(
        name=name,
        description="System prompt for the customer support chatbot",
        variants=[
            {
                "name": "default",
                "templateType": "TEXT",
                "templateConfiguration": {
                    "text": {
                        "text": TEMPLATE,
                        "inputVariables": [
                            {"name": "company_name"},
                            {"name": "current_date"},
                            {"name": "agent_name"},
                        ],
                    }
                },
                "modelId": model_id,
                "inferenceConfiguration": {"text": {"temperature": 0.3, "maxTokens": 2048}},
            }
        ],
    )
    return response


def test_seed_003_prompt_management_creates_a_prompt_and_a_version(strict: BedrockEmulator) -> None:
    bedrock_agent = strict.client("bedrock-agent")
    prompt_response = _create_prompt(bedrock_agent)
    prompt_id = prompt_response["id"]
    assert prompt_response["name"] == "support-chat-system-prompt"
    assert prompt_response["version"] == "DRAFT"

    version_response = bedrock_agent.create_prompt_version(
        promptIdentifier=prompt_id, description="Version 1 — initial production release"
    )
    assert version_response["version"] == "1"
    assert version_response["arn"].endswith(f":prompt/{prompt_id}:1")
    variables = version_response["variants"][0]["templateConfiguration"]["text"]["inputVariables"]
    assert [v["name"] for v in variables] == ["company_name", "current_date", "agent_name"]

    listed = bedrock_agent.list_prompts(promptIdentifier=prompt_id)["promptSummaries"]
    assert "1" in {p["version"] for p in listed}


def test_seed_003_converse_needs_an_inference_profile_bare_or_through_the_prompt(
    bedrock_emulator: BedrockEmulator,
) -> None:
    """Default mode (Claude 3.5 Sonnet v2 is past its end of life, 2026-07-30, which lenient mode still
    serves): the bare id needs an inference profile in us-east-1, so the article's Converse is refused, and
    so is its prompt version, whose variant names the same bare id. With the variant on the ``us.``
    profile, the version ARN serves, its variables filled in."""
    bedrock_agent = bedrock_emulator.client("bedrock-agent")
    client = bedrock_emulator.client("bedrock-runtime")
    variables = {
        "company_name": {"text": "Techoral"},
        "current_date": {"text": "2026-12-07"},
        "agent_name": {"text": "Ada"},
    }

    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.converse(
            modelId=SONNET_V2,
            system=[{"text": "You are a support agent for Techoral. Be helpful and concise."}],
            messages=[{"role": "user", "content": [{"text": "How do I reset my password?"}]}],
        )
    assert "on-demand throughput isn\u2019t supported" in refused.value.response["Error"]["Message"]

    seed_version = bedrock_agent.create_prompt_version(promptIdentifier=_create_prompt(bedrock_agent)["id"])[
        "arn"
    ]
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.converse(modelId=seed_version, promptVariables=variables)
    assert "on-demand throughput isn\u2019t supported" in refused.value.response["Error"]["Message"]

    profiled = _create_prompt(bedrock_agent, "us." + SONNET_V2, name="support-chat-system-prompt-us")
    version_arn = bedrock_agent.create_prompt_version(promptIdentifier=profiled["id"])["arn"]
    response = client.converse(modelId=version_arn, promptVariables=variables)
    assert response["output"]["message"]["content"][0]["text"]
    assert response["usage"]["inputTokens"] > 40  # the whole template, its variables filled in

    with pytest.raises(client.exceptions.ValidationException):
        client.converse(modelId=version_arn, promptVariables={"company_name": {"text": "Techoral"}})


def test_seed_003_prompt_on_a_model_past_its_end_of_life_is_refused_in_strict_mode(
    strict: BedrockEmulator,
) -> None:
    bedrock_agent = strict.client("bedrock-agent")
    prompt_id = _create_prompt(bedrock_agent)["id"]
    version_arn = bedrock_agent.create_prompt_version(promptIdentifier=prompt_id)["arn"]
    client = strict.client("bedrock-runtime")
    variables = {name: {"text": "x"} for name in ("company_name", "current_date", "agent_name")}

    with pytest.raises(client.exceptions.ResourceNotFoundException) as refused:
        client.converse(modelId=version_arn, promptVariables=variables)
    assert "end of its life" in refused.value.response["Error"]["Message"]
