"""The scenario engine: deterministic, Bedrock-shaped chaos as data, with no Flask in sight.

The data plane builds a ``Call`` from each request, asks ``Engine.plan`` once before answering, carries out
the ``Plan`` and reports real token usage with ``Engine.settle``.
"""

from emulator.engine.call import Call
from emulator.engine.clock import Clock
from emulator.engine.core import Engine
from emulator.engine.loader import validate_files
from emulator.engine.plan import (
    NO_PLAN,
    ConnectionFault,
    Drop,
    ExceptionAfter,
    Hang,
    Plan,
    QuotaTicket,
    ScriptedAnswer,
    ScriptedEvent,
    StreamFaults,
    ToolUse,
    Truncate,
    Usage,
)
from emulator.engine.problems import Problem, ScenarioError, UnknownScenarioError
from emulator.engine.schema import Scenario

__all__ = [
    "NO_PLAN",
    "Call",
    "Clock",
    "ConnectionFault",
    "Drop",
    "Engine",
    "ExceptionAfter",
    "Hang",
    "Plan",
    "Problem",
    "QuotaTicket",
    "Scenario",
    "ScenarioError",
    "ScriptedAnswer",
    "ScriptedEvent",
    "StreamFaults",
    "ToolUse",
    "Truncate",
    "UnknownScenarioError",
    "Usage",
    "validate_files",
]
