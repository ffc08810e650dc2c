"""Custom models: Get/List/DeleteCustomModel and CreateCustomModel, and the records the jobs make.

A customization job makes its custom model when it starts: ``modelStatus`` Creating, then Active when
the job completes (Failed when it fails or is stopped), ARN ``custom-model/<base variant>/<id>``. A model
copy job makes one the same way. CreateCustomModel (a model trained elsewhere, from S3) makes one under
``custom-model/imported/<id>``: Creating for ``DURATIONS["custom_model"]``, then Active.

A custom model is used through a provisioned model or a custom model deployment; its own ARN as a
``modelId`` is refused, as Bedrock refuses on-demand use of a custom model.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import customizable, records, s3_data, tags
from emulator.bedrock_control.durations import DURATIONS
from emulator.bedrock_control.records import CUSTOM_MODEL
from emulator.catalog import ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.lifecycle import schedule, stamp
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation
from emulator.wire.pagination import page

# A model trained outside Bedrock (CreateCustomModel) is served as this variant (emulator's choice).
IMPORTED_BASE: Final = "amazon.nova-micro-v1:0:128k"
# Emulator's choices (wire-facts §21).
NOT_ACTIVE: Final = (
    "The custom model {arn} is in {status} status. Retry your request after its status is Active."
)
ON_DEMAND: Final = (
    "Invocation of the custom model {arn} with on-demand throughput isn't supported. Retry your request with "
    "the ARN of a provisioned model or a custom model deployment that serves this model."
)
IN_USE: Final = "The custom model {arn} is in use by {what}. Delete it before you delete the model."


def new_model(
    call: OperationCall,
    *,
    name: str,
    variant: customizable.Variant,
    members: dict[str, Any],
    model_tags: list[dict[str, str]] | None,
    ready_at: float | None,
    imported: bool = False,
) -> dict[str, Any]:
    """Store a custom model customized from ``variant`` (status Creating; Active at ``ready_at``, when
    given, else whoever made it settles it) and answer its record. A model brought from outside Bedrock
    (``imported``) has ``imported`` in its ARN where a customized one names its base."""
    records.refuse_name_in_use(call, CUSTOM_MODEL, name)
    model_id = records.new_resource_id(call, "custom-model")
    record: dict[str, Any] = {
        **members,
        "modelName": name,
        "modelArn": records.arn(
            call, f"custom-model/{'imported' if imported else variant.model_id}/{model_id}"
        ),
        "baseModelArn": variant.arn_in(call.region),
        "baseModelName": variant.base.name,
        "ownerAccountId": account_id(call.tenant),
        "creationTime": stamp(call),
        "modelStatus": "Creating",
        "_variant": variant.model_id,
    }
    if ready_at is not None:
        schedule(record, [(ready_at, {"modelStatus": "Active"})])
    resources.save(call, CUSTOM_MODEL, model_id, record)
    tags.attach(call, record["modelArn"], model_tags)
    return record


def variant_of(record: dict[str, Any]) -> customizable.Variant:
    found = customizable.exact(str(record["_variant"]))
    assert found is not None  # records only name variants
    return found


def find_usable(call: OperationCall, identifier: str) -> dict[str, Any] | None:
    """The caller's custom model an identifier names, when it is Active; None for other identifiers."""
    found = records.find(call, CUSTOM_MODEL, identifier)
    if found is None:
        return None
    record = found[1]
    if record["modelStatus"] != "Active":
        raise validation(NOT_ACTIVE.format(arn=record["modelArn"], status=record["modelStatus"]))
    return record


def create_custom_model(call: OperationCall) -> Reply:
    values = params(call)
    source = (values.get("modelSourceConfig") or {}).get("s3DataSource", {}).get("s3Uri")
    if source is not None and s3_data.parse_uri(source) is None:
        raise validation(f"The S3 URI {source} is not valid.")
    variant = customizable.exact(IMPORTED_BASE)
    assert variant is not None
    record = new_model(
        call,
        name=values["modelName"],
        variant=variant,
        members={
            "customizationType": "IMPORTED",
            **({"modelKmsKeyArn": values["modelKmsKeyArn"]} if "modelKmsKeyArn" in values else {}),
        },
        model_tags=values.get("modelTags"),
        ready_at=lifecycle.now(call) + DURATIONS["custom_model"],
        imported=True,
    )
    return JsonReply({"modelArn": record["modelArn"]})


def get_custom_model(call: OperationCall) -> Reply:
    _, record = records.require(call, CUSTOM_MODEL, params(call)["modelIdentifier"])
    return JsonReply(records.shown(record, "GetCustomModelResponse"))


def list_custom_models(call: OperationCall) -> Reply:
    values = params(call)
    mine = [record for _, record in records.live(call, CUSTOM_MODEL)]
    base = values.get("baseModelArnEquals") or values.get("foundationModelArnEquals")
    if base is not None:
        mine = [r for r in mine if r["baseModelArn"] == base or customizable.bare_id(base) == r["_variant"]]
    status = values.get("modelStatus")
    if status is not None:
        mine = [r for r in mine if r["modelStatus"] == status]
    kept = records.filtered(mine, values, name="modelName")
    summaries = [records.shown(record, "CustomModelSummary") for record in kept]
    return JsonReply(page(call.service, call.operation, summaries, values))


def delete_custom_model(call: OperationCall) -> Reply:
    from emulator.bedrock_control import deployments, provisioned

    record_key, record = records.require(call, CUSTOM_MODEL, params(call)["modelIdentifier"])
    if provisioned.in_use(call, record["modelArn"]):
        raise validation(IN_USE.format(arn=record["modelArn"], what="a provisioned model"))
    if deployments.in_use(call, record["modelArn"]):
        raise validation(IN_USE.format(arn=record["modelArn"], what="a custom model deployment"))
    resources.remove(call, CUSTOM_MODEL, record_key)
    tags.drop(call, record["modelArn"])
    return JsonReply({})


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """A custom model's own ARN as a model id: Bedrock serves custom models through provisioned
    throughput or a deployment only."""
    found = records.peek(call, CUSTOM_MODEL, model_id)
    if found is None:
        if call.strict:
            raise AwsError("ResourceNotFoundException", records.UNRESOLVED)
        return None
    raise validation(ON_DEMAND.format(arn=model_id))


HANDLERS = {
    "CreateCustomModel": create_custom_model,
    "GetCustomModel": get_custom_model,
    "ListCustomModels": list_custom_models,
    "DeleteCustomModel": delete_custom_model,
}
