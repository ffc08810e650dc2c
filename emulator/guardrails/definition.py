"""A guardrail's definition, read from CreateGuardrail's request shape (the same shape configuration files
use) and rendered back as GetGuardrail and ListGuardrails describe it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from emulator.wire.errors import AwsError, constraint_violation, validation

ACCOUNT_ID: Final = "123456789012"
CONTENT_TYPES: Final = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK")
STRENGTHS: Final = ("NONE", "LOW", "MEDIUM", "HIGH")
_NAME: Final = re.compile(r"[0-9a-zA-Z_-]{1,50}")
_TOPIC_NAME: Final = re.compile(r"[0-9a-zA-Z_ !?.-]{1,100}")


@dataclass(frozen=True)
class Switch:
    """Per-direction settings every policy entry carries (Bedrock's inputAction/outputAction/...Enabled)."""

    input_action: str
    output_action: str
    input_enabled: bool = True
    output_enabled: bool = True

    def action(self, source: str) -> str | None:
        """The action for INPUT or OUTPUT text, or None when the entry is off in that direction."""
        if source == "INPUT":
            return self.input_action if self.input_enabled else None
        return self.output_action if self.output_enabled else None

    def wire(self) -> dict[str, Any]:
        return {
            "inputAction": self.input_action,
            "outputAction": self.output_action,
            "inputEnabled": self.input_enabled,
            "outputEnabled": self.output_enabled,
        }


@dataclass(frozen=True)
class Topic:
    name: str
    definition: str
    examples: tuple[str, ...]
    switch: Switch


@dataclass(frozen=True)
class ContentFilter:
    type: str
    input_strength: str
    output_strength: str
    switch: Switch

    def strength(self, source: str) -> str:
        return self.input_strength if source == "INPUT" else self.output_strength


@dataclass(frozen=True)
class Word:
    text: str
    switch: Switch


@dataclass(frozen=True)
class PiiEntity:
    type: str
    action: str
    switch: Switch


@dataclass(frozen=True)
class RegexRule:
    name: str
    description: str
    pattern: re.Pattern[str]
    action: str
    switch: Switch


@dataclass(frozen=True)
class Guardrail:
    guardrail_id: str
    name: str
    description: str
    region: str
    version: str
    created_at: datetime
    blocked_input_messaging: str
    blocked_outputs_messaging: str
    topics: tuple[Topic, ...] = ()
    filters: tuple[ContentFilter, ...] = ()
    words: tuple[Word, ...] = ()
    managed_word_lists: tuple[Switch, ...] = ()  # PROFANITY is the only managed list
    pii_entities: tuple[PiiEntity, ...] = ()
    regexes: tuple[RegexRule, ...] = ()
    account: str = ACCOUNT_ID  # the owner's account (a tenant's, for guardrails made by CreateGuardrail)

    @property
    def arn(self) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:guardrail/{self.guardrail_id}"

    def describe(self, version: str | None = None) -> dict[str, Any]:
        """GetGuardrail's body."""
        body: dict[str, Any] = {
            "name": self.name,
            "guardrailId": self.guardrail_id,
            "guardrailArn": self.arn,
            "version": version or self.version,
            "status": "READY",
            "createdAt": _timestamp(self.created_at),
            "updatedAt": _timestamp(self.created_at),
            "blockedInputMessaging": self.blocked_input_messaging,
            "blockedOutputsMessaging": self.blocked_outputs_messaging,
        }
        if self.description:
            body["description"] = self.description
        if self.topics:
            body["topicPolicy"] = {
                "topics": [
                    {
                        "name": t.name,
                        "definition": t.definition,
                        "examples": list(t.examples),
                        "type": "DENY",
                        **t.switch.wire(),
                    }
                    for t in self.topics
                ],
                "tier": {"tierName": "CLASSIC"},
            }
        if self.filters:
            body["contentPolicy"] = {
                "filters": [
                    {
                        "type": f.type,
                        "inputStrength": f.input_strength,
                        "outputStrength": f.output_strength,
                        "inputModalities": ["TEXT"],
                        "outputModalities": ["TEXT"],
                        **f.switch.wire(),
                    }
                    for f in self.filters
                ],
                "tier": {"tierName": "CLASSIC"},
            }
        if self.words or self.managed_word_lists:
            body["wordPolicy"] = {
                "words": [{"text": w.text, **w.switch.wire()} for w in self.words],
                "managedWordLists": [{"type": "PROFANITY", **s.wire()} for s in self.managed_word_lists],
            }
        if self.pii_entities or self.regexes:
            body["sensitiveInformationPolicy"] = {
                "piiEntities": [
                    {"type": p.type, "action": p.action, **p.switch.wire()} for p in self.pii_entities
                ],
                "regexes": [
                    {
                        "name": r.name,
                        **({"description": r.description} if r.description else {}),
                        "pattern": r.pattern.pattern,
                        "action": r.action,
                        **r.switch.wire(),
                    }
                    for r in self.regexes
                ],
            }
        return body

    def summary(self) -> dict[str, Any]:
        """One ListGuardrails entry."""
        entry: dict[str, Any] = {
            "id": self.guardrail_id,
            "arn": self.arn,
            "status": "READY",
            "name": self.name,
            "version": self.version,
            "createdAt": _timestamp(self.created_at),
            "updatedAt": _timestamp(self.created_at),
        }
        if self.description:
            entry["description"] = self.description
        return entry


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _constraint(value: Any, path: str, rule: str) -> AwsError:
    return constraint_violation(path, value, rule)


def _text(body: Mapping[str, Any], key: str, path: str, *, required: bool = True, limit: int = 500) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise _constraint(value if value is not None else "null", path, "Member must not be null")
    if len(value) > limit:
        raise _constraint(value, path, f"Member must have length less than or equal to {limit}")
    return value


def _list(body: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise AwsError("SerializationException", "Start of list found where not expected")
    return value


def _switch(entry: Mapping[str, Any], default: str, allowed: tuple[str, ...], path: str) -> Switch:
    actions = []
    for key in ("inputAction", "outputAction"):
        action = entry.get(key, default)
        if action not in allowed:
            raise _constraint(
                action, f"{path}.{key}", f"Member must satisfy enum value set: [{', '.join(allowed)}]"
            )
        actions.append(str(action))
    return Switch(
        actions[0], actions[1], bool(entry.get("inputEnabled", True)), bool(entry.get("outputEnabled", True))
    )


def _enum(value: Any, allowed: Sequence[str], path: str) -> str:
    if value not in allowed:
        raise _constraint(value, path, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return str(value)


def read_definition(
    body: Mapping[str, Any], *, guardrail_id: str, region: str, created_at: datetime, version: str = "DRAFT"
) -> Guardrail:
    """A guardrail from a CreateGuardrail request body; raises ValidationException like Bedrock."""
    name = _text(body, "name", "name", limit=50)
    if not _NAME.fullmatch(name):
        raise _constraint(name, "name", "Member must satisfy regular expression pattern: [0-9a-zA-Z-_]+")
    topics: list[Topic] = []
    topic_policy = body.get("topicPolicyConfig") or {}
    for index, entry in enumerate(_list(topic_policy, "topicsConfig")):
        path = f"topicPolicyConfig.topicsConfig.{index + 1}.member"
        topic_name = _text(entry, "name", f"{path}.name", limit=100)
        if not _TOPIC_NAME.fullmatch(topic_name):
            raise _constraint(
                topic_name,
                f"{path}.name",
                "Member must satisfy regular expression pattern: [0-9a-zA-Z-_ !?.]+",
            )
        _enum(entry.get("type"), ("DENY",), f"{path}.type")
        examples = tuple(str(e) for e in entry.get("examples") or ())
        topics.append(
            Topic(
                topic_name,
                _text(entry, "definition", f"{path}.definition", limit=1000),
                examples,
                _switch(entry, "BLOCK", ("BLOCK", "NONE"), path),
            )
        )
    filters: list[ContentFilter] = []
    for index, entry in enumerate(_list(body.get("contentPolicyConfig") or {}, "filtersConfig")):
        path = f"contentPolicyConfig.filtersConfig.{index + 1}.member"
        kind = _enum(entry.get("type"), CONTENT_TYPES, f"{path}.type")
        input_strength = _enum(entry.get("inputStrength"), STRENGTHS, f"{path}.inputStrength")
        output_strength = _enum(entry.get("outputStrength"), STRENGTHS, f"{path}.outputStrength")
        if kind == "PROMPT_ATTACK" and output_strength != "NONE":
            # Prompt attacks only exist in what a user sends; Bedrock refuses an output strength for them.
            raise validation("PromptAttack filter does not support output strength other than NONE.")
        filters.append(
            ContentFilter(
                kind, input_strength, output_strength, _switch(entry, "BLOCK", ("BLOCK", "NONE"), path)
            )
        )
    word_policy = body.get("wordPolicyConfig") or {}
    words = tuple(
        Word(
            _text(entry, "text", f"wordPolicyConfig.wordsConfig.{index + 1}.member.text", limit=100),
            _switch(entry, "BLOCK", ("BLOCK", "NONE"), f"wordPolicyConfig.wordsConfig.{index + 1}.member"),
        )
        for index, entry in enumerate(_list(word_policy, "wordsConfig"))
    )
    managed: list[Switch] = []
    for index, entry in enumerate(_list(word_policy, "managedWordListsConfig")):
        path = f"wordPolicyConfig.managedWordListsConfig.{index + 1}.member"
        _enum(entry.get("type"), ("PROFANITY",), f"{path}.type")
        managed.append(_switch(entry, "BLOCK", ("BLOCK", "NONE"), path))
    sensitive = body.get("sensitiveInformationPolicyConfig") or {}
    pii: list[PiiEntity] = []
    for index, entry in enumerate(_list(sensitive, "piiEntitiesConfig")):
        path = f"sensitiveInformationPolicyConfig.piiEntitiesConfig.{index + 1}.member"
        kind = str(entry.get("type"))
        if kind not in PII_ENTITY_TYPES:
            # Every Bedrock type is accepted; the few without a detector here simply never match.
            raise _constraint(
                kind,
                f"{path}.type",
                f"Member must satisfy enum value set: [{', '.join(sorted(PII_ENTITY_TYPES))}]",
            )
        action = _enum(entry.get("action"), ("BLOCK", "ANONYMIZE", "NONE"), f"{path}.action")
        pii.append(PiiEntity(kind, action, _switch(entry, action, ("BLOCK", "ANONYMIZE", "NONE"), path)))
    regexes: list[RegexRule] = []
    for index, entry in enumerate(_list(sensitive, "regexesConfig")):
        path = f"sensitiveInformationPolicyConfig.regexesConfig.{index + 1}.member"
        pattern = _text(entry, "pattern", f"{path}.pattern")
        try:
            compiled = re.compile(pattern)
        except re.error:
            raise validation(f"The regex pattern {pattern} is invalid.") from None
        action = _enum(entry.get("action"), ("BLOCK", "ANONYMIZE", "NONE"), f"{path}.action")
        regexes.append(
            RegexRule(
                _text(entry, "name", f"{path}.name", limit=100),
                str(entry.get("description") or ""),
                compiled,
                action,
                _switch(entry, action, ("BLOCK", "ANONYMIZE", "NONE"), path),
            )
        )
    return Guardrail(
        guardrail_id=guardrail_id,
        name=name,
        description=str(body.get("description") or ""),
        region=region,
        version=version,
        created_at=created_at,
        blocked_input_messaging=_text(body, "blockedInputMessaging", "blockedInputMessaging"),
        blocked_outputs_messaging=_text(body, "blockedOutputsMessaging", "blockedOutputsMessaging"),
        topics=tuple(topics),
        filters=tuple(filters),
        words=words,
        managed_word_lists=tuple(managed),
        pii_entities=tuple(pii),
        regexes=tuple(regexes),
    )


PII_ENTITY_TYPES: Final = frozenset(
    {
        "ADDRESS",
        "AGE",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "CA_HEALTH_NUMBER",
        "CA_SOCIAL_INSURANCE_NUMBER",
        "CREDIT_DEBIT_CARD_CVV",
        "CREDIT_DEBIT_CARD_EXPIRY",
        "CREDIT_DEBIT_CARD_NUMBER",
        "DRIVER_ID",
        "EMAIL",
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        "IP_ADDRESS",
        "LICENSE_PLATE",
        "MAC_ADDRESS",
        "NAME",
        "PASSWORD",
        "PHONE",
        "PIN",
        "SWIFT_CODE",
        "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
        "UK_NATIONAL_INSURANCE_NUMBER",
        "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
        "URL",
        "USERNAME",
        "US_BANK_ACCOUNT_NUMBER",
        "US_BANK_ROUTING_NUMBER",
        "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        "US_PASSPORT_NUMBER",
        "US_SOCIAL_SECURITY_NUMBER",
        "VEHICLE_IDENTIFICATION_NUMBER",
    }
)
