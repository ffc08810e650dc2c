"""ARNs of bedrock-agent resources: built from a record's ids, and read back to the record they name.

The resource parts follow botocore's ARN shapes (``AgentArn``, ``AgentAliasArn``, ``KnowledgeBaseArn``,
``PromptArn``, ``FlowArn``, ``FlowAliasArn``, ``RetrievalInstructionArn``)::

    knowledge-base/<id>   agent/<id>   agent-alias/<agentId>/<aliasId>   prompt/<id>   prompt/<id>:<n>
    flow/<id>   flow/<id>/alias/<aliasId>   retrieval-instruction/<id>
"""

from __future__ import annotations

import re
from typing import Final

from emulator.control import resources
from emulator.control.accounts import account_id, bedrock_arn
from emulator.control.resources import Kind
from emulator.services.exchange import OperationCall

_ARN: Final = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:(?P<region>[a-z0-9-]{1,20}):(?P<account>[0-9]{12}):(?P<resource>.+)$"
)
# resource part -> (kind, how its key is built from the groups)
_RESOURCES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    (re.compile(r"^knowledge-base/(?P<a>[0-9a-zA-Z]{10})$"), resources.KNOWLEDGE_BASE),
    (re.compile(r"^agent/(?P<a>[0-9a-zA-Z]{10})$"), resources.AGENT),
    (re.compile(r"^agent-alias/(?P<a>[0-9a-zA-Z]{10})/(?P<b>[0-9a-zA-Z]{10})$"), resources.AGENT_ALIAS),
    (re.compile(r"^prompt/(?P<a>[0-9a-zA-Z]{10})$"), resources.PROMPT),
    (re.compile(r"^prompt/(?P<a>[0-9a-zA-Z]{10}):(?P<b>[0-9]{1,5})$"), resources.PROMPT_VERSION),
    (re.compile(r"^flow/(?P<a>[0-9a-zA-Z]{10})$"), resources.FLOW),
    (re.compile(r"^flow/(?P<a>[0-9a-zA-Z]{10})/alias/(?P<b>[0-9a-zA-Z]{10})$"), resources.FLOW_ALIAS),
    (re.compile(r"^retrieval-instruction/(?P<a>[a-z0-9]{10})$"), resources.RETRIEVAL_INSTRUCTION),
)


def knowledge_base(call: OperationCall, kb_id: str) -> str:
    return bedrock_arn(call.region, call.tenant, f"knowledge-base/{kb_id}")


def agent(call: OperationCall, agent_id: str) -> str:
    return bedrock_arn(call.region, call.tenant, f"agent/{agent_id}")


def agent_alias(call: OperationCall, agent_id: str, alias_id: str) -> str:
    return bedrock_arn(call.region, call.tenant, f"agent-alias/{agent_id}/{alias_id}")


def prompt(call: OperationCall, prompt_id: str, version: str | None = None) -> str:
    suffix = f":{version}" if version is not None and version != "DRAFT" else ""
    return bedrock_arn(call.region, call.tenant, f"prompt/{prompt_id}{suffix}")


def flow(call: OperationCall, flow_id: str) -> str:
    return bedrock_arn(call.region, call.tenant, f"flow/{flow_id}")


def flow_alias(call: OperationCall, flow_id: str, alias_id: str) -> str:
    return bedrock_arn(call.region, call.tenant, f"flow/{flow_id}/alias/{alias_id}")


def retrieval_instruction(call: OperationCall, instruction_id: str) -> str:
    return bedrock_arn(call.region, call.tenant, f"retrieval-instruction/{instruction_id}")


def resolve(call: OperationCall, arn: str) -> tuple[Kind, str] | None:
    """The kind and store key of the caller's resource an ARN names, or None (malformed, another
    account's, or not a bedrock-agent resource)."""
    match = _ARN.match(arn)
    if match is None or match["account"] != account_id(call.tenant) or match["region"] != call.region:
        return None
    for pattern, kind in _RESOURCES:
        found = pattern.match(match["resource"])
        if found is not None:
            return kind, resources.key(*(part for part in found.groups() if part is not None))
    return None


def plain_id(identifier: str) -> str:
    """An identifier member's id: the id itself, or the last id of the ARN it may be given as."""
    if not identifier.startswith("arn:"):
        return identifier
    return identifier.rsplit("/", 1)[-1].split(":", 1)[0]


def prompt_id_and_version(identifier: str) -> tuple[str, str | None]:
    """A prompt identifier's id, and the version its ARN names (``prompt/<id>:<n>``), if any."""
    if not identifier.startswith("arn:"):
        return identifier, None
    resource = identifier.rsplit("/", 1)[-1]
    prompt_id, _, version = resource.partition(":")
    return prompt_id, version or None
