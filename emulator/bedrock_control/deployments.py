"""Custom model deployments (on-demand use of a custom model): Create/Get/List/Update/Delete
CustomModelDeployment, and what a deployment's ARN serves at run time.

A deployment of an Active custom model is ``Creating`` for ``DURATIONS["deployment"]`` seconds, then
``Active``; UpdateCustomModelDeployment points it at another custom model (``updateDetails``
``Updating`` -> ``UpdateCompleted``). Delete is immediate. Its ARN as a ``modelId`` answers as the
custom model's base model once Active.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import custom_models, records, tags
from emulator.bedrock_control.durations import DURATIONS
from emulator.bedrock_control.records import CUSTOM_MODEL, DEPLOYMENT
from emulator.catalog import ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.lifecycle import schedule, stamp
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation
from emulator.wire.pagination import page

# Emulator's choice (wire-facts §21).
NOT_ACTIVE: Final = (
    "The custom model deployment {arn} is in {status} status. Retry your request after its status is Active."
)


def _model(call: OperationCall, identifier: str) -> dict[str, Any]:
    model = custom_models.find_usable(call, identifier)
    if model is None:
        raise records.not_found(CUSTOM_MODEL, identifier)
    return model


def create_custom_model_deployment(call: OperationCall) -> Reply:
    values = params(call)
    records.refuse_name_in_use(call, DEPLOYMENT, values["modelDeploymentName"])
    model = _model(call, values["modelArn"])
    deployment_id = records.new_resource_id(call, "custom-model-deployment")
    moment = stamp(call)
    record: dict[str, Any] = {
        "customModelDeploymentArn": records.arn(call, f"custom-model-deployment/{deployment_id}"),
        "modelDeploymentName": values["modelDeploymentName"],
        "modelArn": model["modelArn"],
        "createdAt": moment,
        "lastUpdatedAt": moment,
        "status": "Creating",
        **({"description": values["description"]} if "description" in values else {}),
    }
    done = lifecycle.now(call) + DURATIONS["deployment"]
    schedule(record, [(done, {"status": "Active", "lastUpdatedAt": lifecycle.iso(done)})])
    resources.save(call, DEPLOYMENT, deployment_id, record)
    tags.attach(call, record["customModelDeploymentArn"], values.get("tags"))
    return JsonReply({"customModelDeploymentArn": record["customModelDeploymentArn"]})


def get_custom_model_deployment(call: OperationCall) -> Reply:
    _, record = records.require(call, DEPLOYMENT, params(call)["customModelDeploymentIdentifier"])
    return JsonReply(records.shown(record, "GetCustomModelDeploymentResponse"))


def list_custom_model_deployments(call: OperationCall) -> Reply:
    values = params(call)
    mine = [record for _, record in records.live(call, DEPLOYMENT)]
    wanted = values.get("modelArnEquals")
    if wanted is not None:
        mine = [record for record in mine if record["modelArn"] == wanted]
    kept = records.filtered(mine, values, name="modelDeploymentName", created="createdAt", status="status")
    summaries = [records.shown(record, "CustomModelDeploymentSummary") for record in kept]
    return JsonReply(page(call.service, call.operation, summaries, values))


def update_custom_model_deployment(call: OperationCall) -> Reply:
    values = params(call)
    record_key, record = records.require(call, DEPLOYMENT, values["customModelDeploymentIdentifier"])
    if record["status"] != "Active":
        raise validation(NOT_ACTIVE.format(arn=record["customModelDeploymentArn"], status=record["status"]))
    model = _model(call, values["modelArn"])
    done = lifecycle.now(call) + DURATIONS["update"]
    record.update(
        {
            "updateDetails": {"modelArn": model["modelArn"], "updateStatus": "Updating"},
            "lastUpdatedAt": stamp(call),
        }
    )
    finished = {"modelArn": model["modelArn"], "updateStatus": "UpdateCompleted"}
    schedule(
        record,
        [
            (
                done,
                {
                    "modelArn": model["modelArn"],
                    "updateDetails": finished,
                    "lastUpdatedAt": lifecycle.iso(done),
                },
            )
        ],
    )
    resources.save(call, DEPLOYMENT, record_key, record)
    return JsonReply({"customModelDeploymentArn": record["customModelDeploymentArn"]})


def delete_custom_model_deployment(call: OperationCall) -> Reply:
    record_key, record = records.require(call, DEPLOYMENT, params(call)["customModelDeploymentIdentifier"])
    resources.remove(call, DEPLOYMENT, record_key)
    tags.drop(call, record["customModelDeploymentArn"])
    return JsonReply({})


def in_use(call: OperationCall, model_arn: str) -> bool:
    return any(record["modelArn"] == model_arn for _, record in records.live(call, DEPLOYMENT))


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """What a deployment's ARN serves (``model_targets``): its custom model's base model."""
    found = records.peek(call, DEPLOYMENT, model_id)
    if found is None:
        if call.strict:
            raise AwsError("ResourceNotFoundException", records.UNRESOLVED)
        return None
    if found["status"] != "Active":
        raise validation(NOT_ACTIVE.format(arn=model_id, status=found["status"]))
    model = records.peek(call, CUSTOM_MODEL, found["modelArn"])
    if model is None:  # deleting a deployed model is refused, so this is a model gone from under it
        raise AwsError("ResourceNotFoundException", records.UNRESOLVED)
    return records.served(call, model_id, custom_models.variant_of(model).base, "custom-model-deployment")


HANDLERS = {
    "CreateCustomModelDeployment": create_custom_model_deployment,
    "GetCustomModelDeployment": get_custom_model_deployment,
    "ListCustomModelDeployments": list_custom_model_deployments,
    "UpdateCustomModelDeployment": update_custom_model_deployment,
    "DeleteCustomModelDeployment": delete_custom_model_deployment,
}
