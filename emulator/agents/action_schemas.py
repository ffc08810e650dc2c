"""The actions of a created agent's action groups, read from the records bedrock-agent keeps.

An action group record (``emulator/control/agent_parts.py``) is the CreateAgentActionGroup /
UpdateAgentActionGroup request as sent. Enabled groups become ``Action``s:

- ``functionSchema.functions[]``: one action per function, its ``parameters`` map (``type``,
  ``description``, ``required``) in order, ``requireConfirmation: ENABLED`` asking the user first;
- ``apiSchema``: an OpenAPI 3 document, inline (``payload``, JSON or YAML) or in S3 (``s3.s3BucketName`` /
  ``s3ObjectKey``, read through the app's ``ObjectStore`` as the tenant), one action per operation, its
  query/path parameters and JSON request-body properties; ``x-requireConfirmation: ENABLED`` on an
  operation asks the user first;
- the executor: ``customControl: RETURN_CONTROL`` hands the call to the caller (``returnControl``),
  ``lambda`` runs the Lambda stand-in (``lambda_stand_in``).

Groups with a ``parentActionGroupSignature`` (``AMAZON.UserInput``, ``AMAZON.CodeInterpreter``) have no
functions of their own: they are capabilities (``action_matching.Capabilities``). A schema that cannot be
read or parsed when the agent runs is Bedrock's ``DependencyFailedException`` (emulator's text,
wire-facts §16.2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Final

from emulator.agents import lambda_stand_in
from emulator.agents.action_matching import Capabilities
from emulator.agents.definition import Action, Executor, Parameter, openapi_actions
from emulator.state import AppState
from emulator.wire.errors import AwsError

USER_INPUT: Final = "AMAZON.UserInput"
CODE_INTERPRETER: Final = "AMAZON.CodeInterpreter"
SCHEMA_UNREADABLE: Final = "The API schema of action group {group} could not be read: {reason}"


@dataclasses.dataclass(frozen=True)
class Reader:
    """Where a schema kept in S3 is read from, and what the Lambda stand-in needs."""

    state: AppState
    tenant: str
    seed: int
    lambda_override: Any = None  # a scenario's scripted invoke_body


def capabilities(groups: Iterable[Mapping[str, Any]]) -> Capabilities:
    signatures = {g.get("parentActionGroupSignature") for g in groups if _enabled(g)}
    return Capabilities(asks_user=USER_INPUT in signatures, code_interpreter=CODE_INTERPRETER in signatures)


def actions(groups: Iterable[Mapping[str, Any]], reader: Reader) -> tuple[Action, ...]:
    """Every action of the enabled groups, groups in creation order, functions in declared order."""
    found: list[Action] = []
    for group in groups:
        if _enabled(group) and not group.get("parentActionGroupSignature"):
            found.extend(_group_actions(group, reader))
    return tuple(found)


def _enabled(group: Mapping[str, Any]) -> bool:
    return bool(group.get("actionGroupState", "ENABLED") == "ENABLED")


def _group_actions(group: Mapping[str, Any], reader: Reader) -> list[Action]:
    name = str(group.get("actionGroupName", ""))
    executor_spec = group.get("actionGroupExecutor") or {}
    if executor_spec.get("customControl") == "RETURN_CONTROL":
        executor: Executor = "RETURN_CONTROL"
    elif executor_spec.get("lambda"):
        executor = "LAMBDA"
    else:
        return []
    functions = (group.get("functionSchema") or {}).get("functions")
    if isinstance(functions, list):
        return [_function(name, f, executor, reader) for f in functions if isinstance(f, Mapping)]
    schema = group.get("apiSchema")
    if isinstance(schema, Mapping):
        return _operations(name, _document(name, schema, reader), executor, reader)
    return []


def _function(group: str, function: Mapping[str, Any], executor: Executor, reader: Reader) -> Action:
    name = str(function.get("name", ""))
    parameters = function.get("parameters") or {}
    return Action(
        group=group,
        name=name,
        description=str(function.get("description", "")),
        parameters=tuple(
            Parameter(
                str(pname),
                str(spec.get("type", "string")),
                str(spec.get("description", "")),
                bool(spec.get("required", False)),
            )
            for pname, spec in parameters.items()
            if isinstance(spec, Mapping)
        ),
        executor=executor,
        requires_confirmation=function.get("requireConfirmation") == "ENABLED",
        result=lambda_stand_in.stand_in(name, None, reader.seed, reader.lambda_override),
    )


def _operations(group: str, document: Mapping[str, Any], executor: Executor, reader: Reader) -> list[Action]:
    try:
        listed = openapi_actions(group, document, executor)
    except ValueError as exc:
        raise _unreadable(group, str(exc)) from exc
    operations = {
        (str(path), str(verb)): operation
        for path, verbs in document["paths"].items()
        if isinstance(verbs, Mapping)
        for verb, operation in verbs.items()
        if isinstance(operation, Mapping)
    }
    built = []
    for action in listed:
        operation = operations[(str(action.api_path), str(action.verb))]
        built.append(
            dataclasses.replace(
                action,
                requires_confirmation=operation.get("x-requireConfirmation") == "ENABLED",
                result=lambda_stand_in.stand_in(
                    action.name,
                    lambda_stand_in.response_schema(operation),
                    reader.seed,
                    reader.lambda_override,
                ),
            )
        )
    return built


def _document(group: str, schema: Mapping[str, Any], reader: Reader) -> Mapping[str, Any]:
    payload = schema.get("payload")
    if isinstance(payload, str):
        text = payload.encode()
    else:
        location = schema.get("s3") or {}
        bucket, key = str(location.get("s3BucketName", "")), str(location.get("s3ObjectKey", ""))
        from emulator.s3.objects import S3StoreError, object_store  # S3 loads only for such schemas

        try:
            text = object_store(reader.state).get_object(reader.tenant, bucket, key)
        except S3StoreError as exc:
            raise _unreadable(group, f"s3://{bucket}/{key}: {exc.code}") from exc
    document = _parse(group, text)
    if not isinstance(document, Mapping):
        raise _unreadable(group, "it is not an OpenAPI document")
    return document


def _parse(group: str, text: bytes) -> Any:
    from emulator.wire.binding import read_json

    try:
        return read_json(text)
    except ValueError:
        pass
    import yaml

    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:  # YAML nests without a bound
        raise _unreadable(group, "it is neither JSON nor YAML") from exc


def _unreadable(group: str, reason: str) -> AwsError:
    return AwsError("DependencyFailedException", SCHEMA_UNREADABLE.format(group=group, reason=reason))
