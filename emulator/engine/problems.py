"""The engine's two failures: a scenario that cannot be loaded or bound, and a call naming an unknown one.

A refused scenario file must tell its author where to look, so each problem names the file, the rule, the
path to the field and what was expected there. Problems quote the input cut short, and a refusal lists
at most ``MAX_LISTED_PROBLEMS`` of them, so the answer to a hostile document stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

# A problem quotes parts of the input; these bounds keep a refusal readable whatever the input was.
MAX_FIELD_CHARS = 200
MAX_EXPECTED_CHARS = 1000
MAX_LISTED_PROBLEMS = 50


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located precisely enough to fix without guessing."""

    file: str
    rule: str | None
    path: str
    expected: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", _cut(self.file, MAX_FIELD_CHARS))
        if self.rule is not None:
            object.__setattr__(self, "rule", _cut(self.rule, MAX_FIELD_CHARS))
        object.__setattr__(self, "path", _cut(self.path, MAX_FIELD_CHARS))
        object.__setattr__(self, "expected", _cut(self.expected, MAX_EXPECTED_CHARS))

    def __str__(self) -> str:
        where = [self.file]
        if self.rule:
            where.append(f"rule {self.rule!r}")
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: expected {self.expected}"


class ScenarioError(Exception):
    """A scenario refused at load (or a bind to a scenario that is not loaded); lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("a ScenarioError needs at least one problem")
        self.problems = tuple(problems)
        first = self.problems[0]
        self.file = first.file
        self.rule = first.rule
        self.path = first.path
        self.expected = first.expected
        listed = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        if len(self.problems) > MAX_LISTED_PROBLEMS:
            listed.append(f"... and {len(self.problems) - MAX_LISTED_PROBLEMS} more problems")
        super().__init__("\n".join(listed))

    @classmethod
    def single(cls, file: str, expected: str, *, rule: str | None = None, path: str = "") -> ScenarioError:
        return cls([Problem(file, rule, path, expected)])


class UnknownScenarioError(LookupError):
    """A request header named a scenario that is not loaded; the data plane answers ValidationException."""

    def __init__(self, name: str, loaded: list[str]) -> None:
        self.name = name
        self.loaded = tuple(loaded)
        super().__init__(
            f"Scenario {name!r} named by header x-bedrock-emulator-scenario is not loaded"
            f" (loaded: {', '.join(loaded) or 'none'})."
        )
