"""The kinds of model resources the ``bedrock`` control plane keeps, their ids and ARNs, and finding one
by the identifier a request gives (its name, its id or its ARN).

Ids are twelve lower-case letters and digits, as botocore's ARN patterns have them
(``provisioned-model/[a-z0-9]{12}``); a record is stored under its id. Records keep the wire's member
names, so ``shown(record, "<OutputShape>")`` is what the API answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from emulator import catalog
from emulator.catalog import FoundationModel, ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.accounts import bedrock_arn
from emulator.control.ids import LOWER, new_id
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import OperationCall
from emulator.wire.errors import AwsError

SERVICE: Final = "bedrock"

PROVISIONED_MODEL = Kind("bedrock:provisioned-model", "provisioned model", "provisionedModelName")
CUSTOMIZATION_JOB = Kind("bedrock:model-customization-job", "model customization job", "jobName")
CUSTOM_MODEL = Kind("bedrock:custom-model", "custom model", "modelName")
DEPLOYMENT = Kind("bedrock:custom-model-deployment", "custom model deployment", "modelDeploymentName")
IMPORT_JOB = Kind("bedrock:model-import-job", "model import job", "jobName")
IMPORTED_MODEL = Kind("bedrock:imported-model", "imported model", "modelName")
COPY_JOB = Kind("bedrock:model-copy-job", "model copy job")
MARKETPLACE_ENDPOINT = Kind("bedrock:marketplace-model-endpoint", "marketplace model endpoint")
AGREEMENT = Kind("bedrock:foundation-model-agreement", "foundation model agreement")
USE_CASE = Kind("bedrock:use-case-for-model-access", "use case")

# The member holding each kind's ARN.
ARN_MEMBER: Final[Mapping[str, str]] = {
    PROVISIONED_MODEL.store_kind: "provisionedModelArn",
    CUSTOMIZATION_JOB.store_kind: "jobArn",
    CUSTOM_MODEL.store_kind: "modelArn",
    DEPLOYMENT.store_kind: "customModelDeploymentArn",
    IMPORT_JOB.store_kind: "jobArn",
    IMPORTED_MODEL.store_kind: "modelArn",
    COPY_JOB.store_kind: "jobArn",
}
HIDDEN: Final = "_hidden"  # a record that exists only once its job completes (an imported model)


def new_resource_id(call: OperationCall, purpose: str) -> str:
    return new_id(call, f"bedrock/{purpose}", alphabet=LOWER, length=12)


def arn(call: OperationCall, resource: str) -> str:
    """``arn:aws:bedrock:<region>:<the caller's account>:<resource>``."""
    return bedrock_arn(call.region, call.tenant, resource)


def shown(record: Mapping[str, Any], shape: str) -> dict[str, Any]:
    return view(record, shape, service=SERVICE)


def live(call: OperationCall, kind: Kind) -> list[tuple[str, dict[str, Any]]]:
    """The caller's records of a kind, settled on the clock, in creation order (hidden ones left out)."""
    return [(k, r) for k, r in resources.records(call, kind) if not r.get(HIDDEN)]


def find(call: OperationCall, kind: Kind, identifier: str) -> tuple[str, dict[str, Any]] | None:
    """The record an identifier names: its ARN, its id (the ARN's last part) or its name."""
    arn_member = ARN_MEMBER.get(kind.store_kind)
    for record_key, record in live(call, kind):
        if identifier in (record_key, record.get(arn_member or "")):
            return record_key, record
        if kind.name_member is not None and record.get(kind.name_member) == identifier:
            return record_key, record
    return None


def require(call: OperationCall, kind: Kind, identifier: str) -> tuple[str, dict[str, Any]]:
    found = find(call, kind, identifier)
    if found is None:
        raise not_found(kind, identifier)
    return found


def refuse_name_in_use(call: OperationCall, kind: Kind, name: str) -> None:
    assert kind.name_member is not None
    if any(record.get(kind.name_member) == name for _, record in live(call, kind)):
        raise AwsError("ConflictException", NAME_IN_USE.format(label=kind.label.capitalize(), name=name))


def not_found(kind: Kind, identifier: str) -> AwsError:
    return AwsError(
        "ResourceNotFoundException", NOT_FOUND.format(label=kind.label.capitalize(), id=identifier)
    )


# Emulator's choices (wire-facts §21): no public capture shows these texts.
NOT_FOUND: Final = "{label} with identifier {id} was not found."
NAME_IN_USE: Final = "{label} with name {name} already exists."


def filtered(
    items: list[dict[str, Any]],
    values: Mapping[str, Any],
    *,
    name: str,
    created: str = "creationTime",
    status: str | None = None,
) -> list[dict[str, Any]]:
    """A List operation's records after its filters (``nameContains``, ``statusEquals``, the creation
    time bounds) and its order (``sortOrder``, newest first unless Ascending; creation time, or the name
    when ``sortBy`` is a name)."""
    contains = values.get("nameContains") or values.get("targetModelNameContains")
    wanted_status = values.get("statusEquals")
    after = _moment(values.get("creationTimeAfter") or values.get("createdAfter"))
    before = _moment(values.get("creationTimeBefore") or values.get("createdBefore"))
    kept = [
        item
        for item in items
        if (contains is None or str(contains) in str(item.get(name, "")))
        and (wanted_status is None or status is None or item.get(status) == wanted_status)
        and (after is None or str(item.get(created, "")) > after)
        and (before is None or str(item.get(created, "")) < before)
    ]
    sort_key = name if str(values.get("sortBy", "CreationTime")) != "CreationTime" else created
    kept.sort(key=lambda item: str(item.get(sort_key, "")), reverse=values.get("sortOrder") != "Ascending")
    return kept


def _moment(value: Any) -> str | None:
    """A time filter as the records' ISO strings compare (the input layer gives a datetime)."""
    if value is None:
        return None
    if hasattr(value, "astimezone"):
        from datetime import UTC

        return str(value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"))
    return str(value)


# Seen (wire-facts §21): InvokeModel on a model identifier Bedrock cannot resolve.
UNRESOLVED: Final = "Could not resolve the foundation model from the provided model identifier."


def peek(call: OperationCall, kind: Kind, identifier: str) -> dict[str, Any] | None:
    """What ``find`` finds, as it stands now, without writing anything back: the runtime reads records
    outside the control-plane lock, so it must not save a settled copy over a concurrent change."""
    arn_member = ARN_MEMBER.get(kind.store_kind, "")
    moment = lifecycle.now(call)
    for record_key, record in call.state.store.list(call.tenant, kind.store_kind):
        lifecycle.settle(record, moment)
        if record.get(lifecycle.GONE) or record.get(HIDDEN):
            continue
        if identifier in (record_key, record.get(arn_member)):
            return dict(record)
    return None


def served(call: OperationCall, model_id: str, model: FoundationModel, kind: str) -> ResolvedModel:
    """A created resource's ARN answered as ``model``: a retired model is Bedrock's end-of-life refusal in
    strict mode and served with the catalogue's warning in lenient mode, as a foundation-model id is."""
    warnings: tuple[str, ...] = ()
    if model.is_retired():
        if call.strict:
            raise AwsError("ResourceNotFoundException", catalog.END_OF_LIFE_MESSAGE)
        warnings = (
            f"{model.model_id} reached its end of life on {model.eol_date}; "
            "real Bedrock answers ResourceNotFoundException",
        )
    return ResolvedModel(model_id, model, kind, None, call.region, warnings)
