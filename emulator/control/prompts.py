"""CreatePrompt, GetPrompt, UpdatePrompt, DeletePrompt, ListPrompts, CreatePromptVersion.

A prompt's draft is keyed by its id; CreatePromptVersion copies the draft into ``<id>/<n>`` with the
ARN ``prompt/<id>:<n>`` (what Converse takes as a model id). Prompts have no status. DeletePrompt
with ``promptVersion`` deletes that version only; without, the prompt, its versions and their tags.
"""

from __future__ import annotations

from typing import Any

from emulator.control import arns, resources, tags
from emulator.control.ids import new_id, next_version
from emulator.control.lifecycle import stamp
from emulator.control.messages import not_found
from emulator.control.request import params, without
from emulator.control.resources import PROMPT, PROMPT_VERSION, key
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.pagination import page

DRAFT = "DRAFT"
UPDATABLE = ("name", "description", "customerEncryptionKeyArn", "defaultVariant", "variants")


def prompt_record(call: OperationCall, identifier: str, version: str | None = None) -> dict[str, Any]:
    """The draft or a numbered version of one of the caller's prompts, or ResourceNotFoundException."""
    prompt_id, arn_version = arns.prompt_id_and_version(identifier)
    version = version or arn_version
    draft = resources.read(call, PROMPT, prompt_id)
    if draft is None:
        raise not_found(PROMPT.label, prompt_id)
    if version is None or version == DRAFT:
        return draft
    record = resources.read(call, PROMPT_VERSION, key(prompt_id, version))
    if record is None:
        raise not_found(PROMPT_VERSION.label, version)
    return record


def create_prompt(call: OperationCall) -> Reply:
    values = params(call)
    resources.refuse_name_in_use(call, PROMPT, "", values["name"])
    prompt_id = new_id(call, "prompt")
    moment = stamp(call)
    record = {
        **without(values, "tags"),
        "id": prompt_id,
        "arn": arns.prompt(call, prompt_id),
        "version": DRAFT,
        "createdAt": moment,
        "updatedAt": moment,
    }
    resources.save(call, PROMPT, prompt_id, record)
    tags.attach(call, record["arn"], values.get("tags"))
    return JsonReply(view(record, "CreatePromptResponse"))


def get_prompt(call: OperationCall) -> Reply:
    values = params(call)
    record = prompt_record(call, values["promptIdentifier"], values.get("promptVersion"))
    return JsonReply(view(record, "GetPromptResponse"))


def update_prompt(call: OperationCall) -> Reply:
    values = params(call)
    prompt_id = arns.prompt_id_and_version(values["promptIdentifier"])[0]
    record = prompt_record(call, prompt_id)
    resources.refuse_name_in_use(call, PROMPT, "", values["name"], other_than=prompt_id)
    for member in UPDATABLE:
        record.pop(member, None)
    record.update({k: v for k, v in values.items() if k in UPDATABLE})
    record["updatedAt"] = stamp(call)
    resources.save(call, PROMPT, prompt_id, record)
    return JsonReply(view(record, "UpdatePromptResponse"))


def delete_prompt(call: OperationCall) -> Reply:
    values = params(call)
    prompt_id = arns.prompt_id_and_version(values["promptIdentifier"])[0]
    version = values.get("promptVersion")
    if version is not None:
        record = prompt_record(call, prompt_id, str(version))
        resources.remove(call, PROMPT_VERSION, key(prompt_id, str(version)))
        tags.drop(call, record["arn"])
        return JsonReply({"id": prompt_id, "version": str(version)})
    record = prompt_record(call, prompt_id)
    for _, numbered in resources.records(call, PROMPT_VERSION, prompt_id):
        tags.drop(call, numbered["arn"])
    resources.remove_under(call, PROMPT_VERSION, prompt_id)
    resources.remove(call, PROMPT, prompt_id)
    tags.drop(call, record["arn"])
    return JsonReply({"id": prompt_id})


def list_prompts(call: OperationCall) -> Reply:
    values = params(call)
    identifier = values.get("promptIdentifier")
    if identifier is None:
        records = [record for _, record in resources.records(call, PROMPT)]
    else:
        prompt_id = arns.prompt_id_and_version(identifier)[0]
        records = [prompt_record(call, prompt_id)]
        records += [record for _, record in resources.records(call, PROMPT_VERSION, prompt_id)]
    summaries = [view(record, "PromptSummary") for record in records]
    return JsonReply(page(call.service, call.operation, summaries, values))


def create_prompt_version(call: OperationCall) -> Reply:
    values = params(call)
    prompt_id = arns.prompt_id_and_version(values["promptIdentifier"])[0]
    draft = prompt_record(call, prompt_id)
    version = next_version(call, f"prompt/{prompt_id}")
    moment = stamp(call)
    record = {
        **{k: v for k, v in draft.items() if k not in ("clientToken", "description")},
        **without(values, "tags", "promptIdentifier"),
        "version": version,
        "arn": arns.prompt(call, prompt_id, version),
        "createdAt": moment,
        "updatedAt": moment,
    }
    if "description" not in values and "description" in draft:
        record["description"] = draft["description"]
    resources.save(call, PROMPT_VERSION, key(prompt_id, version), record)
    tags.attach(call, record["arn"], values.get("tags"))
    return JsonReply(view(record, "CreatePromptVersionResponse"))


HANDLERS = {
    "CreatePrompt": create_prompt,
    "GetPrompt": get_prompt,
    "UpdatePrompt": update_prompt,
    "DeletePrompt": delete_prompt,
    "ListPrompts": list_prompts,
    "CreatePromptVersion": create_prompt_version,
}
