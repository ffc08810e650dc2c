"""Sessions API handlers (bedrock-agent-runtime): sessions, invocations and invocation steps.

Each handler validates the request the way the service model constrains it and leaves state to
``emulator.agents.session_management``; ``SESSION_HANDLERS`` maps AWS operation names to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.agents.session_management import Invocation, Session, Step, session_store
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import pagination
from emulator.wire.errors import constraint_violation as _constraint

_UUID = r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"
_UUID_PATTERN = re.compile(f"^{_UUID}$")
_IDENTIFIER = re.compile(rf"^(?:arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]+:[0-9]{{12}}:session/)?({_UUID})$")
_IDENTIFIER_SHOWN = f"^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]+:[0-9]{{12}}:session/{_UUID})|({_UUID})$"
_KMS_ARN = re.compile(r"^arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}$")
_TAG = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")


# -- sessions -------------------------------------------------------------------------------------------


def handle_create_session(call: OperationCall) -> Reply:
    body = call.input
    key = body.get("encryptionKeyArn")
    if key is not None and (not isinstance(key, str) or not _KMS_ARN.match(key)):
        raise _constraint(
            "encryptionKeyArn", key, f"Member must satisfy regular expression pattern: {_KMS_ARN.pattern}"
        )
    session = session_store(call.state).create(
        call.tenant, call.region, call.seed, _metadata(body), key, _tags(body.get("tags"))
    )
    return JsonReply(
        {
            "sessionId": session.session_id,
            "sessionArn": session.arn,
            "sessionStatus": session.status,
            "createdAt": _moment(session.created_at),
        }
    )


def handle_get_session(call: OperationCall) -> Reply:
    session = session_store(call.state).get(call.tenant, _session_id(call))
    reply = {**_summary(session), "sessionMetadata": dict(session.metadata)}
    if session.encryption_key_arn is not None:
        reply["encryptionKeyArn"] = session.encryption_key_arn
    return JsonReply(reply)


def handle_update_session(call: OperationCall) -> Reply:
    session = session_store(call.state).update(call.tenant, _session_id(call), _metadata(call.input))
    return JsonReply(_summary(session))


def handle_end_session(call: OperationCall) -> Reply:
    session = session_store(call.state).end(call.tenant, _session_id(call))
    return JsonReply(
        {"sessionId": session.session_id, "sessionArn": session.arn, "sessionStatus": session.status}
    )


def handle_delete_session(call: OperationCall) -> Reply:
    session_store(call.state).delete(call.tenant, _session_id(call))
    return JsonReply({})


def handle_list_sessions(call: OperationCall) -> Reply:
    items = [_summary(s) for s in session_store(call.state).listed(call.tenant)]
    return JsonReply(_page(call, items))


# -- invocations ------------------------------------------------------------------------------------------


def handle_create_invocation(call: OperationCall) -> Reply:
    body = call.input
    invocation_id = _optional_uuid(body, "invocationId")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or not 1 <= len(description) <= 200):
        raise _constraint("description", description, "Member must have length between 1 and 200")
    session, invocation = session_store(call.state).create_invocation(
        call.tenant, call.seed, _session_id(call), invocation_id, description
    )
    return JsonReply(_invocation(session, invocation))


def handle_list_invocations(call: OperationCall) -> Reply:
    session, invocations = session_store(call.state).invocations(call.tenant, _session_id(call))
    items = [_invocation(session, i) for i in invocations]
    return JsonReply(_page(call, items))


def handle_put_invocation_step(call: OperationCall) -> Reply:
    body = call.input
    invocation_id = _required_uuid(body, "invocationIdentifier")
    step_id = _optional_uuid(body, "invocationStepId")
    step_time = _timestamp(body.get("invocationStepTime"), "invocationStepTime")
    payload = _payload(body.get("payload"))
    step = session_store(call.state).put_step(
        call.tenant, call.seed, _session_id(call), invocation_id, step_id, step_time, payload
    )
    return JsonReply({"invocationStepId": step.step_id})


def handle_get_invocation_step(call: OperationCall) -> Reply:
    invocation_id = _required_uuid(call.input, "invocationIdentifier")
    step_id: str = call.input["invocationStepId"]
    if not _UUID_PATTERN.match(step_id):
        raise _constraint(
            "invocationStepId", step_id, f"Member must satisfy regular expression pattern: ^{_UUID}$"
        )
    session, step = session_store(call.state).step(call.tenant, _session_id(call), invocation_id, step_id)
    return JsonReply({"invocationStep": {**_step_summary(session, step), "payload": step.payload}})


def handle_list_invocation_steps(call: OperationCall) -> Reply:
    invocation_id = _optional_uuid(call.input, "invocationIdentifier")
    session, steps = session_store(call.state).steps(call.tenant, _session_id(call), invocation_id)
    items = [_step_summary(session, s) for s in steps]
    return JsonReply(_page(call, items))


# -- shapes -----------------------------------------------------------------------------------------------


def _summary(session: Session) -> dict[str, Any]:
    return {
        "sessionId": session.session_id,
        "sessionArn": session.arn,
        "sessionStatus": session.status,
        "createdAt": _moment(session.created_at),
        "lastUpdatedAt": _moment(session.updated_at),
    }


def _invocation(session: Session, invocation: Invocation) -> dict[str, Any]:
    return {
        "sessionId": session.session_id,
        "invocationId": invocation.invocation_id,
        "createdAt": _moment(invocation.created_at),
    }


def _step_summary(session: Session, step: Step) -> dict[str, Any]:
    return {
        "sessionId": session.session_id,
        "invocationId": step.invocation_id,
        "invocationStepId": step.step_id,
        "invocationStepTime": _moment(step.step_time),
    }


# -- readers ----------------------------------------------------------------------------------------------


def _moment(seconds: float) -> datetime:
    """A time on the engine's clock, for the output serializer to write as the shape says."""
    return datetime.fromtimestamp(seconds, UTC)


def _session_id(call: OperationCall) -> str:
    value: str = call.input["sessionIdentifier"]
    match = _IDENTIFIER.match(value)
    if match is None:
        raise _constraint(
            "sessionIdentifier", value, f"Member must satisfy regular expression pattern: {_IDENTIFIER_SHOWN}"
        )
    return match.group(1)


def _metadata(body: Mapping[str, Any]) -> dict[str, str]:
    metadata = body.get("sessionMetadata") or {}
    if not isinstance(metadata, Mapping) or len(metadata) > 50:
        raise _constraint("sessionMetadata", metadata, "Map must have between 0 and 50 entries")
    for key, value in metadata.items():
        if not isinstance(value, str) or not 1 <= len(key) <= 100 or len(value) > 5000:
            raise _constraint(
                f"sessionMetadata.{key}", value, "Keys must have length 1 to 100 and values at most 5000"
            )
    return dict(metadata)


def _tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise _constraint("tags", tags, "Member must be a map")
    for key, value in tags.items():
        if not (1 <= len(key) <= 128 and _TAG.match(key)) or not (
            isinstance(value, str) and len(value) <= 256 and _TAG.match(value)
        ):
            raise _constraint(
                f"tags.{key}", value, f"Member must satisfy regular expression pattern: {_TAG.pattern}"
            )
    return dict(tags)


def _optional_uuid(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _UUID_PATTERN.match(value):
        raise _constraint(name, value, f"Member must satisfy regular expression pattern: ^{_UUID}$")
    return value


def _required_uuid(body: Mapping[str, Any], name: str) -> str:
    value = _optional_uuid(body, name)
    if value is None:
        raise _constraint(name, None, "Member must not be null")
    return value


def _timestamp(value: Any, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise _constraint(name, value, "Member must be a timestamp")


def _payload(payload: Any) -> dict[str, Any]:
    blocks = payload.get("contentBlocks") if isinstance(payload, Mapping) else None
    if not isinstance(blocks, list) or not blocks:
        raise _constraint(
            "payload.contentBlocks", blocks, "Member must have length greater than or equal to 1"
        )
    for index, block in enumerate(blocks):
        if not isinstance(block, Mapping) or len(block) != 1 or next(iter(block)) not in ("text", "image"):
            raise _constraint(
                f"payload.contentBlocks.{index}", block, "Member must hold exactly one of text, image"
            )
        if "text" in block and (not isinstance(block["text"], str) or not block["text"]):
            raise _constraint(
                f"payload.contentBlocks.{index}.text",
                block["text"],
                "Member must have length greater than or equal to 1",
            )
    return {"contentBlocks": [dict(b) for b in blocks]}


def _page(call: OperationCall, items: list[dict[str, Any]]) -> dict[str, Any]:
    return pagination.page(call.service, call.operation, items, call.input)


SESSION_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "CreateSession": handle_create_session,
    "GetSession": handle_get_session,
    "UpdateSession": handle_update_session,
    "EndSession": handle_end_session,
    "DeleteSession": handle_delete_session,
    "ListSessions": handle_list_sessions,
    "CreateInvocation": handle_create_invocation,
    "ListInvocations": handle_list_invocations,
    "PutInvocationStep": handle_put_invocation_step,
    "GetInvocationStep": handle_get_invocation_step,
    "ListInvocationSteps": handle_list_invocation_steps,
}
