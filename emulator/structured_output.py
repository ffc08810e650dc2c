"""Structured output: a JSON schema the answer must follow (Converse ``outputConfig.textFormat``; Anthropic's
``output_config.format`` in InvokeModel bodies and in Converse ``additionalModelRequestFields``).

The answer is generated the way tool inputs are (``generation.arguments_for``) and checked with the
``jsonschema`` library; a schema that is not a JSON object, or not a valid schema, is refused (wire-facts
§26).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, Final

from emulator import generation
from emulator.generation import Completion, count_tokens
from emulator.schema_refs import target
from emulator.wire.binding import read_json
from emulator.wire.errors import validation

__all__ = ["answer", "anthropic_schema", "converse_schema"]

_CONVERSE_PREFIX: Final = "The model returned the following errors: "
_ATTEMPTS: Final = 4  # other draws tried when a value misses a keyword the generator does not follow


def _invalid(at: str) -> Exception:
    return validation(
        f"The format of the value at {at} is invalid. Provide a json object for the field and try again."
    )


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield ref
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _checked(schema: Any, at: str) -> dict[str, Any]:
    """A JSON object that is a valid JSON Schema whose references stay inside it."""
    import jsonschema  # imported with the first schema: most calls ask for none

    if not isinstance(schema, dict) or any(target(schema, ref) is None for ref in _refs(schema)):
        raise _invalid(at)
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError:
        raise _invalid(at) from None
    return schema


def converse_schema(body: Mapping[str, Any], *, supported: bool, anthropic: bool) -> dict[str, Any] | None:
    """The schema a Converse request asks its answer to follow, if any."""
    if "outputConfig" not in body and "additionalModelRequestFields" not in body:
        return None  # the common case, asked of every Converse call
    output_config = body.get("outputConfig")
    text_format = output_config.get("textFormat") if isinstance(output_config, Mapping) else None
    extra = body.get("additionalModelRequestFields")
    native = extra.get("output_config") if isinstance(extra, Mapping) and anthropic else None
    if isinstance(native, Mapping) and "format" in native:
        return anthropic_schema(native, supported=supported, converse=True)
    if not isinstance(text_format, Mapping):
        return None
    if not supported:
        if anthropic:  # Bedrock hands Claude the schema as output_config.format, which such a Claude refuses
            raise validation(_CONVERSE_PREFIX + "output_config.format: Extra inputs are not permitted")
        return None
    structure = text_format.get("structure")
    definition = structure.get("jsonSchema") if isinstance(structure, Mapping) else None
    text = definition.get("schema") if isinstance(definition, Mapping) else None
    at = "outputConfig.textFormat.structure.jsonSchema.schema"
    try:
        schema = read_json(text.encode()) if isinstance(text, str) else None
    except ValueError:
        schema = None
    return _checked(schema, at)


def anthropic_schema(output_config: Any, *, supported: bool, converse: bool = False) -> dict[str, Any] | None:
    """The schema of an Anthropic ``output_config`` (``{"format": {"type": "json_schema", "schema": {...}}}``)."""
    if not isinstance(output_config, Mapping) or "format" not in output_config:
        return None
    if not supported:
        raise validation(
            (_CONVERSE_PREFIX if converse else "") + "output_config.format: Extra inputs are not permitted"
        )
    fmt = output_config["format"]
    return _checked(fmt.get("schema") if isinstance(fmt, Mapping) else None, "output_config.format.schema")


def _linear_time(validator_class: Any) -> Any:
    """The schema's validator with ``pattern`` and ``patternProperties`` matched by RE2: Python's ``re``
    backtracks, and a schema's pattern against a generated string could take hours. A pattern RE2 cannot
    run (lookarounds, backreferences) is not checked."""
    import jsonschema

    from emulator.engine.regexes import Regex

    def compiled(pattern: Any) -> Regex | None:
        try:
            return Regex(pattern) if isinstance(pattern, str) else None
        except ValueError:
            return None

    def pattern(validator: Any, value: Any, instance: Any, _schema: Any) -> Iterator[Any]:
        regex = compiled(value)
        if regex is not None and validator.is_type(instance, "string") and not regex.search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {value!r}")

    def pattern_properties(validator: Any, value: Any, instance: Any, _schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object") or not isinstance(value, dict):
            return
        for key_pattern, subschema in value.items():
            regex = compiled(key_pattern)
            for key, item in instance.items():
                if regex is not None and regex.search(key):
                    yield from validator.descend(item, subschema, path=key, schema_path=key_pattern)

    return jsonschema.validators.extend(
        validator_class, {"pattern": pattern, "patternProperties": pattern_properties}
    )


def answer(completion: Completion, schema: Mapping[str, Any] | None, *, key: bytes, seed: int) -> Completion:
    """The completion with its text replaced by JSON following ``schema`` (a tool call is left as it is)."""
    if schema is None or completion.tool_calls or completion.stop_reason == "max_tokens":
        return completion
    import jsonschema

    validator = _linear_time(jsonschema.validators.validator_for(schema))(schema)
    digest = int.from_bytes(hashlib.blake2b(key, digest_size=8, person=b"structured").digest(), "big") ^ seed
    value: Any = {}
    for attempt in range(_ATTEMPTS):
        value = generation.arguments_for(dict(schema), digest + attempt)
        try:
            if validator.is_valid(value):
                break
        except (jsonschema.SchemaError, jsonschema.exceptions.RefResolutionError):  # the value stands
            break
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    reasoning_tokens = completion.reasoning.tokens if completion.reasoning is not None else 0
    return replace(
        completion,
        text=text,
        output_tokens=count_tokens(text) + reasoning_tokens,
        stop_reason="end_turn",
        stop_sequence=None,
    )
