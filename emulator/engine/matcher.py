"""Compiles a rule's ``match`` into a fast predicate over a ``Call``.

Globs and regexes are compiled once at load so matching on the hot path is a few regex calls. Model
globs are tried against the id as sent and the resolved foundation model id, so one rule covers a bare
id, an inference profile and an ARN of the same model.

A predicate reads only the call, so the engine runs it before taking its lock. Globs run on Python's
``re``: ``fnmatch.translate`` wraps every ``*`` but the last in an atomic group, so a glob never
backtracks into an earlier star and costs time linear in the value (tests/unit/test_engine_matcher.py
times the worst shapes). Body regexes run on RE2 (``regexes.py``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

from emulator.engine.bodypath import parse_path, values_at
from emulator.engine.call import Call
from emulator.engine.regexes import Regex
from emulator.engine.schema import BodyCondition, Match


def _globs(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def _same(left: Any, right: Any) -> bool:
    # JSON equality: true is not 1, but 1 equals 1.0.
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _contains(value: Any, needle: Any) -> bool:
    if isinstance(value, str):
        return isinstance(needle, str) and needle in value
    if isinstance(value, list):
        return any(_same(item, needle) for item in value)
    if isinstance(value, dict):
        return isinstance(needle, str) and needle in value
    return False


def _body_test(condition: BodyCondition) -> Callable[[Any], bool]:
    segments = parse_path(condition.path)
    if "regex" in condition.model_fields_set and condition.regex is not None:
        pattern = Regex(condition.regex)
        return lambda body: any(isinstance(v, str) and pattern.search(v) for v in values_at(body, segments))
    if "contains" in condition.model_fields_set:
        needle = condition.contains
        return lambda body: any(_contains(v, needle) for v in values_at(body, segments))
    expected = condition.equals
    return lambda body: any(_same(v, expected) for v in values_at(body, segments))


def knowledge_base_id(call: Call) -> str | None:
    """The knowledge base a call names: in the path, or in retrieve-and-generate's body."""
    label = call.labels.get("knowledgeBaseId")
    if label is not None:
        return label
    body = call.body
    if isinstance(body, dict):
        config = body.get("retrieveAndGenerateConfiguration")
        if isinstance(config, dict):
            kb = config.get("knowledgeBaseConfiguration")
            if isinstance(kb, dict) and isinstance(kb.get("knowledgeBaseId"), str):
                return str(kb["knowledgeBaseId"])
    return None


class CompiledMatch:
    """A rule's criteria as one predicate; criteria that were not given cost nothing."""

    def __init__(self, match: Match) -> None:
        self._tests: list[Callable[[Call], bool]] = []
        add = self._tests.append
        if match.streaming is not None:
            streaming = match.streaming
            add(lambda call: call.streaming is streaming)
        if match.models is not None:
            models = _globs(match.models)

            def model_test(call: Call) -> bool:
                return any(
                    candidate is not None and models.match(candidate) is not None
                    for candidate in (call.model_id, call.foundation_model_id)
                )

            add(model_test)
        if match.tenants is not None:
            tenants = _globs(match.tenants)
            add(lambda call: tenants.match(call.tenant) is not None)
        for name, glob in (match.headers or {}).items():
            add(self._header_test(name, glob))
        for condition in match.body or ():
            add(self._body_call_test(_body_test(condition)))
        for patterns, extract in (
            (match.knowledge_bases, knowledge_base_id),
            (match.agents, lambda call: call.labels.get("agentId")),
            (match.flows, lambda call: call.labels.get("flowIdentifier")),
        ):
            if patterns is not None:
                add(self._id_test(_globs(patterns), extract))

    @staticmethod
    def _body_call_test(test: Callable[[Any], bool]) -> Callable[[Call], bool]:
        return lambda call: test(call.body)

    @staticmethod
    def _header_test(name: str, glob: str) -> Callable[[Call], bool]:
        pattern = _globs([glob])

        def test(call: Call) -> bool:
            value = call.headers.get(name)
            return value is not None and pattern.match(value) is not None

        return test

    @staticmethod
    def _id_test(pattern: re.Pattern[str], extract: Callable[[Call], str | None]) -> Callable[[Call], bool]:
        def test(call: Call) -> bool:
            value = extract(call)
            return value is not None and pattern.match(value) is not None

        return test

    def matches(self, call: Call) -> bool:
        return all(test(call) for test in self._tests)
