"""The control plane's record machinery without a server: account ids, ids, ARNs read back, statuses on
the virtual clock, views by output shape, and which operations take a client token."""

from __future__ import annotations

from typing import Any

from emulator.control import arns, guard, lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.ids import new_id
from emulator.control.views import view
from emulator.services.exchange import OperationCall
from emulator.state import AppState


def _call(tenant: str = "alice", *, now: float = 100.0, state: AppState | None = None) -> OperationCall:
    return OperationCall(
        service="bedrock-agent",
        operation="GetAgent",
        labels={},
        headers={},
        query={},
        raw_body=b"",
        region="us-east-1",
        tenant=tenant,
        request_id="r",
        strict=True,
        seed=7,
        now=now,
        state=state or AppState(),
    )


def test_account_ids_are_twelve_digits_stable_and_per_tenant() -> None:
    assert account_id("alice") == account_id("alice")
    assert account_id("alice") != account_id("bob")
    assert len(account_id("alice")) == 12
    assert account_id("alice").isdigit()


def test_ids_are_deterministic_per_tenant_and_never_the_test_alias() -> None:
    one, other = AppState(), AppState()
    first = [new_id(_call(state=one), "agent") for _ in range(3)]
    again = [new_id(_call(state=other), "agent") for _ in range(3)]  # another app: the same sequence
    assert first == again
    assert len(set(first)) == 3
    assert all(len(i) == 10 and i.isalnum() and i == i.upper() for i in first)
    assert new_id(_call("bob"), "agent") != first[0]


def test_arns_resolve_to_the_callers_records_only() -> None:
    call = _call()
    arn = arns.agent_alias(call, "AGENT00001", "ALIAS00001")
    assert arn == f"arn:aws:bedrock:us-east-1:{account_id('alice')}:agent-alias/AGENT00001/ALIAS00001"
    assert arns.resolve(call, arn) == (resources.AGENT_ALIAS, "AGENT00001/ALIAS00001")
    assert arns.resolve(call, arns.prompt(call, "PROMPT0001", "3")) == (
        resources.PROMPT_VERSION,
        "PROMPT0001/3",
    )
    assert arns.resolve(_call("bob"), arn) is None  # another account's
    assert arns.resolve(call, arn.replace("us-east-1", "eu-west-1")) is None


def test_statuses_settle_on_the_clock_and_deletion_removes_the_record() -> None:
    state = AppState()
    record: dict[str, Any] = {"status": "CREATING"}
    lifecycle.schedule(record, [(101.0, {"status": "ACTIVE"}), (103.0, {lifecycle.GONE: True})])
    resources.save(_call(state=state), resources.KNOWLEDGE_BASE, "KB", record)
    assert resources.read(_call(now=100.5, state=state), resources.KNOWLEDGE_BASE, "KB") == {
        "status": "CREATING",
        lifecycle.TIMELINE: [[101.0, {"status": "ACTIVE"}], [103.0, {lifecycle.GONE: True}]],
    }
    assert resources.read(_call(now=102.0, state=state), resources.KNOWLEDGE_BASE, "KB")["status"] == "ACTIVE"
    assert resources.read(_call(now=103.0, state=state), resources.KNOWLEDGE_BASE, "KB") is None
    assert state.store.get("alice", resources.KNOWLEDGE_BASE.store_kind, "KB") is None


def test_timestamps_follow_the_virtual_clock() -> None:
    assert lifecycle.iso(100.0) < lifecycle.iso(160.0)
    assert lifecycle.iso(100.0).endswith("Z")


def test_a_view_keeps_only_what_the_output_shape_declares() -> None:
    record = {
        "knowledgeBaseId": "KB",
        "name": "n",
        "status": "ACTIVE",
        "updatedAt": "2026-01-01T00:00:00Z",
        "roleArn": "arn",
        "clientToken": "t",
        lifecycle.TIMELINE: [],
        "knowledgeBaseConfiguration": {"type": "VECTOR", "unknown": 1},
    }
    assert view(record, "KnowledgeBaseSummary") == {
        "knowledgeBaseId": "KB",
        "name": "n",
        "status": "ACTIVE",
        "updatedAt": "2026-01-01T00:00:00Z",
    }
    assert view(record, "KnowledgeBase")["knowledgeBaseConfiguration"] == {"type": "VECTOR"}


def test_client_token_members_come_from_the_model() -> None:
    assert guard.token_member("bedrock-agent", "CreateAgent") == "clientToken"
    assert guard.token_member("bedrock-agent", "StartIngestionJob") == "clientToken"
    assert guard.token_member("bedrock-agent", "UpdateAgent") is None
