"""The per-app state layer with plain values: the Store's contract, AppState's extras and forgetting,
an app's definitions, and stores that keep nothing of a refused request."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from emulator import agents, flows, guardrails
from emulator.agents.session_management import session_store
from emulator.bedrock_control import guardrails as control_guardrails
from emulator.definitions import kind_named
from emulator.services.exchange import JsonReply, OperationCall
from emulator.state import AppState, MemoryStore
from emulator.wire.errors import AwsError

AGENTS_FILE = """
agents:
  - id: FILEAGENT1
    name: from-a-file
    instruction: You answer questions about the files on the shared drive of the team.
"""


# -- the Store -------------------------------------------------------------------------------------------


def test_values_are_copied_in_and_out() -> None:
    store = MemoryStore()
    value = {"tags": {"a": "1"}}
    store.put("t", "kind", "k", value)
    value["tags"]["a"] = "changed"
    read = store.get("t", "kind", "k")
    read["tags"]["a"] = "changed too"
    assert store.get("t", "kind", "k") == {"tags": {"a": "1"}}


def test_put_new_refuses_an_existing_key_and_keys_keep_creation_order() -> None:
    store = MemoryStore()
    assert store.put_new("t", "kind", "b", 1)
    assert store.put_new("t", "kind", "a", 2)
    assert not store.put_new("t", "kind", "b", 3)
    store.put("t", "kind", "b", 4)  # a replaced value keeps its place
    assert store.keys("t", "kind") == ["b", "a"]
    assert store.list("t", "kind") == [("b", 4), ("a", 2)]
    assert store.keys("other", "kind") == []


def test_an_update_that_raises_writes_nothing() -> None:
    store = MemoryStore()
    store.put("t", "kind", "k", {"n": 1})

    def refuse(value: dict[str, Any]) -> dict[str, Any]:
        value["n"] = 2
        raise AwsError("ConflictException", "no")

    with pytest.raises(AwsError):
        store.update("t", "kind", "k", refuse)
    assert store.get("t", "kind", "k") == {"n": 1}
    assert store.update("t", "kind", "absent", refuse) is None


def test_increments_are_atomic_and_per_tenant() -> None:
    store = MemoryStore()
    threads = [
        threading.Thread(target=lambda: [store.increment("t", "counter", "c") for _ in range(500)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.increment("t", "counter", "c", by=0) == 2000
    assert store.increment("u", "counter", "c") == 1


def test_forget_drops_one_tenant_or_all() -> None:
    store = MemoryStore()
    for tenant in ("a", "b", "c"):
        store.put(tenant, "kind", "k", tenant)
    store.forget("a")
    assert [store.get(t, "kind", "k") for t in ("a", "b", "c")] == [None, "b", "c"]
    store.forget(None)
    assert [store.get(t, "kind", "k") for t in ("a", "b", "c")] == [None, None, None]


# -- AppState ----------------------------------------------------------------------------------------------


class _PerTenant:
    def __init__(self) -> None:
        self.tenants = {"a", "b"}

    def forget(self, tenant: str | None) -> None:
        self.tenants = set() if tenant is None else self.tenants - {tenant}


def test_an_extra_is_made_once_and_forgets_with_its_tenant() -> None:
    state = AppState()
    made = state.extra("per-tenant", _PerTenant)
    assert state.extra("per-tenant", _PerTenant) is made
    state.store.put("a", "kind", "k", 1)
    state.forget("a")
    assert made.tenants == {"b"}
    assert state.store.get("a", "kind", "k") is None
    state.forget(None)
    assert made.tenants == set()


def test_two_app_states_share_no_values_no_extras_and_no_definitions(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text(AGENTS_FILE)
    first, second = AppState(), AppState()
    first.store.put("t", "kind", "k", 1)
    agents.configure(first, [path])
    assert second.store.get("t", "kind", "k") is None
    assert first.extra("x", object) is not second.extra("x", object)
    assert "FILEAGENT1" in agents.current(first).agents
    assert "FILEAGENT1" not in agents.current(second).agents


# -- definitions -------------------------------------------------------------------------------------------


def test_an_unconfigured_kind_is_built_on_first_use_from_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text(AGENTS_FILE)
    monkeypatch.setenv("BEDROCK_EMULATOR_AGENTS", str(path))
    state = AppState()
    assert agents.current(state) is agents.current(state)  # built once
    assert "FILEAGENT1" in agents.current(state).agents


def test_replaced_definitions_are_put_back_afterwards(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text(AGENTS_FILE)
    state = AppState()
    before = agents.current(state)
    kind = kind_named("agents")
    with state.definitions.replaced(kind, kind.build([path])):
        assert "FILEAGENT1" in agents.current(state).agents
    assert agents.current(state) is before


def test_a_bad_file_is_refused_when_configured_and_the_old_registry_stays(tmp_path: Path) -> None:
    state = AppState()
    before = flows.current(state)
    bad = tmp_path / "flows.yaml"
    bad.write_text("flows: [{id: SHORT}]\n")
    with pytest.raises(ValueError, match=r"flows\.yaml"):
        flows.configure(state, [bad])
    assert flows.current(state) is before


def test_kinds_are_named_as_serve_names_them() -> None:
    assert {kind_named(n).name for n in ("agents", "flows", "knowledge_bases", "guardrails")} == {
        "agents",
        "flows",
        "knowledge_bases",
        "guardrails",
    }
    with pytest.raises(ValueError, match="no definitions named 'prompts'"):
        kind_named("prompts")


# -- nothing of a refused request is kept -----------------------------------------------------------------


def _create_guardrail_call(state: AppState, body: dict[str, Any]) -> OperationCall:
    return OperationCall(
        service="bedrock",
        operation="CreateGuardrail",
        labels={},
        headers={},
        query={},
        raw_body=json.dumps(body).encode(),
        region="us-east-1",
        tenant="t",
        request_id="r",
        strict=True,
        seed=7,
        now=100.0,
        state=state,
    )


def test_a_refused_create_guardrail_neither_keeps_nor_counts_anything() -> None:
    refused, fresh = AppState(), AppState()
    body = {"name": "ok", "blockedInputMessaging": "no", "blockedOutputsMessaging": "no"}
    with pytest.raises(AwsError):
        control_guardrails.create_guardrail(
            _create_guardrail_call(refused, {**body, "name": "not a valid name!"})
        )
    assert refused.store.list("t", guardrails.registry.DRAFTS) == []
    made = control_guardrails.create_guardrail(_create_guardrail_call(refused, body))
    again = control_guardrails.create_guardrail(_create_guardrail_call(fresh, body))
    assert isinstance(made, JsonReply)
    assert isinstance(again, JsonReply)
    assert made.body["guardrailId"] == again.body["guardrailId"]


def test_a_refused_session_change_keeps_the_session_and_the_ids_as_they_were() -> None:
    refused, fresh = AppState(), AppState()
    for state in (refused, fresh):
        sessions = session_store(state)
        session = sessions.create("t", "us-east-1", 0, {}, None, {})
        sessions.end("t", session.session_id)
        with pytest.raises(AwsError, match="ENDED"):
            sessions.update("t", session.session_id, {"changed": "yes"})
    with pytest.raises(AwsError, match="ENDED"):
        session_store(refused).create_invocation("t", 0, session.session_id, None, None)
    assert session_store(refused).get("t", session.session_id).metadata == {}
    assert (
        session_store(refused).create("t", "us-east-1", 0, {}, None, {}).session_id
        == session_store(fresh).create("t", "us-east-1", 0, {}, None, {}).session_id
    )
