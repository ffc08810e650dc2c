"""The ``knowledge_bases:`` configuration document (YAML or JSON), validated with pydantic.

See docs/knowledge-bases.md for the format. Relative directories are resolved against the file that names
them, so a configuration and its documents can move together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from emulator.knowledge.chunking import DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_PERCENTAGE, ChunkingSettings

_ID = r"^[0-9a-zA-Z]{10}$"
_NAME = r"^([0-9a-zA-Z][_-]?){1,100}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChunkingConfig(_Strict):
    strategy: Literal["FIXED_SIZE", "NONE", "HIERARCHICAL", "SEMANTIC"] = "FIXED_SIZE"
    max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, ge=1, le=8192)
    overlap_percentage: int = Field(default=DEFAULT_OVERLAP_PERCENTAGE, ge=0, le=99)

    def settings(self) -> ChunkingSettings:
        return ChunkingSettings(self.strategy, self.max_tokens, self.overlap_percentage)


class DataSourceConfig(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(pattern=_NAME)
    directory: Path
    description: str | None = Field(default=None, min_length=1, max_length=200)
    s3_uri: str | None = Field(default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
    chunking: ChunkingConfig = ChunkingConfig()


class KnowledgeBaseConfig(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(pattern=_NAME)
    description: str | None = Field(default=None, min_length=1, max_length=200)
    embedding_model: str = "amazon.titan-embed-text-v2:0"
    data_sources: list[DataSourceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_data_sources(self) -> KnowledgeBaseConfig:
        ids = [d.id for d in self.data_sources]
        if len(ids) != len(set(ids)):
            raise ValueError(f"knowledge base {self.id}: data source ids must be unique")
        return self


class KnowledgeBasesFile(_Strict):
    knowledge_bases: list[KnowledgeBaseConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> KnowledgeBasesFile:
        ids = [k.id for k in self.knowledge_bases]
        if len(ids) != len(set(ids)):
            raise ValueError("knowledge base ids must be unique")
        return self


class KnowledgeConfigError(ValueError):
    """A configuration file that does not validate: names the file, the field and what was expected."""


def load_file(path: Path | str) -> list[KnowledgeBaseConfig]:
    """Parse and validate one file; directories become absolute, relative to the file."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise KnowledgeConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        parsed = KnowledgeBasesFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '<root>'}: {error['msg']}" for error in exc.errors()
        )
        raise KnowledgeConfigError(f"{path}: {problems}") from exc
    base = path.parent.resolve()
    return [
        kb.model_copy(
            update={
                "data_sources": [
                    ds.model_copy(update={"directory": (base / ds.directory).resolve()})
                    for ds in kb.data_sources
                ]
            }
        )
        for kb in parsed.knowledge_bases
    ]
