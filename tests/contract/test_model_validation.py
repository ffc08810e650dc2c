"""The model check over a real socket: boto3 with its own parameter validation off (so invalid input
reaches the server) gets AWS's ``N validation errors detected`` for each of the four services, and a
refused create leaves nothing behind (wire-facts.md §10)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator.pytest_plugin import BedrockEmulator

ERROR_TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
MODEL = "amazon.nova-micro-v1:0"


def _client(emulator: BedrockEmulator, service: str) -> Any:
    return emulator.client(service, parameter_validation=False)


def _refusal(caught: pytest.ExceptionInfo[Any]) -> tuple[int, str, str, str]:
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_converse_lists_every_broken_constraint_in_model_order(bedrock_emulator: BedrockEmulator) -> None:
    runtime = _client(bedrock_emulator, "bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.converse(
            modelId=MODEL,
            messages=[{"role": "robot", "content": [{"text": "hi"}]}],
            inferenceConfig={"maxTokens": 0, "temperature": 1.5},
        )
    assert _refusal(caught) == (
        400,
        ERROR_TYPE,
        "ValidationException",
        "3 validation errors detected: "
        "Value 'robot' at 'messages.1.member.role' failed to satisfy constraint: "
        "Member must satisfy enum value set: [user, assistant, system]; "
        "Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1; "
        "Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: "
        "Member must have value less than or equal to 1",
    )


def test_an_ill_formed_model_id_gets_the_pattern_a_well_formed_unknown_one_bedrocks_text(
    bedrock_emulator: BedrockEmulator,
) -> None:
    runtime = _client(bedrock_emulator, "bedrock-runtime")
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.converse(modelId="anthropic.claude-v2 100k", messages=messages)
    message = _refusal(caught)[3]
    assert message.startswith(
        "1 validation error detected: Value 'anthropic.claude-v2 100k' at 'modelId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: (arn:aws(-[^:]+)?:bedrock:"
    )
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.converse(modelId="acme.no-such-model-v1:0", messages=messages)
    assert _refusal(caught)[3] == "The provided model identifier is invalid."


def test_retrieve_names_a_nested_member_by_its_path(bedrock_emulator: BedrockEmulator) -> None:
    agent_runtime = _client(bedrock_emulator, "bedrock-agent-runtime")
    with pytest.raises(agent_runtime.exceptions.ValidationException) as caught:
        agent_runtime.retrieve(
            knowledgeBaseId="ABCDEFGHIJ",
            retrievalQuery={"text": "refunds"},
            retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 0}},
        )
    assert _refusal(caught)[3] == (
        "1 validation error detected: Value '0' at "
        "'retrievalConfiguration.vectorSearchConfiguration.numberOfResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_query_members_are_checked_typed_and_refused_when_not_of_their_type(
    bedrock_emulator: BedrockEmulator,
) -> None:
    control = _client(bedrock_emulator, "bedrock")
    with pytest.raises(control.exceptions.ValidationException) as caught:
        control.list_inference_profiles(maxResults=0)
    assert _refusal(caught)[3] == (
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    status, error_type, body = _raw_get(bedrock_emulator, "/inference-profiles?maxResults=ten")
    assert status == 400
    assert error_type.startswith("SerializationException:")
    assert body == {"Message": "STRING_VALUE can not be converted to an Integer"}


def test_a_refused_create_hides_sensitive_values_and_creates_nothing(
    bedrock_emulator: BedrockEmulator,
) -> None:
    agent = _client(bedrock_emulator, "bedrock-agent")
    with pytest.raises(agent.exceptions.ValidationException) as caught:
        agent.create_agent(agentName="support agent", instruction="Too short.")
    assert _refusal(caught) == (
        400,
        ERROR_TYPE,
        "ValidationException",
        "2 validation errors detected: "
        "Value 'support agent' at 'agentName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ([0-9a-zA-Z][_-]?){1,100}; "
        "Value at 'instruction' failed to satisfy constraint: "
        "Member must have length greater than or equal to 40",
    )
    assert "support agent" not in [summary["agentName"] for summary in agent.list_agents()["agentSummaries"]]


def _raw_get(emulator: BedrockEmulator, path: str) -> tuple[int, str, Any]:
    url = urlsplit(emulator.endpoint_url)
    headers = {
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={emulator.tenant}/20260101/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=host, Signature=00"
        )
    }
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("x-amzn-ErrorType") or "", json.loads(response.read())
    finally:
        connection.close()
