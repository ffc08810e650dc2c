"""PutEnforcedGuardrailConfiguration, ListEnforcedGuardrailsConfiguration,
DeleteEnforcedGuardrailConfiguration: account-level guardrail enforcement, kept as state.

A configuration names a numbered version of one of the caller's guardrails (which must exist); Put
without ``configId`` adds one, with it replaces that one. The emulator records and lists them but does
not apply them to inference calls (docs/guardrails.md, "What differs").
"""

from __future__ import annotations

from typing import Any, Final

from emulator.bedrock_control import guardrails
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.ids import LOWER, new_id
from emulator.control.request import params
from emulator.control.views import view
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

ENFORCED: Final = guardrails.ENFORCED
# wire-facts §22.3 (the emulator's wording).
CONFIG_NOT_FOUND: Final = "The enforced guardrail configuration {id} was not found."


def _caller(call: OperationCall) -> str:
    return f"arn:aws:iam::{account_id(call.tenant)}:root"


def put_enforced_guardrail_configuration(call: OperationCall) -> Reply:
    values = params(call)
    config: dict[str, Any] = dict(values["guardrailInferenceConfig"])
    version = str(config["guardrailVersion"])
    guardrail = guardrails.version_record(call, str(config["guardrailIdentifier"]), version)
    moment = lifecycle.stamp(call)
    config_id = values.get("configId")
    if config_id is None:
        config_id = new_id(call, "enforced-guardrail", alphabet=LOWER, length=12)
        record: dict[str, Any] = {"configId": config_id, "createdAt": moment, "createdBy": _caller(call)}
    else:
        existing = resources.read(call, ENFORCED, config_id)
        if existing is None:
            raise AwsError("ResourceNotFoundException", CONFIG_NOT_FOUND.format(id=config_id))
        record = existing
    record.update(
        guardrailArn=guardrail["guardrailArn"],
        guardrailId=guardrail["guardrailId"],
        guardrailVersion=version,
        inputTags="HONOR",
        owner="ACCOUNT",
        updatedAt=moment,
        updatedBy=_caller(call),
    )
    for member in ("selectiveContentGuarding", "modelEnforcement"):
        if member in config:
            record[member] = config[member]
        else:
            record.pop(member, None)
    resources.save(call, ENFORCED, config_id, record)
    return JsonReply({"configId": config_id, "updatedAt": moment, "updatedBy": record["updatedBy"]})


def list_enforced_guardrails_configuration(call: OperationCall) -> Reply:
    entries = [
        view(record, "AccountEnforcedGuardrailOutputConfiguration", service="bedrock")
        for _, record in resources.records(call, ENFORCED)
    ]
    # botocore has no paginator for this list; an account has few configurations, all in one page.
    return JsonReply({"guardrailsConfig": entries})


def delete_enforced_guardrail_configuration(call: OperationCall) -> Reply:
    config_id = str(params(call)["configId"])
    if resources.read(call, ENFORCED, config_id) is None:
        raise AwsError("ResourceNotFoundException", CONFIG_NOT_FOUND.format(id=config_id))
    resources.remove(call, ENFORCED, config_id)
    return JsonReply({})


HANDLERS = {
    "PutEnforcedGuardrailConfiguration": put_enforced_guardrail_configuration,
    "ListEnforcedGuardrailsConfiguration": list_enforced_guardrails_configuration,
    "DeleteEnforcedGuardrailConfiguration": delete_enforced_guardrail_configuration,
}
