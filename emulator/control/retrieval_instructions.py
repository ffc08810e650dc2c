"""CreateRetrievalInstruction, GetRetrievalInstruction, UpdateRetrievalInstruction,
DeleteRetrievalInstruction, ListRetrievalInstructions, CreateRetrievalInstructionVersion,
ListRetrievalInstructionVersions.

An instruction is ACTIVE with ``lastTransitionStatus`` CREATING, then CREATE_SUCCESSFUL (UPDATING, then
UPDATE_SUCCESSFUL after an update); versions are copies under ``<id>/<n>``. Ids are ten lower-case
letters and digits, as botocore's ``RetrievalInstructionId`` declares.
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, lifecycle, resources, tags
from emulator.control.ids import LOWER, new_id, next_version
from emulator.control.lifecycle import later, schedule, stamp
from emulator.control.messages import name_taken, not_found
from emulator.control.request import params, without
from emulator.control.resources import RETRIEVAL_INSTRUCTION, RETRIEVAL_INSTRUCTION_VERSION, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

DRAFT = "DRAFT"


def create_retrieval_instruction(call: OperationCall) -> Reply:
    values = params(call)
    existing = resources.sibling_named(call, RETRIEVAL_INSTRUCTION, "", values["name"])
    if existing is not None:
        raise name_taken("Create", values["name"], existing[0])
    instruction_id = new_id(call, "retrieval-instruction", alphabet=LOWER)
    moment = stamp(call)
    record = {
        **without(values, "tags"),
        "retrievalInstructionId": instruction_id,
        "retrievalInstructionArn": arns.retrieval_instruction(call, instruction_id),
        "status": "ACTIVE",
        "lastTransitionStatus": "CREATING",
        "version": DRAFT,
        "createdAt": moment,
        "updatedAt": moment,
    }
    done = later(call, "create")
    schedule(
        record, [(done, {"lastTransitionStatus": "CREATE_SUCCESSFUL", "updatedAt": lifecycle.iso(done)})]
    )
    resources.save(call, RETRIEVAL_INSTRUCTION, instruction_id, record)
    tags.attach(call, record["retrievalInstructionArn"], values.get("tags"))
    return JsonReply(view(record, "CreateRetrievalInstructionResponse"))


def get_retrieval_instruction(call: OperationCall) -> Reply:
    values = params(call)
    instruction = _instruction(call, values["retrievalInstructionId"])
    version = values.get("retrievalInstructionVersion")
    record = instruction if version in (None, DRAFT) else _version(call, instruction, str(version))
    latest = _latest(call, instruction["retrievalInstructionId"])
    if latest is not None:
        record = {**record, "latestVersion": latest}
    return JsonReply(view(record, "GetRetrievalInstructionResponse"))


def update_retrieval_instruction(call: OperationCall) -> Reply:
    values = params(call)
    record = _instruction(call, values["retrievalInstructionId"])
    record.pop("description", None)
    record.update({k: v for k, v in values.items() if k in ("instruction", "description")})
    done = later(call, "update")
    record.update({"lastTransitionStatus": "UPDATING", "updatedAt": stamp(call)})
    schedule(
        record, [(done, {"lastTransitionStatus": "UPDATE_SUCCESSFUL", "updatedAt": lifecycle.iso(done)})]
    )
    resources.save(call, RETRIEVAL_INSTRUCTION, record["retrievalInstructionId"], record)
    return JsonReply(view(record, "UpdateRetrievalInstructionResponse"))


def delete_retrieval_instruction(call: OperationCall) -> Reply:
    values = params(call)
    record = _instruction(call, values["retrievalInstructionId"])
    instruction_id = record["retrievalInstructionId"]
    reply: dict[str, Any] = {
        "retrievalInstructionId": instruction_id,
        "retrievalInstructionArn": record["retrievalInstructionArn"],
    }
    version = values.get("retrievalInstructionVersion")
    if version is not None:
        _version(call, record, str(version))
        resources.remove(call, RETRIEVAL_INSTRUCTION_VERSION, key(instruction_id, str(version)))
        return JsonReply({**reply, "version": str(version)})
    resources.remove_under(call, RETRIEVAL_INSTRUCTION_VERSION, instruction_id)
    resources.remove(call, RETRIEVAL_INSTRUCTION, instruction_id)
    tags.drop(call, record["retrievalInstructionArn"])
    return JsonReply(reply)


def list_retrieval_instructions(call: OperationCall) -> Reply:
    values = params(call)
    wanted = values.get("status")
    items = [
        view(record, "RetrievalInstructionSummary")
        for _, record in resources.records(call, RETRIEVAL_INSTRUCTION)
        if wanted is None or record["status"] == wanted
    ]
    return JsonReply(page(call.service, call.operation, items, values))


def create_retrieval_instruction_version(call: OperationCall) -> Reply:
    values = params(call)
    instruction = _instruction(call, values["retrievalInstructionId"])
    instruction_id = instruction["retrievalInstructionId"]
    version = next_version(call, f"retrieval-instruction/{instruction_id}")
    record = {
        **{k: v for k, v in instruction.items() if not k.startswith("_") and k != "clientToken"},
        **without(values, "retrievalInstructionId"),
        "version": version,
        "createdAt": stamp(call),
    }
    resources.save(call, RETRIEVAL_INSTRUCTION_VERSION, key(instruction_id, version), record)
    return JsonReply(view(record, "CreateRetrievalInstructionVersionResponse"))


def list_retrieval_instruction_versions(call: OperationCall) -> Reply:
    values = params(call)
    instruction = _instruction(call, values["retrievalInstructionId"])
    items = [
        view(record, "RetrievalInstructionVersionSummary")
        for _, record in resources.records(
            call, RETRIEVAL_INSTRUCTION_VERSION, instruction["retrievalInstructionId"]
        )
    ]
    return JsonReply(page(call.service, call.operation, items, values))


def _instruction(call: OperationCall, instruction_id: str) -> dict[str, Any]:
    return resources.require(call, RETRIEVAL_INSTRUCTION, instruction_id)


def _version(call: OperationCall, instruction: dict[str, Any], version: str) -> dict[str, Any]:
    record = resources.read(
        call, RETRIEVAL_INSTRUCTION_VERSION, key(instruction["retrievalInstructionId"], version)
    )
    if record is None:
        raise not_found(RETRIEVAL_INSTRUCTION_VERSION.label, version)
    return record


def _latest(call: OperationCall, instruction_id: str) -> str | None:
    numbers = [
        int(k.rsplit("/", 1)[1])
        for k, _ in resources.records(call, RETRIEVAL_INSTRUCTION_VERSION, instruction_id)
    ]
    return str(max(numbers)) if numbers else None


HANDLERS = {
    "CreateRetrievalInstruction": create_retrieval_instruction,
    "GetRetrievalInstruction": get_retrieval_instruction,
    "UpdateRetrievalInstruction": update_retrieval_instruction,
    "DeleteRetrievalInstruction": delete_retrieval_instruction,
    "ListRetrievalInstructions": list_retrieval_instructions,
    "CreateRetrievalInstructionVersion": create_retrieval_instruction_version,
    "ListRetrievalInstructionVersions": list_retrieval_instruction_versions,
}
