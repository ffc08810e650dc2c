"""What an agent is at run time: instruction, actions, knowledge bases, aliases and scripted routes.

Agents come from three places, all turned into the same ``Agent``: an ``agents:`` configuration file,
the bundled sample, and the body of an InvokeInlineAgent request. Function schemas and OpenAPI
operations both become ``Action``s; an OpenAPI action keeps its path and verb so traces and
returnControl events can report them the way Bedrock does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.agents.config import DEFAULT_FOUNDATION_MODEL, DRAFT_ALIAS_ID, ActionGroupConfig, AgentConfig
from emulator.agents.guardrail import GuardrailRef, reference
from emulator.wire.errors import AwsError

Executor = Literal["LAMBDA", "RETURN_CONTROL"]
ResultFunction = Callable[[Mapping[str, str]], str]
_VERBS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    description: str = ""
    required: bool = False
    in_body: bool = False  # OpenAPI: a requestBody property rather than a path/query parameter


@dataclass(frozen=True)
class Action:
    """One thing the agent can do: a function of a function-schema group, or one OpenAPI operation."""

    group: str
    name: str  # the function name, or the operationId of an API operation
    description: str
    parameters: tuple[Parameter, ...]
    executor: Executor
    api_path: str | None = None
    verb: str | None = None
    requires_confirmation: bool = False
    result: str | ResultFunction | None = None
    answer: str | None = None

    @property
    def is_api(self) -> bool:
        return self.api_path is not None

    def refers_to(self, reference: str) -> bool:
        """``group/name``, ``group/apiPath``, ``/apiPath`` or a bare name: how routes name an action."""
        group, name = "", reference
        if "/" in reference and not reference.startswith("/"):
            group, _, name = reference.partition("/")
        if group and group != self.group:
            return False
        paths = {self.api_path, self.api_path.lstrip("/")} if self.api_path else set()
        return name == self.name or name in paths


@dataclass(frozen=True)
class KnowledgeBaseRef:
    knowledge_base_id: str
    description: str
    retrieval: Mapping[str, Any] = field(default_factory=dict)  # vectorSearchConfiguration, if given


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    action: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    knowledge_base: str | None = None
    answer: str | None = None


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    instruction: str
    foundation_model: str = DEFAULT_FOUNDATION_MODEL
    description: str | None = None
    idle_session_ttl: int = 600
    aliases: Mapping[str, str] = field(default_factory=dict)  # alias id -> alias name (not the draft)
    memory_storage_days: int | None = None  # None: memory is off
    max_recent_sessions: int = 20
    pre_processing: bool = True
    post_processing: bool = False
    knowledge_bases: tuple[KnowledgeBaseRef, ...] = ()
    actions: tuple[Action, ...] = ()
    routes: tuple[Route, ...] = ()
    inline: bool = False
    guardrail: GuardrailRef | None = None  # the guardrailConfiguration it runs with

    def has_alias(self, alias_id: str) -> bool:
        return alias_id == DRAFT_ALIAS_ID or alias_id in self.aliases

    def action(self, reference: str) -> Action | None:
        return next((a for a in self.actions if a.refers_to(reference)), None)


def from_config(config: AgentConfig) -> Agent:
    actions: list[Action] = []
    for group in config.action_groups:
        actions.extend(_group_actions(group))
    return Agent(
        agent_id=config.id,
        name=config.name,
        instruction=config.instruction,
        foundation_model=config.foundation_model,
        description=config.description,
        idle_session_ttl=config.idle_session_ttl,
        aliases={a.id: a.name for a in config.aliases},
        memory_storage_days=config.memory.storage_days if config.memory else None,
        max_recent_sessions=config.memory.max_recent_sessions if config.memory else 20,
        pre_processing=config.pre_processing,
        post_processing=config.post_processing,
        knowledge_bases=tuple(KnowledgeBaseRef(k.id, k.description) for k in config.knowledge_bases),
        actions=tuple(actions),
        routes=tuple(
            Route(re.compile(r.when, re.IGNORECASE), r.action, dict(r.parameters), r.knowledge_base, r.answer)
            for r in config.routes
        ),
    )


def _group_actions(group: ActionGroupConfig) -> list[Action]:
    executor: Executor = "LAMBDA" if group.executor == "lambda" else "RETURN_CONTROL"
    if group.functions is not None:
        return [
            Action(
                group=group.name,
                name=f.name,
                description=f.description or "",
                parameters=tuple(
                    Parameter(name, p.type, p.description or "", p.required)
                    for name, p in f.parameters.items()
                ),
                executor=executor,
                requires_confirmation=f.requires_confirmation,
                result=f.result,
                answer=f.answer,
            )
            for f in group.functions
        ]
    assert isinstance(group.openapi, dict)
    actions = openapi_actions(group.name, group.openapi, executor)
    responses = group.responses
    return [_with_response(a, responses.get(a.name) or responses.get(a.api_path or "")) for a in actions]


def _with_response(action: Action, response: Any) -> Action:
    if response is None:
        return action
    from dataclasses import replace

    return replace(action, result=response.result, answer=response.answer)


def openapi_actions(group: str, document: Mapping[str, Any], executor: Executor) -> list[Action]:
    """One action per operation of an OpenAPI 3 document's ``paths``, in document order."""
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise ValueError(f"action group {group}: the OpenAPI schema has no paths")
    actions: list[Action] = []
    for path, operations in paths.items():
        if not isinstance(operations, Mapping):
            continue
        for verb in _VERBS:
            operation = operations.get(verb)
            if not isinstance(operation, Mapping):
                continue
            parameters = [
                Parameter(
                    str(p.get("name", "")),
                    str((p.get("schema") or {}).get("type", "string")),
                    str(p.get("description", "")),
                    bool(p.get("required", False)),
                )
                for p in operation.get("parameters", ())
                if isinstance(p, Mapping) and p.get("name")
            ]
            parameters.extend(_body_parameters(operation.get("requestBody")))
            name = str(operation.get("operationId") or f"{verb}{path.replace('/', '_')}")
            actions.append(
                Action(
                    group=group,
                    name=name,
                    description=str(operation.get("description") or operation.get("summary") or ""),
                    parameters=tuple(parameters),
                    executor=executor,
                    api_path=str(path),
                    verb=verb,
                )
            )
    return actions


def _body_parameters(body: Any) -> list[Parameter]:
    if not isinstance(body, Mapping):
        return []
    content = body.get("content")
    if not isinstance(content, Mapping):
        return []
    media = content.get("application/json") or next(iter(content.values()), None)
    schema = media.get("schema") if isinstance(media, Mapping) else None
    if not isinstance(schema, Mapping) or not isinstance(schema.get("properties"), Mapping):
        return []
    required = set(schema.get("required") or ())
    return [
        Parameter(
            str(name),
            str(spec.get("type", "string")) if isinstance(spec, Mapping) else "string",
            str(spec.get("description", "")) if isinstance(spec, Mapping) else "",
            name in required,
            in_body=True,
        )
        for name, spec in schema["properties"].items()
    ]


# -- InvokeInlineAgent ------------------------------------------------------------------------------------


def from_inline_request(body: Mapping[str, Any]) -> Agent:
    """The agent an InvokeInlineAgent request describes (validated as far as the caller relies on)."""
    instruction = body.get("instruction")
    if not isinstance(instruction, str) or len(instruction) < 40:
        raise _constraint("instruction", "Member must have length greater than or equal to 40")
    model = body.get("foundationModel")
    if not isinstance(model, str) or not model:
        raise _constraint("foundationModel", "Member must not be null")
    actions: list[Action] = []
    for group in _list(body.get("actionGroups"), "actionGroups"):
        actions.extend(_inline_group(group))
    knowledge_bases = tuple(
        KnowledgeBaseRef(
            str(kb.get("knowledgeBaseId", "")),
            str(kb.get("description", "")),
            dict((kb.get("retrievalConfiguration") or {}).get("vectorSearchConfiguration") or {}),
        )
        for kb in _list(body.get("knowledgeBases"), "knowledgeBases")
    )
    ttl = body.get("idleSessionTTLInSeconds", 600)
    return Agent(
        agent_id="INLINE",
        name=str(body.get("agentName") or "inline-agent"),
        instruction=instruction,
        foundation_model=model,
        idle_session_ttl=ttl if isinstance(ttl, int) else 600,
        pre_processing=False,
        post_processing=False,
        knowledge_bases=knowledge_bases,
        actions=tuple(actions),
        inline=True,
        guardrail=reference(body.get("guardrailConfiguration")),
    )


def _inline_group(group: Mapping[str, Any]) -> list[Action]:
    name = str(group.get("actionGroupName", ""))
    if group.get("parentActionGroupSignature"):
        return []  # built-in groups (user input, code interpreter) have no functions to call
    executor_spec = group.get("actionGroupExecutor") or {}
    executor: Executor = "LAMBDA" if executor_spec.get("lambda") else "RETURN_CONTROL"
    functions = (group.get("functionSchema") or {}).get("functions")
    if isinstance(functions, list):
        return [
            Action(
                group=name,
                name=str(f.get("name", "")),
                description=str(f.get("description", "")),
                parameters=tuple(
                    Parameter(
                        str(pname),
                        str(spec.get("type", "string")),
                        str(spec.get("description", "")),
                        bool(spec.get("required", False)),
                    )
                    for pname, spec in (f.get("parameters") or {}).items()
                    if isinstance(spec, Mapping)
                ),
                executor=executor,
                requires_confirmation=f.get("requireConfirmation") == "ENABLED",
            )
            for f in functions
            if isinstance(f, Mapping)
        ]
    payload = (group.get("apiSchema") or {}).get("payload")
    if isinstance(payload, str):
        import yaml

        from emulator.wire.binding import read_json

        try:
            document = read_json(payload.encode())
        except ValueError:
            try:
                document = yaml.safe_load(payload)
            except (yaml.YAMLError, RecursionError) as exc:  # YAML nests without a bound
                raise AwsError(
                    "ValidationException", f"The API schema of action group {name} is invalid."
                ) from exc
        if isinstance(document, Mapping):
            try:
                return openapi_actions(name, document, executor)
            except ValueError as exc:
                raise AwsError("ValidationException", str(exc)) from exc
    return []


def _list(value: Any, member: str) -> Sequence[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise AwsError("ValidationException", f"{member} must be a list of objects")
    return value


def _constraint(member: str, rule: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: {rule}",
    )
