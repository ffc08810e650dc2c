"""Converse and ConverseStream with a prompt from Prompt management as the ``modelId``.

The model id is a prompt ARN (``arn:aws:bedrock:<region>:<account>:prompt/<id>:<version>``; without a
version, the draft). The prompt must be one the caller's tenant created (``emulator.control.prompts``);
its default variant (or its first) supplies everything the caller may not send: the model, the template
(TEXT: one user message; CHAT: messages, system prompt and tools) with ``{{variable}}`` placeholders
filled in from the request's ``promptVariables``, the inference configuration and additional model
request fields. The request's own ``messages`` are appended after the template's, and its
``guardrailConfig`` applies to the whole prompt. What this builds is an ordinary Converse body, so the
model answers (and counts tokens for) exactly the conversation the prompt expands to.

Refusals (wire-facts §15): a request that also carries ``additionalModelRequestFields``,
``inferenceConfig``, ``system`` or ``toolConfig`` (even empty), a placeholder without a value, a prompt
(or version) the tenant does not have, a variant without a model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from emulator import catalog
from emulator.catalog import ResolvedModel
from emulator.control import resources, runtime_view
from emulator.control.accounts import account_id
from emulator.wire.errors import AwsError, validation

if TYPE_CHECKING:  # the handler layer's type, named only: nothing here imports that layer
    from emulator.services.exchange import OperationCall

PROMPT_ARN: Final = re.compile(
    r"^arn:aws(?:-[a-z-]+)?:bedrock:(?P<region>[a-z0-9-]{1,20}):(?P<account>[0-9]{12}):"
    r"prompt/(?P<id>[0-9a-zA-Z]{10})(?::(?P<version>[0-9]{1,5}))?$"
)
# Members the prompt defines and a request using it may not send, in the order the Converse API
# reference lists them (wire-facts §15.1).
RESERVED: Final = ("additionalModelRequestFields", "inferenceConfig", "system", "toolConfig")
RESERVED_MESSAGE: Final = (
    "You can't include the {member} field in a request that uses a prompt from Prompt management. "
    "Define it in the prompt and try again."
)
MISSING_VARIABLES: Final = (
    "The prompt has variables without values: {names}. "
    "Provide a value for each of them in promptVariables and try again."
)
NO_MODEL: Final = (
    "The variant {variant} of the prompt doesn't specify a model. "
    "Specify a model in the prompt variant and try again."
)
_PLACEHOLDER: Final = re.compile(r"\{\{\s*([0-9A-Za-z_-]+)\s*\}\}")


def expand(call: OperationCall) -> tuple[ResolvedModel, dict[str, Any]]:
    """The model the prompt runs on and the Converse body it expands to, or Bedrock's refusal."""
    request = call.input  # bound and validated: the body's members and the modelId label
    for member in RESERVED:
        if member in request:
            raise validation(RESERVED_MESSAGE.format(member=member))
    variant = default_variant(find(call, str(request["modelId"])))
    model_id = variant.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        raise validation(NO_MODEL.format(variant=variant.get("name", "")))
    resolved = catalog.resolve(model_id, region=call.region, strict=call.strict)
    body = {k: v for k, v in request.items() if k not in ("modelId", "messages", "promptVariables")}
    values = _variable_values(request.get("promptVariables"))
    body.update(render(variant, values))
    body["messages"] = [*body.get("messages", []), *(request.get("messages") or [])]
    return resolved, body


def render(variant: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The Converse members a variant defines, placeholders filled in: ``messages``, and where the
    variant has them ``system``, ``toolConfig``, ``inferenceConfig``, ``additionalModelRequestFields``."""
    template = variant.get("templateConfiguration") or {}
    body: dict[str, Any] = {}
    if "chat" in template:
        chat = template["chat"] or {}
        body["messages"] = [_message(m) for m in chat.get("messages") or []]
        if chat.get("system"):
            body["system"] = [dict(block) for block in chat["system"]]
        if chat.get("toolConfiguration"):
            body["toolConfig"] = chat["toolConfiguration"]
    else:
        text = str((template.get("text") or {}).get("text", ""))
        body["messages"] = [{"role": "user", "content": [{"text": text}]}]
    missing = [name for name in placeholders(body) if name not in values]
    if missing:
        raise validation(MISSING_VARIABLES.format(names=", ".join(missing)))
    body["messages"] = [_filled_message(m, values) for m in body["messages"]]
    if "system" in body:
        body["system"] = [_filled_block(block, values) for block in body["system"]]
    inference = (variant.get("inferenceConfiguration") or {}).get("text")
    if inference:
        body["inferenceConfig"] = dict(inference)
    if variant.get("additionalModelRequestFields") is not None:
        body["additionalModelRequestFields"] = variant["additionalModelRequestFields"]
    return body


def placeholders(body: Mapping[str, Any]) -> list[str]:
    """The ``{{variable}}`` names in a body's message and system texts, first appearance first."""
    texts = [
        str(block.get("text", ""))
        for message in body.get("messages", [])
        for block in message.get("content", [])
        if isinstance(block, Mapping)
    ]
    texts += [str(block.get("text", "")) for block in body.get("system", []) if isinstance(block, Mapping)]
    found: list[str] = []
    for text in texts:
        for name in _PLACEHOLDER.findall(text):
            if name not in found:
                found.append(name)
    return found


def find(call: OperationCall, arn: str) -> dict[str, Any]:
    """The caller's prompt (draft or version) a prompt ARN names, or Bedrock's refusal."""
    match = PROMPT_ARN.match(arn)
    if match is None or match["region"] != call.region:
        raise AwsError("ValidationException", catalog.INVALID_ID_MESSAGE)
    if match["account"] != account_id(call.tenant):
        raise AwsError("ResourceNotFoundException")
    version = match["version"]
    if version is None:
        record = runtime_view.record(call, resources.PROMPT, match["id"])
    else:
        record = runtime_view.record(call, resources.PROMPT_VERSION, resources.key(match["id"], version))
    if record is None:
        raise AwsError("ResourceNotFoundException")
    return record


def default_variant(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The variant a prompt runs: its ``defaultVariant``, else its first (bedrock-agent allows one)."""
    variants = [v for v in record.get("variants") or [] if isinstance(v, Mapping)]
    if not variants:
        raise validation(NO_MODEL.format(variant=record.get("defaultVariant", "")))
    default = record.get("defaultVariant")
    return next((v for v in variants if v.get("name") == default), variants[0])


def _variable_values(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(name): value["text"]
        for name, value in raw.items()
        if isinstance(value, Mapping) and isinstance(value.get("text"), str)
    }


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    return {"role": message.get("role"), "content": [dict(block) for block in message.get("content") or []]}


def _filled_message(message: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    return {**message, "content": [_filled_block(block, values) for block in message.get("content", [])]}


def _filled_block(block: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(block.get("text"), str):
        return dict(block)
    text = _PLACEHOLDER.sub(lambda match: values[match.group(1)], block["text"])
    return {**block, "text": text}
