"""Provisioned Throughput: Create/Get/List/Update/DeleteProvisionedModelThroughput, and what its ARN
serves at run time.

A provisioned model is ``Creating`` for ``DURATIONS["provision"]`` seconds of virtual clock, then
``InService``; an update is ``Updating`` for ``DURATIONS["update"]``, then ``InService`` with the desired
name and model. Delete is immediate. It serves a customizable foundation model (the variant id
``amazon.nova-micro-v1:0:128k``, or the catalogue's id for it) or one of the caller's custom models.

Its ARN as a ``modelId`` (``model_targets``) answers as the model it serves once ``InService``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import custom_models, customizable, records, tags
from emulator.bedrock_control.durations import DURATIONS
from emulator.bedrock_control.records import PROVISIONED_MODEL
from emulator.catalog import ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.lifecycle import schedule, stamp
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation
from emulator.wire.pagination import page

# An update leaves the provisioned model serving its current model until the change is done.
SERVING: Final = ("InService", "Updating")
COMMITMENT_DAYS: Final = {"OneMonth": 30, "SixMonths": 182}
# Emulator's choices (wire-facts §21): no public capture shows Bedrock's texts.
NOT_PROVISIONABLE: Final = "Provisioned Throughput is not supported for the model {model}."
NOT_IN_SERVICE: Final = (
    "The provisioned model {arn} is in {status} status. Retry your request after its status is InService."
)
# Worded after DeleteProvisionedModelThroughput's documentation ("You can't delete a Provisioned
# Throughput before the commitment term is over", wire-facts §21).
COMMITTED: Final = (
    "You can't delete the Provisioned Throughput {arn} before its commitment term is over ({end})."
)
MODEL_CHANGE: Final = (
    "The desired model must be the base model or a custom model customized from the same base model "
    "as the provisioned model's current model."
)


def _served(call: OperationCall, model_id: str) -> tuple[str, str]:
    """(``modelArn``, ``foundationModelArn``) of the model a request names, or Bedrock's refusal."""
    found = custom_models.find_usable(call, model_id)
    if found is not None:
        return found["modelArn"], found["baseModelArn"]
    variant = customizable.variant(model_id)
    if variant is None:
        if model_id.startswith("arn:") and ":custom-model/" in model_id:
            raise records.not_found(records.CUSTOM_MODEL, model_id)
        raise validation(NOT_PROVISIONABLE.format(model=customizable.bare_id(model_id)))
    if call.strict and variant.base.is_retired():
        raise AwsError("ResourceNotFoundException", catalog.END_OF_LIFE_MESSAGE)
    return variant.arn_in(call.region), variant.arn_in(call.region)


def create_provisioned_model_throughput(call: OperationCall) -> Reply:
    values = params(call)
    name = values["provisionedModelName"]
    records.refuse_name_in_use(call, PROVISIONED_MODEL, name)
    model_arn, foundation_arn = _served(call, values["modelId"])
    model_id = records.new_resource_id(call, "provisioned-model")
    moment = stamp(call)
    record: dict[str, Any] = {
        "provisionedModelName": name,
        "provisionedModelArn": records.arn(call, f"provisioned-model/{model_id}"),
        "modelArn": model_arn,
        "desiredModelArn": model_arn,
        "foundationModelArn": foundation_arn,
        "modelUnits": values["modelUnits"],
        "desiredModelUnits": values["modelUnits"],
        "status": "Creating",
        "creationTime": moment,
        "lastModifiedTime": moment,
    }
    commitment = values.get("commitmentDuration")
    if commitment is not None:
        record["commitmentDuration"] = commitment
    done = lifecycle.now(call) + DURATIONS["provision"]
    ready: dict[str, Any] = {"status": "InService", "lastModifiedTime": lifecycle.iso(done)}
    if commitment is not None:
        expires = done + timedelta(days=COMMITMENT_DAYS[commitment]).total_seconds()
        ready["commitmentExpirationTime"] = lifecycle.iso(expires)
        record["_commitment_ends"] = expires
    schedule(record, [(done, ready)])
    resources.save(call, PROVISIONED_MODEL, model_id, record)
    tags.attach(call, record["provisionedModelArn"], values.get("tags"))
    return JsonReply({"provisionedModelArn": record["provisionedModelArn"]})


def get_provisioned_model_throughput(call: OperationCall) -> Reply:
    _, record = records.require(call, PROVISIONED_MODEL, params(call)["provisionedModelId"])
    return JsonReply(records.shown(record, "GetProvisionedModelThroughputResponse"))


def list_provisioned_model_throughputs(call: OperationCall) -> Reply:
    values = params(call)
    mine = [record for _, record in records.live(call, PROVISIONED_MODEL)]
    wanted_model = values.get("modelArnEquals")
    if wanted_model is not None:
        mine = [record for record in mine if record["modelArn"] == wanted_model]
    kept = records.filtered(mine, values, name="provisionedModelName", status="status")
    summaries = [records.shown(record, "ProvisionedModelSummary") for record in kept]
    return JsonReply(page(call.service, call.operation, summaries, values))


def update_provisioned_model_throughput(call: OperationCall) -> Reply:
    values = params(call)
    record_key, record = records.require(call, PROVISIONED_MODEL, values["provisionedModelId"])
    if record["status"] != "InService":
        raise AwsError(
            "ConflictException",
            NOT_IN_SERVICE.format(arn=record["provisionedModelArn"], status=record["status"]),
        )
    changes: dict[str, Any] = {}
    new_name = values.get("desiredProvisionedModelName")
    if new_name is not None and new_name != record["provisionedModelName"]:
        records.refuse_name_in_use(call, PROVISIONED_MODEL, new_name)
        changes["provisionedModelName"] = new_name
    desired = values.get("desiredModelId")
    if desired is not None:
        model_arn, foundation_arn = _served(call, desired)
        if foundation_arn != record["foundationModelArn"] or ":custom-model/" not in record["modelArn"]:
            raise validation(MODEL_CHANGE)
        record["desiredModelArn"] = model_arn
        changes["modelArn"] = model_arn
    if changes:
        done = lifecycle.now(call) + DURATIONS["update"]
        record.update({"status": "Updating", "lastModifiedTime": stamp(call)})
        schedule(
            record, [(done, {**changes, "status": "InService", "lastModifiedTime": lifecycle.iso(done)})]
        )
        resources.save(call, PROVISIONED_MODEL, record_key, record)
    return JsonReply({})


def delete_provisioned_model_throughput(call: OperationCall) -> Reply:
    record_key, record = records.require(call, PROVISIONED_MODEL, params(call)["provisionedModelId"])
    ends = record.get("_commitment_ends")
    if ends is not None and lifecycle.now(call) < float(ends):
        end = lifecycle.iso(float(ends))
        raise AwsError("ConflictException", COMMITTED.format(arn=record["provisionedModelArn"], end=end))
    resources.remove(call, PROVISIONED_MODEL, record_key)
    tags.drop(call, record["provisionedModelArn"])
    return JsonReply({})


def in_use(call: OperationCall, model_arn: str) -> bool:
    """Whether a provisioned model serves (or is about to serve) this model."""
    return any(
        model_arn in (r["modelArn"], r["desiredModelArn"]) for _, r in records.live(call, PROVISIONED_MODEL)
    )


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """What a provisioned model's ARN serves (``model_targets``): the foundation model underneath."""
    found = records.peek(call, PROVISIONED_MODEL, model_id)
    if found is None:
        if call.strict:
            raise AwsError("ResourceNotFoundException", records.UNRESOLVED)
        return None
    if found["status"] not in SERVING:
        raise validation(NOT_IN_SERVICE.format(arn=model_id, status=found["status"]))
    variant = customizable.variant(found["foundationModelArn"])
    if variant is None:  # records only hold provisionable models
        raise AwsError("ResourceNotFoundException", records.UNRESOLVED)
    return records.served(call, model_id, variant.base, "provisioned-model")


HANDLERS = {
    "CreateProvisionedModelThroughput": create_provisioned_model_throughput,
    "GetProvisionedModelThroughput": get_provisioned_model_throughput,
    "ListProvisionedModelThroughputs": list_provisioned_model_throughputs,
    "UpdateProvisionedModelThroughput": update_provisioned_model_throughput,
    "DeleteProvisionedModelThroughput": delete_provisioned_model_throughput,
}
