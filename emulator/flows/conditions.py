"""Condition-node expressions: parse once, evaluate against the node's named inputs.

The documented subset: relational ``==``, ``!=``, ``>``, ``>=``, ``<``, ``<=``; logical ``and``, ``or``,
``not``; parentheses; operands are input names, numbers, quoted strings and ``true`` / ``false``.
Ordering a string against a number is false rather than an error, so a condition on a mistyped input
simply does not match and the flow falls through to ``default``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|>=|<=|>|<|\(|\))
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_RELATIONS = ("==", "!=", ">=", "<=", ">", "<")
_KEYWORDS = {"and", "or", "not", "true", "false"}


class ConditionError(ValueError):
    """A malformed condition expression (Bedrock's ``MalformedConditionExpression``)."""


@dataclass(frozen=True)
class Expression:
    text: str
    tree: Any  # nested tuples: ("and"|"or", a, b), ("not", a), (relation, a, b), ("name", n), ("value", v)

    def names(self) -> list[str]:
        """The input names the expression reads, in order of first use."""
        found: list[str] = []
        _collect(self.tree, found)
        return found

    def evaluate(self, inputs: Mapping[str, Any]) -> bool:
        return bool(_evaluate(self.tree, inputs))


def parse(text: str) -> Expression:
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    tree = parser.disjunction()
    if parser.position != len(tokens):
        raise ConditionError(f"Unexpected '{tokens[parser.position][1]}' in condition expression: {text}")
    return Expression(text, tree)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ConditionError(
                f"Unexpected character '{text[position:].strip()[0]}' in condition expression: {text}"
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if not tokens:
        raise ConditionError("A condition expression must not be empty.")
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.text = text

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ConditionError(f"Condition expression ends too early: {self.text}")
        self.position += 1
        return token

    def _word(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1] == word:
            self.position += 1
            return True
        return False

    def disjunction(self) -> Any:
        tree = self.conjunction()
        while self._word("or"):
            tree = ("or", tree, self.conjunction())
        return tree

    def conjunction(self) -> Any:
        tree = self.negation()
        while self._word("and"):
            tree = ("and", tree, self.negation())
        return tree

    def negation(self) -> Any:
        if self._word("not"):
            return ("not", self.negation())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.operand()
        token = self._peek()
        if token is not None and token[0] == "op" and token[1] in _RELATIONS:
            self.position += 1
            return (token[1], left, self.operand())
        return left

    def operand(self) -> Any:
        kind, value = self._take()
        if kind == "op" and value == "(":
            tree = self.disjunction()
            if self._take() != ("op", ")"):
                raise ConditionError(f"Missing ')' in condition expression: {self.text}")
            return tree
        if kind == "number":
            return ("value", float(value) if "." in value else int(value))
        if kind == "string":
            return ("value", bytes(value[1:-1], "utf-8").decode("unicode_escape"))
        if kind == "word" and value in ("true", "false"):
            return ("value", value == "true")
        if kind == "word" and value not in _KEYWORDS:
            return ("name", value)
        raise ConditionError(f"Unexpected '{value}' in condition expression: {self.text}")


def _collect(tree: Any, found: list[str]) -> None:
    if tree[0] == "name":
        if tree[1] not in found:
            found.append(tree[1])
    elif tree[0] != "value":
        for part in tree[1:]:
            _collect(part, found)


def _evaluate(tree: Any, inputs: Mapping[str, Any]) -> Any:
    kind = tree[0]
    if kind == "value":
        return tree[1]
    if kind == "name":
        return inputs.get(tree[1])
    if kind == "and":
        return bool(_evaluate(tree[1], inputs)) and bool(_evaluate(tree[2], inputs))
    if kind == "or":
        return bool(_evaluate(tree[1], inputs)) or bool(_evaluate(tree[2], inputs))
    if kind == "not":
        return not _evaluate(tree[1], inputs)
    return _compare(kind, _evaluate(tree[1], inputs), _evaluate(tree[2], inputs))


def _compare(relation: str, left: Any, right: Any) -> bool:
    if relation == "==":
        return bool(left == right)
    if relation == "!=":
        return bool(left != right)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    if not numeric and not (isinstance(left, str) and isinstance(right, str)):
        return False
    if relation == ">":
        return bool(left > right)
    if relation == ">=":
        return bool(left >= right)
    if relation == "<":
        return bool(left < right)
    return bool(left <= right)
