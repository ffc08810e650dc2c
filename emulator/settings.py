"""Settings from command-line flags and ``BEDROCK_EMULATOR_*`` environment variables (flags win)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "BEDROCK_EMULATOR_"
DEFAULT_PORT = 8484


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    seed: int = 0
    strict: bool = False
    scenario: tuple[str, ...] = ()  # files, directories or names of loaded scenarios
    default_scenario: str | None = None
    knowledge_bases: tuple[str, ...] = ()  # ``knowledge_bases:`` files (docs/knowledge-bases.md)
    # ``guardrails:`` files: lists of CreateGuardrail bodies, each with an id
    guardrails: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()  # ``agents:`` files (docs/agents.md)
    flows: tuple[str, ...] = ()  # ``flows:`` files (docs/flows.md)
    library: bool = True  # load the shipped scenario library (names like throttle-first-3)
    journal_size: int = Field(default=10_000, ge=1)
    record: str | None = None  # directory to write recorded exchanges to
    upstream: str | None = None  # real Bedrock endpoint to forward to when recording
    record_name: str | None = None  # name of the recorded scenario (default recorded-<date>)
    log_level: str = "WARNING"
    verify_signatures: bool = False  # check SigV4 signatures against `credentials` (docs/security.md)
    credentials: str | None = None  # file of ACCESS_KEY_ID=SECRET lines; `*=SECRET` matches any key

    @classmethod
    def from_sources(
        cls, flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Environment first, then flags that were given (None means "not given")."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, field_info in cls.model_fields.items():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is None or raw == "":
                continue
            if field_info.annotation == tuple[str, ...]:
                values[name] = tuple(part for part in raw.replace(",", os.pathsep).split(os.pathsep) if part)
            elif field_info.annotation is bool:
                values[name] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                values[name] = raw
        for name, value in (flags or {}).items():
            if value is not None and value != ():
                values[name] = value
        return cls.model_validate(values)
