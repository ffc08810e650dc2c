"""CreateVpcConfiguration, GetVpcConfiguration, DeleteVpcConfiguration, ListVpcConfigurations: how a
knowledge base reaches a store inside a VPC. CREATING, then CREATED; DELETING, then gone."""

from __future__ import annotations

from typing import Any

from emulator.control import lifecycle, resources
from emulator.control.data_sources import usable_knowledge_base
from emulator.control.ids import HEX, new_id
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import name_taken, not_found
from emulator.control.request import params
from emulator.control.resources import VPC_CONFIGURATION, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page


def create_vpc_configuration(call: OperationCall) -> Reply:
    values = params(call)
    kb_id = values["knowledgeBaseId"]
    usable_knowledge_base(call, kb_id)
    name = values.get("name")
    if name is not None:
        existing = resources.sibling_named(call, VPC_CONFIGURATION, kb_id, name)
        if existing is not None:
            raise name_taken("Create", name, existing[1]["vpcConfigurationId"])
    vpc_id = new_id(call, "vpc-configuration", alphabet=HEX, length=32)
    moment = stamp(call)
    record = {
        **values,
        "vpcConfigurationId": vpc_id,
        "status": "CREATING",
        "createdAt": moment,
        "updatedAt": moment,
    }
    done = later(call, "create")
    schedule(record, [(done, {"status": "CREATED", "updatedAt": lifecycle.iso(done)})])
    resources.save(call, VPC_CONFIGURATION, key(kb_id, vpc_id), record)
    return JsonReply({"vpcConfigurationId": vpc_id, "status": "CREATING"})


def get_vpc_configuration(call: OperationCall) -> Reply:
    return JsonReply({"vpcConfiguration": view(_configuration(call)[1], "VpcConfiguration")})


def delete_vpc_configuration(call: OperationCall) -> Reply:
    record_key, record = _configuration(call)
    if record["status"] != "DELETING":
        record.update({"status": "DELETING", "updatedAt": stamp(call)})
        schedule(record, [(later(call, "delete"), {lifecycle.GONE: True})])
        resources.save(call, VPC_CONFIGURATION, record_key, record)
    return JsonReply({"vpcConfigurationId": record["vpcConfigurationId"], "status": "DELETING"})


def list_vpc_configurations(call: OperationCall) -> Reply:
    values = params(call)
    kb_id = values["knowledgeBaseId"]
    resources.require(call, resources.KNOWLEDGE_BASE, kb_id)
    wanted = values.get("statusFilter")
    items = [
        view(record, "VpcConfigurationSummary")
        for _, record in resources.records(call, VPC_CONFIGURATION, kb_id)
        if wanted is None or record["status"] == wanted
    ]
    return JsonReply(page(call.service, call.operation, items, values))


def _configuration(call: OperationCall) -> tuple[str, dict[str, Any]]:
    values = params(call)
    kb_id, vpc_id = values["knowledgeBaseId"], values["vpcConfigurationId"]
    resources.require(call, resources.KNOWLEDGE_BASE, kb_id)
    record = resources.read(call, VPC_CONFIGURATION, key(kb_id, vpc_id))
    if record is None:
        raise not_found(VPC_CONFIGURATION.label, vpc_id)
    return key(kb_id, vpc_id), record


HANDLERS = {
    "CreateVpcConfiguration": create_vpc_configuration,
    "GetVpcConfiguration": get_vpc_configuration,
    "DeleteVpcConfiguration": delete_vpc_configuration,
    "ListVpcConfigurations": list_vpc_configurations,
}
