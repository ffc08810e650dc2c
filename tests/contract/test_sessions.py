"""The Sessions API through real boto3 over a real socket: sessions, invocations and invocation steps."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

_UUID = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")
_ARN = re.compile(r"^arn:aws:bedrock:us-east-1:[0-9]{12}:session/[a-f0-9-]{36}$")


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-agent-runtime")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_create_session_answers_201_with_uuid_arn_and_active_status(runtime: Any) -> None:
    created = runtime.create_session(sessionMetadata={"user": "ada"}, tags={"team": "support"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert _UUID.match(created["sessionId"])
    assert _ARN.match(created["sessionArn"])
    assert created["sessionArn"].endswith(created["sessionId"])
    assert created["sessionStatus"] == "ACTIVE"
    assert isinstance(created["createdAt"], datetime)


def test_get_session_by_id_or_arn_returns_metadata(runtime: Any) -> None:
    created = runtime.create_session(sessionMetadata={"user": "ada"})
    for identifier in (created["sessionId"], created["sessionArn"]):
        got = runtime.get_session(sessionIdentifier=identifier)
        assert got["sessionId"] == created["sessionId"]
        assert got["sessionMetadata"] == {"user": "ada"}
        assert got["sessionStatus"] == "ACTIVE"
        assert got["lastUpdatedAt"] >= got["createdAt"]


def test_update_session_replaces_metadata(runtime: Any) -> None:
    session_id = runtime.create_session(sessionMetadata={"user": "ada"})["sessionId"]
    updated = runtime.update_session(sessionIdentifier=session_id, sessionMetadata={"lang": "fr"})
    assert updated["sessionStatus"] == "ACTIVE"
    assert runtime.get_session(sessionIdentifier=session_id)["sessionMetadata"] == {"lang": "fr"}


def test_end_session_then_ending_again_is_a_conflict(runtime: Any) -> None:
    session_id = runtime.create_session()["sessionId"]
    ended = runtime.end_session(sessionIdentifier=session_id)
    assert ended["sessionStatus"] == "ENDED"
    assert runtime.get_session(sessionIdentifier=session_id)["sessionStatus"] == "ENDED"
    with pytest.raises(ClientError) as error:
        runtime.end_session(sessionIdentifier=session_id)
    assert _code(error) == "ConflictException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_ended_session_takes_no_new_invocations_or_steps(runtime: Any) -> None:
    session_id = runtime.create_session()["sessionId"]
    invocation_id = runtime.create_invocation(sessionIdentifier=session_id)["invocationId"]
    runtime.end_session(sessionIdentifier=session_id)
    with pytest.raises(ClientError) as error:
        runtime.create_invocation(sessionIdentifier=session_id)
    assert _code(error) == "ConflictException"
    with pytest.raises(ClientError) as error:
        runtime.put_invocation_step(
            sessionIdentifier=session_id,
            invocationIdentifier=invocation_id,
            invocationStepTime=datetime.now(UTC),
            payload={"contentBlocks": [{"text": "late"}]},
        )
    assert _code(error) == "ConflictException"


def test_delete_session_needs_it_ended_first(runtime: Any) -> None:
    session_id = runtime.create_session()["sessionId"]
    with pytest.raises(ClientError) as error:
        runtime.delete_session(sessionIdentifier=session_id)
    assert _code(error) == "ConflictException"
    runtime.end_session(sessionIdentifier=session_id)
    runtime.delete_session(sessionIdentifier=session_id)
    with pytest.raises(ClientError) as error:
        runtime.get_session(sessionIdentifier=session_id)
    assert _code(error) == "ResourceNotFoundException"


def test_unknown_session_is_resource_not_found_and_malformed_id_is_validation(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        runtime.get_session(sessionIdentifier=str(uuid.UUID(int=7)))
    assert _code(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        runtime.get_session(sessionIdentifier="not-a-session")
    assert _code(error) == "ValidationException"


def test_list_sessions_pages_newest_first_and_stays_within_the_tenant(
    runtime: Any, bedrock_emulator: Any
) -> None:
    ids = [runtime.create_session()["sessionId"] for _ in range(3)]
    first = runtime.list_sessions(maxResults=2)
    assert len(first["sessionSummaries"]) == 2
    second = runtime.list_sessions(maxResults=2, nextToken=first["nextToken"])
    listed = [s["sessionId"] for s in first["sessionSummaries"] + second["sessionSummaries"]]
    assert sorted(listed) == sorted(ids)
    assert "nextToken" not in second
    import boto3

    other = boto3.client(
        "bedrock-agent-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{bedrock_emulator.tenant}-other",
        aws_secret_access_key="x",
    )
    assert other.list_sessions()["sessionSummaries"] == []
    with pytest.raises(ClientError) as error:
        other.get_session(sessionIdentifier=ids[0])
    assert _code(error) == "ResourceNotFoundException"
    other.close()


def test_create_invocation_with_an_existing_id_is_a_conflict(runtime: Any) -> None:
    session_id = runtime.create_session()["sessionId"]
    invocation_id = str(uuid.UUID(int=42, version=4))
    created = runtime.create_invocation(
        sessionIdentifier=session_id, invocationId=invocation_id, description="turn 1"
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["invocationId"] == invocation_id
    assert created["sessionId"] == session_id
    with pytest.raises(ClientError) as error:
        runtime.create_invocation(sessionIdentifier=session_id, invocationId=invocation_id)
    assert _code(error) == "ConflictException"
    listed = runtime.list_invocations(sessionIdentifier=session_id)["invocationSummaries"]
    assert [i["invocationId"] for i in listed] == [invocation_id]


def test_invocation_steps_round_trip_and_list_newest_first(runtime: Any) -> None:
    session_id = runtime.create_session()["sessionId"]
    invocation_id = runtime.create_invocation(sessionIdentifier=session_id)["invocationId"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    step_ids = []
    for minute in range(3):
        put = runtime.put_invocation_step(
            sessionIdentifier=session_id,
            invocationIdentifier=invocation_id,
            invocationStepTime=start + timedelta(minutes=minute),
            payload={"contentBlocks": [{"text": f"step {minute}"}]},
        )
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 201
        step_ids.append(put["invocationStepId"])
    listed = runtime.list_invocation_steps(sessionIdentifier=session_id, invocationIdentifier=invocation_id)
    assert [s["invocationStepId"] for s in listed["invocationStepSummaries"]] == step_ids[::-1]
    latest = runtime.list_invocation_steps(
        sessionIdentifier=session_id, invocationIdentifier=invocation_id, maxResults=1
    )
    assert latest["invocationStepSummaries"][0]["invocationStepId"] == step_ids[-1]
    assert "nextToken" in latest
    step = runtime.get_invocation_step(
        sessionIdentifier=session_id, invocationIdentifier=invocation_id, invocationStepId=step_ids[1]
    )["invocationStep"]
    assert step["payload"] == {"contentBlocks": [{"text": "step 1"}]}
    assert step["invocationStepTime"] == start + timedelta(minutes=1)
    assert step["invocationId"] == invocation_id


def test_steps_of_an_unknown_invocation_are_resource_not_found(runtime: Any) -> None:
    session_id = runtime.create_session()["sessionId"]
    missing = str(uuid.UUID(int=9, version=4))
    with pytest.raises(ClientError) as error:
        runtime.list_invocation_steps(sessionIdentifier=session_id, invocationIdentifier=missing)
    assert _code(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        runtime.put_invocation_step(
            sessionIdentifier=session_id,
            invocationIdentifier=missing,
            invocationStepTime=datetime.now(UTC),
            payload={"contentBlocks": [{"text": "x"}]},
        )
    assert _code(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        runtime.get_invocation_step(
            sessionIdentifier=session_id, invocationIdentifier=missing, invocationStepId=missing
        )
    assert _code(error) == "ResourceNotFoundException"
