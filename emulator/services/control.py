"""Handlers of the ``bedrock`` control plane's model reads: GetFoundationModel, ListFoundationModels,
GetInferenceProfile and ListInferenceProfiles, all answered from the model catalogue."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from emulator import catalog
from emulator.catalog import FoundationModel
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation

ACCOUNT_ID: Final = "123456789012"
# Where a system-defined profile of each geography routes requests (the destination Regions it lists).
PROFILE_REGIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "global": ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"),
}
_GEOGRAPHY_NAMES: Final = {
    "us": "US",
    "eu": "EU",
    "apac": "APAC",
    "jp": "JP",
    "au": "AU",
    "us-gov": "US-GOV",
    "global": "Global",
}
_PROFILE_DATE: Final = "2024-08-26T00:00:00Z"  # system-defined profiles predate any caller's account
_MODEL_ARN: Final = re.compile(r"arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]+::foundation-model/(?P<id>.+)")
_PROFILE_ARN: Final = re.compile(
    r"arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]+:\d{12}:inference-profile/(?P<id>.+)"
)


# -- foundation models -------------------------------------------------------------------------------


def _lifecycle(model: FoundationModel) -> dict[str, Any]:
    lifecycle: dict[str, Any] = {"status": model.lifecycle}
    if model.legacy_date is not None:
        lifecycle["legacyTime"] = f"{model.legacy_date.isoformat()}T00:00:00Z"
    if model.eol_date is not None:
        lifecycle["endOfLifeTime"] = f"{model.eol_date.isoformat()}T00:00:00Z"
    return lifecycle


def _summary(model: FoundationModel, region: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "modelArn": model.arn_in(region),
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.input_modalities),
        "outputModalities": list(model.output_modalities),
        "customizationsSupported": [],
        "inferenceTypesSupported": list(model.inference_types),
        "modelLifecycle": _lifecycle(model),
    }
    if "TEXT" in model.output_modalities:
        summary["responseStreamingSupported"] = model.streaming
    return summary


def get_foundation_model(call: OperationCall) -> Reply:
    identifier = call.labels["modelIdentifier"]
    match = _MODEL_ARN.fullmatch(identifier)
    model = catalog.get(match["id"] if match else identifier)
    if model is None:
        raise validation(catalog.INVALID_ID_MESSAGE)
    if call.strict and model.is_retired():
        raise AwsError("ResourceNotFoundException", catalog.END_OF_LIFE_MESSAGE)
    return JsonReply({"modelDetails": _summary(model, call.region)})


def list_foundation_models(call: OperationCall) -> Reply:
    query = call.query
    provider = query.get("byProvider")
    modality = query.get("byOutputModality")
    inference = query.get("byInferenceType")
    customization = query.get("byCustomizationType")
    models = [
        model
        for model in catalog.foundation_models()
        # Bedrock stops listing a model once it reaches its end of life; lenient mode keeps serving it.
        if not (call.strict and model.is_retired())
        and (provider is None or model.provider.lower() == provider.lower())
        and (modality is None or modality in model.output_modalities)
        and (inference is None or inference in model.inference_types)
        and customization is None  # no catalogue model is customizable here
    ]
    return JsonReply({"modelSummaries": [_summary(model, call.region) for model in models]})


# -- inference profiles ------------------------------------------------------------------------------


def _profile(profile_id: str, region: str) -> dict[str, Any]:
    prefix, _, model_id = profile_id.partition(".")
    model = catalog.get(model_id)
    if model is None:  # the catalogue only yields ids of its own models
        raise AwsError("InternalServerException", f"profile {profile_id} names no catalogue model")
    geography = _GEOGRAPHY_NAMES.get(prefix, prefix.upper())
    destinations = PROFILE_REGIONS.get(prefix, (region,))
    return {
        "inferenceProfileName": f"{geography} {model.provider} {model.name}",
        "description": f"Routes requests to {model.provider} {model.name} in {', '.join(destinations)}.",
        "createdAt": _PROFILE_DATE,
        "updatedAt": _PROFILE_DATE,
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{profile_id}",
        "models": [{"modelArn": model.arn_in(destination)} for destination in destinations],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def get_inference_profile(call: OperationCall) -> Reply:
    identifier = call.labels["inferenceProfileIdentifier"]
    match = _PROFILE_ARN.fullmatch(identifier)
    profile_id = match["id"] if match else identifier
    if profile_id not in catalog.inference_profile_ids(call.region):
        raise AwsError("ResourceNotFoundException", "The specified inference profile was not found.")
    return JsonReply(_profile(profile_id, call.region))


def list_inference_profiles(call: OperationCall) -> Reply:
    kind = call.query.get("type", "SYSTEM_DEFINED")
    if kind not in ("SYSTEM_DEFINED", "APPLICATION"):
        raise validation(
            f"1 validation error detected: Value '{kind}' at 'typeEquals' failed to satisfy constraint: "
            "Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]"
        )
    # Application profiles are account resources; the emulator's account has none.
    ids = list(catalog.inference_profile_ids(call.region)) if kind == "SYSTEM_DEFINED" else []
    max_results = _int(call.query.get("maxResults"), default=1000, low=1, high=1000, name="maxResults")
    token = call.query.get("nextToken")
    start = _int(token, default=0, low=0, high=len(ids), name="nextToken") if token else 0
    page = ids[start : start + max_results]
    reply: dict[str, Any] = {"inferenceProfileSummaries": [_profile(pid, call.region) for pid in page]}
    if start + max_results < len(ids):
        reply["nextToken"] = str(start + max_results)
    return JsonReply(reply)


def _int(raw: str | None, *, default: int, low: int, high: int, name: str) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise validation(
            f"1 validation error detected: Value '{raw}' at '{name}' failed to satisfy constraint: "
            f"Member must have value between {low} and {high}"
        )
    return int(raw)


CONTROL_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "GetFoundationModel": get_foundation_model,
    "ListFoundationModels": list_foundation_models,
    "GetInferenceProfile": get_inference_profile,
    "ListInferenceProfiles": list_inference_profiles,
}
