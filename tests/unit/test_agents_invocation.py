"""One agent turn as plain events: confirmation through returnControl, answers from results, determinism."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

from emulator.agents.definition import Action, Agent, Parameter
from emulator.agents.invocation import Request, invoke, phrase, run_lambda
from emulator.state import AppState
from emulator.wire.errors import AwsError

_tenants = itertools.count()
_STATE = AppState()  # one app's stores: a session's turns see each other
_DELETE = Action(
    "files",
    "delete_file",
    "Delete a file from the shared drive",
    (Parameter("file_id", "string", "The file ID (format: FILE-XXXX)", True),),
    "LAMBDA",
    requires_confirmation=True,
    result='{"deleted": "${file_id}"}',
    answer="I deleted ${deleted}.",
)
_AGENT = Agent(
    "FILEAGENT1", "files", "You manage files on the shared drive for the team.", actions=(_DELETE,)
)


def _request(tenant: str, text: str, **extra: Any) -> Request:
    return Request(
        tenant=tenant,
        region="us-east-1",
        seed=0,
        strict=False,
        request_id="r",
        agent=_AGENT,
        agent_id="FILEAGENT1",
        alias_id="TSTALIASID",
        session_id="s1",
        input_text=text,
        state=_STATE,
        **extra,
    )


def _answer(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(base64.b64decode(p["bytes"]).decode() for kind, p in events if kind == "chunk")


def _confirm(state: str) -> str:
    tenant = f"unit-{next(_tenants)}"
    first = invoke(_request(tenant, "Please delete file FILE-0007"))
    kind, control = first.events[-1]
    assert kind == "returnControl"
    assert first.answer is None
    member = control["invocationInputs"][0]["functionInvocationInput"]
    assert member["actionInvocationType"] == "USER_CONFIRMATION"
    result = {
        "functionResult": {"actionGroup": "files", "function": "delete_file", "confirmationState": state}
    }
    second = invoke(
        _request(
            tenant,
            "",
            session_state={
                "invocationId": control["invocationId"],
                "returnControlInvocationResults": [result],
            },
        )
    )
    return _answer(second.events)


def test_confirmed_lambda_action_runs_after_return_control() -> None:
    assert _confirm("CONFIRM") == "I deleted FILE-0007."


def test_denied_action_is_not_run() -> None:
    assert _confirm("DENY") == "Understood, I have not run delete_file."


def test_same_turn_in_two_tenants_gives_identical_events_at_the_same_clock() -> None:
    def events(tenant: str) -> list[Any]:
        return invoke(
            _request(tenant, "Please delete file FILE-0007", enable_trace=True, clock=1000.0)
        ).events

    assert events(f"unit-{next(_tenants)}") == events(f"unit-{next(_tenants)}")


def test_result_template_and_answer_template_use_parameters_and_result_keys() -> None:
    result = run_lambda(_DELETE, {"file_id": "FILE-1"})
    assert result == '{"deleted": "FILE-1"}'
    assert phrase(_DELETE, {"file_id": "FILE-1"}, result) == "I deleted FILE-1."
    plain = Action("g", "ping", "Ping", (), "LAMBDA")
    assert phrase(plain, {}, "pong") == "Here is what ping returned: pong"


def test_forget_drops_the_tenants_session_state() -> None:
    tenant = f"unit-{next(_tenants)}"
    first = invoke(_request(tenant, "Please delete file FILE-0007"))
    assert first.events[-1][0] == "returnControl"
    _STATE.forget(tenant)
    result = {"functionResult": {"actionGroup": "files", "confirmationState": "CONFIRM"}}
    with pytest.raises(AwsError, match="ValidationException"):
        invoke(_request(tenant, "", session_state={"returnControlInvocationResults": [result]}))
