"""Access to foundation models: GetFoundationModelAvailability, ListFoundationModelAgreementOffers,
Create/DeleteFoundationModelAgreement, Get/PutUseCaseForModelAccess.

Amazon's own models need no agreement (``agreementAvailability`` AVAILABLE); another provider's model is
NOT_AVAILABLE until the caller creates an agreement with the offer token ListFoundationModelAgreementOffers
gives (one public offer per model, its token stable per model), and NOT_AVAILABLE again after
DeleteFoundationModelAgreement. Entitlement, authorization and Region availability are always granted:
the emulator serves every catalogue model. The use-case form is stored per tenant as sent.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from emulator import catalog
from emulator.bedrock_control import customizable
from emulator.bedrock_control.records import AGREEMENT, USE_CASE
from emulator.catalog import FoundationModel
from emulator.control import resources
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation

# Emulator's choices (wire-facts §21).
BAD_OFFER: Final = "The offer token isn't valid for the model {model}."
NO_USE_CASE: Final = "No use case for model access has been submitted for this account."
SELLER: Final = "Amazon"
FORM_KEY: Final = "form"


def _model(model_id: str) -> FoundationModel:
    bare = customizable.bare_id(model_id)
    variant = customizable.exact(bare)
    model = catalog.get(bare) or (variant.base if variant is not None else None)
    if model is None:
        raise validation(catalog.INVALID_ID_MESSAGE)
    return model


def _offer_token(model: FoundationModel) -> str:
    digest = hashlib.sha256(f"bedrock-emulator:offer:{model.model_id}".encode()).hexdigest()
    return f"offer-token-{digest[:48]}"


def _agreed(call: OperationCall, model: FoundationModel) -> bool:
    return model.provider == SELLER or resources.read(call, AGREEMENT, model.model_id) is not None


def get_foundation_model_availability(call: OperationCall) -> Reply:
    model_id = params(call)["modelId"]
    model = _model(model_id)
    return JsonReply(
        {
            "modelId": model_id,
            "agreementAvailability": {"status": "AVAILABLE" if _agreed(call, model) else "NOT_AVAILABLE"},
            "authorizationStatus": "AUTHORIZED",
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
        }
    )


def list_foundation_model_agreement_offers(call: OperationCall) -> Reply:
    model_id = params(call)["modelId"]
    model = _model(model_id)
    offer: dict[str, Any] = {
        "offerId": f"offer-{_offer_token(model)[12:36]}",
        "offerToken": _offer_token(model),
        "termDetails": {
            "usageBasedPricingTerm": {
                "rateCard": [
                    {
                        "dimension": "input_tokens",
                        "price": "0.0",
                        "description": "Input tokens",
                        "unit": "1K tokens",
                    },
                    {
                        "dimension": "output_tokens",
                        "price": "0.0",
                        "description": "Output tokens",
                        "unit": "1K tokens",
                    },
                ]
            },
            "legalTerm": {"url": "https://aws.amazon.com/service-terms/"},
            "supportTerm": {"refundPolicyDescription": "No refunds: usage is billed as it occurs."},
        },
    }
    return JsonReply({"modelId": model_id, "offers": [] if model.provider == SELLER else [offer]})


def create_foundation_model_agreement(call: OperationCall) -> Reply:
    values = params(call)
    model = _model(values["modelId"])
    if model.provider != SELLER:
        if values["offerToken"] != _offer_token(model):
            raise validation(BAD_OFFER.format(model=values["modelId"]))
        resources.save(call, AGREEMENT, model.model_id, {"offerToken": values["offerToken"]})
    return JsonReply({"modelId": values["modelId"]})


def delete_foundation_model_agreement(call: OperationCall) -> Reply:
    model = _model(params(call)["modelId"])
    resources.remove(call, AGREEMENT, model.model_id)
    return JsonReply({})


def put_use_case_for_model_access(call: OperationCall) -> Reply:
    # A blob in a JSON body is its base64 text on the wire, and stays so in the input and the reply.
    resources.save(call, USE_CASE, FORM_KEY, {"formData": str(params(call)["formData"])})
    return JsonReply({})


def get_use_case_for_model_access(call: OperationCall) -> Reply:
    record = resources.read(call, USE_CASE, FORM_KEY)
    if record is None:
        raise AwsError("ResourceNotFoundException", NO_USE_CASE)
    return JsonReply({"formData": record["formData"]})


HANDLERS = {
    "GetFoundationModelAvailability": get_foundation_model_availability,
    "ListFoundationModelAgreementOffers": list_foundation_model_agreement_offers,
    "CreateFoundationModelAgreement": create_foundation_model_agreement,
    "DeleteFoundationModelAgreement": delete_foundation_model_agreement,
    "PutUseCaseForModelAccess": put_use_case_for_model_access,
    "GetUseCaseForModelAccess": get_use_case_for_model_access,
}
