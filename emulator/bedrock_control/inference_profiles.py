"""CreateInferenceProfile, GetInferenceProfile, ListInferenceProfiles, DeleteInferenceProfile, and what an
application inference profile's ARN serves at run time.

System-defined profiles come from the catalogue (``us.anthropic...`` for a caller in a US Region), in the
caller's account. An application profile copies its models from a foundation model ARN or a system
profile ARN (``modelSource.copyFrom``); it is ACTIVE at once (the only status Bedrock's model knows), keyed
by a twelve-character id, ARN ``application-inference-profile/<id>``. As a ``modelId`` on Converse,
ConverseStream, InvokeModel and InvokeModelWithResponseStream it serves the model it copied.
"""

from __future__ import annotations

import re
from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import tags
from emulator.catalog import ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id, bedrock_arn
from emulator.control.ids import LOWER, new_id
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.control import system_profile
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

SERVICE: Final = "bedrock"
PROFILE: Final = Kind("bedrock:application-inference-profile", "InferenceProfile", "inferenceProfileName")
# wire-facts §22.1: GetInferenceProfile's not-found text (kept from the catalogue reads).
NOT_FOUND: Final = "The specified inference profile was not found."
# wire-facts §22.1: seen (awslabs/aws-solutions-constructs#1387).
BAD_SOURCE: Final = "copyFrom must be a valid inference profile model source ARN."
# wire-facts §22.1 (the emulator's wording).
NAME_TAKEN: Final = "An inference profile with the name {name} already exists."
_SOURCE: Final = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12})?:"
    r"(?P<kind>foundation-model|inference-profile)/(?P<id>.+)$"
)
_APPLICATION: Final = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]{1,20}:(?P<account>[0-9]{12}):application-inference-profile/"
    r"(?P<id>[a-z0-9]{12})$"
)


def _source(call: OperationCall, arn: str) -> tuple[str, list[dict[str, str]]]:
    """The model id an application profile serves and the models it lists, from its ``copyFrom``."""
    match = _SOURCE.match(arn)
    if match is None or match["region"] != call.region:
        raise AwsError("ValidationException", BAD_SOURCE)
    if match["kind"] == "foundation-model":
        model = catalog.get(match["id"])
        if model is None or match["account"]:
            raise AwsError("ValidationException", BAD_SOURCE)
        return model.model_id, [{"modelArn": model.arn_in(call.region)}]
    profile_id = match["id"]
    if profile_id not in catalog.inference_profile_ids(call.region):
        raise AwsError("ValidationException", BAD_SOURCE)
    described = system_profile(profile_id, call.region, account_id(call.tenant))
    return profile_id.partition(".")[2], list(described["models"])


def create_inference_profile(call: OperationCall) -> Reply:
    values = params(call)
    name = values["inferenceProfileName"]
    copy_from = values["modelSource"].get("copyFrom")
    if not isinstance(copy_from, str):
        raise AwsError(
            "ValidationException",
            "1 validation error detected: Value null at 'modelSource.copyFrom' failed to satisfy constraint: "
            "Member must not be null",
        )
    model_id, models = _source(call, copy_from)
    if resources.sibling_named(call, PROFILE, "", name) is not None:
        raise AwsError("ConflictException", NAME_TAKEN.format(name=name))
    profile_id = new_id(call, "application-inference-profile", alphabet=LOWER, length=12)
    moment = lifecycle.stamp(call)
    record: dict[str, Any] = {
        "inferenceProfileName": name,
        "inferenceProfileId": profile_id,
        "inferenceProfileArn": bedrock_arn(
            call.region, call.tenant, f"application-inference-profile/{profile_id}"
        ),
        "models": models,
        "status": "ACTIVE",
        "type": "APPLICATION",
        "createdAt": moment,
        "updatedAt": moment,
        "copyFrom": copy_from,
        "modelId": model_id,
    }
    if "description" in values:
        record["description"] = values["description"]
    resources.save(call, PROFILE, profile_id, record)
    tags.attach(call, record["inferenceProfileArn"], values.get("tags"))
    return JsonReply(view(record, "CreateInferenceProfileResponse", service=SERVICE))


def _application(call: OperationCall, identifier: str) -> dict[str, Any] | None:
    match = _APPLICATION.match(identifier)
    if match is not None:
        if match["account"] != account_id(call.tenant):
            return None
        identifier = match["id"]
    return resources.read(call, PROFILE, identifier)


def get_inference_profile(call: OperationCall) -> Reply:
    identifier = str(params(call)["inferenceProfileIdentifier"])
    record = _application(call, identifier)
    if record is not None:
        return JsonReply(view(record, "GetInferenceProfileResponse", service=SERVICE))
    profile_id = identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier
    if ":inference-profile/" not in identifier and identifier.startswith("arn:"):
        raise AwsError("ResourceNotFoundException", NOT_FOUND)
    if profile_id not in catalog.inference_profile_ids(call.region):
        raise AwsError("ResourceNotFoundException", NOT_FOUND)
    return JsonReply(system_profile(profile_id, call.region, account_id(call.tenant)))


def list_inference_profiles(call: OperationCall) -> Reply:
    values = params(call)
    # Without typeEquals, Bedrock lists the system-defined profiles only (wire-facts §22.1).
    if values.get("typeEquals", "SYSTEM_DEFINED") == "SYSTEM_DEFINED":
        account = account_id(call.tenant)
        entries = [
            system_profile(pid, call.region, account) for pid in catalog.inference_profile_ids(call.region)
        ]
    else:
        entries = [
            view(record, "InferenceProfileSummary", service=SERVICE)
            for _, record in resources.records(call, PROFILE)
        ]
    return JsonReply(page(call.service, call.operation, entries, values))


def delete_inference_profile(call: OperationCall) -> Reply:
    identifier = str(params(call)["inferenceProfileIdentifier"])
    record = _application(call, identifier)
    if record is None:
        # A system-defined profile is not the caller's to delete; an unknown one is not found either way.
        raise AwsError("ResourceNotFoundException", NOT_FOUND)
    resources.remove(call, PROFILE, record["inferenceProfileId"])
    tags.drop(call, record["inferenceProfileArn"])
    return JsonReply({})


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """What an application profile's ARN serves: the model it copied (None in lenient mode for an ARN
    the caller has no profile for, so the catalogue's default serves it)."""
    record = _application(call, model_id)
    if record is None:
        if call.strict:
            raise AwsError("ValidationException", catalog.INVALID_ID_MESSAGE)
        return None
    return served(call, model_id, str(record["modelId"]), "application-inference-profile")


def served(call: OperationCall, requested: str, model_id: str, kind: str) -> ResolvedModel:
    """The catalogue model ``model_id`` as ``requested`` serves it: a retired model is Bedrock's
    end-of-life error in strict mode and a warning otherwise, as for a foundation model."""
    model = catalog.get(model_id)
    if model is None:  # records only name catalogue models
        raise AwsError("ValidationException", catalog.INVALID_ID_MESSAGE)
    warnings: tuple[str, ...] = ()
    if model.is_retired():
        if call.strict:
            raise AwsError("ResourceNotFoundException", catalog.END_OF_LIFE_MESSAGE)
        warnings = (
            f"{model.model_id} reached its end of life on {model.eol_date}; real Bedrock answers "
            "ResourceNotFoundException",
        )
    return ResolvedModel(requested, model, kind, None, call.region, warnings)


HANDLERS = {
    "CreateInferenceProfile": create_inference_profile,
    "GetInferenceProfile": get_inference_profile,
    "ListInferenceProfiles": list_inference_profiles,
    "DeleteInferenceProfile": delete_inference_profile,
}
