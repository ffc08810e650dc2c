"""Where guardrails live: the bundled sample, those defined in configuration files (the app's
definitions), and those each tenant creates through CreateGuardrail (the app's store: the draft and each
version CreateGuardrailVersion froze, as the request body they were read from). Looks an identifier (id or ARN) up the way Bedrock does, serving the sample for
unknown ids in lenient mode and answering ResourceNotFoundException in strict mode."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from emulator.control.accounts import account_id
from emulator.definitions import Kind
from emulator.guardrails.definition import Guardrail, read_definition
from emulator.state.store import MemoryStore, Store
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from emulator.state import AppState

CONFIG_ENVIRONMENT_VARIABLE: Final = "BEDROCK_EMULATOR_GUARDRAILS"
SAMPLE_GUARDRAIL_ID: Final = "emulatorpii1"
_ARN: Final = re.compile(r"arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/(?P<id>[a-z0-9]+)")
_ID: Final = re.compile(r"[a-z0-9]+")
_VERSION: Final = re.compile(r"DRAFT|[1-9][0-9]{0,7}")
_EPOCH: Final = datetime(2025, 1, 1, tzinfo=UTC)
# Where CreateGuardrail (emulator/bedrock_control/guardrails.py) keeps a tenant's guardrails: the draft by
# id, each numbered version by "<id>/<n>"; records carry the request's members under "definition".
DRAFTS: Final = "bedrock:guardrail"
VERSIONS: Final = "bedrock:guardrail-version"

# The sample a newcomer's first call meets: common PII rules, a profanity filter and the usual content
# filters, in CreateGuardrail's own shape so it reads like what users write.
SAMPLE_DEFINITION: Final[Mapping[str, Any]] = {
    "name": "emulator-sample-pii-guardrail",
    "description": "Bundled sample guardrail of bedrock-emulator: common PII rules, profanity, content filters.",
    "blockedInputMessaging": "Sorry, the model cannot answer this question.",
    "blockedOutputsMessaging": "Sorry, the model cannot answer this question.",
    "contentPolicyConfig": {
        "filtersConfig": [
            {"type": kind, "inputStrength": "HIGH", "outputStrength": "HIGH"}
            for kind in ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
        ]
        + [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]
    },
    "wordPolicyConfig": {"managedWordListsConfig": [{"type": "PROFANITY"}]},
    "sensitiveInformationPolicyConfig": {
        "piiEntitiesConfig": [
            {"type": "EMAIL", "action": "ANONYMIZE"},
            {"type": "PHONE", "action": "ANONYMIZE"},
            {"type": "NAME", "action": "ANONYMIZE"},
            {"type": "ADDRESS", "action": "ANONYMIZE"},
            {"type": "CREDIT_DEBIT_CARD_NUMBER", "action": "BLOCK"},
            {"type": "US_SOCIAL_SECURITY_NUMBER", "action": "BLOCK"},
            {"type": "AWS_ACCESS_KEY", "action": "BLOCK"},
        ]
    },
}


def not_found(identifier: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Guardrail {identifier} was not found.")


# What the runtime (ApplyGuardrail, a guardrailConfig on inference) says of a guardrail that
# does not exist: quoted from a real response in BerriAI/litellm#11826.
RUNTIME_NOT_FOUND = "The guardrail identifier or version provided in the request does not exist."


def guardrail_id_of(identifier: str) -> str:
    """The id in an identifier (id or ARN); a malformed one is Bedrock's ValidationException."""
    match = _ARN.fullmatch(identifier)
    if match is not None:
        return match["id"]
    if not _ID.fullmatch(identifier):
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{identifier}' at 'guardrailIdentifier' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))",
        )
    return identifier


def check_version(version: str) -> str:
    if not _VERSION.fullmatch(version):
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{version}' at 'guardrailVersion' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))",
        )
    return version


class Registry:
    """Guardrails by id: configured ones for everyone, created ones per tenant (in ``store``). Thread-safe."""

    def __init__(self, configured: Iterable[Guardrail] = (), store: Store | None = None) -> None:
        self._configured = {g.guardrail_id: g for g in configured}
        self._store: Store = MemoryStore() if store is None else store

    def _created(self, tenant: str, guardrail_id: str, version: str | None) -> Guardrail | None:
        """A guardrail the tenant created (its draft, or the numbered version asked for); None when the
        tenant has no such guardrail. A version the guardrail does not have is ResourceNotFound."""
        draft = self._store.get(tenant, DRAFTS, guardrail_id)
        if draft is None or draft.get("status") == "DELETING":
            return None
        if version is None or version == "DRAFT":
            return from_record(tenant, draft, "DRAFT")
        frozen = self._store.get(tenant, VERSIONS, f"{guardrail_id}/{version}")
        if frozen is None or frozen.get("status") == "DELETING":
            raise AwsError("ResourceNotFoundException", RUNTIME_NOT_FOUND)
        return from_record(tenant, frozen, version)

    def resolve(
        self,
        identifier: str,
        *,
        tenant: str,
        region: str,
        strict: bool,
        runtime: bool = False,
        version: str | None = None,
    ) -> Guardrail:
        """The guardrail ``identifier`` names, as ``version`` (the draft when None) froze it; ``runtime``
        picks the data plane's not-found text."""
        guardrail_id = guardrail_id_of(identifier)
        found = self._created(tenant, guardrail_id, version) or self._configured.get(guardrail_id)
        if found is not None:
            return found
        if strict and runtime:
            raise AwsError("ResourceNotFoundException", RUNTIME_NOT_FOUND)
        if strict:
            raise not_found(identifier)
        return dataclasses.replace(sample(region), guardrail_id=guardrail_id)

    def shared(self, region: str, *, strict: bool) -> list[Guardrail]:
        """The guardrails every tenant sees: the sample (lenient mode only), then the configured ones."""
        return ([] if strict else [sample(region)]) + list(self._configured.values())

    def configured(self, guardrail_id: str) -> Guardrail | None:
        return self._configured.get(guardrail_id)


def from_record(tenant: str, record: Mapping[str, Any], version: str) -> Guardrail:
    """A created guardrail's draft or version record (``bedrock:guardrail`` / ``bedrock:guardrail-version``,
    written by ``emulator.bedrock_control.guardrails``) as the evaluator reads it."""
    return dataclasses.replace(
        read_definition(
            record["definition"],
            guardrail_id=str(record["guardrailId"]),
            region=str(record["region"]),
            created_at=datetime.fromisoformat(str(record["createdAt"]).replace("Z", "+00:00")),
            version=version,
        ),
        account=account_id(tenant),
    )


def sample(region: str = "us-east-1") -> Guardrail:
    return read_definition(
        SAMPLE_DEFINITION, guardrail_id=SAMPLE_GUARDRAIL_ID, region=region, created_at=_EPOCH
    )


def load_file(path: str | Path) -> list[Guardrail]:
    """Guardrails from a YAML/JSON file: ``guardrails:`` a list of CreateGuardrail bodies, each with an ``id``."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    entries = document.get("guardrails") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a top-level 'guardrails:' list")
    guardrails = []
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not _ID.fullmatch(entry["id"])
        ):
            raise ValueError(f"{path}: guardrails[{index}].id must be lower-case letters and digits")
        definition = {key: value for key, value in entry.items() if key not in ("id", "region")}
        try:
            guardrails.append(
                read_definition(
                    definition,
                    guardrail_id=entry["id"],
                    region=str(entry.get("region", "us-east-1")),
                    created_at=_EPOCH,
                )
            )
        except AwsError as error:
            raise ValueError(f"{path}: guardrails[{index}]: {error.message}") from None
    return guardrails


def _build(paths: tuple[str | Path, ...]) -> tuple[Guardrail, ...]:
    return tuple(guardrail for path in paths for guardrail in load_file(path))


# The app's definitions hold the configured guardrails; a Registry joins them to the app's store.
KIND: Kind[tuple[Guardrail, ...]] = Kind("guardrails", CONFIG_ENVIRONMENT_VARIABLE, _build)


def configure(state: AppState, paths: Iterable[str | Path] = ()) -> Registry:
    """Read the app's ``guardrails:`` files (replacing any earlier ones); the registry they make."""
    configured: tuple[Guardrail, ...] = state.definitions.configure(KIND, paths)
    return Registry(configured, state.store)


def current(state: AppState) -> Registry:
    """The app's guardrails: configured ones (from ``BEDROCK_EMULATOR_GUARDRAILS`` when never configured)
    and those its tenants created."""
    configured: tuple[Guardrail, ...] = state.definitions.get(KIND)
    return Registry(configured, state.store)
