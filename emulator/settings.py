"""Settings from command-line flags and ``BEDROCK_EMULATOR_*`` environment variables (flags win)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from emulator.admin_guard import HostPattern
from emulator.config_error import explain

ENV_PREFIX = "BEDROCK_EMULATOR_"
DEFAULT_PORT = 8484
# List variables split on commas and os.pathsep, but these hold host:port entries: commas only.
_COMMA_LISTS = frozenset({"allowed_host"})


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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"  # INFO: a line per call
    log_format: Literal["text", "json"] = "text"  # json: one object per line (docs/logging.md)
    # Host names the admin API answers to besides loopback ones: name, name:port or * (docs/admin-security.md)
    allowed_host: tuple[str, ...] = ()
    admin_token: SecretStr | None = None  # when set, /_emulator/ (but health and ui) needs Bearer <token>
    endpoint_file: str | None = None  # the served URL is written here once listening (the health check)
    verify_signatures: bool = False  # check SigV4 signatures against `credentials` (docs/security.md)
    credentials: str | None = None  # file of ACCESS_KEY_ID=SECRET lines; `*=SECRET` matches any key
    # An external S3-compatible endpoint for the objects Bedrock reads and writes, instead of the S3 the
    # emulator serves itself (docs/s3.md)
    s3_endpoint_url: str | None = None
    # Where mutable state lives: ``memory`` (this process) or a Redis URL shared by replicas (docs/replicas.md)
    state: str = "memory"
    # An OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp, LM Studio) whose model writes
    # the text, tool calls and structured output of text models' answers (docs/model-backend.md)
    model_backend: str | None = None
    model_backend_model: str | None = None  # the model name sent to it (default: the Bedrock model id)
    model_backend_timeout: float = Field(default=60.0, gt=0, le=3600)  # seconds for one answer

    @model_validator(mode="after")
    def _credentials_for_verification(self) -> Settings:
        if self.verify_signatures and not self.credentials:
            raise ValueError(
                "--verify-signatures needs a credentials file of ACCESS_KEY_ID=SECRET lines "
                "(--credentials FILE or BEDROCK_EMULATOR_CREDENTIALS)"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("allowed_host")
    @classmethod
    def _host_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            HostPattern.parse(entry)  # ValueError names the bad entry
        return value

    @field_validator("state")
    @classmethod
    def _state_backend(cls, value: str) -> str:
        value = value.strip()
        if value != "memory" and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected memory or a Redis URL such as redis://localhost:6379/0")
        return value

    @field_validator("model_backend")
    @classmethod
    def _backend_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from urllib.parse import urlsplit

        value = value.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  # raises ValueError for a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL such as http://localhost:11434/v1")
        return value

    @field_validator("admin_token")
    @classmethod
    def _header_safe_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            token = value.get_secret_value()
            if not token or not all("!" <= char <= "~" for char in token):
                raise ValueError("expected a token of visible ASCII characters, without spaces")
        return value

    @classmethod
    def from_sources(
        cls, flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Environment first, then flags that were given (None means "not given").

        Raises `ConfigError` naming the flag or variable of each unusable value."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for name, field_info in cls.model_fields.items():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is None or raw == "":
                continue
            origins[name] = ENV_PREFIX + name.upper()
            if name in _COMMA_LISTS:
                values[name] = tuple(part.strip() for part in raw.split(",") if part.strip())
            elif field_info.annotation == tuple[str, ...]:
                values[name] = tuple(part for part in raw.replace(",", os.pathsep).split(os.pathsep) if part)
            elif field_info.annotation is bool:
                values[name] = raw.strip()  # pydantic reads 1/0, true/false, yes/no, on/off; nothing else
            else:
                values[name] = raw
        for name, value in (flags or {}).items():
            if value is not None and value != ():
                values[name] = value
                origins[name] = "--" + name.replace("_", "-")
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise explain(error, cls, origins) from None
