"""Amazon Bedrock Marketplace model endpoints: Create/Get/List/Update/Delete/Register/Deregister
MarketplaceModelEndpoint.

An endpoint is a SageMaker endpoint (``arn:aws:sagemaker:<region>:<account>:endpoint/<name>``) that
Bedrock knows of: created here, its ``endpointStatus`` is Creating for ``DURATIONS["endpoint"]``, then
InService (Updating, then InService again after an update); ``status`` is REGISTERED. Registering names
an endpoint made elsewhere (InService, with a one-instance configuration); deregistering forgets it, as
deleting does. No SageMaker endpoint is actually run: invoking one is not served.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import records, tags
from emulator.bedrock_control.durations import DURATIONS
from emulator.bedrock_control.records import MARKETPLACE_ENDPOINT
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id, role_arn
from emulator.control.lifecycle import schedule, stamp
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

# Emulator's choice (wire-facts §21).
NOT_FOUND: Final = "Marketplace model endpoint {arn} was not found."


def _arn(call: OperationCall, name: str) -> str:
    return f"arn:aws:sagemaker:{call.region}:{account_id(call.tenant)}:endpoint/{name.lower()}"


def _require(call: OperationCall, identifier: str) -> dict[str, Any]:
    record = resources.read(call, MARKETPLACE_ENDPOINT, identifier)
    if record is None:
        record = resources.read(call, MARKETPLACE_ENDPOINT, _arn(call, identifier))
    if record is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(arn=identifier))
    return record


def _save(call: OperationCall, record: dict[str, Any]) -> JsonReply:
    resources.save(call, MARKETPLACE_ENDPOINT, record["endpointArn"], record)
    return JsonReply({"marketplaceModelEndpoint": records.shown(record, "MarketplaceModelEndpoint")})


def _settling(call: OperationCall, record: dict[str, Any], status: str) -> None:
    done = lifecycle.now(call) + DURATIONS["endpoint"]
    record.update({"endpointStatus": status, "updatedAt": stamp(call)})
    schedule(record, [(done, {"endpointStatus": "InService", "updatedAt": lifecycle.iso(done)})])


def create_marketplace_model_endpoint(call: OperationCall) -> Reply:
    values = params(call)
    arn = _arn(call, values["endpointName"])
    if resources.read(call, MARKETPLACE_ENDPOINT, arn) is not None:
        raise AwsError(
            "ConflictException", records.NAME_IN_USE.format(label="Endpoint", name=values["endpointName"])
        )
    moment = stamp(call)
    record = {
        "endpointArn": arn,
        "modelSourceIdentifier": values["modelSourceIdentifier"],
        "status": "REGISTERED",
        "createdAt": moment,
        "endpointConfig": values["endpointConfig"],
    }
    _settling(call, record, "Creating")
    tags.attach(call, arn, values.get("tags"))
    return _save(call, record)


def register_marketplace_model_endpoint(call: OperationCall) -> Reply:
    values = params(call)
    identifier = values["endpointIdentifier"]
    arn = identifier if identifier.startswith("arn:") else _arn(call, identifier)
    moment = stamp(call)
    config = {
        "sageMaker": {
            "initialInstanceCount": 1,
            "instanceType": "ml.g5.2xlarge",
            "executionRole": role_arn(call.tenant, "AmazonSageMaker-ExecutionRole"),
        }
    }
    existing = resources.read(call, MARKETPLACE_ENDPOINT, arn)
    record = existing or {
        "endpointArn": arn,
        "createdAt": moment,
        "endpointConfig": config,
        "endpointStatus": "InService",
    }
    record.update(
        {
            "modelSourceIdentifier": values["modelSourceIdentifier"],
            "status": "REGISTERED",
            "updatedAt": moment,
        }
    )
    tags.attach(call, arn)
    return _save(call, record)


def get_marketplace_model_endpoint(call: OperationCall) -> Reply:
    record = _require(call, params(call)["endpointArn"])
    return JsonReply({"marketplaceModelEndpoint": records.shown(record, "MarketplaceModelEndpoint")})


def list_marketplace_model_endpoints(call: OperationCall) -> Reply:
    values = params(call)
    mine = [record for _, record in resources.records(call, MARKETPLACE_ENDPOINT)]
    source = values.get("modelSourceEquals")
    if source is not None:
        mine = [record for record in mine if record["modelSourceIdentifier"] == source]
    summaries = [records.shown(record, "MarketplaceModelEndpointSummary") for record in mine]
    return JsonReply(page(call.service, call.operation, summaries, values))


def update_marketplace_model_endpoint(call: OperationCall) -> Reply:
    values = params(call)
    record = _require(call, values["endpointArn"])
    record["endpointConfig"] = values["endpointConfig"]
    _settling(call, record, "Updating")
    return _save(call, record)


def _forget(call: OperationCall) -> Reply:
    record = _require(call, params(call)["endpointArn"])
    resources.remove(call, MARKETPLACE_ENDPOINT, record["endpointArn"])
    tags.drop(call, record["endpointArn"])
    return JsonReply({})


HANDLERS = {
    "CreateMarketplaceModelEndpoint": create_marketplace_model_endpoint,
    "RegisterMarketplaceModelEndpoint": register_marketplace_model_endpoint,
    "GetMarketplaceModelEndpoint": get_marketplace_model_endpoint,
    "ListMarketplaceModelEndpoints": list_marketplace_model_endpoints,
    "UpdateMarketplaceModelEndpoint": update_marketplace_model_endpoint,
    "DeleteMarketplaceModelEndpoint": _forget,
    "DeregisterMarketplaceModelEndpoint": _forget,
}
