"""Guardrails applied to a model invocation (Converse, ConverseStream, InvokeModel and its stream): which
guardrail a request names, its input checked and masked before the stand-in model sees it, the answer
checked on the way out, and what Bedrock reports back (stop reason, trace, ``amazon-bedrock-*`` fields)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.generation import Completion, count_tokens
from emulator.guardrails.definition import Guardrail
from emulator.guardrails.evaluation import Evaluation, evaluate
from emulator.guardrails.registry import check_version, current
from emulator.wire.errors import validation

if TYPE_CHECKING:
    from emulator.state import AppState

# The members of a native InvokeModel body (any provider family) that carry text the guardrail reads.
_TEXT_KEYS = frozenset({"text", "prompt", "inputText", "message", "system", "content", "input"})
_TRACE_MODES = ("enabled", "disabled", "enabled_full")


@dataclass
class Guarded:
    """One invocation under a guardrail: the checked input, then (unless it was blocked) the output."""

    guardrail: Guardrail
    trace: str  # enabled | disabled | enabled_full
    version: str  # the guardrail version the request named (DRAFT or a number)
    input: Evaluation
    body: Any  # the request body with ANONYMIZE findings masked
    output: Evaluation | None = None
    model_output: list[str] = field(default_factory=list)

    @property
    def input_blocked(self) -> bool:
        return self.input.blocked

    @property
    def intervened(self) -> bool:
        return self.input.intervened or (self.output is not None and self.output.intervened)

    def finish(self, completion: Completion, *, intervened_stop_reason: str) -> Completion:
        """The answer as the caller gets it: the blocked messaging, the masked text, or unchanged."""
        if self.input.blocked:
            text = self.input.blocked_message
            return Completion(text, count_tokens(text), intervened_stop_reason, None, ())
        self.model_output = [completion.text]
        self.output = evaluate(self.guardrail, [completion.text], "OUTPUT", full=self.trace == "enabled_full")
        if self.output.blocked:
            text = self.output.blocked_message
            return Completion(text, count_tokens(text), intervened_stop_reason, None, ())
        if self.output.anonymized:
            return Completion(
                self.output.masked[0],
                completion.output_tokens,
                intervened_stop_reason,
                None,
                completion.tool_calls,
            )
        return completion

    @property
    def action_reason(self) -> str:
        """The reason of the last check that intervened, else "No action." (as ApplyGuardrail words it)."""
        if self.output is not None and self.output.intervened:
            return self.output.action_reason
        return self.input.action_reason

    def converse_trace(self) -> dict[str, Any] | None:
        """Converse's ``trace`` member, or None when tracing is off: what the model said before the guardrail
        changed it, both assessments with the applied guardrail's details, and the action's reason."""
        if self.trace == "disabled":
            return None
        guardrail_id = self.guardrail.guardrail_id
        trace: dict[str, Any] = {}
        if self.model_output:
            trace["modelOutput"] = list(self.model_output)
        trace["inputAssessment"] = {guardrail_id: self.input.assessment(version=self.version)}
        if self.output is not None:
            trace["outputAssessments"] = {guardrail_id: [self.output.assessment(version=self.version)]}
        trace["actionReason"] = self.action_reason
        return {"guardrail": trace}

    def invoke_fields(self) -> dict[str, Any]:
        """The members Bedrock adds to an InvokeModel body (or a stream's last chunk)."""
        fields: dict[str, Any] = {
            "amazon-bedrock-guardrailAction": "INTERVENED" if self.intervened else "NONE"
        }
        if self.trace != "disabled":
            guardrail_id = self.guardrail.guardrail_id
            guardrail: dict[str, Any] = {"input": {guardrail_id: self.input.assessment()}}
            if self.output is not None:
                guardrail["outputs"] = [{guardrail_id: self.output.assessment()}]
            guardrail["actionReason"] = self.action_reason
            fields["amazon-bedrock-trace"] = {"guardrail": guardrail}
        return fields


def _lookup(
    identifier: Any, version: Any, *, tenant: str, region: str, strict: bool, state: AppState
) -> Guardrail:
    if not isinstance(identifier, str) or not identifier:
        raise validation("Guardrail identifier must be specified when guardrail version is specified.")
    if not isinstance(version, str) or not version:
        raise validation("Guardrail version must be specified when guardrail identifier is specified.")
    check_version(version)
    return current(state).resolve(
        identifier, tenant=tenant, region=region, strict=strict, runtime=True, version=version
    )


def for_converse(
    body: Mapping[str, Any], *, tenant: str, region: str, strict: bool, state: AppState
) -> Guarded | None:
    """The guardrail a Converse/ConverseStream body's ``guardrailConfig`` names, its input checked."""
    config = body.get("guardrailConfig")
    if not config:
        return None
    if not isinstance(config, dict):
        raise validation("guardrailConfig must be a structure.")
    trace = config.get("trace", "disabled")
    if trace not in _TRACE_MODES:
        raise validation(
            f"1 validation error detected: Value '{trace}' at 'guardrailConfig.trace' failed to satisfy "
            "constraint: Member must satisfy enum value set: [enabled, disabled, enabled_full]"
        )
    guardrail = _lookup(
        config.get("guardrailIdentifier"),
        config.get("guardrailVersion"),
        tenant=tenant,
        region=region,
        strict=strict,
        state=state,
    )
    masked_body = copy.deepcopy(dict(body))
    slots = _converse_slots(masked_body)
    texts = [container[key] for container, key in slots]
    checked = evaluate(guardrail, texts, "INPUT", full=trace == "enabled_full")
    for (container, key), masked in zip(slots, checked.masked, strict=True):
        container[key] = masked
    return Guarded(guardrail, str(trace), str(config.get("guardrailVersion")), checked, masked_body)


def _converse_slots(body: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Where the guardrail reads: ``guardContent`` blocks when the request tags any, else every text block
    of the user's messages (Bedrock leaves the system prompt and the assistant's turns alone)."""
    tagged: list[tuple[dict[str, Any], str]] = []
    plain: list[tuple[dict[str, Any], str]] = []
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        for block in message.get("content") or []:
            if not isinstance(block, dict):
                continue
            guard = block.get("guardContent")
            if isinstance(guard, dict) and isinstance(guard.get("text"), dict):
                if isinstance(guard["text"].get("text"), str):
                    tagged.append((guard["text"], "text"))
            elif message.get("role") == "user" and isinstance(block.get("text"), str):
                plain.append((block, "text"))
    return tagged or plain


def for_invoke(
    members: Mapping[str, Any], body: Any, *, tenant: str, region: str, strict: bool, state: AppState
) -> Guarded | None:
    """The guardrail InvokeModel's ``X-Amzn-Bedrock-Guardrail*`` headers name (its input ``members``:
    ``guardrailIdentifier``, ``guardrailVersion``, ``trace``, already checked against the model), the
    native body checked."""
    identifier = members.get("guardrailIdentifier")
    version = members.get("guardrailVersion")
    if identifier is None and version is None:
        return None
    trace = str(members.get("trace", "DISABLED"))
    guardrail = _lookup(identifier, version, tenant=tenant, region=region, strict=strict, state=state)
    masked_body = copy.deepcopy(body)
    slots = _native_slots(masked_body)
    full = trace.upper() == "ENABLED_FULL"
    checked = evaluate(guardrail, [container[key] for container, key in slots], "INPUT", full=full)
    for (container, key), masked in zip(slots, checked.masked, strict=True):
        container[key] = masked
    return Guarded(guardrail, trace.lower(), str(version), checked, masked_body)


def _native_slots(value: Any, key: str | None = None) -> list[tuple[Any, Any]]:
    slots: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, str) and name in _TEXT_KEYS:
                slots.append((value, name))
            else:
                slots.extend(_native_slots(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str) and key in _TEXT_KEYS:
                slots.append((value, index))  # e.g. Cohere Embed's "texts"-like lists under a text key
            else:
                slots.extend(_native_slots(item, key))
    return slots
