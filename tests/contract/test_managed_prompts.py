"""Prompts from Prompt management as Converse / ConverseStream model ids, through real boto3 in
``--strict`` mode: what the model sees is the prompt the caller created, its variables filled in.

The stand-in model's words and token counts are a deterministic function of the conversation it is
given, so "the model saw the substituted prompt" is checked by comparing with a plain Converse of the
conversation the prompt should expand to: same text, same usage."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest

from emulator.pytest_plugin import BedrockEmulator

MODEL = "amazon.nova-micro-v1:0"
INFERENCE = {"maxTokens": 60, "temperature": 0.2, "stopSequences": ["END"]}
TEMPLATE = "Write a haiku about {{topic}} for a reader in {{city}}."
_names = itertools.count(1)


@pytest.fixture
def clients(bedrock_emulator: BedrockEmulator) -> tuple[Any, Any]:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: prompts-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator.client("bedrock-agent"), bedrock_emulator.client("bedrock-runtime")


def text_variant(template: str = TEMPLATE, **extra: Any) -> dict[str, Any]:
    return {
        "name": "main",
        "templateType": "TEXT",
        "modelId": MODEL,
        "templateConfiguration": {
            "text": {"text": template, "inputVariables": [{"name": "topic"}, {"name": "city"}]}
        },
        "inferenceConfiguration": {"text": INFERENCE},
        **extra,
    }


def create(agent: Any, *variants: dict[str, Any], default: str = "main") -> dict[str, Any]:
    prompt: dict[str, Any] = agent.create_prompt(
        name=f"prompt-{next(_names)}", variants=list(variants), defaultVariant=default
    )
    return prompt


def version_arn(agent: Any, prompt: dict[str, Any]) -> str:
    arn: str = agent.create_prompt_version(promptIdentifier=prompt["id"])["arn"]
    return arn


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def answer(response: dict[str, Any]) -> tuple[str, dict[str, int], str]:
    usage = {k: response["usage"][k] for k in ("inputTokens", "outputTokens")}
    return response["output"]["message"]["content"][0]["text"], usage, response["stopReason"]


def error_of(raised: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


VARIABLES = {"topic": {"text": "tides"}, "city": {"text": "Lisbon"}}


def test_a_prompt_version_runs_its_template_with_the_variables_substituted(clients: tuple[Any, Any]) -> None:
    agent, runtime = clients
    arn = version_arn(agent, create(agent, text_variant()))

    by_prompt = runtime.converse(modelId=arn, promptVariables=VARIABLES)
    plain = runtime.converse(
        modelId=MODEL,
        messages=[user("Write a haiku about tides for a reader in Lisbon.")],
        inferenceConfig=INFERENCE,
    )

    assert answer(by_prompt) == answer(plain)
    other = runtime.converse(modelId=arn, promptVariables={**VARIABLES, "topic": {"text": "lighthouses"}})
    assert answer(other)[0] != answer(by_prompt)[0]
    assert by_prompt["usage"]["outputTokens"] <= INFERENCE["maxTokens"]


def test_the_request_messages_are_appended_after_a_chat_prompt(clients: tuple[Any, Any]) -> None:
    agent, runtime = clients
    chat = {
        "name": "chatty",
        "templateType": "CHAT",
        "modelId": MODEL,
        "templateConfiguration": {
            "chat": {
                "system": [{"text": "You answer questions about {{city}}."}],
                "messages": [
                    user("What is {{topic}}?"),
                    {"role": "assistant", "content": [{"text": "A fado."}]},
                ],
                "inputVariables": [{"name": "topic"}, {"name": "city"}],
            }
        },
    }
    arn = version_arn(agent, create(agent, chat, default="chatty"))
    follow_up = [user("And where can I hear one?")]

    by_prompt = runtime.converse(modelId=arn, promptVariables=VARIABLES, messages=follow_up)
    plain = runtime.converse(
        modelId=MODEL,
        system=[{"text": "You answer questions about Lisbon."}],
        messages=[
            user("What is tides?"),
            {"role": "assistant", "content": [{"text": "A fado."}]},
            *follow_up,
        ],
    )

    assert answer(by_prompt) == answer(plain)


def test_converse_stream_runs_the_prompt_too(clients: tuple[Any, Any]) -> None:
    agent, runtime = clients
    arn = version_arn(agent, create(agent, text_variant()))

    events = list(runtime.converse_stream(modelId=arn, promptVariables=VARIABLES)["stream"])
    streamed = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    [metadata] = [e["metadata"] for e in events if "metadata" in e]

    text, usage, _ = answer(runtime.converse(modelId=arn, promptVariables=VARIABLES))
    assert streamed == text
    assert {k: metadata["usage"][k] for k in usage} == usage


def test_a_variable_without_a_value_is_refused(clients: tuple[Any, Any]) -> None:
    agent, runtime = clients
    arn = version_arn(agent, create(agent, text_variant()))

    with pytest.raises(runtime.exceptions.ValidationException) as raised:
        runtime.converse(modelId=arn, promptVariables={"topic": {"text": "tides"}})

    assert error_of(raised) == (
        400,
        "ValidationException",
        "The prompt has variables without values: city. "
        "Provide a value for each of them in promptVariables and try again.",
    )


@pytest.mark.parametrize(
    "member",
    [
        {"inferenceConfig": {}},
        {"inferenceConfig": {"maxTokens": 10}},
        {"system": [{"text": "Be brief."}]},
        {"additionalModelRequestFields": {"top_k": 5}},
        {"toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "object"}}}}]}},
    ],
    ids=lambda member: next(iter(member)),
)
def test_fields_the_prompt_defines_cannot_be_sent_with_it(
    clients: tuple[Any, Any], member: dict[str, Any]
) -> None:
    agent, runtime = clients
    arn = version_arn(agent, create(agent, text_variant()))

    with pytest.raises(runtime.exceptions.ValidationException) as raised:
        runtime.converse(modelId=arn, promptVariables=VARIABLES, **member)

    name = next(iter(member))
    assert error_of(raised)[2] == (
        f"You can't include the {name} field in a request that uses a prompt from Prompt management. "
        "Define it in the prompt and try again."
    )


def test_the_prompt_arn_without_a_version_runs_the_draft(clients: tuple[Any, Any]) -> None:
    agent, runtime = clients
    prompt = create(agent, text_variant())
    first = version_arn(agent, prompt)
    agent.update_prompt(
        promptIdentifier=prompt["id"], name=prompt["name"], variants=[text_variant("Describe {{topic}}.")]
    )

    draft = answer(runtime.converse(modelId=prompt["arn"], promptVariables={"topic": {"text": "tides"}}))
    plain = answer(
        runtime.converse(modelId=MODEL, messages=[user("Describe tides.")], inferenceConfig=INFERENCE)
    )

    assert draft == plain
    with pytest.raises(runtime.exceptions.ValidationException):  # version 1 still has {{city}}
        runtime.converse(modelId=first, promptVariables={"topic": {"text": "tides"}})


def test_an_unknown_or_deleted_prompt_is_resource_not_found(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    prompt = create(agent, text_variant())
    arn = version_arn(agent, prompt)
    agent.delete_prompt(promptIdentifier=prompt["id"], promptVersion="1")

    for missing in (arn, f"{prompt['arn']}:7", prompt["arn"].rsplit("/", 1)[0] + "/NOSUCHPRMT"):
        with pytest.raises(runtime.exceptions.ResourceNotFoundException) as raised:
            runtime.converse(modelId=missing, promptVariables=VARIABLES)
        assert error_of(raised)[:2] == (404, "ResourceNotFoundException")


def test_another_tenants_prompt_is_not_found(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, _ = clients
    arn = version_arn(agent, create(agent, text_variant()))
    stranger = boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        aws_access_key_id=f"{bedrock_emulator.tenant}-other",
        aws_secret_access_key="emulator",
        region_name=bedrock_emulator.region,
    )
    with pytest.raises(stranger.exceptions.ResourceNotFoundException):
        stranger.converse(modelId=arn, promptVariables=VARIABLES)
    bedrock_emulator.admin("POST", "reset", {"tenant": f"{bedrock_emulator.tenant}-other"})
