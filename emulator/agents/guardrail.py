"""The guardrail an agent runs with (``guardrailConfiguration`` of a created agent or an InvokeInlineAgent
request): the user's input checked before the agent sees it, the answer checked before the caller does,
and each check reported as a ``guardrailTrace`` event (wire-facts, "Agent and guardrail traces").

An agent trace's assessment is bedrock-agent-runtime's ``GuardrailAssessment``, a narrower shape than
bedrock-runtime's (a content filter is only its type, confidence and action): the runtime's assessment is
cut down to the members botocore's agent-runtime model declares, as the recorded traces show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.guardrails.definition import Guardrail
from emulator.guardrails.evaluation import Evaluation, evaluate
from emulator.guardrails.registry import check_version, current
from emulator.state import AppState
from emulator.wire import shapes
from emulator.wire.errors import constraint_violation


@dataclass(frozen=True)
class GuardrailRef:
    identifier: str
    version: str


def reference(config: Any, member: str = "guardrailConfiguration") -> GuardrailRef | None:
    """The guardrail a ``guardrailConfiguration`` names, or None without one."""
    if not isinstance(config, Mapping) or not config:
        return None
    identifier = config.get("guardrailIdentifier")
    version = config.get("guardrailVersion")
    if not isinstance(identifier, str) or not identifier:
        raise constraint_violation(f"{member}.guardrailIdentifier", None, "Member must not be null")
    if not isinstance(version, str) or not version:
        raise constraint_violation(f"{member}.guardrailVersion", None, "Member must not be null")
    return GuardrailRef(identifier, check_version(version))


def resolve(ref: GuardrailRef, *, tenant: str, region: str, strict: bool, state: AppState) -> Guardrail:
    return current(state).resolve(
        ref.identifier, tenant=tenant, region=region, strict=strict, runtime=True, version=ref.version
    )


def check(guardrail: Guardrail, text: str, source: str) -> Evaluation:
    return evaluate(guardrail, [text], source)


def trace(evaluation: Evaluation, trace_id: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The ``guardrailTrace`` of one check: its action, assessment, timing and trace id."""
    member = "inputAssessments" if evaluation.source == "INPUT" else "outputAssessments"
    assessment = _project(evaluation.assessment(metrics=False), "GuardrailAssessment")
    return {
        "guardrailTrace": {
            "action": "INTERVENED" if evaluation.intervened else "NONE",
            member: [assessment],
            "metadata": dict(metadata),
            "traceId": trace_id,
        }
    }


def check_ms(text: str) -> int:
    """How long a check takes: recorded agent guardrail checks took 235 to 315 ms."""
    return 240 + len(text) // 20


def _project(value: Any, shape_name: str) -> Any:
    """``value`` with only the members bedrock-agent-runtime's ``shape_name`` declares, recursively."""
    model = shapes.model("bedrock-agent-runtime")
    assert model is not None  # botocore ships it
    shape = model["shapes"][shape_name]
    if shape["type"] == "structure" and isinstance(value, Mapping):
        members = shape["members"]
        return {k: _project(v, members[k]["shape"]) for k, v in value.items() if k in members}
    if shape["type"] == "list" and isinstance(value, list):
        return [_project(item, shape["member"]["shape"]) for item in value]
    return value
