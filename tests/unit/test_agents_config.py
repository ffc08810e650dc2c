"""The ``agents:`` configuration format: what loads, and what is refused with a useful message."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.agents.config import AgentConfigError, load_file
from emulator.agents.definition import from_config
from emulator.agents.registry import Registry

_INSTRUCTION = "You are a test agent that answers questions about orders politely."


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agents.yaml"
    path.write_text(text)
    return path


def test_openapi_schema_named_by_path_is_read_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.0\npaths:\n  /status:\n    get: {operationId: status, description: Order status}\n"
    )
    path = _write(
        tmp_path,
        f"agents:\n  - id: AGENTAAAA1\n    name: a\n    instruction: {_INSTRUCTION}\n"
        "    action_groups:\n      - {name: api, openapi: api.yaml}\n",
    )
    (config,) = load_file(path)
    agent = from_config(config)
    assert [(a.name, a.api_path, a.verb) for a in agent.actions] == [("status", "/status", "get")]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("  - {id: short, name: a, instruction: " + _INSTRUCTION + "}\n", "agents.0.id"),
        ("  - {id: AGENTAAAA1, name: a, instruction: too short}\n", "agents.0.instruction"),
        ("  - {id: AGENTAAAA1, name: a, instruction: " + _INSTRUCTION + ", colour: red}\n", "colour"),
        (
            "  - {id: AGENTAAAA1, name: a, instruction: " + _INSTRUCTION + ", action_groups: [{name: g}]}\n",
            "exactly one of functions, openapi",
        ),
        (
            "  - {id: AGENTAAAA1, name: a, instruction: "
            + _INSTRUCTION
            + ", aliases: [{id: TSTALIASID, name: d}]}\n",
            "TSTALIASID",
        ),
    ],
)
def test_invalid_files_name_the_file_and_the_field(tmp_path: Path, body: str, problem: str) -> None:
    path = _write(tmp_path, "agents:\n" + body)
    with pytest.raises(AgentConfigError) as error:
        load_file(path)
    assert str(path) in str(error.value)
    assert problem in str(error.value)


def test_registry_serves_the_sample_for_unknown_ids_only_when_lenient(tmp_path: Path) -> None:
    path = _write(tmp_path, f"agents:\n  - {{id: AGENTAAAA1, name: a, instruction: {_INSTRUCTION}}}\n")
    registry = Registry(load_file(path))
    assert registry.resolve("AGENTAAAA1", "TSTALIASID", strict=True).agent.name == "a"
    stand_in = registry.resolve("UNKNOWN123", "ANYALIAS12", strict=False)
    assert stand_in.is_stand_in
    assert stand_in.agent is registry.sample
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        registry.resolve("UNKNOWN123", "TSTALIASID", strict=True)
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        registry.resolve("AGENTAAAA1", "NOSUCHALIA", strict=True)
