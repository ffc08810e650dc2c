"""A scripted answer as the model's completion: what Converse and InvokeModel answer in place of the
stand-in model's when a scenario scripts it.

Handlers get the engine's ``ScriptedAnswer`` as it is (``OperationCall.scripted``); nothing here knows
scenario files. The completion carries the scripted text, the tool call with its id (the scenario's, or
``DEFAULT_TOOL_USE_ID``), the stop reason and the output tokens, and every wire format renders it.
"""

from __future__ import annotations

import json

from emulator.engine.plan import ScriptedAnswer
from emulator.generation import Completion, ToolCall, count_tokens

# The id of a scripted tool call whose scenario gives none (Converse's form; InvokeModel bodies derive
# their own format from it, as they do for generated calls).
DEFAULT_TOOL_USE_ID = "tooluse_scripted000000"


def completion(answer: ScriptedAnswer | None) -> Completion | None:
    """The scripted text and tool call as a completion, or None when the answer leaves them generated."""
    if answer is None or (answer.text is None and answer.tool_use is None):
        return None
    text = answer.text or ""
    calls: tuple[ToolCall, ...] = ()
    if answer.tool_use is not None:
        tool = answer.tool_use
        arguments = dict(tool.input) if isinstance(tool.input, dict) else {}
        calls = (ToolCall(tool.tool_use_id or DEFAULT_TOOL_USE_ID, tool.name, arguments),)
    tokens = output_tokens(answer)
    if tokens is None:
        tokens = count_tokens(text) + sum(count_tokens(json.dumps(c.input)) + 4 for c in calls)
    stop_reason = answer.stop_reason or ("tool_use" if calls else "end_turn")
    return Completion(text, tokens, stop_reason, None, calls)


def input_tokens(answer: ScriptedAnswer | None, counted: int) -> int:
    """The input tokens usage reports: the scripted count when the answer gives one, else ``counted``."""
    if answer is not None and answer.usage is not None and answer.usage.input_tokens is not None:
        return answer.usage.input_tokens
    return counted


def output_tokens(answer: ScriptedAnswer | None) -> int | None:
    """The scripted output token count, or None when the answer gives none."""
    if answer is None or answer.usage is None:
        return None
    return answer.usage.output_tokens
