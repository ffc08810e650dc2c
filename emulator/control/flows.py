"""CreateFlow, GetFlow, UpdateFlow, DeleteFlow, ListFlows, PrepareFlow, ValidateFlowDefinition.

A flow's draft is NotPrepared until PrepareFlow makes it Preparing, then Prepared — or Failed, with
the validations that stop it (``flow_validation``), which GetFlow then shows. UpdateFlow makes it
NotPrepared again. DeleteFlow is immediate and takes versions, aliases and tags with it; a flow with
aliases is refused unless ``skipResourceInUseCheck``. Flow ids nobody created are the samples'
(GetFlow, lenient) or ResourceNotFoundException.
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, lifecycle, resources, samples, tags
from emulator.control.flow_validation import ERROR, validate
from emulator.control.ids import new_id
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import HAS_ALIASES, conflict, not_found, wrong_status
from emulator.control.request import params, without
from emulator.control.resources import FLOW, FLOW_ALIAS, FLOW_VERSION
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

DRAFT = "DRAFT"
UPDATABLE = ("name", "description", "executionRoleArn", "customerEncryptionKeyArn", "definition")


def flow_record(call: OperationCall, identifier: str) -> dict[str, Any]:
    """The draft of one of the caller's flows (by id or ARN), or ResourceNotFoundException."""
    flow_id = arns.plain_id(identifier)
    record = resources.read(call, FLOW, flow_id)
    if record is None:
        raise not_found(FLOW.label, flow_id)
    return record


def create_flow(call: OperationCall) -> Reply:
    values = params(call)
    resources.refuse_name_in_use(call, FLOW, "", values["name"])
    flow_id = new_id(call, "flow")
    moment = stamp(call)
    record = {
        **without(values, "tags"),
        "id": flow_id,
        "arn": arns.flow(call, flow_id),
        "status": "NotPrepared",
        "version": DRAFT,
        "createdAt": moment,
        "updatedAt": moment,
    }
    resources.save(call, FLOW, flow_id, record)
    tags.attach(call, record["arn"], values.get("tags"))
    return JsonReply(view(record, "CreateFlowResponse"))


def get_flow(call: OperationCall) -> Reply:
    values = params(call)
    flow_id = arns.plain_id(values["flowIdentifier"])
    record = resources.read(call, FLOW, flow_id)
    if record is None:
        return samples.serve(call, not_found(FLOW.label, flow_id))
    shown = view({"validations": [], **record}, "GetFlowResponse")
    if values.get("includedData") == "METADATA_ONLY":
        shown.pop("definition", None)
    return JsonReply(shown)


def update_flow(call: OperationCall) -> Reply:
    values = params(call)
    record = flow_record(call, values["flowIdentifier"])
    flow_id = record["id"]
    if record["status"] == "Preparing":
        raise wrong_status(call.operation, record["status"])
    resources.refuse_name_in_use(call, FLOW, "", values["name"], other_than=flow_id)
    for member in (*UPDATABLE, "validations"):
        record.pop(member, None)
    record.update({k: v for k, v in values.items() if k in UPDATABLE})
    record.update({"status": "NotPrepared", "updatedAt": stamp(call)})
    resources.save(call, FLOW, flow_id, record)
    return JsonReply(view(record, "UpdateFlowResponse"))


def delete_flow(call: OperationCall) -> Reply:
    values = params(call)
    record = flow_record(call, values["flowIdentifier"])
    flow_id = record["id"]
    aliases = resources.records(call, FLOW_ALIAS, flow_id)
    if aliases and not values.get("skipResourceInUseCheck"):
        raise conflict(HAS_ALIASES.format(label="Flow", id=flow_id))
    for _, alias in aliases:
        tags.drop(call, alias["arn"])
    resources.remove_under(call, FLOW_ALIAS, flow_id)
    resources.remove_under(call, FLOW_VERSION, flow_id)
    resources.remove(call, FLOW, flow_id)
    tags.drop(call, record["arn"])
    return JsonReply({"id": flow_id})


def list_flows(call: OperationCall) -> Reply:
    summaries = [view(record, "FlowSummary") for _, record in resources.records(call, FLOW)]
    return JsonReply(page(call.service, call.operation, summaries, params(call)))


def prepare_flow(call: OperationCall) -> Reply:
    record = flow_record(call, params(call)["flowIdentifier"])
    if record["status"] == "Preparing":
        raise wrong_status(call.operation, record["status"])
    validations = validate(record.get("definition"))
    failed = any(item["severity"] == ERROR for item in validations)
    done = later(call, "prepare")
    record.update({"status": "Preparing", "updatedAt": stamp(call), "validations": validations})
    schedule(
        record, [(done, {"status": "Failed" if failed else "Prepared", "updatedAt": lifecycle.iso(done)})]
    )
    resources.save(call, FLOW, record["id"], record)
    return JsonReply({"id": record["id"], "status": "Preparing"})


def validate_flow_definition(call: OperationCall) -> Reply:
    return JsonReply({"validations": validate(params(call).get("definition"))})


HANDLERS = {
    "CreateFlow": create_flow,
    "GetFlow": get_flow,
    "UpdateFlow": update_flow,
    "DeleteFlow": delete_flow,
    "ListFlows": list_flows,
    "PrepareFlow": prepare_flow,
    "ValidateFlowDefinition": validate_flow_definition,
}
