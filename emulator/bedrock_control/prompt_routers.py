"""CreatePromptRouter, GetPromptRouter, ListPromptRouters, DeletePromptRouter, and how a router's ARN
routes a call at run time.

The default routers exist in every account (``default-prompt-router/anthropic.claude:1`` and
``default-prompt-router/meta.llama:1``, each over two models of one family through the caller's
geography's inference profiles); created ones are ``prompt-router/<twelve characters>``, AVAILABLE at once.

Routing is deterministic. Bedrock predicts how much better the fallback model would answer than the
other model and sends the request to the other one when the predicted gap is within
``routingCriteria.responseQualityDifference`` (a percentage). The emulator's prediction is the length of
the request's text: a gap of one point per 20 characters, capped at 100, so short requests go to the
other (cheaper) model and long ones to the fallback. Converse and ConverseStream report the choice as
``trace.promptRouter.invokedModelId``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from emulator import catalog
from emulator.bedrock_control import inference_profiles, tags
from emulator.catalog import ResolvedModel
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id, bedrock_arn
from emulator.control.ids import LOWER, new_id
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

SERVICE: Final = "bedrock"
ROUTER: Final = Kind("bedrock:prompt-router", "PromptRouter", "promptRouterName")
CHARACTERS_PER_POINT: Final = 20
# wire-facts §22.2 (the emulator's wording).
NOT_FOUND: Final = "The prompt router {arn} was not found."
NAME_TAKEN: Final = "A prompt router with the name {name} already exists."
BAD_MODEL: Final = "The model {arn} is not a foundation model or inference profile available in {region}."
_ROUTER_ARN: Final = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:(?P<region>[a-z0-9-]{1,20}):(?P<account>[0-9]{12}):"
    r"(?P<type>default-prompt-router|prompt-router)/(?P<id>[a-zA-Z0-9.:-]+)$"
)
_TARGET: Final = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12})?:"
    r"(?P<kind>foundation-model|inference-profile)/(?P<id>.+)$"
)
_DEFAULTS_CREATED: Final = "2024-11-20T00:00:00Z"  # before any caller's account had a router


class DefaultRouter(NamedTuple):
    router_id: str
    name: str
    description: str
    models: tuple[str, str]  # the other model, then the fallback (bare foundation-model ids)
    quality_difference: float


DEFAULT_ROUTERS: Final = (
    DefaultRouter(
        "anthropic.claude:1",
        "Anthropic Prompt Router",
        "Routes requests among models in the Claude family",
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        0.0,
    ),
    DefaultRouter(
        "meta.llama:1",
        "Meta Prompt Router",
        "Routes requests among models in the LLaMA family",
        ("meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0"),
        0.0,
    ),
)


def _target_arn(call: OperationCall, model_id: str) -> str:
    """A default router's model: its inference profile for the caller's geography, or the model itself."""
    model = catalog.get(model_id)
    assert model is not None  # DEFAULT_ROUTERS name catalogue models
    for prefix in catalog.profile_prefixes_for_region(call.region):
        if prefix in model.profile_prefixes:
            return bedrock_arn(call.region, call.tenant, f"inference-profile/{prefix}.{model_id}")
    return model.arn_in(call.region)


def _default_record(call: OperationCall, router: DefaultRouter) -> dict[str, Any]:
    other, fallback = (_target_arn(call, model_id) for model_id in router.models)
    return {
        "promptRouterName": router.name,
        "description": router.description,
        "promptRouterArn": bedrock_arn(call.region, call.tenant, f"default-prompt-router/{router.router_id}"),
        "routingCriteria": {"responseQualityDifference": router.quality_difference},
        "models": [{"modelArn": other}, {"modelArn": fallback}],
        "fallbackModel": {"modelArn": fallback},
        "status": "AVAILABLE",
        "type": "default",
        "createdAt": _DEFAULTS_CREATED,
        "updatedAt": _DEFAULTS_CREATED,
    }


def _check_target(call: OperationCall, arn: str) -> None:
    """A router's model must be a foundation model or a system profile the caller's Region serves."""
    match = _TARGET.match(arn)
    bad = AwsError("ValidationException", BAD_MODEL.format(arn=arn, region=call.region))
    if match is None or match["region"] != call.region:
        raise bad
    if match["kind"] == "foundation-model":
        if catalog.get(match["id"]) is None or match["account"]:
            raise bad
    elif match["id"] not in catalog.inference_profile_ids(call.region):
        raise bad


def create_prompt_router(call: OperationCall) -> Reply:
    values = params(call)
    name = values["promptRouterName"]
    models = [{"modelArn": str(entry["modelArn"])} for entry in values["models"]]
    fallback = {"modelArn": str(values["fallbackModel"]["modelArn"])}
    for entry in [*models, fallback]:
        _check_target(call, entry["modelArn"])
    if resources.sibling_named(call, ROUTER, "", name) is not None:
        raise AwsError("ConflictException", NAME_TAKEN.format(name=name))
    router_id = new_id(call, "prompt-router", alphabet=LOWER, length=12)
    moment = lifecycle.stamp(call)
    record: dict[str, Any] = {
        "promptRouterName": name,
        "promptRouterArn": bedrock_arn(call.region, call.tenant, f"prompt-router/{router_id}"),
        "routingCriteria": dict(values["routingCriteria"]),
        "models": models,
        "fallbackModel": fallback,
        "status": "AVAILABLE",
        "type": "custom",
        "createdAt": moment,
        "updatedAt": moment,
    }
    if "description" in values:
        record["description"] = values["description"]
    resources.save(call, ROUTER, router_id, record)
    tags.attach(call, record["promptRouterArn"], values.get("tags"))
    return JsonReply({"promptRouterArn": record["promptRouterArn"]})


def router_record(call: OperationCall, arn: str) -> dict[str, Any] | None:
    """The default or created router an ARN names for the caller, or None."""
    match = _ROUTER_ARN.match(arn)
    if match is None or match["account"] != account_id(call.tenant) or match["region"] != call.region:
        return None
    if match["type"] == "default-prompt-router":
        for router in DEFAULT_ROUTERS:
            if router.router_id == match["id"]:
                return _default_record(call, router)
        return None
    return resources.read(call, ROUTER, match["id"])


def _found(call: OperationCall) -> dict[str, Any]:
    arn = str(params(call)["promptRouterArn"])
    record = router_record(call, arn)
    if record is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(arn=arn))
    return record


def get_prompt_router(call: OperationCall) -> Reply:
    return JsonReply(view(_found(call), "GetPromptRouterResponse", service=SERVICE))


def list_prompt_routers(call: OperationCall) -> Reply:
    values = params(call)
    kind = values.get("type")
    entries: list[dict[str, Any]] = []
    if kind in (None, "default"):
        entries += [_default_record(call, router) for router in DEFAULT_ROUTERS]
    if kind in (None, "custom"):
        entries += [record for _, record in resources.records(call, ROUTER)]
    summaries = [view(record, "PromptRouterSummary", service=SERVICE) for record in entries]
    return JsonReply(page(call.service, call.operation, summaries, values))


def delete_prompt_router(call: OperationCall) -> Reply:
    record = _found(call)
    if record["type"] == "default":
        raise AwsError("ValidationException", "Default prompt routers cannot be deleted.")
    router_id = str(record["promptRouterArn"]).rsplit("/", 1)[-1]
    resources.remove(call, ROUTER, router_id)
    tags.drop(call, record["promptRouterArn"])
    return JsonReply({})


# -- routing at run time -----------------------------------------------------------------------------


def predicted_gap(text_length: int) -> float:
    """The emulator's stand-in for Bedrock's predicted quality gap between the fallback and the other model."""
    return float(min(100, text_length // CHARACTERS_PER_POINT))


def choose(record: Mapping[str, Any], text_length: int) -> str:
    """The ARN of the model a router sends a request of ``text_length`` characters to."""
    fallback = str(record["fallbackModel"]["modelArn"])
    others = [str(entry["modelArn"]) for entry in record["models"] if entry["modelArn"] != fallback]
    threshold = float(record["routingCriteria"]["responseQualityDifference"])
    if others and predicted_gap(text_length) <= threshold:
        return others[0]
    return fallback


_TEXT_KEYS: Final = frozenset({"text", "prompt", "inputText", "content", "input", "message", "system"})


def text_length(value: Any) -> int:
    """Characters of the strings under a text-bearing member anywhere in ``value`` (walked without
    recursion, so no nesting depth a parser accepted can exhaust the stack)."""
    total = 0
    pending: list[tuple[Any, str | None]] = [(value, None)]
    while pending:
        item, key = pending.pop()
        if isinstance(item, str):
            total += len(item) if key in _TEXT_KEYS else 0
        elif isinstance(item, Mapping):
            pending.extend((child, str(name)) for name, child in item.items())
        elif isinstance(item, list):
            pending.extend((child, key) for child in item)
    return total


def requesttext_length(call: OperationCall) -> int:
    """How many characters of text the request carries: Converse's messages, or InvokeModel's native body."""
    if "messages" in call.input:
        return text_length(call.input.get("messages"))
    return text_length(call.json_body if isinstance(call.json_body, dict) else {})


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """The model a router's ARN sends this request to (None in lenient mode for a router the caller does
    not have, so the catalogue's default serves it)."""
    record = router_record(call, model_id)
    if record is None:
        if call.strict:
            raise AwsError("ValidationException", catalog.INVALID_ID_MESSAGE)
        return None
    target = choose(record, requesttext_length(call))
    bare = _TARGET.match(target)
    assert bare is not None  # checked when the router was made
    model_id_of_target = bare["id"] if bare["kind"] == "foundation-model" else bare["id"].partition(".")[2]
    resolved = inference_profiles.served(call, model_id, model_id_of_target, "prompt-router")
    return dataclasses.replace(resolved, routed_to=target)


HANDLERS = {
    "CreatePromptRouter": create_prompt_router,
    "GetPromptRouter": get_prompt_router,
    "ListPromptRouters": list_prompt_routers,
    "DeletePromptRouter": delete_prompt_router,
}
