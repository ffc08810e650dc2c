"""Which foundation models can be customized or provisioned, under which ids, and what training data
each expects.

Bedrock lists a customizable model a second time under an id with its context length
(``amazon.titan-text-express-v1:0:8k``, ``amazon.nova-micro-v1:0:128k``): that variant is what
CreateModelCustomizationJob and CreateProvisionedModelThroughput take, its ``inferenceTypesSupported``
is ``PROVISIONED`` and its ``customizationsSupported`` the customization types. The table follows
AWS's "Supported models and Regions for fine-tuning and continued pre-training" and the
distillation guide (wire-facts §21); ``FORMATS`` names the JSONL record each family documents.

A request may also name a variant by the catalogue's own id (``amazon.titan-text-express-v1``, as AWS's
older examples and seed 003 do): ``variant(...)`` answers the variant either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from emulator import catalog
from emulator.catalog import FoundationModel

FINE_TUNING: Final = "FINE_TUNING"
CONTINUED_PRE_TRAINING: Final = "CONTINUED_PRE_TRAINING"
DISTILLATION: Final = "DISTILLATION"

# Training record formats (emulator/bedrock_control/training_data.py checks them).
PROMPT_COMPLETION: Final = "prompt-completion"  # {"prompt": ..., "completion": ...}
CONVERSATION: Final = "bedrock-conversation-2024"  # {"schemaVersion", "system", "messages": [...]}
CLAUDE_MESSAGES: Final = "claude-messages"  # {"system": ..., "messages": [{"role", "content": str}]}
IMAGE_CAPTION: Final = "image-caption"  # {"image-ref": "s3://...", "caption": ...}


@dataclass(frozen=True)
class Variant:
    """A customizable / provisionable model id and the catalogue model that serves it."""

    model_id: str
    base_id: str  # the catalogue's id
    customizations: tuple[str, ...]  # empty: provisioned throughput only
    regions: tuple[str, ...]  # where it can be customized
    data_format: str = ""
    max_records: int = 0  # training plus validation records a job may carry (AWS's quotas)

    @property
    def base(self) -> FoundationModel:
        model = catalog.get(self.base_id)
        assert model is not None, self.base_id  # checked at import below
        return model

    def arn_in(self, region: str) -> str:
        return f"arn:aws:bedrock:{region}::foundation-model/{self.model_id}"

    def customizations_in(self, region: str) -> tuple[str, ...]:
        """What ListFoundationModels shows as ``customizationsSupported`` in a Region."""
        return self.customizations if region in self.regions else ()


_FT_CPT = (FINE_TUNING, CONTINUED_PRE_TRAINING)
_FT_DISTILL = (FINE_TUNING, DISTILLATION)
_EAST, _WEST, _BOTH = ("us-east-1",), ("us-west-2",), ("us-east-1", "us-west-2")
_PT_ONLY = ((), ())
# In the order Bedrock lists them (each before its catalogue model); per the guide's table of
# single-Region support. The provisioned-only ids are ones a real listing shows (wire-facts §21.1).
VARIANTS: Final[tuple[Variant, ...]] = (
    Variant(
        "amazon.titan-text-express-v1:0:8k",
        "amazon.titan-text-express-v1",
        _FT_CPT,
        _BOTH,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "amazon.titan-text-lite-v1:0:4k",
        "amazon.titan-text-lite-v1",
        _FT_CPT,
        _BOTH,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "amazon.titan-text-premier-v1:0:32k",
        "amazon.titan-text-premier-v1:0",
        (FINE_TUNING,),
        _EAST,
        PROMPT_COMPLETION,
        20000,
    ),
    Variant(
        "amazon.titan-image-generator-v1:0",
        "amazon.titan-image-generator-v1",
        (FINE_TUNING,),
        _EAST,
        IMAGE_CAPTION,
        10000,
    ),
    Variant(
        "amazon.titan-image-generator-v2:0",
        "amazon.titan-image-generator-v2:0",
        (FINE_TUNING,),
        _BOTH,
        IMAGE_CAPTION,
        10000,
    ),
    Variant(
        "amazon.titan-embed-image-v1:0",
        "amazon.titan-embed-image-v1",
        (FINE_TUNING,),
        _BOTH,
        IMAGE_CAPTION,
        50000,
    ),
    Variant("amazon.nova-micro-v1:0:128k", "amazon.nova-micro-v1:0", _FT_DISTILL, _EAST, CONVERSATION, 20000),
    Variant("amazon.nova-lite-v1:0:300k", "amazon.nova-lite-v1:0", _FT_DISTILL, _EAST, CONVERSATION, 20000),
    Variant("amazon.nova-pro-v1:0:300k", "amazon.nova-pro-v1:0", _FT_DISTILL, _EAST, CONVERSATION, 20000),
    Variant(
        "amazon.nova-canvas-v1:0", "amazon.nova-canvas-v1:0", (FINE_TUNING,), _EAST, IMAGE_CAPTION, 10000
    ),
    Variant(
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "anthropic.claude-3-haiku-20240307-v1:0",
        _FT_DISTILL,
        _WEST,
        CLAUDE_MESSAGES,
        10000,
    ),
    Variant(
        "anthropic.claude-3-haiku-20240307-v1:0:48k", "anthropic.claude-3-haiku-20240307-v1:0", *_PT_ONLY
    ),
    Variant(
        "anthropic.claude-3-sonnet-20240229-v1:0:28k", "anthropic.claude-3-sonnet-20240229-v1:0", *_PT_ONLY
    ),
    Variant(
        "anthropic.claude-3-sonnet-20240229-v1:0:200k", "anthropic.claude-3-sonnet-20240229-v1:0", *_PT_ONLY
    ),
    Variant(
        "meta.llama3-1-8b-instruct-v1:0:128k",
        "meta.llama3-1-8b-instruct-v1:0",
        _FT_DISTILL,
        _WEST,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "meta.llama3-1-70b-instruct-v1:0:128k",
        "meta.llama3-1-70b-instruct-v1:0",
        _FT_DISTILL,
        _WEST,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "meta.llama3-2-1b-instruct-v1:0:128k",
        "meta.llama3-2-1b-instruct-v1:0",
        (FINE_TUNING,),
        _WEST,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "meta.llama3-2-3b-instruct-v1:0:128k",
        "meta.llama3-2-3b-instruct-v1:0",
        (FINE_TUNING,),
        _WEST,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "meta.llama3-2-11b-instruct-v1:0:128k",
        "meta.llama3-2-11b-instruct-v1:0",
        (FINE_TUNING,),
        _WEST,
        PROMPT_COMPLETION,
        10000,
    ),
    Variant(
        "meta.llama3-2-90b-instruct-v1:0:128k",
        "meta.llama3-2-90b-instruct-v1:0",
        (FINE_TUNING,),
        _WEST,
        PROMPT_COMPLETION,
        10000,
    ),
)
# Models a distillation job may name as its teacher (AWS's distillation guide).
TEACHERS: Final = frozenset(
    {
        "amazon.nova-premier-v1:0",
        "amazon.nova-pro-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "meta.llama3-1-405b-instruct-v1:0",
        "meta.llama3-1-70b-instruct-v1:0",
    }
)

_BY_ID: Final[Mapping[str, Variant]] = {v.model_id: v for v in VARIANTS}
_BY_BASE: Final[dict[str, Variant]] = {}
for _variant in VARIANTS:  # a catalogue id names its first variant (the customizable one, where any)
    if _variant.base_id != _variant.model_id:
        _BY_BASE.setdefault(_variant.base_id, _variant)
_ARN_PREFIX: Final = "::foundation-model/"
for _variant in VARIANTS:  # a typo here would otherwise surface as a confusing answer much later
    if catalog.get(_variant.base_id) is None:
        raise ValueError(f"customizable variant {_variant.model_id} names no catalogue model")


def bare_id(identifier: str) -> str:
    """A foundation-model identifier without its ARN (``...::foundation-model/<id>`` -> ``<id>``)."""
    if identifier.startswith("arn:") and _ARN_PREFIX in identifier:
        return identifier.split(_ARN_PREFIX, 1)[1]
    return identifier


def variant(identifier: str) -> Variant | None:
    """The customizable variant an id or ARN names, by its own id or the catalogue's."""
    model_id = bare_id(identifier)
    return _BY_ID.get(model_id) or _BY_BASE.get(model_id)


def exact(model_id: str) -> Variant | None:
    """The variant listed under exactly this id (not the catalogue's)."""
    return _BY_ID.get(model_id)


def variants_of(base_id: str) -> tuple[Variant, ...]:
    """The variants Bedrock lists before a catalogue model (its own listing keeps the base id)."""
    return tuple(v for v in VARIANTS if v.base_id == base_id and v.model_id != base_id)


def variants_listed() -> tuple[Variant, ...]:
    """The variants listed under an id of their own (not the catalogue's)."""
    return tuple(v for v in VARIANTS if v.model_id != v.base_id)


def customizations_of(model_id: str, region: str) -> tuple[str, ...]:
    """``customizationsSupported`` in a Region of the model listed under this id."""
    found = _BY_ID.get(model_id)
    return found.customizations_in(region) if found is not None else ()
