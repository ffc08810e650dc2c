"""Checks a scenario against Bedrock's contract: what each rule's operations declare and can carry.

The schema says what a file may contain; this says whether it makes sense for the operations a rule can
match: an injected error must be one every such operation declares (botocore's model), an in-stream
exception must be a member of each operation's stream, a scripted answer must be something the
operation returns. ``operations_for`` is also what the engine indexes rules by.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from emulator.engine.problems import Problem
from emulator.engine.schema import AnswerEffect, Rule, Scenario, ToolUseAnswer
from emulator.wire import shapes
from emulator.wire.declared import (
    AGENT_OPERATIONS,
    FLOW_OPERATIONS,
    KNOWLEDGE_BASE_OPERATIONS,
    MODEL_OPERATIONS,
    OPERATIONS,
    STREAMING_OPERATIONS,
    error_members,
    exception_code,
)

_MODEL_ANSWER_OPERATIONS = frozenset(
    {"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"}
)
# Which operations each part of a scripted answer can shape.
ANSWER_OPERATIONS: dict[str, frozenset[str]] = {
    "text": _MODEL_ANSWER_OPERATIONS
    | {"RetrieveAndGenerate", "RetrieveAndGenerateStream", "InvokeAgent", "InvokeInlineAgent"},
    "tool_use": _MODEL_ANSWER_OPERATIONS,
    "stop_reason": _MODEL_ANSWER_OPERATIONS,
    "usage": _MODEL_ANSWER_OPERATIONS,
    "invoke_body": frozenset({"InvokeModel"}),
    "events": STREAMING_OPERATIONS,
    "retrieval_results": frozenset({"Retrieve", "RetrieveAndGenerate", "RetrieveAndGenerateStream"}),
}


def operations_for(rule: Rule) -> frozenset[str]:
    """The operations a rule can ever match, narrowed by what its criteria and effects need."""
    match = rule.match
    ops = frozenset(match.operations) if match.operations is not None else frozenset(OPERATIONS)
    if match.services is not None:
        ops = frozenset(op for op in ops if OPERATIONS[op].service in match.services)
    if match.operations is None:
        # An unlisted operation set means "every operation that can satisfy the criteria".
        for criterion, carriers in (
            (match.models, MODEL_OPERATIONS),
            (match.knowledge_bases, KNOWLEDGE_BASE_OPERATIONS),
            (match.agents, AGENT_OPERATIONS),
            (match.flows, FLOW_OPERATIONS),
        ):
            if criterion is not None:
                ops &= carriers
        if rule.stream is not None or match.streaming is True:
            ops &= STREAMING_OPERATIONS
        if rule.error is not None:
            # ... and can answer the injected error: not every control-plane operation declares, say,
            # ThrottlingException. When none does, the set stays whole so the check names the problem.
            code = rule.error.code
            ops = frozenset(op for op in ops if code in OPERATIONS[op].errors) or ops
    if match.streaming is False:
        ops -= STREAMING_OPERATIONS
    return ops


def _list(names: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(names))


class _RuleChecker:
    def __init__(self, source: str, scenario: Scenario, index: int, rule: Rule) -> None:
        self.source = source
        self.scenario = scenario
        self.rule = rule
        self.prefix = f"rules[{index}]"
        self.problems: list[Problem] = []

    def problem(self, path: str, expected: str) -> None:
        self.problems.append(Problem(self.source, self.rule.id, f"{self.prefix}.{path}", expected))

    def run(self) -> list[Problem]:
        if not self._operations_known():
            return self.problems
        ops = operations_for(self.rule)
        if not ops:
            self.problem("match", "criteria some operation can satisfy; this match selects no operation")
            return self.problems
        rule = self.rule
        if rule.take is not None and rule.take.probability is not None and self.scenario.seed is None:
            self.problem(
                "take.probability",
                "a scenario `seed` alongside a probability, so the same calls are taken on every run",
            )
        if rule.error is not None:
            self._error(ops, rule.error.code, rule.error.fields, "error")
        if rule.stream is not None:
            self._stream(ops)
        if rule.answer is not None:
            self._answer(rule.answer)
        return self.problems

    def _operations_known(self) -> bool:
        match = self.rule.match
        known = True
        for position, op in enumerate(match.operations or ()):
            if op not in OPERATIONS:
                close = difflib.get_close_matches(op, OPERATIONS, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                self.problem(f"match.operations[{position}]", f"an AWS operation name, got {op!r}{hint}")
                known = False
            elif match.services is not None and OPERATIONS[op].service not in match.services:
                self.problem(
                    f"match.operations[{position}]",
                    f"an operation of {', '.join(match.services)}; {op} is {OPERATIONS[op].service}",
                )
                known = False
        return known

    def _error(self, ops: frozenset[str], code: str, fields: Mapping[str, object], path: str) -> None:
        missing = {op for op in ops if code not in OPERATIONS[op].errors}
        if missing:
            declared_by_all = frozenset.intersection(*(OPERATIONS[op].errors for op in ops))
            declarers = {op for op in ops if code in OPERATIONS[op].errors}
            culprits = (
                f"not declared by {_list(missing)}"
                if len(missing) <= len(declarers) or not declarers
                else f"declared only by {_list(declarers)}"
            )
            self.problem(
                f"{path}.code",
                f"an error every matched operation declares; {code} is {culprits}"
                f" (narrow match.operations, or use one all declare: {_list(declared_by_all)})",
            )
            return
        for service in {OPERATIONS[op].service for op in ops}:
            allowed = error_members(service, code)
            unknown = set(fields) - allowed
            if unknown:
                self.problem(
                    f"{path}.fields",
                    f"members of {code} in {service} ({_list(allowed) or 'none besides message'}),"
                    f" got {_list(unknown)}",
                )

    def _stream(self, ops: frozenset[str]) -> None:
        plain = {op for op in ops if OPERATIONS[op].stream is None}
        if plain:
            self.problem(
                "stream", f"streaming operations only in match.operations; {_list(plain)} do not stream"
            )
            return
        stream = self.rule.stream
        if stream is None or stream.exception_after is None:
            return
        member = stream.exception_after.member
        lacking = {op for op in ops if member not in _stream_exceptions(op)}
        if lacking:
            common = frozenset.intersection(*(_stream_exceptions(op) for op in ops))
            self.problem(
                "stream.exception_after.member",
                f"an exception member of every matched stream; {member} is not one for {_list(lacking)}"
                f" (members all have: {_list(common)})",
            )
            return
        code = exception_code(member)
        for service in {OPERATIONS[op].service for op in ops}:
            allowed = error_members(service, code)
            unknown = set(stream.exception_after.fields) - allowed
            if unknown:
                self.problem(
                    "stream.exception_after.fields",
                    f"members of {code} ({_list(allowed) or 'none besides message'}), got {_list(unknown)}",
                )

    def _answer(self, answer: AnswerEffect) -> None:
        listed = self.rule.match.operations
        if listed is None:
            self.problem("match.operations", "the operations a scripted answer is for, listed explicitly")
            return
        for part in sorted(answer.model_fields_set):
            if getattr(answer, part) is None:
                continue
            unfit = set(listed) - ANSWER_OPERATIONS[part]
            if unfit:
                self.problem(
                    f"answer.{part}",
                    f"operations that return it ({_list(ANSWER_OPERATIONS[part])}); not {_list(unfit)}",
                )
        if answer.tool_use is not None:
            self._tool_use(answer.tool_use)
        for position, event in enumerate(answer.events or ()):
            for op in listed:
                declared = OPERATIONS[op].stream
                if declared is None:
                    continue
                if event.event not in declared.events and event.event not in declared.exceptions:
                    self.problem(
                        f"answer.events[{position}].event",
                        f"an event of the {op} stream ({', '.join(declared.events)})"
                        f" or one of its exceptions, got {event.event!r}",
                    )

    def _tool_use(self, tool_use: ToolUseAnswer) -> None:
        if not isinstance(tool_use.input, dict):
            self.problem(
                "answer.tool_use.input", "a JSON object (the tool's arguments, as a model sends them)"
            )
        if tool_use.id is not None:
            broken = _tool_use_id_rule(tool_use.id)
            if broken is not None:
                self.problem("answer.tool_use.id", f"a tool-use id Converse accepts back ({broken})")


def _tool_use_id_rule(value: str) -> str | None:
    """The rule of botocore's ``ToolUseId`` shape a scripted id breaks, or None: a client sends the id back
    in its ``toolResult``, where Bedrock (and the emulator) refuse one outside the shape."""
    model = shapes.model("bedrock-runtime") or {}
    model_shapes = model.get("shapes", {})
    member = model_shapes.get("ToolUseBlock", {}).get("members", {}).get("toolUseId", {})
    shape = model_shapes.get(member.get("shape", ""), {})
    low, high, pattern = shape.get("min"), shape.get("max"), shape.get("pattern")
    if isinstance(low, int) and len(value) < low:
        return f"at least {low} characters"
    if isinstance(high, int) and len(value) > high:
        return f"at most {high} characters, got {len(value)}"
    if isinstance(pattern, str) and re.fullmatch(pattern, value) is None:
        return f"matching {pattern}"
    return None


def _stream_exceptions(op: str) -> frozenset[str]:
    declared = OPERATIONS[op].stream
    return declared.exceptions if declared is not None else frozenset()


def check_scenario(scenario: Scenario, source: str) -> list[Problem]:
    """Every contract problem in a schema-valid scenario (empty when it is sound)."""
    problems: list[Problem] = []
    for index, rule in enumerate(scenario.rules):
        problems.extend(_RuleChecker(source, scenario, index, rule).run())
    return problems
