"""The foundation-model catalogue: the model ids Bedrock knows, what each accepts, how a caller's id resolves.

The data lives in ``emulator/data/models.json`` (curated, with ``_notes`` where sources disagree); this module
loads it once into dicts and answers the hot-path question "what model does this ``modelId`` name, from this
Region, today?" with the errors and messages real Bedrock sends.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any, Final, NamedTuple

from emulator.wire.errors import AwsError

__all__ = [
    "BODY_FAMILIES",
    "DEFAULT_PROFILE_MODEL_ID",
    "FoundationModel",
    "ResolvedModel",
    "foundation_models",
    "get",
    "inference_profile_ids",
    "max_tokens_error",
    "profile_prefixes_for_region",
    "resolve",
]

BODY_FAMILIES: Final = frozenset(
    {
        "anthropic-messages",
        "nova-sonic",
        "anthropic-text",
        "titan-text",
        "titan-embed-v1",
        "titan-embed-v2",
        "titan-embed-image",
        "titan-image",
        "nova",
        "nova-embed",
        "llama",
        "mistral",
        "mistral-chat",
        "cohere-command",
        "cohere-command-r",
        "cohere-embed",
        "cohere-rerank",
        "amazon-rerank",
        "ai21-jamba",
        "openai-chat",
        "deepseek",
        "other",
    }
)
LIFECYCLES: Final = frozenset({"ACTIVE", "LEGACY"})
GEO_PREFIXES: Final = frozenset({"us", "eu", "apac", "global", "jp", "au", "us-gov"})

# Application inference profiles and provisioned models are account resources the emulator cannot look up,
# so every such ARN stands for one active, widely available model. Claude Haiku 4.5, not Claude 3 Haiku:
# the latter is past its end of life, which would put a retirement warning (strict: an error) on every call.
DEFAULT_PROFILE_MODEL_ID: Final = "anthropic.claude-haiku-4-5-20251001-v1:0"

INVALID_ID_MESSAGE: Final = "The provided model identifier is invalid."
END_OF_LIFE_MESSAGE: Final = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)

_DEFAULT_REGION: Final = "us-east-1"
_ARN_RE: Final = re.compile(
    r"arn:aws(?:-[a-z]+)*:bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12})?:"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile|provisioned-model)/"
    r"(?P<resource>.+)"
)
_RESOURCE_ID_RE: Final = re.compile(r"[a-z0-9]{12}")


@dataclass(frozen=True)
class FoundationModel:
    """One record of ``models.json``: a Bedrock foundation model and the limits Bedrock enforces for it."""

    model_id: str
    name: str
    provider: str
    body_family: str
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    context_window: int
    max_output_tokens: int
    default_max_tokens: int
    streaming: bool
    converse: bool
    tool_use: bool
    system_prompt: bool
    image_input: bool
    document_chat: bool
    lifecycle: str
    legacy_date: date | None
    eol_date: date | None
    on_demand: bool
    profile_prefixes: tuple[str, ...]
    count_tokens: bool
    inference_types: tuple[str, ...] = field(default=("ON_DEMAND",))

    @property
    def arn(self) -> str:
        return self.arn_in(_DEFAULT_REGION)

    def arn_in(self, region: str) -> str:
        return f"arn:{_partition(region)}:bedrock:{region}::foundation-model/{self.model_id}"

    def is_retired(self, today: date | None = None) -> bool:
        if self.eol_date is None:
            return False
        return self.eol_date <= (today or _today())

    @property
    def is_embedding(self) -> bool:
        return "EMBEDDING" in self.output_modalities


@dataclass(frozen=True)
class ResolvedModel:
    """What a caller's ``modelId`` turned out to name, from the caller's Region."""

    requested_id: str
    model: FoundationModel
    kind: str
    profile_prefix: str | None
    region: str
    warnings: tuple[str, ...] = ()
    routed_to: str | None = None  # a prompt router's choice (its ARN), reported as trace.promptRouter


def _partition(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def _date_or_none(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _record_to_model(record: dict[str, Any]) -> FoundationModel:
    model = FoundationModel(
        model_id=str(record["model_id"]),
        name=str(record["name"]),
        provider=str(record["provider"]),
        body_family=str(record["body_family"]),
        input_modalities=tuple(str(m) for m in record["input_modalities"]),
        output_modalities=tuple(str(m) for m in record["output_modalities"]),
        context_window=int(record["context_window"]),
        max_output_tokens=int(record["max_output_tokens"]),
        default_max_tokens=int(record["default_max_tokens"]),
        streaming=bool(record["streaming"]),
        converse=bool(record["converse"]),
        tool_use=bool(record["tool_use"]),
        system_prompt=bool(record["system_prompt"]),
        image_input=bool(record["image_input"]),
        document_chat=bool(record["document_chat"]),
        lifecycle=str(record["lifecycle"]),
        legacy_date=_date_or_none(record.get("legacy_date")),
        eol_date=_date_or_none(record.get("eol_date")),
        on_demand=bool(record["on_demand"]),
        profile_prefixes=tuple(str(p) for p in record["profile_prefixes"]),
        count_tokens=bool(record["count_tokens"]),
        inference_types=tuple(str(t) for t in record.get("inference_types", ["ON_DEMAND"])),
    )
    # A bad record would otherwise surface as a puzzling answer on some later request; fail at import instead.
    problems = []
    if model.body_family not in BODY_FAMILIES:
        problems.append(f"body_family {model.body_family!r}")
    if model.lifecycle not in LIFECYCLES:
        problems.append(f"lifecycle {model.lifecycle!r}")
    if not set(model.profile_prefixes) <= GEO_PREFIXES:
        problems.append(f"profile_prefixes {model.profile_prefixes!r}")
    if model.context_window <= 0 or not 0 <= model.max_output_tokens <= model.context_window:
        problems.append("limits")
    if problems:
        raise ValueError(f"models.json record {model.model_id}: invalid {', '.join(problems)}")
    return model


def _load() -> tuple[FoundationModel, ...]:
    text = resources.files("emulator").joinpath("data/models.json").read_text(encoding="utf-8")
    return tuple(_record_to_model(record) for record in json.loads(text)["models"])


_MODELS: Final = _load()
_BY_ID: Final[dict[str, FoundationModel]] = {m.model_id: m for m in _MODELS}
if len(_BY_ID) != len(_MODELS):
    raise ValueError("models.json lists a model id twice")
_DEFAULT_PROFILE_MODEL: Final = _BY_ID[DEFAULT_PROFILE_MODEL_ID]


def foundation_models() -> tuple[FoundationModel, ...]:
    return _MODELS


def get(model_id: str) -> FoundationModel | None:
    """The foundation model with this bare id (no profile prefix, no ARN), if Bedrock has one."""
    return _BY_ID.get(model_id)


# Regions come from callers' credential scopes; the bound keeps made-up ones from growing the cache.
@functools.lru_cache(maxsize=256)
def profile_prefixes_for_region(region: str) -> tuple[str, ...]:
    """The system-defined profile geographies a caller in ``region`` may invoke (their source Regions)."""
    prefixes: tuple[str, ...]
    if region.startswith("us-gov-"):
        prefixes = ("us-gov",)
    elif region.startswith(("us-", "ca-")):
        prefixes = ("us", "global")
    elif region.startswith("eu-"):
        prefixes = ("eu", "global")
    elif region.startswith("ap-"):
        local = {
            "ap-northeast-1": "jp",
            "ap-northeast-3": "jp",
            "ap-southeast-2": "au",
            "ap-southeast-4": "au",
        }
        prefixes = ("apac", local[region], "global") if region in local else ("apac", "global")
    else:
        prefixes = ("global",)
    return prefixes


def inference_profile_ids(region: str) -> tuple[str, ...]:
    """System-defined profile ids (``us.anthropic...``) a caller in ``region`` may invoke, catalogue order."""
    allowed = profile_prefixes_for_region(region)
    return tuple(
        f"{prefix}.{model.model_id}"
        for model in _MODELS
        for prefix in model.profile_prefixes
        if prefix in allowed
    )


def max_tokens_error(limit: int) -> AwsError:
    return AwsError(
        "ValidationException",
        f"The maximum tokens you requested exceeds the model limit of {limit}. "
        f"Try again with a maximum tokens value that is lower than {limit}.",
    )


def _invalid() -> AwsError:
    return AwsError("ValidationException", INVALID_ID_MESSAGE)


def _on_demand_error(model_id: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"Invocation of model ID {model_id} with on-demand throughput isn’t supported. "
        "Retry your request with the ID or ARN of an inference profile that contains this model.",
    )


def resolve(
    model_id: str, *, region: str = _DEFAULT_REGION, strict: bool = False, today: date | None = None
) -> ResolvedModel:
    """Resolve a ``modelId`` as sent (already percent-decoded) the way Bedrock does from ``region``.

    Raises ``AwsError``: ValidationException for unknown or malformed ids, profiles outside the caller's
    geography and bare ids of profile-only models; ResourceNotFoundException for retired models when
    ``strict``. Lenient mode serves a retired model and says so in ``warnings``.
    """
    return _resolve(model_id, _Call(region, strict, today or _today()))


# The local date, and the span of epoch seconds it covers: ``date.today()`` asks the C library for the
# local time on every call (twice per model call); this asks once a day.
_day: tuple[float, float, date] = (0.0, 0.0, date.min)


def _today() -> date:
    global _day  # noqa: PLW0603 - a cache of one value, replaced whole (atomic under the GIL)
    start, end, day = _day
    now = time.time()
    if not start <= now < end:
        day = date.today()
        midnight = datetime.combine(day, datetime.min.time())
        _day = (midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), day)
    return day


class _Call(NamedTuple):
    """Where and how a resolution is asked for; hashable, so answers can be cached per call shape."""

    region: str
    strict: bool
    today: date


# The hot path: the same few ids arrive again and again. Only successes are cached (errors propagate), and
# the bound keeps arbitrary application-profile ARNs from growing it without limit.
@functools.lru_cache(maxsize=4096)
def _resolve(model_id: str, call: _Call) -> ResolvedModel:
    model = _BY_ID.get(model_id)
    if model is not None:
        return _checked(model_id, model, "foundation-model", None, call)
    if model_id.startswith("arn:"):
        return _resolve_arn(model_id, call)
    prefix, _, rest = model_id.partition(".")
    return _resolve_profile(model_id, prefix, rest, call)


def _resolve_profile(requested: str, prefix: str, bare_id: str, call: _Call) -> ResolvedModel:
    model = _BY_ID.get(bare_id)
    if (
        model is None
        or prefix not in model.profile_prefixes
        or prefix not in profile_prefixes_for_region(call.region)
    ):
        raise _invalid()
    return _checked(requested, model, "inference-profile", prefix, call)


def _resolve_arn(requested: str, call: _Call) -> ResolvedModel:
    match = _ARN_RE.fullmatch(requested)
    # An ARN from another Region names a resource this Region's endpoint does not hold.
    if match is None or match["region"] != call.region:
        raise _invalid()
    kind, resource, account = match["kind"], match["resource"], match["account"]
    if kind == "foundation-model":
        model = _BY_ID.get(resource)
        if model is None or account is not None:
            raise _invalid()
        return _checked(requested, model, kind, None, call)
    if account is None:
        raise _invalid()
    if kind == "inference-profile":
        prefix, _, bare_id = resource.partition(".")
        return _resolve_profile(requested, prefix, bare_id, call)
    if _RESOURCE_ID_RE.fullmatch(resource) is None:
        raise _invalid()
    return ResolvedModel(requested, _DEFAULT_PROFILE_MODEL, kind, None, call.region)


def _checked(
    requested: str, model: FoundationModel, kind: str, prefix: str | None, call: _Call
) -> ResolvedModel:
    warnings: tuple[str, ...] = ()
    eol = model.eol_date
    if eol is not None and eol <= call.today:
        if call.strict:
            raise AwsError("ResourceNotFoundException", END_OF_LIFE_MESSAGE)
        warnings = (
            f"{model.model_id} reached its end of life on {eol.isoformat()}; "
            "real Bedrock answers ResourceNotFoundException",
        )
    if kind == "foundation-model" and not model.on_demand:
        raise _on_demand_error(requested)
    return ResolvedModel(requested, model, kind, prefix, call.region, warnings)
