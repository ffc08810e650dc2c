"""OptimizePrompt: the prompt restructured the same way every time, streamed as analysis then result."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from emulator import catalog
from emulator.services.exchange import OperationCall, Reply, StreamReply
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint


def handle_optimize_prompt(call: OperationCall) -> Reply:
    body = call.input
    text = (body["input"].get("textPrompt") or {}).get("text")
    if not isinstance(text, str) or not text:
        raise _constraint("input.textPrompt.text", text, "Member must have length greater than or equal to 1")
    model_id = body.get("targetModelId")
    if not isinstance(model_id, str) or not model_id:
        raise _constraint("targetModelId", model_id, "Member must have length greater than or equal to 1")
    model = _target_model(model_id)
    analysis, optimized = optimize_prompt(text, model.provider)
    events: list[tuple[str, dict[str, Any]]] = [
        ("analyzePromptEvent", {"message": analysis}),
        ("optimizedPromptEvent", {"optimizedPrompt": {"textPrompt": {"text": optimized}}}),
    ]
    return StreamReply(events=iter(events))


def _target_model(model_id: str) -> catalog.FoundationModel:
    """The foundation model a target id names: a bare id, an inference profile id or a model ARN."""
    bare = model_id.rsplit("foundation-model/", 1)[-1].rsplit("inference-profile/", 1)[-1]
    model = catalog.get(bare) or (catalog.get(bare.split(".", 1)[1]) if "." in bare else None)
    if model is None:
        raise AwsError("ValidationException", catalog.INVALID_ID_MESSAGE)
    return model


def optimize_prompt(text: str, provider: str = "") -> tuple[str, str]:
    """(analysis, optimized prompt). Variables (``{{name}}``) are kept exactly as written."""
    original = text.strip()
    variables = sorted(set(re.findall(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}", original)))
    words = len(original.split())
    steps = [
        "Read the task and any input carefully before answering.",
        "Work through the problem step by step.",
        "If something needed is missing, say what is missing instead of guessing.",
        "Keep the answer focused on the task and state the final result clearly.",
    ]
    if provider.lower() == "anthropic":
        optimized = (
            f"<task>\n{original}\n</task>\n\n<instructions>\n"
            + "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
            + "\n</instructions>"
        )
    else:
        optimized = f"## Task\n{original}\n\n## Instructions\n" + "\n".join(
            f"{i}. {step}" for i, step in enumerate(steps, 1)
        )
    kept = f" and keeps its variables {', '.join(variables)}" if variables else ""
    analysis = (
        f"The prompt has {words} words{kept}. It states the task but gives no explicit instructions or "
        "answer format; the optimized prompt separates the task from step-by-step instructions."
    )
    return analysis, optimized


PROMPT_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "OptimizePrompt": handle_optimize_prompt,
}
