"""What InvokeFlow and StartFlowExecution run when the flow is one the caller created with CreateFlow.

The alias decides the definition: ``TSTALIASID`` and an alias routed to ``DRAFT`` run the draft, which
must be Prepared (PrepareFlow, then the virtual clock past it); an alias routed to a version runs that
version's copy of the definition. An alias the flow does not have, or a version deleted since the alias
was made, is ResourceNotFoundException; an unprepared draft is the ConflictException bedrock-agent sends
for a resource in the wrong status (wire-facts §15.4). Prompt nodes that name a prompt from Prompt
management (``sourceConfiguration.resource.promptArn``, a version ARN or the draft's) run that prompt's
variant as if it were written inline. The result is the ``Resolved`` flow the executor already runs for
file-defined flows, so created flows behave exactly like them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from emulator.control import arns, runtime_view
from emulator.control.messages import WRONG_STATUS
from emulator.control.resources import FLOW, FLOW_ALIAS, FLOW_VERSION, key
from emulator.flows.definition import DefinitionError, parse
from emulator.flows.registry import DRAFT_ALIAS, Flow, Resolved
from emulator.services.exchange import OperationCall
from emulator.wire.errors import AwsError

DRAFT: Final = "DRAFT"
PREPARED: Final = "Prepared"
# What a Prompt node's inline configuration takes from a prompt variant.
_INLINE_MEMBERS: Final = (
    "modelId",
    "templateType",
    "templateConfiguration",
    "inferenceConfiguration",
    "additionalModelRequestFields",
)


def resolve(call: OperationCall, flow_id: str, alias_id: str) -> Resolved | None:
    """The created flow ``flow_id`` as ``alias_id`` routes it, ready to run; None when the caller created
    no flow with that id (file-defined flows and the sample answer then)."""
    draft = runtime_view.record(call, FLOW, flow_id)
    if draft is None:
        return None
    version = _routed_version(call, flow_id, alias_id)
    if version == DRAFT:
        status = str(draft.get("status", ""))
        if status != PREPARED:
            raise AwsError("ConflictException", WRONG_STATUS.format(operation=call.operation, status=status))
        source = draft
    else:
        found = runtime_view.record(call, FLOW_VERSION, key(flow_id, version))
        if found is None:
            raise AwsError("ResourceNotFoundException")
        source = found
    try:  # a Prepared definition parsed when it was prepared: only a changed emulator can fail here
        definition = parse(with_prompts_inline(call, source.get("definition") or {}))
    except DefinitionError as exc:
        raise AwsError("ValidationException", str(exc)) from exc
    flow = Flow(
        flow_id,
        str(source.get("name", "")),
        source.get("description"),
        str(source.get("executionRoleArn", "")),
        (alias_id,),
        definition,
        _seconds(source.get("createdAt")),
        _seconds(source.get("updatedAt", source.get("createdAt"))),
    )
    return Resolved(flow_id, flow, False)


def flow_arn(call: OperationCall, flow_id: str) -> str | None:
    """The ARN of the caller's created flow ``flow_id`` (in the tenant's account), or None."""
    if runtime_view.record(call, FLOW, flow_id) is None:
        return None
    return arns.flow(call, flow_id)


def with_prompts_inline(call: OperationCall, definition: Mapping[str, Any]) -> dict[str, Any]:
    """``definition`` with each Prompt node that names one of the caller's prompts carrying that prompt's
    variant inline; a prompt the caller does not have is left as named."""
    from emulator import prompt_inference

    result = copy.deepcopy(dict(definition))
    for node in result.get("nodes") or []:
        if not isinstance(node, dict) or node.get("type") != "Prompt":
            continue
        prompt = (node.get("configuration") or {}).get("prompt") or {}
        source = prompt.get("sourceConfiguration") or {}
        arn = (source.get("resource") or {}).get("promptArn")
        if not isinstance(arn, str):
            continue
        try:
            variant = prompt_inference.default_variant(prompt_inference.find(call, arn))
        except AwsError:
            continue
        prompt["sourceConfiguration"] = {
            "inline": {member: variant[member] for member in _INLINE_MEMBERS if member in variant}
        }
    return result


def _routed_version(call: OperationCall, flow_id: str, alias_id: str) -> str:
    if alias_id == DRAFT_ALIAS:
        return DRAFT
    alias = runtime_view.record(call, FLOW_ALIAS, key(flow_id, alias_id))
    if alias is None:
        raise AwsError("ResourceNotFoundException")
    routing = alias.get("routingConfiguration") or [{}]
    return str(routing[0].get("flowVersion", DRAFT))


def _seconds(stamp: Any) -> float:
    if not isinstance(stamp, str):
        return 0.0
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
