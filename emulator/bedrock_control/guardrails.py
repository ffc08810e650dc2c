"""CreateGuardrail, GetGuardrail, ListGuardrails, UpdateGuardrail, DeleteGuardrail, CreateGuardrailVersion.

A guardrail's draft is stored by id (``bedrock:guardrail``), each version CreateGuardrailVersion freezes
by ``<id>/<n>`` (``bedrock:guardrail-version``); both keep the request's members under ``definition``,
which is what the runtime (``emulator.guardrails.registry``) evaluates: ApplyGuardrail, Converse's
``guardrailConfig`` and InvokeModel's guardrail headers apply the version they name, so UpdateGuardrail
(a change to the draft) leaves every version as it was frozen.

Statuses on the virtual clock: CREATING -> READY, UPDATING -> READY, a new version VERSIONING -> READY,
DELETING -> gone. Guardrails defined in configuration files (and, in lenient mode, the bundled sample)
are read-only here: Get and List show them, the runtime serves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from emulator.bedrock_control import tags
from emulator.control import lifecycle, resources
from emulator.control.accounts import bedrock_arn
from emulator.control.ids import LOWER, new_id, next_version
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.control.views import view
from emulator.guardrails import registry
from emulator.guardrails.definition import read_definition
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.pagination import page

SERVICE: Final = "bedrock"
_CHECKED_AT: Final = datetime(2025, 1, 1, tzinfo=UTC)  # a definition is checked without a moment
DRAFT: Final = "DRAFT"
GUARDRAIL: Final = Kind(registry.DRAFTS, "Guardrail", "name", "guardrailId")
GUARDRAIL_VERSION: Final = Kind(registry.VERSIONS, "GuardrailVersion")
# Account-level enforcement naming a version (``enforced_guardrails``): a version it names is in use.
ENFORCED: Final = Kind("bedrock:enforced-guardrail-configuration", "EnforcedGuardrailConfiguration")
# The members of CreateGuardrail / UpdateGuardrail that define what a guardrail does.
DEFINITION: Final = (
    "name",
    "description",
    "topicPolicyConfig",
    "contentPolicyConfig",
    "wordPolicyConfig",
    "sensitiveInformationPolicyConfig",
    "contextualGroundingPolicyConfig",
    "automatedReasoningPolicyConfig",
    "crossRegionConfig",
    "blockedInputMessaging",
    "blockedOutputsMessaging",
    "kmsKeyId",
)
# wire-facts §22.3 (the emulator's wording; Bedrock's own text for these was not found).
NAME_TAKEN: Final = "A guardrail with the name {name} already exists."
BUSY: Final = "The guardrail {id} is in {status} status. Retry the request once its status is READY."
IN_USE: Final = "The guardrail {id} is used by the enforced guardrail configuration {config}. Delete that configuration first."
VERSION_NOT_FOUND: Final = "Guardrail {identifier} version {version} was not found."


def draft_record(call: OperationCall, identifier: str, *, deleting: bool = False) -> dict[str, Any]:
    """The caller's guardrail (its draft) an id or ARN names, or Bedrock's ResourceNotFoundException;
    one being deleted counts only when ``deleting`` (GetGuardrail shows it DELETING)."""
    guardrail_id = registry.guardrail_id_of(identifier)
    record = resources.read(call, GUARDRAIL, guardrail_id)
    if record is None or (record["status"] == "DELETING" and not deleting):
        raise registry.not_found(identifier)
    return record


def version_record(
    call: OperationCall, identifier: str, version: str | None, *, deleting: bool = False
) -> dict[str, Any]:
    """The draft (no version, or DRAFT) or a numbered version of one of the caller's guardrails."""
    draft = draft_record(call, identifier, deleting=deleting)
    if version is None or version == DRAFT:
        return draft
    record = resources.read(call, GUARDRAIL_VERSION, resources.key(draft["guardrailId"], version))
    if record is None or (record["status"] == "DELETING" and not deleting):
        raise AwsError(
            "ResourceNotFoundException", VERSION_NOT_FOUND.format(identifier=identifier, version=version)
        )
    return record


def _definition(call: OperationCall, values: Mapping[str, Any]) -> dict[str, Any]:
    """The defining members of a Create/Update request, checked as CreateGuardrail checks them."""
    definition = {name: values[name] for name in DEFINITION if name in values}
    read_definition(definition, guardrail_id="unnamed", region=call.region, created_at=_CHECKED_AT)
    return definition


def _refuse_name_in_use(call: OperationCall, name: str, *, other_than: str | None = None) -> None:
    if resources.sibling_named(call, GUARDRAIL, "", name, other_than=other_than) is not None:
        raise AwsError("ConflictException", NAME_TAKEN.format(name=name))


def create_guardrail(call: OperationCall) -> Reply:
    values = params(call)
    definition = _definition(call, values)
    _refuse_name_in_use(call, definition["name"])
    guardrail_id = new_id(call, "guardrail", alphabet=LOWER, length=12)
    moment = lifecycle.stamp(call)
    record: dict[str, Any] = {
        "guardrailId": guardrail_id,
        "guardrailArn": bedrock_arn(call.region, call.tenant, f"guardrail/{guardrail_id}"),
        "name": definition["name"],
        "version": DRAFT,
        "status": "CREATING",
        "createdAt": moment,
        "updatedAt": moment,
        "region": call.region,
        "definition": definition,
    }
    lifecycle.schedule(record, [(lifecycle.later(call, "create"), {"status": "READY"})])
    resources.save(call, GUARDRAIL, guardrail_id, record)
    tags.attach(call, record["guardrailArn"], values.get("tags"))
    return JsonReply(view(record, "CreateGuardrailResponse", service=SERVICE))


def update_guardrail(call: OperationCall) -> Reply:
    values = params(call)
    record = draft_record(call, values["guardrailIdentifier"])
    if record["status"] not in ("READY", "FAILED"):
        raise AwsError("ConflictException", BUSY.format(id=record["guardrailId"], status=record["status"]))
    definition = _definition(call, values)
    _refuse_name_in_use(call, definition["name"], other_than=record["guardrailId"])
    record.update(
        definition=definition, name=definition["name"], status="UPDATING", updatedAt=lifecycle.stamp(call)
    )
    lifecycle.schedule(record, [(lifecycle.later(call, "update"), {"status": "READY"})])
    resources.save(call, GUARDRAIL, record["guardrailId"], record)
    return JsonReply(view(record, "UpdateGuardrailResponse", service=SERVICE))


def create_guardrail_version(call: OperationCall) -> Reply:
    values = params(call)
    draft = draft_record(call, values["guardrailIdentifier"])
    if draft["status"] not in ("READY", "FAILED"):
        raise AwsError("ConflictException", BUSY.format(id=draft["guardrailId"], status=draft["status"]))
    guardrail_id = draft["guardrailId"]
    number = next_version(call, f"guardrail/{guardrail_id}")
    moment = lifecycle.stamp(call)
    definition = dict(draft["definition"])
    if "description" in values:  # the version's own description; the draft's otherwise
        definition["description"] = values["description"]
    frozen: dict[str, Any] = {
        **{k: v for k, v in draft.items() if k != lifecycle.TIMELINE},
        "version": number,
        "status": "VERSIONING",
        "createdAt": moment,
        "updatedAt": moment,
        "definition": definition,
    }
    lifecycle.schedule(frozen, [(lifecycle.later(call, "update"), {"status": "READY"})])
    resources.save(call, GUARDRAIL_VERSION, resources.key(guardrail_id, number), frozen)
    return JsonReply({"guardrailId": guardrail_id, "version": number})


def delete_guardrail(call: OperationCall) -> Reply:
    values = params(call)
    draft = draft_record(call, values["guardrailIdentifier"])
    guardrail_id = draft["guardrailId"]
    gone = [(lifecycle.later(call, "delete"), {lifecycle.GONE: True})]
    version = values.get("guardrailVersion")
    for config_id, config in resources.records(call, ENFORCED):
        if config["guardrailId"] == guardrail_id and version in (None, config["guardrailVersion"]):
            raise AwsError("ResourceInUseException", IN_USE.format(id=guardrail_id, config=config_id))
    if version is not None:
        record = version_record(call, values["guardrailIdentifier"], version)
        record["status"] = "DELETING"
        lifecycle.schedule(record, gone)
        resources.save(call, GUARDRAIL_VERSION, resources.key(guardrail_id, version), record)
        return JsonReply({})
    for record_key, record in resources.records(call, GUARDRAIL_VERSION, guardrail_id):
        record["status"] = "DELETING"
        lifecycle.schedule(record, gone)
        resources.save(call, GUARDRAIL_VERSION, record_key, record)
    draft["status"] = "DELETING"
    lifecycle.schedule(draft, gone)
    resources.save(call, GUARDRAIL, guardrail_id, draft)
    tags.drop(call, draft["guardrailArn"])
    return JsonReply({})


def get_guardrail(call: OperationCall) -> Reply:
    values = params(call)
    identifier = values["guardrailIdentifier"]
    version = values.get("guardrailVersion")
    guardrail_id = registry.guardrail_id_of(identifier)
    if resources.read(call, GUARDRAIL, guardrail_id) is None:
        shared = registry.current(call.state).resolve(
            identifier, tenant=call.tenant, region=call.region, strict=call.strict
        )
        return JsonReply(shared.describe(version))
    record = version_record(call, identifier, version, deleting=True)
    return JsonReply(describe(call, record))


def describe(call: OperationCall, record: Mapping[str, Any]) -> dict[str, Any]:
    """GetGuardrail's body for a draft or version record."""
    guardrail = registry.from_record(call.tenant, record, str(record["version"]))
    body = guardrail.describe(str(record["version"]))
    definition: Mapping[str, Any] = record["definition"]
    body.update(
        guardrailArn=record["guardrailArn"],
        status=record["status"],
        createdAt=record["createdAt"],
        updatedAt=record["updatedAt"],
    )
    grounding = definition.get("contextualGroundingPolicyConfig")
    if grounding:
        body["contextualGroundingPolicy"] = {
            "filters": list(grounding.get("filtersConfig") or []),
            "tier": dict(grounding.get("tierConfig") or {"tierName": "CLASSIC"}),
        }
    reasoning = definition.get("automatedReasoningPolicyConfig")
    if reasoning:
        body["automatedReasoningPolicy"] = dict(reasoning)
    cross_region = definition.get("crossRegionConfig")
    if cross_region:
        profile = str(cross_region["guardrailProfileIdentifier"])
        profile_id = profile.rsplit("/", 1)[-1]
        body["crossRegionDetails"] = {
            "guardrailProfileId": profile_id,
            "guardrailProfileArn": profile
            if profile.startswith("arn:")
            else bedrock_arn(call.region, call.tenant, f"guardrail-profile/{profile_id}"),
        }
    kms = definition.get("kmsKeyId")
    if isinstance(kms, str) and ":key/" in kms:
        body["kmsKeyArn"] = kms
    return view(body, "GetGuardrailResponse", service=SERVICE)


def _summary(record: Mapping[str, Any]) -> dict[str, Any]:
    entry = {
        "id": record["guardrailId"],
        "arn": record["guardrailArn"],
        "status": record["status"],
        "name": record["name"],
        "version": record["version"],
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
    }
    description = record["definition"].get("description")
    if description:
        entry["description"] = description
    return entry


def list_guardrails(call: OperationCall) -> Reply:
    values = params(call)
    identifier = values.get("guardrailIdentifier")
    entries: list[dict[str, Any]]
    if identifier:  # that guardrail's versions: the draft, then 1, 2, ...
        guardrail_id = registry.guardrail_id_of(identifier)
        draft = resources.read(call, GUARDRAIL, guardrail_id)
        if draft is None:
            shared = registry.current(call.state).resolve(
                identifier, tenant=call.tenant, region=call.region, strict=call.strict
            )
            entries = [shared.summary()]
        else:
            versions = sorted(
                resources.records(call, GUARDRAIL_VERSION, guardrail_id),
                key=lambda item: int(item[1]["version"]),
            )
            entries = [_summary(draft)] + [_summary(record) for _, record in versions]
    else:
        shared_list = registry.current(call.state).shared(call.region, strict=call.strict)
        entries = [g.summary() for g in shared_list] + [
            _summary(record) for _, record in resources.records(call, GUARDRAIL)
        ]
    return JsonReply(page(call.service, call.operation, entries, values))


HANDLERS = {
    "CreateGuardrail": create_guardrail,
    "GetGuardrail": get_guardrail,
    "ListGuardrails": list_guardrails,
    "UpdateGuardrail": update_guardrail,
    "DeleteGuardrail": delete_guardrail,
    "CreateGuardrailVersion": create_guardrail_version,
}
