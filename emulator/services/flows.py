"""Flow handlers: InvokeFlow, the flow-executions API and bedrock-agent's GetFlow.

Runs come from ``emulator.flows`` and are computed before the first byte leaves; this module turns their
recorded steps into the wire's shapes: InvokeFlow's ``responseStream`` events (traces only when
``enableTrace``) and the ``FlowExecutionEvent`` union of ListFlowExecutionEvents.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from emulator.control import flow_targets
from emulator.flows import executions, registry
from emulator.flows.executor import Event, Execution, Field, FlowInputError
from emulator.flows.nodes import Context
from emulator.flows.registry import DRAFT_ALIAS, Resolved
from emulator.services.exchange import JsonReply, OperationCall, Reply, StreamReply
from emulator.wire import pagination
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint

EXECUTION_ID_HEADER = "x-amz-bedrock-flow-execution-id"
PAGE_LIMIT = 10  # FlowExecutionSummaries and FlowExecutionEvents hold at most 10 items
_FLOW_ID = re.compile(r"^(?:arn:aws:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:flow/)?([0-9a-zA-Z]{10})$")
_ALIAS_ID = re.compile(
    r"^(?:arn:aws:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:flow/[0-9a-zA-Z]{10}/alias/([0-9a-zA-Z]{10})|([0-9a-zA-Z]+))$"
)
_EXECUTION_ID = re.compile(
    r"^(?:arn:aws:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:flow/[0-9a-zA-Z]{10}/alias/[0-9a-zA-Z]{10}/execution/)?([a-zA-Z0-9-]{1,36})$"
)
_INVOKE_EXECUTION_ID = re.compile(r"^[0-9a-zA-Z._:-]{2,100}$")
_NODE_NAME = re.compile(r"^[a-zA-Z]([_]?[0-9a-zA-Z]){0,99}$")
_FLOW_EVENT_KINDS = {"flowInput", "flowOutput", "failure"}
_NODE_EVENT_KINDS = {"nodeInput", "nodeOutput", "condition", "action"}


# -- InvokeFlow ---------------------------------------------------------------------------------------------


def handle_invoke_flow(call: OperationCall) -> Reply:
    body = call.input
    resolved, alias = _resolve(call)
    node_name, port, document = _flow_input(body)
    execution_id = body.get("executionId")
    if execution_id is not None and (
        not isinstance(execution_id, str) or not _INVOKE_EXECUTION_ID.match(execution_id)
    ):
        raise _constraint(
            "executionId", execution_id, "Member must satisfy regular expression pattern: [0-9a-zA-Z._:-]+"
        )
    store = executions.store(call.state)
    waiting = store.find(call.tenant, execution_id) if execution_id else None
    try:
        if waiting is not None and not waiting.asynchronous and waiting.execution.waiting is not None:
            run = waiting
            events = run.execution.resume(node_name, port, document)
        else:
            execution_id = execution_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"flow:{call.request_id}"))
            execution = Execution(resolved.flow.definition, Context(call.seed, call.strict, call.state))
            if resolved.is_stand_in:  # the sample answers whatever input node and type the caller's flow has
                node_name, port = resolved.flow.definition.input_nodes[0].name, None
                document = document if isinstance(document, str) else json.dumps(document, sort_keys=True)
            events = execution.start(node_name, port, document)
            run = _new_run(call, resolved, alias, execution_id, execution, asynchronous=False)
            store.add(call.tenant, run)
    except FlowInputError as exc:
        raise AwsError("ValidationException", str(exc)) from exc
    run.events.extend(events)
    return StreamReply(
        events=_stream(events, trace=body.get("enableTrace") is True, request_id=call.request_id),
        headers={EXECUTION_ID_HEADER: run.execution_id},
    )


def _stream(events: Sequence[Event], *, trace: bool, request_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for event in events:
        if event.kind == "flowOutput":
            yield (
                "flowOutputEvent",
                {"content": {"document": event.value}, "nodeName": event.node, "nodeType": event.node_type},
            )
        elif event.kind == "inputRequest":
            yield (
                "flowMultiTurnInputRequestEvent",
                {"content": {"document": event.text}, "nodeName": event.node, "nodeType": event.node_type},
            )
        elif event.kind == "completion":
            yield "flowCompletionEvent", {"completionReason": event.reason}
        elif event.kind == "failure":
            # A node that fails mid-run ends the stream with an exception event, after what already ran.
            raise AwsError("ValidationException", f"Node {event.node} failed: {event.text}")
        elif trace:
            traced = _trace(event, request_id)
            if traced is not None:
                yield "flowTraceEvent", {"trace": traced}


def _trace(event: Event, request_id: str) -> dict[str, Any] | None:
    stamp = _timestamp(event.timestamp)
    if event.kind == "nodeInput":
        return {
            "nodeInputTrace": {
                "nodeName": event.node,
                "timestamp": stamp,
                "fields": [_input_field(f, "nodeInputName") for f in event.fields],
            }
        }
    if event.kind == "nodeOutput":
        return {
            "nodeOutputTrace": {
                "nodeName": event.node,
                "timestamp": stamp,
                "fields": [_output_field(f, "nodeOutputName", "inputFieldName") for f in event.fields],
            }
        }
    if event.kind == "condition":
        return {
            "conditionNodeResultTrace": {
                "nodeName": event.node,
                "timestamp": stamp,
                "satisfiedConditions": [{"conditionName": name} for name in event.satisfied],
            }
        }
    if event.kind == "action" and event.action is not None:
        return {"nodeActionTrace": _action(event, request_id, stamp)}
    return None


def _input_field(field: Field, name_key: str) -> dict[str, Any]:
    wire: dict[str, Any] = {name_key: field.name, "content": {"document": field.value}, "type": field.type}
    if field.source is not None:
        node, output, expression = field.source
        wire["source"] = {"nodeName": node, "outputFieldName": output, "expression": expression}
    return wire


def _output_field(field: Field, name_key: str, next_key: str) -> dict[str, Any]:
    wire: dict[str, Any] = {name_key: field.name, "content": {"document": field.value}, "type": field.type}
    if field.next:
        wire["next"] = [{"nodeName": node, next_key: name} for node, name in field.next]
    return wire


def _action(event: Event, request_id: str, stamp: str | datetime) -> dict[str, Any]:
    action = event.action
    assert action is not None
    return {
        "nodeName": event.node,
        "timestamp": stamp,
        "requestId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request_id}:{event.node}:{event.timestamp}")),
        "serviceName": action.service,
        "operationName": action.operation,
        "operationRequest": action.request,
        "operationResponse": action.response,
    }


# -- flow executions ------------------------------------------------------------------------------------


def handle_start_flow_execution(call: OperationCall) -> Reply:
    body = call.input
    resolved, alias = _resolve(call)
    node_name, port, document = _flow_input(body)
    name = body.get("flowExecutionName")
    if name is not None and (not isinstance(name, str) or not re.match(r"^[a-zA-Z0-9-]{1,36}$", name)):
        raise _constraint(
            "flowExecutionName", name, "Member must satisfy regular expression pattern: [a-zA-Z0-9-]{1,36}"
        )
    execution_id = name or str(uuid.uuid5(uuid.NAMESPACE_URL, f"flow-execution:{call.request_id}"))
    store = executions.store(call.state)
    if store.find(call.tenant, execution_id) is not None:
        raise AwsError("ConflictException", f"A flow execution named {execution_id} already exists.")
    execution = Execution(resolved.flow.definition, Context(call.seed, call.strict, call.state))
    if resolved.is_stand_in:
        node_name, port = resolved.flow.definition.input_nodes[0].name, None
        document = document if isinstance(document, str) else json.dumps(document, sort_keys=True)
    try:
        events = execution.start(node_name, port, document)
    except FlowInputError as exc:
        raise AwsError("ValidationException", str(exc)) from exc
    run = _new_run(call, resolved, alias, execution_id, execution, asynchronous=True)
    run.events.extend(e for e in events if e.kind not in ("inputRequest", "completion"))
    if execution.waiting is not None:
        # Asynchronous executions cannot stop to ask the caller anything: the node fails instead.
        run.events.append(
            Event(
                "failure",
                execution.waiting.name,
                execution.waiting.wire_type,
                events[-1].timestamp,
                text=f"Node {execution.waiting.name} needs more input, which an asynchronous execution cannot ask for.",
                reason="NODE_EXECUTION_FAILED",
            )
        )
        run.final_status = "Failed"
    else:
        run.final_status = execution.status
    store.add(call.tenant, run)
    return JsonReply({"executionArn": run.arn})


def handle_get_flow_execution(call: OperationCall) -> Reply:
    run = _existing_run(call)
    executions.store(call.state).observe(run)
    return JsonReply(_drop_none({**_summary(run), "startedAt": _moment(run.started_at), "createdAt": None}))


def handle_list_flow_executions(call: OperationCall) -> Reply:
    flow_id = _flow_id(call.input["flowIdentifier"])
    if flow_targets.flow_arn(call, flow_id) is None:
        registry.current(call.state).resolve(flow_id, strict=call.strict)
    alias = call.input.get("flowAliasIdentifier")
    alias_id = _alias_id(alias) if alias else None
    store = executions.store(call.state)
    runs = store.listed(
        call.tenant,
        lambda run: (
            run.asynchronous and run.flow_id == flow_id and (alias_id is None or run.alias == alias_id)
        ),
    )
    for run in runs:
        store.observe(run)
    summaries = [_drop_none({**_summary(run), "createdAt": _moment(run.started_at)}) for run in runs]
    return JsonReply(_paged(call, summaries))


def handle_list_flow_execution_events(call: OperationCall) -> Reply:
    run = _existing_run(call)
    kind = call.input["eventType"]  # required, one of Node and Flow (checked by the model)
    executions.store(call.state).observe(run)
    wanted = _FLOW_EVENT_KINDS if kind == "Flow" else _NODE_EVENT_KINDS
    items = [_execution_event(e, call.request_id) for e in run.events if e.kind in wanted]
    return JsonReply(_paged(call, items))


def handle_stop_flow_execution(call: OperationCall) -> Reply:
    run = _existing_run(call)
    executions.store(call.state).stop(run)
    return JsonReply({"executionArn": run.arn, "status": run.status})


def handle_get_execution_flow_snapshot(call: OperationCall) -> Reply:
    run = _existing_run(call)
    return JsonReply(
        {
            "definition": json.dumps(run.flow.definition.wire(), sort_keys=True),
            "executionRoleArn": run.flow.execution_role_arn,
            "flowAliasIdentifier": run.alias,
            "flowIdentifier": run.flow_id,
            "flowVersion": _version(run.alias),
        }
    )


def _execution_event(event: Event, request_id: str) -> dict[str, Any]:
    stamp = _moment(event.timestamp)
    if event.kind == "flowInput":
        fields = [{"name": f.name, "content": {"document": f.value}} for f in event.fields]
        return {"flowInputEvent": {"nodeName": event.node, "timestamp": stamp, "fields": fields}}
    if event.kind == "flowOutput":
        fields = [{"name": "document", "content": {"document": event.value}}]
        return {"flowOutputEvent": {"nodeName": event.node, "timestamp": stamp, "fields": fields}}
    if event.kind == "failure":
        return {
            "flowFailureEvent": {
                "timestamp": stamp,
                "errorCode": event.reason or "NODE_EXECUTION_FAILED",
                "errorMessage": f"Node {event.node} failed: {event.text}",
            }
        }
    if event.kind == "nodeInput":
        fields = [_input_field(f, "name") for f in event.fields]
        return {"nodeInputEvent": {"nodeName": event.node, "timestamp": stamp, "fields": fields}}
    if event.kind == "nodeOutput":
        fields = [_output_field(f, "name", "inputFieldName") for f in event.fields]
        return {"nodeOutputEvent": {"nodeName": event.node, "timestamp": stamp, "fields": fields}}
    if event.kind == "condition":
        satisfied = [{"conditionName": name} for name in event.satisfied]
        return {
            "conditionResultEvent": {
                "nodeName": event.node,
                "timestamp": stamp,
                "satisfiedConditions": satisfied,
            }
        }
    return {"nodeActionEvent": _action(event, request_id, stamp)}


def _summary(run: executions.FlowRun) -> dict[str, Any]:
    return {
        "executionArn": run.arn,
        "flowAliasIdentifier": run.alias,
        "flowIdentifier": run.flow_id,
        "flowVersion": _version(run.alias),
        "status": run.status,
        "endedAt": _moment(run.ended_at) if run.ended_at is not None else None,
    }


# -- bedrock-agent GetFlow ---------------------------------------------------------------------------------


def handle_get_flow(call: OperationCall) -> Reply:
    flow_id = _flow_id(call.input["flowIdentifier"])
    resolved = registry.current(call.state).resolve(flow_id, strict=call.strict)
    included = call.input.get("includedData")  # one of ALL_DATA and METADATA_ONLY (checked by the model)
    flow = resolved.flow
    reply = _drop_none(
        {
            "name": flow.name,
            "description": flow.description,
            "executionRoleArn": flow.execution_role_arn,
            "id": flow_id,
            "arn": registry.flow_arn(call.region, flow_id),
            "status": "Prepared",
            "createdAt": _moment(flow.created_at),
            "updatedAt": _moment(flow.updated_at),
            "version": "DRAFT",
            "definition": flow.definition.wire() if included != "METADATA_ONLY" else None,
            "validations": [],
        }
    )
    return JsonReply(reply)


# -- request reading ----------------------------------------------------------------------------------------


def _resolve(call: OperationCall) -> tuple[Resolved, str]:
    flow_id = _flow_id(call.input["flowIdentifier"])
    alias = _alias_id(call.input["flowAliasIdentifier"])
    created = flow_targets.resolve(call, flow_id, alias)  # a flow the caller made with CreateFlow
    if created is not None:
        return created, alias
    reg = registry.current(call.state)
    resolved = reg.resolve(flow_id, strict=call.strict)
    reg.check_alias(resolved, alias, strict=call.strict)
    return resolved, alias


def _flow_input(body: Mapping[str, Any]) -> tuple[str, str | None, Any]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1:
        raise _constraint("inputs", inputs, "Member must have length less than or equal to 1")
    item = inputs[0]
    node_name = item.get("nodeName")
    if not isinstance(node_name, str) or not _NODE_NAME.match(node_name):
        raise _constraint(
            "inputs.1.member.nodeName",
            node_name,
            "Member must satisfy regular expression pattern: [a-zA-Z]([_]?[0-9a-zA-Z]){0,99}",
        )
    content = item.get("content") or {}
    if "document" not in content:
        raise AwsError("ValidationException", "inputs.0.content must hold a document.")
    port = item.get("nodeOutputName") or item.get("nodeInputName")
    return node_name, port if isinstance(port, str) else None, content["document"]


def _new_run(
    call: OperationCall,
    resolved: Resolved,
    alias: str,
    execution_id: str,
    execution: Execution,
    *,
    asynchronous: bool,
) -> executions.FlowRun:
    flow_arn = flow_targets.flow_arn(call, resolved.requested_id) or registry.flow_arn(
        call.region, resolved.requested_id
    )
    arn = f"{flow_arn}/alias/{alias}/execution/{execution_id}"
    started = execution.events[0].timestamp if execution.events else datetime.now(UTC).timestamp()
    return executions.FlowRun(
        execution_id, resolved.requested_id, alias, arn, resolved.flow, execution, started, asynchronous
    )


def _existing_run(call: OperationCall) -> executions.FlowRun:
    flow_id = _flow_id(call.input["flowIdentifier"])
    alias = _alias_id(call.input["flowAliasIdentifier"])
    identifier: str = call.input["executionIdentifier"]
    match = _EXECUTION_ID.match(identifier)
    if match is None:
        raise _constraint(
            "executionIdentifier",
            identifier,
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-]{1,36}",
        )
    run = executions.store(call.state).find(call.tenant, match.group(1))
    if run is None or not run.asynchronous or run.flow_id != flow_id or run.alias != alias:
        raise AwsError("ResourceNotFoundException")
    return run


def _flow_id(value: str) -> str:
    match = _FLOW_ID.match(value)
    if match is None:
        raise _constraint(
            "flowIdentifier", value, "Member must satisfy regular expression pattern: [0-9a-zA-Z]{10}"
        )
    return match.group(1)


def _alias_id(value: str) -> str:
    match = _ALIAS_ID.match(value)
    if match is None:
        raise _constraint(
            "flowAliasIdentifier", value, "Member must satisfy regular expression pattern: [0-9a-zA-Z]+"
        )
    return match.group(1) or match.group(2)


def _version(alias: str) -> str:
    return "DRAFT" if alias == DRAFT_ALIAS else "1"


def _paged(call: OperationCall, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of at most PAGE_LIMIT items (the output lists' own bound), whatever maxResults asks."""
    asked = call.input.get("maxResults", PAGE_LIMIT)
    return pagination.page(
        call.service, call.operation, items, {**call.input, "maxResults": min(asked, PAGE_LIMIT)}
    )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _timestamp(seconds: float) -> str:
    """A time as a trace event carries it (event-stream frames are written without the serializer)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(seconds: float) -> datetime:
    """A time in a JSON reply, for the output serializer to write as the shape says."""
    return datetime.fromtimestamp(seconds, UTC)


FLOW_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "InvokeFlow": handle_invoke_flow,
    "StartFlowExecution": handle_start_flow_execution,
    "GetFlowExecution": handle_get_flow_execution,
    "ListFlowExecutions": handle_list_flow_executions,
    "ListFlowExecutionEvents": handle_list_flow_execution_events,
    "StopFlowExecution": handle_stop_flow_execution,
    "GetExecutionFlowSnapshot": handle_get_execution_flow_snapshot,
    "GetFlow": handle_get_flow,
}
