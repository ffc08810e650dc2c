"""Run a Bedrock agent whose action groups return control to the caller: the agent decides which
function (or API operation) to call, ``InvokeAgent`` ends its turn with a ``returnControl`` event, this
client runs the matching local Python function and sends what it returned back in
``sessionState.returnControlInvocationResults``, until the agent answers in text.

The loop is bounded (``max_rounds``); a function that raises is reported to the agent as a ``FAILURE``
rather than crashing the conversation, and an action the caller has no function for is reported too.
Each ``InvokeAgent`` call (request and its whole event stream) can go through a ``Retrier``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .retry import Retrier

__all__ = ["ActionCall", "AgentLoopError", "AgentTurn", "Tool", "run_agent"]

Tool = Callable[..., Any]


@dataclass
class ActionCall:
    """One action the agent asked for, and what the local function made of it."""

    action_group: str
    name: str  # the function name, or "METHOD /path" for an OpenAPI operation
    arguments: dict[str, Any]
    kind: str  # "function" or "api"
    api_path: str | None = None
    http_method: str | None = None
    needs_confirmation: bool = False
    confirmed: bool | None = None
    result: str | None = None
    failed: bool = False


@dataclass
class AgentTurn:
    """The agent's final answer, and every action it had the caller run on the way."""

    answer: str
    session_id: str
    calls: list[ActionCall] = field(default_factory=list)
    rounds: int = 0


class AgentLoopError(Exception):
    """The agent kept returning control past ``max_rounds``."""


def _value(parameter: Mapping[str, Any]) -> Any:
    """A parameter's value (always sent as a string) converted by its declared type."""
    raw = str(parameter.get("value", ""))
    kind = str(parameter.get("type", "string")).lower()
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
        if kind == "boolean":
            return raw.strip().lower() == "true"
        if kind in ("array", "object"):
            return json.loads(raw)
    except ValueError:
        return raw  # keep what was sent; the function can judge it
    return raw


def _arguments(parameters: Any) -> dict[str, Any]:
    return {str(p["name"]): _value(p) for p in parameters or ()}


def _action_call(entry: Mapping[str, Any]) -> ActionCall:
    if "functionInvocationInput" in entry:
        function = entry["functionInvocationInput"]
        return ActionCall(
            action_group=function["actionGroup"],
            name=function["function"],
            arguments=_arguments(function.get("parameters")),
            kind="function",
            needs_confirmation=function.get("actionInvocationType") == "USER_CONFIRMATION",
        )
    api = entry["apiInvocationInput"]
    arguments = _arguments(api.get("parameters"))
    body = api.get("requestBody", {}).get("content", {}).get("application/json", {})
    arguments.update(_arguments(body.get("properties")))
    method = str(api.get("httpMethod", "GET")).upper()
    return ActionCall(
        action_group=api["actionGroup"],
        name=f"{method} {api['apiPath']}",
        arguments=arguments,
        kind="api",
        api_path=api["apiPath"],
        http_method=method,
        needs_confirmation=api.get("actionInvocationType") == "USER_CONFIRMATION",
    )


def _find_tool(tools: Mapping[str, Tool], call: ActionCall) -> Tool | None:
    if call.name in tools:
        return tools[call.name]
    if call.api_path is not None:
        return tools.get(call.api_path)
    return None


def _run(call: ActionCall, tools: Mapping[str, Tool], confirm: Callable[[ActionCall], bool] | None) -> None:
    if call.needs_confirmation:
        call.confirmed = bool(confirm(call)) if confirm is not None else False
        if not call.confirmed:
            call.result = json.dumps({"error": "the user did not confirm this action"})
            return
    tool = _find_tool(tools, call)
    if tool is None:
        call.failed = True
        call.result = json.dumps({"error": f"no local function for {call.name}"})
        return
    try:
        value = tool(**call.arguments)
    except Exception as error:  # reported to the agent, which can explain or try something else
        call.failed = True
        call.result = json.dumps({"error": f"{type(error).__name__}: {error}"})
        return
    call.result = value if isinstance(value, str) else json.dumps(value, default=str)


def _invocation_result(call: ActionCall) -> dict[str, Any]:
    if call.kind == "function":
        result: dict[str, Any] = {
            "actionGroup": call.action_group,
            "function": call.name,
            "responseBody": {"TEXT": {"body": call.result or ""}},
        }
        if call.failed:
            result["responseState"] = "FAILURE"
        if call.needs_confirmation:
            result["confirmationState"] = "CONFIRM" if call.confirmed else "DENY"
        return {"functionResult": result}
    api: dict[str, Any] = {
        "actionGroup": call.action_group,
        "apiPath": call.api_path,
        "httpMethod": call.http_method,
        "httpStatusCode": 500 if call.failed else 200,
        "responseBody": {"application/json": {"body": call.result or ""}},
    }
    if call.failed:
        api["responseState"] = "FAILURE"
    if call.needs_confirmation:
        api["confirmationState"] = "CONFIRM" if call.confirmed else "DENY"
    return {"apiResult": api}


def _invoke(runtime: Any, request: dict[str, Any]) -> tuple[str, Mapping[str, Any] | None]:
    """One InvokeAgent call read to its end: the text chunks, and the returnControl payload if any."""
    response = runtime.invoke_agent(**request)
    text: list[str] = []
    control: Mapping[str, Any] | None = None
    for event in response["completion"]:
        if "chunk" in event:
            text.append(event["chunk"].get("bytes", b"").decode("utf-8"))
        elif "returnControl" in event:
            control = event["returnControl"]
    return "".join(text), control


def run_agent(
    runtime: Any,
    *,
    agent_id: str,
    agent_alias_id: str,
    session_id: str,
    input_text: str,
    tools: Mapping[str, Tool],
    confirm: Callable[[ActionCall], bool] | None = None,
    retrier: Retrier | None = None,
    max_rounds: int = 10,
    **invoke_options: Any,
) -> AgentTurn:
    """Ask the agent ``input_text`` and run the actions it returns control for, until it answers.

    ``tools`` maps a function name (or ``"METHOD /path"``, or ``/path``, for OpenAPI action groups) to a
    Python callable taking the action's parameters as keyword arguments (converted by their declared
    type); it returns a string or anything JSON-serialisable. Actions that need the user's confirmation
    run only if ``confirm(call)`` says so (none are confirmed without it). ``invoke_options`` go to every
    InvokeAgent call (``enableTrace``, ``memoryId``, ...)."""
    if max_rounds < 1:
        raise ValueError("max_rounds must be at least 1")
    turn = AgentTurn(answer="", session_id=session_id)
    base = {"agentId": agent_id, "agentAliasId": agent_alias_id, "sessionId": session_id, **invoke_options}
    request: dict[str, Any] = {**base, "inputText": input_text}
    while turn.rounds < max_rounds:
        turn.rounds += 1
        if retrier is None:
            text, control = _invoke(runtime, request)
        else:
            text, control = retrier.call(functools.partial(_invoke, runtime, request)).value
        if control is None:
            turn.answer = text
            return turn
        calls = [_action_call(entry) for entry in control.get("invocationInputs", ())]
        for call in calls:
            _run(call, tools, confirm)
        turn.calls.extend(calls)
        # Bedrock ignores inputText when results are returned; the session carries the conversation on.
        request = {
            **base,
            "inputText": "",
            "sessionState": {
                "invocationId": control["invocationId"],
                "returnControlInvocationResults": [_invocation_result(call) for call in calls],
            },
        }
    raise AgentLoopError(f"the agent still returned control after {max_rounds} rounds")
