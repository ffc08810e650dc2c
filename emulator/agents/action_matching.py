"""How an agent created through bedrock-agent decides a turn: which function it calls and with what.

The function (or OpenAPI operation) whose name and description share the most (stemmed) words with the
input is chosen, exactly as for file-defined agents (``orchestration.best_action``: a name word counts
twice, a token in a parameter's documented format once, the first declared wins a tie). Its parameters
come from the input, in this order:

1. what ``orchestration.extract_parameters`` finds (id-like tokens, numbers, booleans, e-mail addresses,
   ISO dates, quoted text, the reason after "because"; then the session's attributes by name);
2. for a string parameter about a place (``city``, ``location``, ``destination``... in its name or
   description), the capitalised words after "in", "at", "for", "to", "from" or "near" ("What's the
   weather in Paris?" gives ``city`` = ``Paris``); for one about a person or a name, capitalised words
   after "for", "named" or "called", or any capitalised word not opening the sentence;
3. a required parameter still without a value is generated, type-correct and stable for the same seed,
   function and parameter — unless the agent has an ``AMAZON.UserInput`` action group, in which case the
   agent asks the user for it (observation ``ASK_USER``), as Bedrock's user-input action does.

When no function shares a word with the input, an agent with an ``AMAZON.CodeInterpreter`` action group
works out an arithmetic expression in the input; otherwise an agent with knowledge bases searches them,
and any other agent answers directly (the stand-in model's text).
"""

from __future__ import annotations

import ast
import hashlib
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from emulator.agents.definition import Action, Agent, Parameter
from emulator.agents.orchestration import Decision, best_action, extract_parameters

Decider = Callable[[Agent, str, Mapping[str, str]], Decision]

_PLACE_WORDS: Final = frozenset(
    {"city", "location", "place", "country", "destination", "origin", "address", "region", "town", "airport"}
)
_PERSON_WORDS: Final = frozenset({"name", "person", "customer", "user", "recipient", "contact", "employee"})
_UPPER = "A-ZÀ-ÖØ-Þ"
_CAPITALISED = rf"[{_UPPER}][\w'’.-]*(?:\s+(?:(?:de|del|da|di|von|van|la|le)\s+)?[{_UPPER}][\w'’.-]*)*"
_PLACE: Final = re.compile(rf"\b(?:in|at|for|to|from|near|of)\s+(?:the\s+)?({_CAPITALISED})")
_NAMED: Final = re.compile(rf"\b(?:for|named|called|name is|I am|I'm)\s+({_CAPITALISED})")
_WORD: Final = re.compile(rf"(?<![.!?]\s)(?<!^)\b({_CAPITALISED})")
_NOT_NAMES: Final = frozenset({"I", "I'm", "I've", "I'd", "I'll", "What", "What's", "Please", "Can", "Could"})
_SPLIT: Final = re.compile(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])")
_EXPRESSION: Final = re.compile(r"[-+(]*\d[\d.\s]*(?:[-+*/%^×÷]\s*[-+(]*\s*\d[\d.\s]*\)*\s*)+")
_CODE_WORDS: Final = re.compile(
    r"\b(calculat\w*|comput\w*|evaluat\w*|python|code|how much is|what is|what's|sum|multiply|divide)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Capabilities:
    """What a created agent's built-in action groups give it (``parentActionGroupSignature``)."""

    asks_user: bool = False  # AMAZON.UserInput
    code_interpreter: bool = False  # AMAZON.CodeInterpreter


def decider(capabilities: Capabilities, seed: int) -> Decider:
    """The decision function for one created agent, for ``invocation.Request.decide``."""

    def decide(agent: Agent, text: str, attributes: Mapping[str, str]) -> Decision:
        return choose(agent, text, attributes, capabilities, seed)

    return decide


def choose(
    agent: Agent, text: str, attributes: Mapping[str, str], capabilities: Capabilities, seed: int
) -> Decision:
    action = best_action(agent, text)
    if action is not None:
        return _for_action(action, text, attributes, capabilities, seed)
    if capabilities.code_interpreter:
        worked = _arithmetic(text)
        if worked is not None:
            expression, value = worked
            return Decision(
                "answer",
                f"The user asks for a calculation, so I will run code to evaluate {expression}.",
                answer=f"{expression} = {value}",
            )
    if agent.knowledge_bases:
        return Decision(
            "knowledge_base",
            "None of my functions fits this question, so I will look for the answer in the knowledge base.",
        )
    return Decision("nothing", "None of my functions or knowledge sources fits this request.")


def parameters_for(
    action: Action, text: str, attributes: Mapping[str, str], seed: int, *, generate: bool
) -> tuple[dict[str, str], tuple[Parameter, ...]]:
    """(values in declaration order, the required parameters still without one). With ``generate``, a
    missing required parameter gets a generated value instead of being reported."""
    found, _missing = extract_parameters(action, text, attributes, {})
    used = set(found.values())
    for parameter in action.parameters:
        if parameter.name in found or parameter.type not in ("string", ""):
            continue
        value = _from_words(parameter, text, used)
        if value is not None:
            found[parameter.name] = value
            used.add(value)
    missing = tuple(p for p in action.parameters if p.required and p.name not in found)
    if generate:
        for parameter in missing:
            found[parameter.name] = generated(action, parameter, seed)
        missing = ()
    ordered = {p.name: found[p.name] for p in action.parameters if p.name in found}
    return ordered, missing


def generated(action: Action, parameter: Parameter, seed: int) -> str:
    """A stable value of the parameter's type, for a required parameter the input does not give."""
    digest = hashlib.blake2b(
        f"{seed}|{action.group}|{action.name}|{parameter.name}".encode(), digest_size=8
    ).digest()
    number = int.from_bytes(digest, "big")
    kind = parameter.type
    if kind == "integer":
        return str(1 + number % 100)
    if kind == "number":
        return f"{1 + number % 10000 / 100:.2f}"
    if kind == "boolean":
        return "true" if number % 2 else "false"
    if kind == "array":
        return json.dumps([f"{parameter.name}-{digest.hex()[:6]}"])
    return f"{parameter.name}-{digest.hex()[:6]}"


# -- pieces ---------------------------------------------------------------------------------------------


def _for_action(
    action: Action, text: str, attributes: Mapping[str, str], capabilities: Capabilities, seed: int
) -> Decision:
    parameters, missing = parameters_for(action, text, attributes, seed, generate=not capabilities.asks_user)
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


def _from_words(parameter: Parameter, text: str, used: set[str]) -> str | None:
    words = {w.lower() for w in _SPLIT.split(parameter.name) if w}
    words |= {w.strip(".,;:()").lower() for w in parameter.description.split()}
    if words & _PLACE_WORDS:
        return _first(_PLACE.findall(text), used)
    if words & _PERSON_WORDS:
        return _first(_NAMED.findall(text), used) or _first(_WORD.findall(text), used)
    return None


def _first(candidates: list[str], used: set[str]) -> str | None:
    for candidate in candidates:
        value = candidate.strip().rstrip(".'’")
        if value and value not in used and value not in _NOT_NAMES:
            return value
    return None


_OPERATORS: Final[Mapping[type[ast.AST], Callable[[float, float], float]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _arithmetic(text: str) -> tuple[str, str] | None:
    """(the expression as written, its value) for a request to calculate something, else None."""
    if _CODE_WORDS.search(text) is None:
        return None
    match = _EXPRESSION.search(text)
    if match is None:
        return None
    shown = " ".join(match.group(0).split())
    source = shown.replace("×", "*").replace("÷", "/").replace("^", "**")
    try:
        value = _evaluate(ast.parse(source, mode="eval").body, depth=0)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        return None
    rendered = str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    return shown, rendered


def _evaluate(node: ast.AST, depth: int) -> float:
    if depth > 32:
        raise ValueError("expression too deep")
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left, depth + 1), _evaluate(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError("not arithmetic")
