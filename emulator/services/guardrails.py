"""Handlers of bedrock-runtime's guardrail operations: ApplyGuardrail and InvokeGuardrailChecks. (The
``bedrock`` control plane's guardrail operations are ``emulator/bedrock_control/guardrails.py``.)"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from emulator.guardrails import detectors, registry
from emulator.guardrails.evaluation import evaluate
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError, validation

_SEVERITY = {"NONE": 0.0, "LOW": 0.4, "MEDIUM": 0.6, "HIGH": 1.0}


def _null(path: str) -> AwsError:
    return validation(
        f"1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
    )


# -- bedrock-runtime ---------------------------------------------------------------------------------


def apply_guardrail(call: OperationCall) -> Reply:
    body = call.input
    identifier = body["guardrailIdentifier"]
    version = registry.check_version(body["guardrailVersion"])
    source = body.get("source")
    if source is None:
        raise _null("source")
    if source not in ("INPUT", "OUTPUT"):
        raise validation(
            f"1 validation error detected: Value '{source}' at 'source' failed to satisfy constraint: "
            "Member must satisfy enum value set: [INPUT, OUTPUT]"
        )
    content = body.get("content")
    if not isinstance(content, list):
        raise _null("content")
    guardrail = registry.current(call.state).resolve(
        identifier, tenant=call.tenant, region=call.region, strict=call.strict, runtime=True, version=version
    )
    texts: list[str] = []
    for block in content:
        text_block = block.get("text")
        if not isinstance(text_block, dict):
            continue  # image blocks: no image classifier in the emulator
        qualifiers = set(text_block.get("qualifiers") or ())
        # Grounding sources and queries feed the contextual grounding check, not the content policies.
        if qualifiers and "guard_content" not in qualifiers:
            continue
        text = text_block.get("text")
        if not isinstance(text, str):
            raise _null("content.member.text.text")
        texts.append(text)
    result = evaluate(guardrail, texts, str(source), full=body.get("outputScope") == "FULL")
    total = sum(len(text) for text in texts)
    answer: dict[str, Any] = {
        "usage": result.usage,
        "action": result.action,
        "actionReason": result.action_reason,
        "outputs": result.outputs(),
        # Real answers repeat ``outputs`` under its older name and, when blocked, name the blocked
        # messaging; botocore's model has neither (wire-facts, "Agent and guardrail traces").
        "output": result.outputs(),
        "assessments": [result.assessment(version=version)],
        "guardrailCoverage": {"textCharacters": {"guarded": total, "total": total}},
    }
    if result.blocked:
        answer["blockedResponse"] = result.blocked_message
    return JsonReply(answer)


def invoke_guardrail_checks(call: OperationCall) -> Reply:
    body = call.input
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _null("messages")
    checks = body.get("checks")
    if not isinstance(checks, dict):
        raise _null("checks")
    texts: list[tuple[int, int, str]] = []
    for message_index, message in enumerate(messages):
        for content_index, block in enumerate(message.get("content") or []):
            text = block.get("text")
            if isinstance(text, str):
                texts.append((message_index, content_index, text))
    joined = "\n".join(text for _, _, text in texts)
    units = math.ceil(len(joined) / 1000) if joined else 0
    results: dict[str, Any] = {}
    usage: dict[str, Any] = {}
    content_filter = checks.get("contentFilter")
    if isinstance(content_filter, dict):
        results["contentFilter"] = {
            "results": [
                {
                    "category": category,
                    "severityScore": _SEVERITY[detectors.content_confidence(joined, category)[0]],
                }
                for category in _categories(content_filter, "category")
            ]
        }
        usage["contentFilter"] = {"textUnits": units}
    prompt_attack = checks.get("promptAttack")
    if isinstance(prompt_attack, dict):
        results["promptAttack"] = {
            "results": [
                {
                    "category": category,
                    "severityScore": _SEVERITY[
                        detectors.keyword_confidence(
                            joined, detectors.PROMPT_ATTACK_KEYWORDS.get(category, {})
                        )
                    ],
                }
                for category in _categories(prompt_attack, "category")
            ]
        }
        usage["promptAttack"] = {"textUnits": units}
    sensitive = checks.get("sensitiveInformation")
    if isinstance(sensitive, dict):
        wanted = frozenset(_categories(sensitive, "type", key="entities"))
        entries = [
            {
                "type": found.kind,
                "confidenceScore": 0.99,
                "beginOffset": found.start,
                "endOffset": found.end,
                "messageIndex": message_index,
                "contentIndex": content_index,
            }
            for message_index, content_index, text in texts
            for found in detectors.find_pii(text, wanted)
        ]
        results["sensitiveInformation"] = {"results": entries}
        usage["sensitiveInformation"] = {"textUnits": units}
    return JsonReply({"results": results, "usage": usage})


def _categories(config: Mapping[str, Any], member: str, *, key: str = "categories") -> list[str]:
    entries = config.get(key)
    if not isinstance(entries, list):
        raise _null(f"checks.{key}")
    return [str(entry.get(member)) for entry in entries]


GUARDRAIL_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "ApplyGuardrail": apply_guardrail,
    "InvokeGuardrailChecks": invoke_guardrail_checks,
}
