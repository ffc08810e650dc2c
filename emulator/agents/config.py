"""The ``agents:`` configuration document (YAML or JSON), validated with pydantic.

See docs/agents.md for the format. An OpenAPI schema named by path is resolved against the file that
names it, so a configuration and its schemas can move together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_ID = r"^[0-9a-zA-Z]{10}$"
_NAME = r"^([0-9a-zA-Z][_-]?){1,100}$"
_LAMBDA_ARN = r"^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_\.]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$"
DRAFT_ALIAS_ID = "TSTALIASID"
DEFAULT_FOUNDATION_MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterConfig(_Strict):
    type: Literal["string", "number", "integer", "boolean", "array"] = "string"
    description: str | None = Field(default=None, max_length=500)
    required: bool = False


class ResponseConfig(_Strict):
    """What the Lambda stand-in returns for an action, and how the agent words its answer.

    Both are ``string.Template`` texts: ``${name}`` is a parameter or, in ``answer``, also a top-level
    key of the result when the result is a JSON object.
    """

    result: str | None = None
    answer: str | None = None


class FunctionConfig(ResponseConfig):
    name: str = Field(pattern=_NAME)
    description: str | None = Field(default=None, min_length=1, max_length=1200)
    parameters: dict[str, ParameterConfig] = Field(default_factory=dict)
    requires_confirmation: bool = False


class ActionGroupConfig(_Strict):
    name: str = Field(pattern=_NAME)
    description: str | None = Field(default=None, min_length=1, max_length=200)
    executor: Literal["lambda", "return_control"] = "lambda"
    lambda_arn: str | None = Field(default=None, pattern=_LAMBDA_ARN)
    functions: list[FunctionConfig] | None = None
    openapi: dict[str, Any] | Path | None = None  # an OpenAPI 3 document, inline or a file
    responses: dict[str, ResponseConfig] = Field(default_factory=dict)  # openapi: by operationId or path

    @model_validator(mode="after")
    def _one_schema(self) -> ActionGroupConfig:
        if (self.functions is None) == (self.openapi is None):
            raise ValueError(f"action group {self.name}: exactly one of functions, openapi")
        if self.executor == "return_control" and self.lambda_arn is not None:
            raise ValueError(f"action group {self.name}: lambda_arn only goes with executor: lambda")
        return self


class KnowledgeBaseRefConfig(_Strict):
    id: str = Field(pattern=_ID)
    description: str = Field(default="Knowledge base", min_length=1, max_length=200)


class AliasConfig(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(pattern=_NAME)


class MemoryConfig(_Strict):
    storage_days: int = Field(default=30, ge=0, le=365)
    max_recent_sessions: int = Field(default=20, ge=1)


class RouteConfig(_Strict):
    """A scripted decision: when ``when`` (a regular expression) matches the input, do exactly this."""

    when: str = Field(min_length=1)
    action: str | None = None  # "<action group>/<function, operationId or apiPath>"
    parameters: dict[str, str] = Field(default_factory=dict)
    knowledge_base: str | None = Field(default=None, pattern=_ID)
    answer: str | None = None

    @model_validator(mode="after")
    def _one_outcome(self) -> RouteConfig:
        given = [n for n in ("action", "knowledge_base", "answer") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"route {self.when!r}: exactly one of action, knowledge_base, answer")
        return self


class AgentConfig(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(pattern=_NAME)
    description: str | None = Field(default=None, min_length=1, max_length=200)
    instruction: str = Field(min_length=40, max_length=4000)
    foundation_model: str = DEFAULT_FOUNDATION_MODEL
    idle_session_ttl: int = Field(default=600, ge=60, le=5400)
    aliases: list[AliasConfig] = Field(default_factory=list)
    memory: MemoryConfig | None = None
    pre_processing: bool = True
    post_processing: bool = False
    knowledge_bases: list[KnowledgeBaseRefConfig] = Field(default_factory=list)
    action_groups: list[ActionGroupConfig] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> AgentConfig:
        groups = [g.name for g in self.action_groups]
        if len(groups) != len(set(groups)):
            raise ValueError(f"agent {self.id}: action group names must be unique")
        aliases = [a.id for a in self.aliases]
        if DRAFT_ALIAS_ID in aliases or len(aliases) != len(set(aliases)):
            raise ValueError(f"agent {self.id}: alias ids must be unique and not {DRAFT_ALIAS_ID}")
        return self


class AgentsFile(_Strict):
    agents: list[AgentConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> AgentsFile:
        ids = [a.id for a in self.agents]
        if len(ids) != len(set(ids)):
            raise ValueError("agent ids must be unique")
        return self


class AgentConfigError(ValueError):
    """A configuration file that does not validate: names the file, the field and what was expected."""


def load_file(path: Path | str) -> list[AgentConfig]:
    """Parse and validate one file; OpenAPI schemas named by path are read, relative to the file."""
    path = Path(path)
    raw = _read(path)
    try:
        parsed = AgentsFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '<root>'}: {error['msg']}" for error in exc.errors()
        )
        raise AgentConfigError(f"{path}: {problems}") from exc
    base = path.parent.resolve()
    agents: list[AgentConfig] = []
    for agent in parsed.agents:
        groups = []
        for group in agent.action_groups:
            resolved = group
            if isinstance(group.openapi, Path):
                document = _read(base / group.openapi)
                if not isinstance(document, dict):
                    raise AgentConfigError(f"{base / group.openapi}: an OpenAPI document must be a mapping")
                resolved = group.model_copy(update={"openapi": document})
            groups.append(resolved)
        agents.append(agent.model_copy(update={"action_groups": groups}))
    return agents


def _read(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise AgentConfigError(f"{path}: cannot read: {exc}") from exc
