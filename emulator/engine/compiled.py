"""A checked scenario turned into what ``Engine.plan`` runs: predicates, constant plan parts, an index.

Everything that does not depend on the call (connection faults, stream faults, scripted answers) is
built once here, so firing a rule only samples its delay and builds its error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.engine.checks import operations_for
from emulator.engine.matcher import CompiledMatch
from emulator.engine.plan import (
    ConnectionFault,
    Drop,
    ExceptionAfter,
    Hang,
    Plan,
    ScriptedAnswer,
    ScriptedEvent,
    StreamFaults,
    ToolUse,
    Truncate,
    Usage,
)
from emulator.engine.schema import AnswerEffect, Rule, Scenario, StreamEffect
from emulator.wire.declared import OPERATIONS, exception_code
from emulator.wire.errors import DEFAULT_MESSAGES

# In-stream messages that differ by service: agent runtime's throttling text (wire-facts.md §8).
_STREAM_MESSAGES: dict[tuple[str, str], str] = {
    ("bedrock-agent-runtime", "ThrottlingException"): (
        "Your request rate is too high. Reduce the frequency of requests."
    ),
}


def _connection(rule: Rule) -> ConnectionFault | None:
    if rule.hang is not None:
        return Hang(rule.hang.seconds)
    if rule.drop:
        return Drop()
    if rule.truncate is not None:
        return Truncate(rule.truncate.keep_bytes)
    return None


def _stream(effect: StreamEffect, service: str) -> StreamFaults:
    exception = None
    if effect.exception_after is not None:
        spec = effect.exception_after
        code = exception_code(spec.member)
        message = spec.message
        if message is None:
            message = _STREAM_MESSAGES.get((service, code)) or DEFAULT_MESSAGES.get(code, code)
        payload: dict[str, Any] = {"message": message, **spec.fields}
        exception = ExceptionAfter(spec.events, spec.member, payload)
    return StreamFaults(
        first_event_delay=effect.first_event_delay or 0.0,
        event_delay=effect.event_delay or 0.0,
        exception_after=exception,
        end_without_close_after=effect.end_without_close_after,
        cut_after=effect.cut_after,
        corrupt_crc_at=effect.corrupt_crc_at,
    )


def _answer(effect: AnswerEffect) -> ScriptedAnswer:
    tool_use = None
    if effect.tool_use is not None:
        tool_use = ToolUse(effect.tool_use.name, effect.tool_use.input, effect.tool_use.id)
    usage = None
    if effect.usage is not None:
        usage = Usage(effect.usage.input_tokens, effect.usage.output_tokens)
    events = None
    if effect.events is not None:
        events = tuple(ScriptedEvent(e.event, e.payload, e.delay) for e in effect.events)
    results = None
    if effect.retrieval_results is not None:
        results = tuple(r.model_dump(exclude_none=True) for r in effect.retrieval_results)
    return ScriptedAnswer(
        text=effect.text,
        tool_use=tool_use,
        stop_reason=effect.stop_reason,
        usage=usage,
        invoke_body=effect.invoke_body,
        events=events,
        retrieval_results=results,
    )


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    matcher: CompiledMatch
    operations: frozenset[str]
    connection: ConnectionFault | None
    stream_by_service: Mapping[str, StreamFaults]
    answer: ScriptedAnswer | None
    # No required state, take or quota can pass a matching call on, so no later rule is reached.
    fires_whenever_matched: bool
    # A quota on tokens (tpm or tpd): admitting a call needs its token estimate.
    limits_tokens: bool = False

    @property
    def id(self) -> str:
        return self.rule.id

    def taken(self, n: int, draw: float | None) -> bool:
        """Whether the rule takes its n-th matching call; ``draw`` is the seeded draw for probabilities."""
        take = self.rule.take
        if take is None:
            return True
        if take.first is not None:
            return n <= take.first
        if take.after is not None:
            return n > take.after
        if take.nth is not None:
            return n in take.nth
        if take.every is not None:
            return n % take.every == 0
        return draw is not None and take.probability is not None and draw < take.probability


@dataclass(frozen=True)
class CompiledScenario:
    scenario: Scenario
    name: str
    delay_seed: int
    strict: bool
    by_operation: Mapping[str, tuple[CompiledRule, ...]]
    idle_plan: Plan


def compile_rule(rule: Rule) -> CompiledRule:
    operations = operations_for(rule)
    streams: dict[str, StreamFaults] = {}
    if rule.stream is not None:
        for service in {OPERATIONS[op].service for op in operations}:
            streams[service] = _stream(rule.stream, service)
    return CompiledRule(
        rule=rule,
        matcher=CompiledMatch(rule.match),
        operations=operations,
        connection=_connection(rule),
        stream_by_service=streams,
        answer=_answer(rule.answer) if rule.answer is not None else None,
        fires_whenever_matched=(
            (rule.state is None or rule.state.required is None) and rule.take is None and rule.quota is None
        ),
        limits_tokens=rule.quota is not None and (rule.quota.tpm is not None or rule.quota.tpd is not None),
    )


def compile_scenario(scenario: Scenario, *, engine_seed: int | None, engine_strict: bool) -> CompiledScenario:
    """``scenario`` must already be checked (loader.scenario_from_data or checks.check_scenario)."""
    if scenario.name is None:
        raise ValueError("a scenario needs a name before it is loaded")
    rules = [compile_rule(rule) for rule in scenario.rules]
    by_operation = {
        op: tuple(rule for rule in rules if op in rule.operations)
        for op in OPERATIONS
        if any(op in rule.operations for rule in rules)
    }
    seed = scenario.seed if scenario.seed is not None else (engine_seed or 0)
    strict = scenario.strict or engine_strict
    return CompiledScenario(
        scenario=scenario,
        name=scenario.name,
        delay_seed=seed,
        strict=strict,
        by_operation=by_operation,
        idle_plan=Plan(scenario=scenario.name, strict=strict),
    )
