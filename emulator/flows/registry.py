"""The flows the emulator serves: those from ``flows:`` files plus the bundled sample.

In lenient mode an unknown flow id (or alias) is answered by the sample, under the id the caller used;
in strict mode it is the real ``ResourceNotFoundException``. Files come from ``configure`` or, on first
use, from ``BEDROCK_EMULATOR_FLOWS`` (paths separated by ``os.pathsep`` or commas).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.definitions import Kind
from emulator.flows.config import DEFAULT_ROLE_ARN, load_file
from emulator.flows.definition import FlowDefinition, parse
from emulator.flows.sample import SAMPLE_DEFINITION, SAMPLE_FLOW_DESCRIPTION, SAMPLE_FLOW_ID, SAMPLE_FLOW_NAME
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from emulator.state import AppState

CONFIG_ENVIRONMENT_VARIABLE = "BEDROCK_EMULATOR_FLOWS"
DRAFT_ALIAS = "TSTALIASID"
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Flow:
    flow_id: str
    name: str
    description: str | None
    execution_role_arn: str
    aliases: tuple[str, ...]
    definition: FlowDefinition
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Resolved:
    """A flow as a request sees it: the id the caller used, and whether the sample stood in."""

    requested_id: str
    flow: Flow
    is_stand_in: bool


class Registry:
    def __init__(self, flows: Iterable[Flow] = ()) -> None:
        now = time.time()
        self.sample = Flow(
            SAMPLE_FLOW_ID,
            SAMPLE_FLOW_NAME,
            SAMPLE_FLOW_DESCRIPTION,
            DEFAULT_ROLE_ARN,
            (),
            parse(SAMPLE_DEFINITION),
            now,
            now,
        )
        self.flows = {flow.flow_id: flow for flow in flows}

    def resolve(self, flow_id: str, *, strict: bool) -> Resolved:
        flow = self.flows.get(flow_id)
        if flow is None and flow_id == SAMPLE_FLOW_ID:
            flow = self.sample
        if flow is not None:
            return Resolved(flow_id, flow, False)
        if strict:
            raise AwsError("ResourceNotFoundException")
        return Resolved(flow_id, self.sample, True)

    def check_alias(self, resolved: Resolved, alias: str, *, strict: bool) -> None:
        """Strict mode knows only the draft alias and the aliases a flows file declares."""
        if strict and alias != DRAFT_ALIAS and alias not in resolved.flow.aliases:
            raise AwsError("ResourceNotFoundException")

    def listed(self) -> list[Flow]:
        return [*self.flows.values(), self.sample]


def flow_arn(region: str, flow_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:flow/{flow_id}"


# -- an app's registry ---------------------------------------------------------------------------------


def _build(paths: tuple[str | Path, ...]) -> Registry:
    now = time.time()
    return Registry(
        [
            Flow(
                config.id,
                config.name,
                config.description,
                config.execution_role_arn,
                tuple(config.aliases),
                definition,
                now,
                now,
            )
            for path in paths
            for config, definition in load_file(path)
        ]
    )


KIND: Kind[Registry] = Kind("flows", CONFIG_ENVIRONMENT_VARIABLE, _build)


def configure(state: AppState, paths: Iterable[str | Path] = ()) -> Registry:
    """Build the app's registry from ``flows:`` files (replacing any earlier one) and return it."""
    return state.definitions.configure(KIND, paths)


def current(state: AppState) -> Registry:
    """The app's registry, built on first use from ``BEDROCK_EMULATOR_FLOWS`` when never configured."""
    return state.definitions.get(KIND)
