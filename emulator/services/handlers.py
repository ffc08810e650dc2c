"""The operation table: (service, AWS operation name) -> handler.

Each handler module is imported when the first call it serves arrives, and only that one: together they
cost more start-up time than the rest of the emulator, and a Converse must not wait for the knowledge-base
index or the flow engine. ``emulator/services/handler_index.py`` says which module serves what, without
importing any (``make protocol`` regenerates it). Operations without a handler answer a clear
``NotImplementedException`` (HTTP 501), never a Flask page.

A module's dict is keyed by operation name; the name is bound for each of the module's ``services``
that declares it (six names, tagging and resource policies, belong to several services).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from typing import NamedTuple

from emulator.services import handler_index
from emulator.services.exchange import UNPARSED, OperationCall, Reply
from emulator.wire import constraints, shapes
from emulator.wire.errors import AwsError

Handler = Callable[[OperationCall], Reply]

RUNTIME = "bedrock-runtime"
AGENT_RUNTIME = "bedrock-agent-runtime"
CONTROL = "bedrock"
AGENT = "bedrock-agent"


class HandlerModule(NamedTuple):
    module: str
    attribute: str  # the module's dict: operation name -> handler
    services: tuple[str, ...]  # the services its operation names are bound for


# One per area of the surface; a later module's handler wins over an earlier one's for the same operation.
# After adding one (or a handler), run `make protocol` to refresh the index.
HANDLER_MODULES: tuple[HandlerModule, ...] = (
    HandlerModule("emulator.services.runtime", "RUNTIME_HANDLERS", (RUNTIME,)),
    HandlerModule("emulator.services.knowledge", "KNOWLEDGE_HANDLERS", (AGENT_RUNTIME, AGENT)),
    HandlerModule("emulator.services.agents", "AGENT_HANDLERS", (AGENT_RUNTIME, AGENT)),
    HandlerModule("emulator.services.sessions", "SESSION_HANDLERS", (AGENT_RUNTIME,)),
    HandlerModule("emulator.services.flows", "FLOW_HANDLERS", (AGENT_RUNTIME, AGENT)),
    HandlerModule("emulator.services.queries", "QUERY_HANDLERS", (AGENT_RUNTIME,)),
    HandlerModule("emulator.services.prompts", "PROMPT_HANDLERS", (AGENT_RUNTIME,)),
    HandlerModule("emulator.services.agentic_retrieval", "AGENTIC_RETRIEVAL_HANDLERS", (AGENT_RUNTIME,)),
    HandlerModule("emulator.services.documents", "DOCUMENT_HANDLERS", (AGENT_RUNTIME,)),
    HandlerModule("emulator.services.tags", "TAG_HANDLERS", (AGENT_RUNTIME,)),
    HandlerModule("emulator.services.guardrails", "GUARDRAIL_HANDLERS", (RUNTIME,)),
    HandlerModule("emulator.services.async_invoke", "ASYNC_INVOKE_HANDLERS", (RUNTIME,)),
    HandlerModule("emulator.services.bidirectional", "BIDIRECTIONAL_HANDLERS", (RUNTIME,)),
    HandlerModule("emulator.services.control", "CONTROL_HANDLERS", (CONTROL,)),
    # Last: every bedrock-agent operation, over the sample-serving reads above (its lenient fallback).
    HandlerModule("emulator.control.handlers", "AGENT_CONTROL_HANDLERS", (AGENT,)),
    # Last for bedrock: what callers create, over the catalogue reads and sample guardrails above.
    HandlerModule("emulator.bedrock_control.handlers", "BEDROCK_CONTROL_HANDLERS", (CONTROL,)),
)
_MODULE_NAMES = tuple(entry.module for entry in HANDLER_MODULES)
_ATTRIBUTES = {entry.module: entry.attribute for entry in HANDLER_MODULES}

_resolved: dict[tuple[str, str], Handler | None] = {}
_full: dict[tuple[str, str], tuple[str, Handler]] | None = None
_lock = threading.Lock()


def handler_for(service: str, operation: str) -> Handler | None:
    """The handler of an operation, importing only the module the index names (None: not implemented)."""
    key = (service, operation)
    try:
        return _resolved[key]
    except KeyError:
        pass
    handler = None
    module = handler_index.module_for(service, operation, _MODULE_NAMES)
    if module is not None:
        handler = _handlers_of(module).get(operation)
    if handler is None:  # not indexed (a handler added since `make protocol`): ask every module
        bound = bindings().get(key)
        handler = bound[1] if bound is not None else None
    _resolved[key] = handler
    return handler


def bindings() -> dict[tuple[str, str], tuple[str, Handler]]:
    """Every (service, operation) with a handler -> (its module, the handler); imports every module."""
    global _full  # noqa: PLW0603  # built once, on first use, under the lock
    if _full is None:
        with _lock:
            if _full is None:
                _full = _bind_all()
    return _full


def _bind_all() -> dict[tuple[str, str], tuple[str, Handler]]:
    from emulator.wire import declared

    bound: dict[tuple[str, str], tuple[str, Handler]] = {}
    for entry in HANDLER_MODULES:
        for operation, handler in _handlers_of(entry.module).items():
            services = [s for s in entry.services if declared.of(s, operation) is not None]
            if not services:
                raise LookupError(
                    f"{entry.module}.{entry.attribute} has {operation}, an operation of none of its services "
                    f"({', '.join(entry.services)})"
                )
            for service in services:
                bound[service, operation] = (entry.module, handler)
    return bound


def _handlers_of(module: str) -> Mapping[str, Handler]:
    handlers: Mapping[str, Handler] = getattr(importlib.import_module(module), _ATTRIBUTES[module])
    return handlers


def warm_up() -> None:
    shapes.warm_up("bedrock-runtime")  # the model operations' body checks, off the first call's path
    constraints.warm_up("bedrock-runtime")


def dispatch(call: OperationCall) -> Reply:
    handler = handler_for(call.service, call.operation)
    if handler is None:
        raise AwsError(
            "NotImplementedException",
            f"The {call.operation} operation of {call.service} is not implemented by bedrock-emulator yet.",
        )
    _read_body(call)
    constraints.check(call.service, call.operation, call.input)
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
    """The names of the operations with a handler (in any service); imports every module."""
    return frozenset(operation for _, operation in bindings())


def implemented_operations() -> frozenset[tuple[str, str]]:
    """(service, operation) pairs with a handler; imports every module."""
    return frozenset(bindings())
