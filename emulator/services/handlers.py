"""The operation table: AWS operation name -> handler.

Handler modules are imported on first use (or by ``warm_up`` in a background thread as the server
starts): together they cost more start-up time than the rest of the emulator, and ``serve`` must answer
its health check within half a second. Operations without a handler answer a clear
``NotImplementedException`` (HTTP 501), never a Flask page.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from emulator.services.exchange import UNPARSED, OperationCall, Reply
from emulator.wire import shapes
from emulator.wire.errors import AwsError

Handler = Callable[[OperationCall], Reply]

# (module, name of its handler dict): one per area of the surface.
HANDLER_MODULES: tuple[tuple[str, str], ...] = (
    ("emulator.services.runtime", "RUNTIME_HANDLERS"),
    ("emulator.services.knowledge", "KNOWLEDGE_HANDLERS"),
    ("emulator.services.agents", "AGENT_HANDLERS"),
    ("emulator.services.sessions", "SESSION_HANDLERS"),
    ("emulator.services.flows", "FLOW_HANDLERS"),
    ("emulator.services.queries", "QUERY_HANDLERS"),
    ("emulator.services.prompts", "PROMPT_HANDLERS"),
    ("emulator.services.agentic_retrieval", "AGENTIC_RETRIEVAL_HANDLERS"),
    ("emulator.services.documents", "DOCUMENT_HANDLERS"),
    ("emulator.services.tags", "TAG_HANDLERS"),
    ("emulator.services.guardrails", "GUARDRAIL_HANDLERS"),
    ("emulator.services.async_invoke", "ASYNC_INVOKE_HANDLERS"),
    ("emulator.services.control", "CONTROL_HANDLERS"),
)

_table: dict[str, Handler] | None = None
_lock = threading.Lock()


def table() -> dict[str, Handler]:
    global _table  # noqa: PLW0603  # built once, on first use, under the lock
    if _table is None:
        with _lock:
            if _table is None:
                merged: dict[str, Handler] = {}
                for module_name, attribute in HANDLER_MODULES:
                    merged.update(getattr(importlib.import_module(module_name), attribute))
                _table = merged
    return _table


def warm_up() -> None:
    table()
    shapes.warm_up("bedrock-runtime")  # the model operations' body checks, off the first call's path


def dispatch(call: OperationCall) -> Reply:
    handler = table().get(call.operation)
    if handler is None:
        raise AwsError(
            "NotImplementedException",
            f"The {call.operation} operation of {call.service} is not implemented by bedrock-emulator yet.",
        )
    _read_body(call)
    return handler(call)


def _read_body(call: OperationCall) -> None:
    """What AWS's front end does before the service sees a request: refuse a body it cannot read into
    the operation's input (unreadable JSON, a member of the wrong type) with a SerializationException."""
    body = call.json_body
    if body is UNPARSED:
        if shapes.binds_body(call.service, call.operation):
            call.json()  # raises the parser's SerializationException
    elif type(body) is dict and body:
        shapes.check(call.service, call.operation, body)


def implemented() -> frozenset[str]:
    return frozenset(table())
