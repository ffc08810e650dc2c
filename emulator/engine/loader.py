"""Reads scenario files (YAML or JSON, one scenario each) into checked ``Scenario`` values.

A bad file is refused whole, with every problem located by file, rule, field path and what was expected;
``validate_files`` is the same check for ``bedrock-emulator validate`` without serving.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from emulator.engine.checks import check_scenario
from emulator.engine.document import parse_text
from emulator.engine.problems import Problem, ScenarioError
from emulator.engine.schema import SCENARIO_NAME_PATTERN, Scenario

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def _format_location(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _rule_id(data: Any, location: tuple[int | str, ...]) -> str | None:
    if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(rules, list) and location[1] < len(rules) and isinstance(rules[location[1]], dict):
            rule_id = rules[location[1]].get("id")
            return str(rule_id) if rule_id is not None else f"#{location[1] + 1}"
    return None


def _quoting() -> reprlib.Repr:
    # What a refusal quotes of the input: a few items and characters, never the whole (maybe huge) value.
    quoting = reprlib.Repr()
    quoting.maxlevel = 2
    quoting.maxdict = quoting.maxlist = quoting.maxtuple = quoting.maxset = 4
    quoting.maxstring = quoting.maxother = 60
    quoting.maxlong = 40
    return quoting


_QUOTE = _quoting()


def _expected(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field (it is required)"
    if kind == "extra_forbidden":
        return f"a known field; {_QUOTE.repr(error['loc'][-1])} is not part of the scenario format (check the spelling)"
    if kind == "union_tag_invalid":
        context = error.get("ctx", {})
        return f"{context.get('discriminator')} one of {context.get('expected_tags')}, got {context.get('tag')!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in {"value_error", "assertion_error"}:
        return message
    message = message.removeprefix("Input should be ")
    return f"{message[:1].lower()}{message[1:]}, got {_QUOTE.repr(error['input'])}"


def scenario_from_data(data: Any, source: str, default_name: str | None = None) -> Scenario:
    """A checked scenario from a parsed document; ``default_name`` applies when the file has no ``name``."""
    if not isinstance(data, dict):
        raise ScenarioError.single(source, f"a mapping with version and rules, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(source, _rule_id(data, item["loc"]), _format_location(item["loc"]), _expected(item))
            for item in error.errors()
        ]
        raise ScenarioError(problems) from None
    if scenario.name is None:
        if default_name is None:
            raise ScenarioError.single(source, "a scenario name (the `name` key)", path="name")
        if not re.match(SCENARIO_NAME_PATTERN, default_name):
            raise ScenarioError.single(
                source, f"a `name` key: the file stem {default_name!r} is not a valid name", path="name"
            )
        scenario = scenario.model_copy(update={"name": default_name})
    problems = check_scenario(scenario, source)
    if problems:
        raise ScenarioError(problems)
    return scenario


def load_text(text: str, source: str = "<request>", default_name: str | None = None) -> Scenario:
    return scenario_from_data(parse_text(text, source), source, default_name)


def load_file(path: str | Path) -> Scenario:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError.single(str(file), f"a readable file ({error.strerror})") from None
    return load_text(text, str(file), file.stem)


def scenario_files(path: str | Path) -> list[Path]:
    """The scenario files a path names: itself, or a directory's YAML/JSON files in name order."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())
    return [root]


def load_paths(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario under the given files and directories; refuses all if any file is bad."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    origin: dict[str, Path] = {}
    for path in paths:
        for file in scenario_files(path):
            try:
                scenario = load_file(file)
            except ScenarioError as error:
                problems.extend(error.problems)
                continue
            name = scenario.name or ""
            if name in origin:
                problems.append(
                    Problem(str(file), None, "name", f"a name unique among the files, {origin[name]} has it")
                )
                continue
            origin[name] = file
            scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def validate_files(paths: Iterable[str | Path]) -> list[str]:
    """Problems in the given scenario files or directories, one string each; empty when all are good."""
    try:
        load_paths(paths)
    except ScenarioError as error:
        return [str(problem) for problem in error.problems]
    return []
