"""Flow versions and aliases: CreateFlowVersion, GetFlowVersion, DeleteFlowVersion, ListFlowVersions,
CreateFlowAlias, GetFlowAlias, UpdateFlowAlias, DeleteFlowAlias, ListFlowAliases.

CreateFlowVersion copies a Prepared draft into ``<flowId>/<n>`` (status Prepared); any other status is
refused with the text Bedrock sends for NotPrepared (wire-facts §13.4). An alias routes to ``DRAFT`` or
to versions that exist; a version an alias routes to cannot be deleted without
``skipResourceInUseCheck``.
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, resources, tags
from emulator.control.flows import DRAFT, flow_record
from emulator.control.ids import new_id, next_version
from emulator.control.lifecycle import stamp
from emulator.control.messages import conflict, not_found, wrong_status
from emulator.control.request import params, without
from emulator.control.resources import FLOW_ALIAS, FLOW_VERSION, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

SNAPSHOT = ("name", "description", "executionRoleArn", "customerEncryptionKeyArn", "id", "arn", "definition")
VERSION_IN_USE = "Could not delete version {version} of Flow with ID {id}, since it is used by an alias"


def create_flow_version(call: OperationCall) -> Reply:
    values = params(call)
    flow = flow_record(call, values["flowIdentifier"])
    if flow["status"] != "Prepared":
        raise wrong_status(call.operation, flow["status"])
    version = next_version(call, f"flow/{flow['id']}")
    record = {member: flow[member] for member in SNAPSHOT if member in flow}
    record.update({"version": version, "status": "Prepared", "createdAt": stamp(call)})
    if "description" in values:
        record["description"] = values["description"]
    if "clientToken" in values:
        record["clientToken"] = values["clientToken"]
    resources.save(call, FLOW_VERSION, key(flow["id"], version), record)
    return JsonReply(view(record, "CreateFlowVersionResponse"))


def get_flow_version(call: OperationCall) -> Reply:
    values = params(call)
    record = _version(call, values)[1]
    shown = view(record, "GetFlowVersionResponse")
    if values.get("includedData") == "METADATA_ONLY":
        shown.pop("definition", None)
    return JsonReply(shown)


def delete_flow_version(call: OperationCall) -> Reply:
    values = params(call)
    record_key, record = _version(call, values)
    version = record["version"]
    routed = [
        alias
        for _, alias in resources.records(call, FLOW_ALIAS, record["id"])
        if any(r.get("flowVersion") == version for r in alias.get("routingConfiguration", []))
    ]
    if routed and not values.get("skipResourceInUseCheck"):
        raise conflict(VERSION_IN_USE.format(version=version, id=record["id"]))
    resources.remove(call, FLOW_VERSION, record_key)
    return JsonReply({"id": record["id"], "version": version})


def list_flow_versions(call: OperationCall) -> Reply:
    values = params(call)
    flow = flow_record(call, values["flowIdentifier"])
    items = [view(r, "FlowVersionSummary") for _, r in resources.records(call, FLOW_VERSION, flow["id"])]
    return JsonReply(page(call.service, call.operation, items, values))


def create_flow_alias(call: OperationCall) -> Reply:
    values = params(call)
    flow = flow_record(call, values["flowIdentifier"])
    flow_id = flow["id"]
    resources.refuse_name_in_use(call, FLOW_ALIAS, flow_id, values["name"])
    _check_routing(call, flow_id, values["routingConfiguration"])
    alias_id = new_id(call, "flow-alias")
    moment = stamp(call)
    record = {
        **without(values, "tags", "flowIdentifier"),
        "flowId": flow_id,
        "id": alias_id,
        "arn": arns.flow_alias(call, flow_id, alias_id),
        "createdAt": moment,
        "updatedAt": moment,
    }
    resources.save(call, FLOW_ALIAS, key(flow_id, alias_id), record)
    tags.attach(call, record["arn"], values.get("tags"))
    return JsonReply(view(record, "CreateFlowAliasResponse"))


def get_flow_alias(call: OperationCall) -> Reply:
    return JsonReply(view(_alias(call, params(call))[1], "GetFlowAliasResponse"))


def update_flow_alias(call: OperationCall) -> Reply:
    values = params(call)
    record_key, record = _alias(call, values)
    flow_id = record["flowId"]
    resources.refuse_name_in_use(call, FLOW_ALIAS, flow_id, values["name"], other_than=record_key)
    _check_routing(call, flow_id, values["routingConfiguration"])
    for member in ("name", "description", "routingConfiguration", "concurrencyConfiguration"):
        record.pop(member, None)
    record.update(without(values, "flowIdentifier", "aliasIdentifier"))
    record["updatedAt"] = stamp(call)
    resources.save(call, FLOW_ALIAS, record_key, record)
    return JsonReply(view(record, "UpdateFlowAliasResponse"))


def delete_flow_alias(call: OperationCall) -> Reply:
    record_key, record = _alias(call, params(call))
    resources.remove(call, FLOW_ALIAS, record_key)
    tags.drop(call, record["arn"])
    return JsonReply({"flowId": record["flowId"], "id": record["id"]})


def list_flow_aliases(call: OperationCall) -> Reply:
    values = params(call)
    flow = flow_record(call, values["flowIdentifier"])
    items = [view(r, "FlowAliasSummary") for _, r in resources.records(call, FLOW_ALIAS, flow["id"])]
    return JsonReply(page(call.service, call.operation, items, values))


def _check_routing(call: OperationCall, flow_id: str, routing: list[dict[str, Any]]) -> None:
    for item in routing:
        version = str(item.get("flowVersion", DRAFT))
        if version != DRAFT and resources.read(call, FLOW_VERSION, key(flow_id, version)) is None:
            raise not_found(FLOW_VERSION.label, version)


def _version(call: OperationCall, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    flow = flow_record(call, values["flowIdentifier"])
    record_key = key(flow["id"], str(values["flowVersion"]))
    record = resources.read(call, FLOW_VERSION, record_key)
    if record is None:
        raise not_found(FLOW_VERSION.label, str(values["flowVersion"]))
    return record_key, record


def _alias(call: OperationCall, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    flow = flow_record(call, values["flowIdentifier"])
    alias_id = arns.plain_id(values["aliasIdentifier"])
    record_key = key(flow["id"], alias_id)
    record = resources.read(call, FLOW_ALIAS, record_key)
    if record is None:
        raise not_found(FLOW_ALIAS.label, alias_id)
    return record_key, record


HANDLERS = {
    "CreateFlowVersion": create_flow_version,
    "GetFlowVersion": get_flow_version,
    "DeleteFlowVersion": delete_flow_version,
    "ListFlowVersions": list_flow_versions,
    "CreateFlowAlias": create_flow_alias,
    "GetFlowAlias": get_flow_alias,
    "UpdateFlowAlias": update_flow_alias,
    "DeleteFlowAlias": delete_flow_alias,
    "ListFlowAliases": list_flow_aliases,
}
