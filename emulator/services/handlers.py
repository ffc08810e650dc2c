"""The operation table: AWS operation name -> handler. Operations without a handler answer a clear
``NotImplementedException`` (HTTP 501), never a Flask page."""

from __future__ import annotations

from collections.abc import Callable

from emulator.services import runtime
from emulator.services.agent_extras import EXTRA_HANDLERS
from emulator.services.agents import AGENT_HANDLERS
from emulator.services.async_invoke import ASYNC_INVOKE_HANDLERS
from emulator.services.control import CONTROL_HANDLERS
from emulator.services.exchange import OperationCall, Reply
from emulator.services.flows import FLOW_HANDLERS
from emulator.services.guardrails import GUARDRAIL_HANDLERS
from emulator.services.knowledge import KNOWLEDGE_HANDLERS
from emulator.services.sessions import SESSION_HANDLERS
from emulator.wire.errors import AwsError

Handler = Callable[[OperationCall], Reply]

HANDLERS: dict[str, Handler] = {
    "Converse": runtime.converse,
    "ConverseStream": runtime.converse_stream,
    "CountTokens": runtime.count_tokens,
    "InvokeModel": runtime.invoke_model,
    "InvokeModelWithResponseStream": runtime.invoke_model_with_response_stream,
    **KNOWLEDGE_HANDLERS,
    **AGENT_HANDLERS,
    **SESSION_HANDLERS,
    **FLOW_HANDLERS,
    **EXTRA_HANDLERS,
    **GUARDRAIL_HANDLERS,
    **ASYNC_INVOKE_HANDLERS,
    **CONTROL_HANDLERS,
}


def dispatch(call: OperationCall) -> Reply:
    handler = HANDLERS.get(call.operation)
    if handler is None:
        raise AwsError(
            "NotImplementedException",
            f"The {call.operation} operation of {call.service} is not implemented by bedrock-emulator yet.",
        )
    return handler(call)


def implemented() -> frozenset[str]:
    return frozenset(HANDLERS)
