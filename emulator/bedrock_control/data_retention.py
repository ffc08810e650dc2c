"""Data retention settings: GetAccountDataRetention / PutAccountDataRetention, and the retention storage
per model provider at three scopes: Get/Put/Delete Account..., Organization... and ProjectDataRetentionStorage.

The account's mode is ``default`` until one is put (then with ``updatedAt``). A storage setting is kept per
tenant, scope and provider (a project's under the project's id); a Get of one never put is
ResourceNotFoundException, a Delete of one never put succeeds for the account and organization (their
Delete declares no ResourceNotFoundException) and not for a project. Customer-managed storage reads
``kmsKeyStatus`` and ``s3BucketStatus`` ``active``.
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control.projects import project
from emulator.control import lifecycle, resources
from emulator.control.guard import Handler
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

MODE: Final = Kind("bedrock:data-retention", "DataRetention")
STORAGE: Final = Kind("bedrock:data-retention-storage", "DataRetentionStorage")


def get_account_data_retention(call: OperationCall) -> Reply:
    record = resources.read(call, MODE, "account")
    return JsonReply(record if record is not None else {"mode": "default"})


def put_account_data_retention(call: OperationCall) -> Reply:
    record = {"mode": params(call)["mode"], "updatedAt": lifecycle.stamp(call)}
    resources.save(call, MODE, "account", record)
    return JsonReply(record)


def _key(call: OperationCall, scope: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    extra: dict[str, Any] = {}
    owner = scope
    if scope == "project":
        found = project(call, str(values["projectIdentifier"]))
        owner, extra = f"project/{found['id']}", {"projectArn": found["arn"]}
    return f"{owner}/{values['modelProvider']}", extra


def _put(scope: str) -> Handler:
    def put(call: OperationCall) -> Reply:
        values = params(call)
        key, extra = _key(call, scope, values)
        destination = values["storageDestination"]
        configuration = values.get("storageConfiguration")
        if destination == "customer_managed" and not configuration:
            raise AwsError(
                "ValidationException", "storageConfiguration is required for customer_managed storage."
            )
        record: dict[str, Any] = {
            "scope": scope,
            "modelProvider": values["modelProvider"],
            "storageDestination": destination,
            "updatedAt": lifecycle.stamp(call),
            **extra,
        }
        if destination == "customer_managed":
            record.update(
                {"storageConfiguration": configuration, "kmsKeyStatus": "active", "s3BucketStatus": "active"}
            )
        resources.save(call, STORAGE, key, record)
        return JsonReply(record)

    return put


def _get(scope: str) -> Handler:
    def get(call: OperationCall) -> Reply:
        values = params(call)
        key, _ = _key(call, scope, values)
        record = resources.read(call, STORAGE, key)
        if record is None:
            raise AwsError(
                "ResourceNotFoundException",
                f"No data retention storage is configured for {values['modelProvider']} at the {scope} scope.",
            )
        return JsonReply(record)

    return get


def _delete(scope: str) -> Handler:
    def delete(call: OperationCall) -> Reply:
        values = params(call)
        key, _ = _key(call, scope, values)
        if scope == "project" and resources.read(call, STORAGE, key) is None:
            raise AwsError(
                "ResourceNotFoundException",
                f"No data retention storage is configured for {values['modelProvider']} at the project scope.",
            )
        resources.remove(call, STORAGE, key)
        return JsonReply({})

    return delete


HANDLERS = {
    "GetAccountDataRetention": get_account_data_retention,
    "PutAccountDataRetention": put_account_data_retention,
    "GetAccountDataRetentionStorage": _get("account"),
    "PutAccountDataRetentionStorage": _put("account"),
    "DeleteAccountDataRetentionStorage": _delete("account"),
    "GetOrganizationDataRetentionStorage": _get("organization"),
    "PutOrganizationDataRetentionStorage": _put("organization"),
    "DeleteOrganizationDataRetentionStorage": _delete("organization"),
    "GetProjectDataRetentionStorage": _get("project"),
    "PutProjectDataRetentionStorage": _put("project"),
    "DeleteProjectDataRetentionStorage": _delete("project"),
}
