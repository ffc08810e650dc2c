"""The ``regex`` of a body condition, run by RE2: time linear in the text, whatever the request sends.

Python's ``re`` backtracks, so ``(a+)+$`` against 26 ``a``\\ s and a ``!`` takes seconds. RE2 (the
``google-re2`` package) never backtracks and releases the GIL while it matches. It refuses what needs
backtracking (backreferences, lookarounds, atomic groups, possessive quantifiers), and those patterns are
refused when the scenario loads. Two bounds keep the worst case small even for a pattern written to defeat
RE2's automaton: a pattern compiles to at most ``MAX_PROGRAM_SIZE`` instructions, and each string is
searched in its first ``MAX_INSPECTED_CHARS`` characters. ``re2`` is imported on first use, so a server
without regex conditions does not pay for it at start.
"""

from __future__ import annotations

from typing import Any

MAX_INSPECTED_CHARS = 1 << 20
MAX_PROGRAM_SIZE = 10_000
_QUOTED_PATTERN = 80

# RE2's error texts for Python-only syntax, and what to say instead.
_HINTS = (
    ("invalid perl operator: (?=", "lookahead (?=...) is not supported"),
    ("invalid perl operator: (?!", "negative lookahead (?!...) is not supported"),
    ("invalid perl operator: (?<", "lookbehind (?<=...) / (?<!...) is not supported"),
    ("invalid perl operator: (?P", "backreferences (?P=name) are not supported"),
    ("invalid perl operator: (?>", "atomic groups are not supported"),
    ("invalid perl operator: (?#", "comment groups are not supported"),
    ("invalid perl operator: (?x", "verbose mode (?x) is not supported"),
    ("bad repetition operator: ", "possessive quantifiers are not supported"),
    ("invalid escape sequence: \\Z", "write \\z for the end of the text"),
    ("invalid escape sequence: \\u", "write \\x{00e9} for a code point"),
    ("invalid escape sequence: \\U", "write \\x{0001f600} for a code point"),
    ("invalid repetition size", "a counted repetition {m,n} needs m <= n <= 1000"),
)
_BACKREFERENCE = "invalid escape sequence: \\"


def _module() -> Any:
    import re2  # google-re2; untyped

    return re2


def _quoted(pattern: str) -> str:
    shown = pattern if len(pattern) <= _QUOTED_PATTERN else pattern[:_QUOTED_PATTERN] + "..."
    return repr(shown)


def _hint(detail: str) -> str:
    for prefix, hint in _HINTS:
        if detail.startswith(prefix):
            return f"; {hint}"
    if detail.startswith(_BACKREFERENCE) and detail[len(_BACKREFERENCE) :][:1].isdigit():
        return "; backreferences are not supported"
    return ""


class Regex:
    """A compiled body-condition regex; construction raises ValueError saying what was expected."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        re2 = _module()
        options = re2.Options()
        options.log_errors = False  # RE2 would print every refused pattern on stderr
        options.never_capture = True  # a condition only asks whether the text matches
        try:
            compiled = re2.compile(pattern, options)
        except re2.error as error:
            raw = error.args[0] if error.args else ""
            detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            raise ValueError(
                "a regular expression RE2 runs in linear time (Python's re syntax without backreferences,"
                f" lookarounds, atomic groups or possessive quantifiers); {_quoted(pattern)} is refused:"
                f" {detail}{_hint(detail)}"
            ) from None
        size = int(compiled.programsize)
        if size > MAX_PROGRAM_SIZE:
            raise ValueError(
                f"a regular expression of at most {MAX_PROGRAM_SIZE} RE2 instructions;"
                f" {_quoted(pattern)} compiles to {size} (shorten counted repetitions and large classes)"
            )
        self.pattern = pattern
        self._compiled = compiled

    def search(self, text: str) -> bool:
        """Whether the pattern occurs in the text's first ``MAX_INSPECTED_CHARS`` characters."""
        if len(text) > MAX_INSPECTED_CHARS:
            text = text[:MAX_INSPECTED_CHARS]
        return self._compiled.search(text) is not None
