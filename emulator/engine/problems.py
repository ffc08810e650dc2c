"""The engine's two failures: a scenario that cannot be loaded or bound, and a call naming an unknown one.

A refused scenario file must tell its author where to look, so each problem names the file, the rule, the
path to the field and what was expected there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located precisely enough to fix without guessing."""

    file: str
    rule: str | None
    path: str
    expected: str

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
        super().__init__("\n".join(str(p) for p in self.problems))

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
