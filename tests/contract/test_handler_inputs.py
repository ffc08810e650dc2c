"""Handlers on the shapes layer, through real boto3 over a real socket: list operations page with the one
mechanism (``emulator/wire/pagination.py``: opaque tokens, a token the emulator did not issue refused
with ``The nextToken is invalid.``), and times in replies are written by the output serializer as the
operation's shape says (iso8601 text on the wire, datetimes in boto3). wire-facts §18."""

from __future__ import annotations

import http.client
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

INVALID_TOKEN = "The nextToken is invalid."


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response: Any = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def _all_pages(call: Any, member: str, **request: Any) -> tuple[list[Any], int]:
    items: list[Any] = []
    pages = 0
    while True:
        answer = call(**request)
        pages += 1
        items.extend(answer[member])
        token = answer.get("nextToken")
        if token is None:
            return items, pages
        request["nextToken"] = token


def test_list_inference_profiles_pages_with_opaque_tokens(bedrock_emulator: Any) -> None:
    control = bedrock_emulator.client("bedrock")
    whole = control.list_inference_profiles()["inferenceProfileSummaries"]
    assert len(whole) > 2
    paged, pages = _all_pages(control.list_inference_profiles, "inferenceProfileSummaries", maxResults=2)
    assert [p["inferenceProfileId"] for p in paged] == [p["inferenceProfileId"] for p in whole]
    assert pages == -(-len(whole) // 2)
    first = control.list_inference_profiles(maxResults=2)
    assert not first["nextToken"].isdigit()  # opaque, not an offset
    with pytest.raises(ClientError) as raised:
        control.list_inference_profiles(nextToken="2")
    assert _error(raised) == (400, "ValidationException", INVALID_TOKEN)


def test_list_guardrails_pages_and_refuses_a_token_it_did_not_issue(bedrock_emulator: Any) -> None:
    control = bedrock_emulator.client("bedrock")
    for index in range(3):
        control.create_guardrail(
            name=f"paged-{index}",
            blockedInputMessaging="no",
            blockedOutputsMessaging="no",
            wordPolicyConfig={"wordsConfig": [{"text": f"word{index}"}]},
        )
    whole = control.list_guardrails()["guardrails"]
    paged, pages = _all_pages(control.list_guardrails, "guardrails", maxResults=1)
    assert [g["id"] for g in paged] == [g["id"] for g in whole]
    assert pages == len(whole)
    assert all(isinstance(g["createdAt"], datetime) for g in whole)
    with pytest.raises(ClientError) as raised:
        control.list_guardrails(nextToken="20")
    assert _error(raised) == (400, "ValidationException", INVALID_TOKEN)


def test_a_token_from_another_list_is_refused(bedrock_emulator: Any) -> None:
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    for _ in range(2):
        runtime.create_session()
    token = runtime.list_sessions(maxResults=1)["nextToken"]
    sessions, _ = _all_pages(runtime.list_sessions, "sessionSummaries", maxResults=1)
    assert len(sessions) == 2
    control = bedrock_emulator.client("bedrock")
    with pytest.raises(ClientError) as raised:
        control.list_inference_profiles(nextToken=token)
    assert _error(raised) == (400, "ValidationException", INVALID_TOKEN)


def test_list_async_invokes_refuses_a_token_it_did_not_issue(bedrock_emulator: Any) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    with pytest.raises(ClientError) as raised:
        runtime.list_async_invokes(nextToken="5")
    assert _error(raised) == (400, "ValidationException", INVALID_TOKEN)


def _wire_bodies(client: Any) -> list[Any]:
    """The raw JSON bodies of the client's replies, as they crossed the socket."""
    bodies: list[Any] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(json.loads(http_response.content))

    client.meta.events.register("after-call", keep)
    return bodies


def test_timestamps_are_iso8601_text_on_the_wire(bedrock_emulator: Any) -> None:
    control = bedrock_emulator.client("bedrock")
    profiles = control.list_inference_profiles(maxResults=1)["inferenceProfileSummaries"]
    assert isinstance(profiles[0]["createdAt"], datetime)
    bodies = _wire_bodies(control)
    control.get_inference_profile(inferenceProfileIdentifier=profiles[0]["inferenceProfileId"])
    assert bodies[-1]["createdAt"] == "2024-08-26T00:00:00Z"
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    session_bodies = _wire_bodies(runtime)
    created = runtime.create_session()
    got = runtime.get_session(sessionIdentifier=created["sessionId"])
    assert got["createdAt"] == created["createdAt"]
    assert isinstance(got["lastUpdatedAt"], datetime)
    text = session_bodies[-1]["createdAt"]
    assert isinstance(text, str)
    assert text.endswith("Z")
    assert "+" not in text
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == got["createdAt"]


def _post(bedrock_emulator: Any, path: str, body: dict[str, Any]) -> tuple[int, str, Any]:
    """A POST the SDK cannot send (its serializer refuses wrong types): status, error type, JSON body."""
    url = urlsplit(bedrock_emulator.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": (
                    f"AWS4-HMAC-SHA256 Credential={bedrock_emulator.tenant}/20260101/us-east-1/bedrock/"
                    "aws4_request, SignedHeaders=host, Signature=00"
                ),
            },
        )
        response = connection.getresponse()
        error_type = (response.getheader("x-amzn-ErrorType") or "").split(":")[0]
        return response.status, error_type, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        # The handlers of these used to check these members by hand, each with a text of its own.
        (
            "/generateQuery",
            {"queryGenerationInput": "text", "transformationConfiguration": {}},
            "Expected null",
        ),
        (
            "/optimize-prompt",
            {"input": ["prompt"], "targetModelId": "m"},
            "Start of list found where not expected",
        ),
        (
            "/knowledgebases/KBSAMPLE01/datasources/DS1/check-ingested-document-acl",
            {"documentId": "d", "userContext": 7},
            "Expected null",
        ),
    ],
)
def test_a_structure_member_of_another_type_is_the_front_ends_refusal(
    bedrock_emulator: Any, path: str, body: dict[str, Any], message: str
) -> None:
    status, error_type, answer = _post(bedrock_emulator, path, body)
    assert (status, error_type, answer["Message"]) == (400, "SerializationException", message)
