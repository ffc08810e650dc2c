"""What each operation declares: its error codes, and for streams its event and exception members.

Read from the committed protocol data (``emulator/wire/protocol_data.py``, generated from botocore's
models), so that handlers declare exactly the stream exceptions they may send and scenario files can be
checked at load: an error a rule injects must be one the operation declares, and an in-stream exception
must be a member of the operation's event stream.

Scenario rules name operations without their service, so ``OPERATIONS`` is keyed by name. Six names
belong to several services (the tagging and resource-policy operations); under a shared name it holds the
first service's declaration in ``protocol_data.SERVICES`` order (data planes first), and ``of(service,
operation)`` answers for any service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.wire import protocol_data
from emulator.wire.routing import ROUTES


@dataclass(frozen=True)
class StreamDeclared:
    """An operation's output event stream: the member holding it, its events and its exception members."""

    member: str
    events: tuple[str, ...]
    exceptions: frozenset[str]


@dataclass(frozen=True)
class Declared:
    """What one service's operation declares: its error codes and its output event stream, if any."""

    service: str
    errors: frozenset[str]
    stream: StreamDeclared | None = None


def _declared(service: str, operation: Mapping[str, Any]) -> Declared:
    stream = operation.get("stream")
    return Declared(
        service,
        frozenset(operation["errors"]),
        StreamDeclared(stream["member"], tuple(stream["events"]), frozenset(stream["exceptions"]))
        if stream is not None
        else None,
    )


_BY_SERVICE: dict[tuple[str, str], Declared] = {
    (service, name): _declared(service, operation)
    for service, data in protocol_data.services().items()
    for name, operation in data["operations"].items()
}


def _by_name() -> dict[str, Declared]:
    by_name: dict[str, Declared] = {}
    for (_, name), entry in _BY_SERVICE.items():
        by_name.setdefault(name, entry)  # services come in precedence order
    return by_name


OPERATIONS: dict[str, Declared] = _by_name()

STREAMING_OPERATIONS: frozenset[str] = frozenset(op for op, d in OPERATIONS.items() if d.stream is not None)


def of(service: str, operation: str) -> Declared | None:
    """One service's declaration of an operation (None for an operation the service does not have)."""
    return _BY_SERVICE.get((service, operation))


def stream_exceptions(operation: str) -> frozenset[str]:
    """The lower-camel exception members an operation's event stream declares (empty if it has none)."""
    stream = OPERATIONS[operation].stream
    return stream.exceptions if stream is not None else frozenset()


def exception_code(member: str) -> str:
    """The error shape behind a lower-camel stream exception member (``throttlingException``)."""
    return member[:1].upper() + member[1:]


def error_members(service: str, code: str) -> frozenset[str]:
    """Members an error shape carries besides ``message`` (e.g. ``originalStatusCode``)."""
    return protocol_data.error_members(service, code)


def _operations_with_label(label: str) -> frozenset[str]:
    return frozenset(op for _, op, _, template, _ in ROUTES if "{" + label + "}" in template)


# Operations whose calls carry each kind of id a rule can match on. Retrieve-and-generate names its
# knowledge base in the body rather than the path, so it is added by hand.
MODEL_OPERATIONS: frozenset[str] = _operations_with_label("modelId")
KNOWLEDGE_BASE_OPERATIONS: frozenset[str] = _operations_with_label("knowledgeBaseId") | {
    "RetrieveAndGenerate",
    "RetrieveAndGenerateStream",
}
AGENT_OPERATIONS: frozenset[str] = _operations_with_label("agentId")
FLOW_OPERATIONS: frozenset[str] = _operations_with_label("flowIdentifier")
