"""The agents the emulator serves: configured ones plus the bundled sample, and how an id resolves.

In lenient mode an unknown agent id (or an unknown alias of a known agent) is answered by the sample,
under the ids the caller used; in strict mode it is the real ``ResourceNotFoundException``. The draft
alias ``TSTALIASID`` exists for every agent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.agents.config import AgentConfig, load_file
from emulator.agents.definition import Agent, from_config
from emulator.agents.sample import SAMPLE_AGENT, SAMPLE_AGENT_ID
from emulator.definitions import Kind
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from emulator.state import AppState

CONFIG_ENVIRONMENT_VARIABLE = "BEDROCK_EMULATOR_AGENTS"
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Resolved:
    """An agent as a request sees it: the ids the caller used, and whether the sample stood in."""

    requested_id: str
    alias_id: str
    agent: Agent
    is_stand_in: bool


class Registry:
    def __init__(self, configs: Sequence[AgentConfig] = ()) -> None:
        self.created_at = time.time()
        self.sample = SAMPLE_AGENT
        self.agents: dict[str, Agent] = {c.id: from_config(c) for c in configs}

    def agent(self, agent_id: str, *, strict: bool) -> tuple[Agent, bool]:
        """(the agent, whether the sample stands in for ``agent_id``)."""
        agent = self.agents.get(agent_id)
        if agent is None and agent_id == SAMPLE_AGENT_ID:
            agent = self.sample
        if agent is not None:
            return agent, False
        if strict:
            raise AwsError("ResourceNotFoundException")
        return self.sample, True

    def resolve(self, agent_id: str, alias_id: str, *, strict: bool) -> Resolved:
        agent, stand_in = self.agent(agent_id, strict=strict)
        if strict and not agent.has_alias(alias_id):
            raise AwsError("ResourceNotFoundException")
        return Resolved(agent_id, alias_id, agent, stand_in)

    def listed(self) -> list[Agent]:
        """What ListAgents shows: configured agents, then the sample."""
        return [*self.agents.values(), self.sample]


def _build(paths: tuple[str | Path, ...]) -> Registry:
    return Registry([config for path in paths for config in load_file(path)])


KIND: Kind[Registry] = Kind("agents", CONFIG_ENVIRONMENT_VARIABLE, _build)


def configure(state: AppState, paths: Iterable[str | Path] = ()) -> Registry:
    """Build the app's registry from ``agents:`` files (replacing any earlier one) and return it."""
    return state.definitions.configure(KIND, paths)


def current(state: AppState) -> Registry:
    """The app's registry, built on first use from ``BEDROCK_EMULATOR_AGENTS`` when never configured."""
    return state.definitions.get(KIND)


def agent_arn(region: str, agent_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:agent/{agent_id}"


def alias_arn(region: str, agent_id: str, alias_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:agent-alias/{agent_id}/{alias_id}"
