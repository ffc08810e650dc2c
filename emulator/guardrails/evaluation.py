"""Evaluating text against a guardrail: the findings of each policy, the real ``assessments`` shapes, the
masked text, the action and the usage units Bedrock bills."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.guardrails import detectors
from emulator.guardrails.definition import Guardrail

_PAST_TENSE = {"BLOCK": "BLOCKED", "ANONYMIZE": "ANONYMIZED", "NONE": "NONE"}


@dataclass(frozen=True)
class Evaluation:
    """What a guardrail made of some text blocks from one source (INPUT or OUTPUT)."""

    guardrail: Guardrail
    source: str
    texts: tuple[str, ...]  # as evaluated
    masked: tuple[str, ...]  # with ANONYMIZE findings replaced by {TYPE} placeholders
    blocked: bool
    anonymized: bool
    policies: dict[str, Any] = field(default_factory=dict)  # the assessment's policy members
    usage: dict[str, int] = field(default_factory=dict)
    latency_ms: int = 0

    @property
    def intervened(self) -> bool:
        return self.blocked or self.anonymized

    @property
    def action(self) -> str:
        """ApplyGuardrail's ``action``."""
        return "GUARDRAIL_INTERVENED" if self.intervened else "NONE"

    @property
    def action_reason(self) -> str:
        if self.blocked:
            return "Guardrail blocked."
        if self.anonymized:
            return "Guardrail masked."
        return "No action."

    @property
    def blocked_message(self) -> str:
        g = self.guardrail
        return g.blocked_input_messaging if self.source == "INPUT" else g.blocked_outputs_messaging

    def outputs(self) -> list[dict[str, str]]:
        """ApplyGuardrail's ``outputs``: the blocked messaging, the masked text, or nothing."""
        if self.blocked:
            return [{"text": self.blocked_message}]
        if self.anonymized:
            return [{"text": text} for text in self.masked]
        return []

    def assessment(self, *, metrics: bool = True, version: str | None = None) -> dict[str, Any]:
        """One ``GuardrailAssessment``: the policies that found something, invocation metrics and, given the
        ``version`` the caller asked for, ``appliedGuardrailDetails`` (wire-facts, "Agent and guardrail traces")."""
        result: dict[str, Any] = dict(self.policies)
        if metrics:
            total = sum(len(text) for text in self.texts)
            result["invocationMetrics"] = {
                "guardrailProcessingLatency": self.latency_ms,
                "usage": dict(self.usage),
                "guardrailCoverage": {"textCharacters": {"guarded": total, "total": total}},
            }
        if version is not None:
            result["appliedGuardrailDetails"] = applied_details(self.guardrail, version)
        return result


def applied_details(guardrail: Guardrail, version: str) -> dict[str, Any]:
    """``AppliedGuardrailDetails``: a guardrail the request named (origin REQUEST) in the caller's own
    account (ownership SELF), at the version the request asked for."""
    return {
        "guardrailId": guardrail.guardrail_id,
        "guardrailVersion": version,
        "guardrailArn": guardrail.arn,
        "guardrailOrigin": ["REQUEST"],
        "guardrailOwnership": "SELF",
    }


def evaluate(guardrail: Guardrail, texts: Sequence[str], source: str, *, full: bool = False) -> Evaluation:
    """Run every policy of ``guardrail`` over ``texts`` as ``source`` ("INPUT" or "OUTPUT"). ``full`` (the
    FULL output scope, a trace ``enabled_full``) also lists the topics, content filters and PII entities
    that found nothing; as documented, it does not apply to words and regexes."""
    policies: dict[str, Any] = {}
    actions: list[str] = []
    joined = "\n".join(texts)

    topics = []
    for topic in guardrail.topics:
        action = topic.switch.action(source)
        if action is not None and detectors.topic_matches(
            joined, topic.name, topic.definition, topic.examples
        ):
            topics.append(
                {"name": topic.name, "type": "DENY", "action": _PAST_TENSE[action], "detected": True}
            )
            actions.append(action)
        elif action is not None and full:
            topics.append({"name": topic.name, "type": "DENY", "action": "NONE", "detected": False})
    if topics:
        policies["topicPolicy"] = {"topics": topics}

    filters = []
    for content_filter in guardrail.filters:
        action = content_filter.switch.action(source)
        strength = content_filter.strength(source)
        confidence, _ = detectors.content_confidence(joined, content_filter.type)
        if action is not None and detectors.blocks(strength, confidence):
            filters.append(
                {
                    "type": content_filter.type,
                    "confidence": confidence,
                    "filterStrength": strength,
                    "action": _PAST_TENSE[action],
                    "detected": True,
                }
            )
            actions.append(action)
        elif action is not None and full:
            filters.append(
                {
                    "type": content_filter.type,
                    "confidence": confidence,
                    "filterStrength": strength,
                    "action": "NONE",
                    "detected": False,
                }
            )
    if filters:
        policies["contentPolicy"] = {"filters": filters}

    custom, managed = [], []
    for word in guardrail.words:
        action = word.switch.action(source)
        if action is not None:
            for found in _first_each(texts, word.text):
                custom.append({"match": found, "action": _PAST_TENSE[action], "detected": True})
                actions.append(action)
    for switch in guardrail.managed_word_lists:
        action = switch.action(source)
        if action is None:
            continue
        for phrase in detectors.PROFANITY:
            for found in _first_each(texts, phrase):
                managed.append(
                    {"match": found, "type": "PROFANITY", "action": _PAST_TENSE[action], "detected": True}
                )
                actions.append(action)
    if custom or managed:
        policies["wordPolicy"] = {"customWords": custom, "managedWordLists": managed}

    masked, pii, regexes = _sensitive(guardrail, texts, source, actions)
    if full:
        detected = {entry["type"] for entry in pii}
        pii.extend(
            {"match": "", "type": entity.type, "action": "NONE", "detected": False}
            for entity in guardrail.pii_entities
            if entity.type not in detected and entity.switch.action(source) is not None
        )
    if pii or regexes:
        policies["sensitiveInformationPolicy"] = {"piiEntities": pii, "regexes": regexes}

    total = sum(len(text) for text in texts)
    units = math.ceil(total / 1000) if total else 0
    usage = {
        "topicPolicyUnits": units if guardrail.topics else 0,
        "contentPolicyUnits": units if guardrail.filters else 0,
        "wordPolicyUnits": units if guardrail.words or guardrail.managed_word_lists else 0,
        "sensitiveInformationPolicyUnits": units if guardrail.pii_entities else 0,
        # Regex-only sensitive-information checks are not billed; Bedrock counts them as free units.
        "sensitiveInformationPolicyFreeUnits": units
        if guardrail.regexes and not guardrail.pii_entities
        else 0,
        "contextualGroundingPolicyUnits": 0,
        # No image classifier and no automated reasoning policy here: real answers report these as 0.
        "contentPolicyImageUnits": 0,
        "automatedReasoningPolicyUnits": 0,
        "automatedReasoningPolicies": 0,
    }
    return Evaluation(
        guardrail=guardrail,
        source=source,
        texts=tuple(texts),
        masked=tuple(masked),
        blocked="BLOCK" in actions,
        anonymized="ANONYMIZE" in actions,
        policies=policies,
        usage=usage,
        latency_ms=40 + total // 200,
    )


def _first_each(texts: Sequence[str], phrase: str) -> list[str]:
    """Each distinct spelling of ``phrase`` found in the texts (Bedrock lists a word once per match text)."""
    seen: dict[str, None] = {}
    for text in texts:
        for found in detectors.find_phrase(text, phrase):
            seen.setdefault(found.match, None)
    return list(seen)


def _sensitive(
    guardrail: Guardrail, texts: Sequence[str], source: str, actions: list[str]
) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    pii_actions = {
        entity.type: action
        for entity in guardrail.pii_entities
        if (action := entity.switch.action(source)) is not None
    }
    masked: list[str] = []
    pii: list[dict[str, Any]] = []
    regexes: list[dict[str, Any]] = []
    for text in texts:
        replacements: list[tuple[int, int, str]] = []
        for found in detectors.find_pii(text, frozenset(pii_actions)):
            action = pii_actions[found.kind]
            pii.append(
                {"match": found.match, "type": found.kind, "action": _PAST_TENSE[action], "detected": True}
            )
            actions.append(action)
            if action == "ANONYMIZE":
                replacements.append((found.start, found.end, "{" + found.kind + "}"))
        for rule in guardrail.regexes:
            action = rule.switch.action(source)
            if action is None:
                continue
            for found in detectors.find_regex(text, rule.name, rule.pattern):
                regexes.append(
                    {
                        "name": rule.name,
                        "match": found.match,
                        "regex": rule.pattern.pattern,
                        "action": _PAST_TENSE[action],
                        "detected": True,
                    }
                )
                actions.append(action)
                if action == "ANONYMIZE":
                    replacements.append((found.start, found.end, "{" + rule.name + "}"))
        masked.append(_replace(text, replacements))
    return masked, pii, regexes


def _replace(text: str, replacements: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    position = 0
    for start, end, placeholder in sorted(replacements):
        if start < position:
            continue  # a regex overlapping a PII entity already masked
        out.append(text[position:start])
        out.append(placeholder)
        position = end
    out.append(text[position:])
    return "".join(out)
