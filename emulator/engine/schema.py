"""The scenario file format as pydantic models: structure, types and which effects may combine.

Everything a file can say is here, with ``extra="forbid"`` everywhere so a misspelt key is an error, not
a silently ignored rule. Checks that need Bedrock's contract (declared error codes, stream members, which
operations an answer can shape) live in ``checks.py``; this module knows nothing about operations.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from emulator.engine.bodypath import parse_path
from emulator.engine.regexes import Regex

SCENARIO_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

# Converse's StopReason enum (botocore); the data plane maps it to each InvokeModel provider's own names.
StopReason = Literal[
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
]

Service = Literal["bedrock-runtime", "bedrock-agent-runtime", "bedrock", "bedrock-agent"]
Glob = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _exactly_one(model: BaseModel, names: tuple[str, ...], what: str) -> None:
    given = [name for name in names if name in model.model_fields_set]
    if len(given) != 1:
        raise ValueError(
            f"exactly one of {', '.join(names)} in {what}, got {len(given)} ({', '.join(given)})"
        )


# ---- match ------------------------------------------------------------------------------------------


class BodyCondition(_Strict):
    """A JSON path into the request body and one test: ``equals``, ``contains`` or ``regex``."""

    path: str = Field(min_length=1, description="dotted path, [n] for an index, [*] for any element")
    equals: JsonValue = None
    contains: JsonValue = None
    regex: str | None = None

    @field_validator("path")
    @classmethod
    def _parsable(cls, value: str) -> str:
        parse_path(value)
        return value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            Regex(value)  # raises ValueError saying what RE2 accepts
        return value

    @model_validator(mode="after")
    def _one_test(self) -> BodyCondition:
        _exactly_one(self, ("equals", "contains", "regex"), "a body condition")
        return self


class Match(_Strict):
    """Which calls a rule considers. Every given criterion must hold; a list holds if any item does."""

    services: list[Service] | None = Field(default=None, min_length=1)
    operations: list[str] | None = Field(default=None, min_length=1)
    models: list[Glob] | None = Field(default=None, min_length=1)
    tenants: list[Glob] | None = Field(default=None, min_length=1)
    headers: dict[str, Glob] | None = None
    body: list[BodyCondition] | None = Field(default=None, min_length=1)
    knowledge_bases: list[Glob] | None = Field(default=None, min_length=1)
    agents: list[Glob] | None = Field(default=None, min_length=1)
    flows: list[Glob] | None = Field(default=None, min_length=1)
    streaming: bool | None = None

    @field_validator("headers")
    @classmethod
    def _lower_case_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        # Header names are case-insensitive on the wire; the engine sees them lower-cased.
        return None if value is None else {name.lower(): glob for name, glob in value.items()}


# ---- take and state ---------------------------------------------------------------------------------


class Take(_Strict):
    """Which of the matching calls (counted per tenant, from 1) the rule takes. Exactly one mode."""

    first: PositiveInt | None = None
    after: NonNegativeInt | None = None
    nth: list[PositiveInt] | None = Field(default=None, min_length=1)
    every: PositiveInt | None = None
    probability: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_mode(self) -> Take:
        _exactly_one(self, ("first", "after", "nth", "every", "probability"), "take")
        return self


class State(_Strict):
    """WireMock-style: the rule applies only in state ``required``; firing moves the state to ``next``."""

    required: str | None = Field(default=None, min_length=1)
    next: str | None = Field(default=None, min_length=1)


# ---- effects ----------------------------------------------------------------------------------------


class ErrorEffect(_Strict):
    code: str = Field(min_length=1, description="an error code the matched operations declare")
    message: str | None = Field(default=None, description="defaults to Bedrock's real message for the code")
    fields: dict[str, JsonValue] = Field(default_factory=dict, description="extra members of the error shape")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"code": value} if isinstance(value, str) else value


class FixedDelay(_Strict):
    distribution: Literal["fixed"] = "fixed"
    seconds: NonNegativeFloat


class UniformDelay(_Strict):
    distribution: Literal["uniform"]
    min: NonNegativeFloat
    max: NonNegativeFloat

    @model_validator(mode="after")
    def _ordered(self) -> UniformDelay:
        if self.max < self.min:
            raise ValueError("max >= min")
        return self


class NormalDelay(_Strict):
    """Normal, clipped at 0 (and at ``max`` when given) so a tail never turns into a negative sleep."""

    distribution: Literal["normal"]
    mean: NonNegativeFloat
    stddev: NonNegativeFloat
    max: PositiveFloat | None = None


class LognormalDelay(_Strict):
    """Lognormal by its median and the sigma of the underlying normal: the long tail real latency has."""

    distribution: Literal["lognormal"]
    median: PositiveFloat
    sigma: NonNegativeFloat
    max: PositiveFloat | None = None


Delay = Annotated[
    FixedDelay | UniformDelay | NormalDelay | LognormalDelay,
    Field(discriminator="distribution"),
]


class HangEffect(_Strict):
    seconds: PositiveFloat

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"seconds": value} if isinstance(value, int | float) and not isinstance(value, bool) else value


class TruncateEffect(_Strict):
    keep_bytes: NonNegativeInt

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"keep_bytes": value} if isinstance(value, int) and not isinstance(value, bool) else value


class StreamException(_Strict):
    events: NonNegativeInt = Field(description="events sent before the exception event")
    member: str = Field(
        description="lower-camel exception member of the stream, e.g. modelStreamErrorException"
    )
    message: str | None = None
    fields: dict[str, JsonValue] = Field(default_factory=dict)


class StreamEffect(_Strict):
    first_event_delay: NonNegativeFloat | None = None
    event_delay: NonNegativeFloat | None = None
    exception_after: StreamException | None = None
    end_without_close_after: NonNegativeInt | None = None
    cut_after: NonNegativeInt | None = None
    corrupt_crc_at: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _coherent(self) -> StreamEffect:
        if not self.model_fields_set:
            raise ValueError("at least one stream fault")
        enders = ("exception_after", "end_without_close_after", "cut_after", "corrupt_crc_at")
        given = [name for name in enders if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"at most one way to end the stream early, got {', '.join(given)}")
        return self


class ToolUseAnswer(_Strict):
    name: str = Field(min_length=1)
    input: JsonValue = Field(default_factory=dict)
    id: str | None = None


class UsageAnswer(_Strict):
    input_tokens: NonNegativeInt | None = None
    output_tokens: NonNegativeInt | None = None


class EventAnswer(_Strict):
    event: str = Field(min_length=1, description="an event member of the stream, or one of its exceptions")
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    delay: NonNegativeFloat = 0.0


class RetrievalResultAnswer(_Strict):
    text: str
    score: float | None = None
    location: dict[str, JsonValue] | None = None
    metadata: dict[str, JsonValue] | None = None


class AnswerEffect(_Strict):
    text: str | None = None
    tool_use: ToolUseAnswer | None = None
    stop_reason: StopReason | None = None
    usage: UsageAnswer | None = None
    invoke_body: JsonValue = None
    events: list[EventAnswer] | None = Field(default=None, min_length=1)
    retrieval_results: list[RetrievalResultAnswer] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> AnswerEffect:
        if not self.model_fields_set:
            raise ValueError("at least one part of an answer")
        return self


class QuotaEffect(_Strict):
    """On-demand limits per model per tenant: sliding 60 s windows for rpm/tpm, 24 h for tpd."""

    rpm: PositiveInt | None = None
    tpm: PositiveInt | None = None
    tpd: PositiveInt | None = None

    @model_validator(mode="after")
    def _some_limit(self) -> QuotaEffect:
        if self.rpm is None and self.tpm is None and self.tpd is None:
            raise ValueError("at least one of rpm, tpm, tpd")
        return self


# The outcome of a fired rule: at most one of these. ``delay`` and ``stream`` are modifiers; COMBINES
# says which outcomes each may join (None = the rule has no outcome and passes the call through).
OUTCOMES = ("error", "hang", "drop", "truncate", "answer", "quota")
COMBINES: dict[str, frozenset[str | None]] = {
    "delay": frozenset({None, "error", "drop", "truncate", "answer"}),
    "stream": frozenset({None, "answer"}),
}


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID_PATTERN)
    description: str | None = None
    match: Match = Field(default_factory=Match)
    take: Take | None = None
    state: State | None = None
    error: ErrorEffect | None = None
    delay: Delay | None = None
    hang: HangEffect | None = None
    drop: Literal[True] | None = None
    truncate: TruncateEffect | None = None
    stream: StreamEffect | None = None
    answer: AnswerEffect | None = None
    quota: QuotaEffect | None = None

    @model_validator(mode="before")
    @classmethod
    def _delay_shorthand(cls, value: Any) -> Any:
        # ``delay: 0.2`` is by far the common case; it means a fixed delay.
        if isinstance(value, dict):
            delay = value.get("delay")
            if isinstance(delay, int | float) and not isinstance(delay, bool):
                value = {**value, "delay": {"distribution": "fixed", "seconds": delay}}
        return value

    @model_validator(mode="after")
    def _combination(self) -> Rule:
        outcomes = [name for name in OUTCOMES if getattr(self, name) is not None]
        if len(outcomes) > 1:
            raise ValueError(f"at most one of {', '.join(OUTCOMES)} per rule, got {', '.join(outcomes)}")
        outcome = outcomes[0] if outcomes else None
        for modifier, allowed in COMBINES.items():
            if getattr(self, modifier) is not None and outcome not in allowed:
                partners = sorted(name for name in allowed if name is not None)
                raise ValueError(f"{modifier} combines only with {', '.join(partners)}; not with {outcome}")
        return self

    @property
    def outcome(self) -> str | None:
        return next((name for name in OUTCOMES if getattr(self, name) is not None), None)


class Scenario(_Strict):
    version: Literal[1]
    name: str | None = Field(default=None, pattern=SCENARIO_NAME_PATTERN)
    description: str | None = None
    seed: int | None = None
    strict: bool = False
    initial_state: str = Field(default="Started", min_length=1)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> Scenario:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"unique rule ids, {rule.id!r} is used twice")
            seen.add(rule.id)
        return self
