"""The ``bedrock`` control plane's model reads through real boto3: GetFoundationModel, ListFoundationModels
(with its filters) and the system-defined inference profiles, all from the model catalogue."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import catalog
from emulator.bedrock_control import customizable


@pytest.fixture
def control(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock")


def test_get_foundation_model_describes_the_catalogue_entry(control: Any) -> None:
    details = control.get_foundation_model(modelIdentifier="anthropic.claude-3-5-sonnet-20241022-v2:0")[
        "modelDetails"
    ]
    assert (
        details["modelArn"]
        == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0"
    )
    assert details["providerName"] == "Anthropic"
    assert details["responseStreamingSupported"] is True
    assert details["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert details["modelLifecycle"]["status"] == "LEGACY"
    assert "endOfLifeTime" in details["modelLifecycle"]


def test_get_foundation_model_unknown_id_is_a_validation_error(control: Any) -> None:
    with pytest.raises(control.exceptions.ValidationException) as error:
        control.get_foundation_model(modelIdentifier="acme.no-such-model-v1:0")
    assert error.value.response["Error"]["Message"] == "The provided model identifier is invalid."


def test_list_foundation_models_filters_by_provider_modality_and_inference_type(control: Any) -> None:
    everything = control.list_foundation_models()["modelSummaries"]
    # Each customizable model is listed a second time, under its id with the context length.
    assert len(everything) == len(catalog.foundation_models()) + len(customizable.variants_listed())
    embeddings = control.list_foundation_models(byOutputModality="EMBEDDING")["modelSummaries"]
    assert embeddings
    assert all(m["outputModalities"] == ["EMBEDDING"] for m in embeddings)
    meta = control.list_foundation_models(byProvider="meta", byInferenceType="ON_DEMAND")["modelSummaries"]
    assert meta
    assert all(m["providerName"] == "Meta" and "ON_DEMAND" in m["inferenceTypesSupported"] for m in meta)
    tunable = control.list_foundation_models(byCustomizationType="FINE_TUNING")["modelSummaries"]
    assert tunable
    assert all("FINE_TUNING" in m["customizationsSupported"] for m in tunable)


def test_list_inference_profiles_are_system_defined_for_the_callers_geography(control: Any) -> None:
    summaries = control.list_inference_profiles()["inferenceProfileSummaries"]
    ids = [s["inferenceProfileId"] for s in summaries]
    assert list(catalog.inference_profile_ids("us-east-1")) == ids
    assert not any(i.startswith("eu.") for i in ids)
    profile = next(
        s for s in summaries if s["inferenceProfileId"] == "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    )
    assert profile["status"] == "ACTIVE"
    assert profile["type"] == "SYSTEM_DEFINED"
    assert profile["inferenceProfileArn"].endswith(
        ":inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    )
    assert {m["modelArn"].split(":")[3] for m in profile["models"]} == {"us-east-1", "us-east-2", "us-west-2"}
    assert control.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"] == []


def test_get_inference_profile_by_id_or_arn_and_not_found_outside_the_geography(control: Any) -> None:
    profile_id = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    by_id = control.get_inference_profile(inferenceProfileIdentifier=profile_id)
    by_arn = control.get_inference_profile(inferenceProfileIdentifier=by_id["inferenceProfileArn"])
    assert by_arn["inferenceProfileId"] == profile_id
    assert by_id["models"][0]["modelArn"].endswith(
        "foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0"
    )
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_inference_profile(
            inferenceProfileIdentifier="eu.anthropic.claude-3-5-sonnet-20241022-v2:0"
        )
