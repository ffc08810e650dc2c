"""Handlers of the ``bedrock`` control plane's model reads, GetFoundationModel and ListFoundationModels,
answered from the model catalogue; and ``system_profile``, a system-defined inference profile as Bedrock
describes it (GetInferenceProfile and ListInferenceProfiles are ``emulator/bedrock_control/inference_profiles.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import customizable
from emulator.catalog import FoundationModel
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation

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
_PROFILE_DATE: Final = datetime(
    2024, 8, 26, tzinfo=UTC
)  # system-defined profiles predate any caller's account
_MODEL_ARN: Final = re.compile(r"arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]+::foundation-model/(?P<id>.+)")


# -- foundation models -------------------------------------------------------------------------------


def _lifecycle(model: FoundationModel) -> dict[str, Any]:
    lifecycle: dict[str, Any] = {"status": model.lifecycle}
    if model.legacy_date is not None:
        lifecycle["legacyTime"] = _midnight(model.legacy_date)
    if model.eol_date is not None:
        lifecycle["endOfLifeTime"] = _midnight(model.eol_date)
    return lifecycle


def _midnight(day: date) -> datetime:
    """The start of a day (UTC), for the output serializer to write as the shape says."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _summary(model: FoundationModel, region: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "modelArn": model.arn_in(region),
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.input_modalities),
        "outputModalities": list(model.output_modalities),
        "customizationsSupported": list(customizable.customizations_of(model.model_id, region)),
        "inferenceTypesSupported": list(model.inference_types),
        "modelLifecycle": _lifecycle(model),
    }
    if "TEXT" in model.output_modalities:
        summary["responseStreamingSupported"] = model.streaming
    if customizable.exact(model.model_id) is not None and "PROVISIONED" not in model.inference_types:
        summary["inferenceTypesSupported"].append("PROVISIONED")
    return summary


def _variant_summary(variant: customizable.Variant, region: str) -> dict[str, Any]:
    """A model's listing under its provisioned-throughput id (with the context length): PROVISIONED only,
    and the customizations it supports in the Region."""
    summary = _summary(variant.base, region)
    summary.update(
        modelArn=variant.arn_in(region),
        modelId=variant.model_id,
        customizationsSupported=list(variant.customizations_in(region)),
        inferenceTypesSupported=["PROVISIONED"],
    )
    return summary


def _summaries(model: FoundationModel, region: str) -> list[dict[str, Any]]:
    """A catalogue model's customizable / provisionable variants, then its own listing, in the order
    Bedrock lists them (ListFoundationModels)."""
    variants = [_variant_summary(v, region) for v in customizable.variants_of(model.model_id)]
    return [*variants, _summary(model, region)]


def get_foundation_model(call: OperationCall) -> Reply:
    identifier: str = call.input["modelIdentifier"]
    match = _MODEL_ARN.fullmatch(identifier)
    variant = customizable.exact(match["id"] if match else identifier)
    model = catalog.get(match["id"] if match else identifier) or (variant.base if variant else None)
    if model is None:
        raise validation(catalog.INVALID_ID_MESSAGE)
    if call.strict and model.is_retired():
        raise AwsError("ResourceNotFoundException", catalog.END_OF_LIFE_MESSAGE)
    if variant is not None and variant.model_id != model.model_id:
        return JsonReply({"modelDetails": _variant_summary(variant, call.region)})
    return JsonReply({"modelDetails": _summary(model, call.region)})


def list_foundation_models(call: OperationCall) -> Reply:
    query = call.input
    provider = query.get("byProvider")
    modality = query.get("byOutputModality")
    inference = query.get("byInferenceType")
    customization = query.get("byCustomizationType")
    summaries = [
        summary
        for model in catalog.foundation_models()
        # Bedrock stops listing a model once it reaches its end of life; lenient mode keeps serving it.
        if not (call.strict and model.is_retired())
        and (provider is None or model.provider.lower() == provider.lower())
        and (modality is None or modality in model.output_modalities)
        for summary in _summaries(model, call.region)
        if (inference is None or inference in summary["inferenceTypesSupported"])
        and (customization is None or customization in summary["customizationsSupported"])
    ]
    return JsonReply({"modelSummaries": summaries})


# -- inference profiles ------------------------------------------------------------------------------


def system_profile(profile_id: str, region: str, account: str) -> dict[str, Any]:
    """A system-defined inference profile as GetInferenceProfile describes it, in ``account``'s ARN."""
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
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}",
        "models": [{"modelArn": model.arn_in(destination)} for destination in destinations],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


CONTROL_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "GetFoundationModel": get_foundation_model,
    "ListFoundationModels": list_foundation_models,
}
