"""The deterministic stand-in for an agent's reasoning: which action (or knowledge base) a turn uses.

A scripted route whose pattern matches the input wins. Otherwise each action is scored by the stemmed
words its name and description share with the input (name words count twice, and a token in a parameter's documented format such
as ``ORD-XXXXXX`` counts once); the best action with at
least one shared word is chosen, the first declared on a tie. Parameters are read from the input
(id-like tokens, numbers, e-mail addresses, dates, the reason after "because"), then from the session's
attributes; a required parameter that cannot be found makes the agent ask the user for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from emulator.agents.definition import Action, Agent, Parameter
from emulator.knowledge.index import analyse

Kind = Literal["action", "knowledge_base", "answer", "ask_user", "nothing"]

_WORD_SPLIT = re.compile(r"[_\-/\s]+|(?<=[a-z])(?=[A-Z])")
_ID_TOKEN = re.compile(r"\b[A-Za-z]{1,10}-?\d[\w-]*\b|\b\d{3,}\b")
_FORMAT_PREFIX = re.compile(r"\b([A-Z]{1,10}-?)X{2,}\b")
_INTEGER = re.compile(r"(?<![\w.-])-?\d+(?![\w.])")
_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?![\w])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
_REASON = re.compile(r"\b(?:because|since|due to|as)\b\s+(.+)", re.IGNORECASE)
_YES = re.compile(r"\b(yes|true|confirm(ed)?|please do)\b", re.IGNORECASE)
_NO = re.compile(r"\b(no|false|don't|do not)\b", re.IGNORECASE)
_FREE_TEXT_NAMES = ("reason", "description", "comment", "message", "query", "text", "note", "question")


@dataclass(frozen=True)
class Decision:
    kind: Kind
    rationale: str
    action: Action | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    missing: tuple[Parameter, ...] = ()
    knowledge_base_id: str | None = None  # None with kind knowledge_base: search every attached one
    answer: str | None = None


def decide(agent: Agent, text: str, attributes: Mapping[str, str]) -> Decision:
    for route in agent.routes:
        if route.pattern.search(text) is None:
            continue
        if route.answer is not None:
            return Decision("answer", "The request matches a scripted answer.", answer=route.answer)
        if route.knowledge_base is not None:
            return Decision(
                "knowledge_base",
                f"I will search knowledge base {route.knowledge_base} for this question.",
                knowledge_base_id=route.knowledge_base,
            )
        action = agent.action(route.action or "")
        if action is not None:
            return _for_action(action, text, attributes, route.parameters)
    action = best_action(agent, text)
    if action is not None:
        return _for_action(action, text, attributes, {})
    if agent.knowledge_bases:
        return Decision(
            "knowledge_base",
            "None of my actions fits this question, so I will look for the answer in the knowledge base.",
        )
    return Decision("nothing", "None of my actions or knowledge sources fits this request.")


def best_action(agent: Agent, text: str) -> Action | None:
    wanted = set(analyse(text))
    best: tuple[int, Action] | None = None
    for action in agent.actions:
        name_terms = set(analyse(" ".join(_WORD_SPLIT.split(action.name))))
        if action.api_path:
            name_terms |= set(analyse(" ".join(_WORD_SPLIT.split(action.api_path))))
        described = set(analyse(action.description))
        score = 2 * len(wanted & name_terms) + len(wanted & (described - name_terms))
        score += sum(1 for p in action.parameters if _mentions_format(p, text))
        if score > 0 and (best is None or score > best[0]):
            best = (score, action)
    return best[1] if best else None


def _mentions_format(parameter: Parameter, text: str) -> bool:
    """Whether the input holds a token in the parameter's documented format (``ORD-XXXXXX``)."""
    prefix = _FORMAT_PREFIX.search(parameter.description)
    return prefix is not None and any(
        m.group(0).upper().startswith(prefix.group(1)) for m in _ID_TOKEN.finditer(text)
    )


def _for_action(
    action: Action, text: str, attributes: Mapping[str, str], fixed: Mapping[str, str]
) -> Decision:
    parameters, missing = extract_parameters(action, text, attributes, fixed)
    if missing:
        names = ", ".join(p.name for p in missing)
        return Decision(
            "ask_user",
            f"To use {action.name} I need {names}, which the user has not given yet, so I will ask for it.",
            action=action,
            parameters=parameters,
            missing=missing,
        )
    shown = ", ".join(f"{k} {v}" for k, v in parameters.items())
    rationale = f"To answer the user I will call {action.name}" + (f" with {shown}." if shown else ".")
    return Decision("action", rationale, action=action, parameters=parameters)


def extract_parameters(
    action: Action, text: str, attributes: Mapping[str, str], fixed: Mapping[str, str]
) -> tuple[dict[str, str], tuple[Parameter, ...]]:
    """(the values found, in declaration order; the required parameters without one)."""
    found: dict[str, str] = {}
    missing: list[Parameter] = []
    used: set[str] = set()
    for parameter in action.parameters:
        value = fixed.get(parameter.name)
        if value is None:
            value = _from_text(parameter, text, used)
        if value is None:
            value = _from_attributes(parameter, attributes)
        if value is not None:
            found[parameter.name] = value
            used.add(value)
        elif parameter.required:
            missing.append(parameter)
    return found, tuple(missing)


def _from_attributes(parameter: Parameter, attributes: Mapping[str, str]) -> str | None:
    wanted = _normal(parameter.name)
    for key, value in attributes.items():
        if _normal(key) == wanted:
            return value
    return None


def _normal(name: str) -> str:
    return "".join(part.lower() for part in _WORD_SPLIT.split(name) if part)


def _from_text(parameter: Parameter, text: str, used: set[str]) -> str | None:
    name = parameter.name.lower()
    kind = parameter.type
    if kind == "boolean":
        if _YES.search(text):
            return "true"
        if _NO.search(text):
            return "false"
        return None
    if kind in ("integer", "number") and not name.endswith("id"):
        pattern = _INTEGER if kind == "integer" else _NUMBER
        ids = {m.group(0) for m in _ID_TOKEN.finditer(text)}
        for match in pattern.finditer(text):
            if match.group(0) not in used and not any(
                match.group(0) in i and match.group(0) != i for i in ids
            ):
                return match.group(0)
        return None
    if "email" in name:
        return _first_unused(_EMAIL.findall(text), used)
    if "date" in name:
        return _first_unused(_DATE.findall(text), used)
    prefix = _FORMAT_PREFIX.search(parameter.description)
    if prefix is not None or name.endswith(("id", "number", "code", "reference")):
        tokens = [m.group(0) for m in _ID_TOKEN.finditer(text)]
        if prefix is not None:
            preferred = [t for t in tokens if t.upper().startswith(prefix.group(1))]
            tokens = preferred + [t for t in tokens if t not in preferred]
        return _first_unused(tokens, used)
    quoted = _QUOTED.findall(text)
    if quoted:
        return _first_unused(quoted, used)
    if any(word in name for word in _FREE_TEXT_NAMES):
        reason = _REASON.search(text)
        if reason is not None:
            return reason.group(1).strip().rstrip(".!?") or None
        return text.strip() or None
    return None


def _first_unused(values: list[str], used: set[str]) -> str | None:
    return next((v for v in values if v not in used), None)
