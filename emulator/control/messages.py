"""bedrock-agent's refusals, with the texts Bedrock sends (wire-facts §13 says which are seen and
which are the emulator's choice, and where each comes from)."""

from __future__ import annotations

from emulator.wire.errors import AwsError

# §13.2 seen: CreateKnowledgeBase with a name the account already uses.
KNOWLEDGE_BASE_NAME_TAKEN = "KnowledgeBase with name {name} already exists."
# §13.2 seen (CreateAgentAlias); the emulator says the same for every other named child resource.
NAME_TAKEN = "Could not perform {action} operation, since the {name} (id: {id}) with the same name {name} already exists"
# §13.2 seen: the failure reason of an agent created under a name the account already uses.
AGENT_NAME_TAKEN = "Cannot create a new agent as an agent with the same name already exists."
# §13.3 seen: DeleteAgent while the agent has aliases besides the test alias.
HAS_ALIASES = "Could not delete {label} with ID {id}, since it has active aliases"
# §13.4 seen: PrepareAgent while the agent is preparing.
WRONG_AGENT_STATE = "{action} operation can't be performed on {label} when it is in {state} state"
# §13.4 seen: CreateFlowVersion on a flow that is not prepared; used for every wrong-status refusal.
WRONG_STATUS = (
    "Couldn't perform {operation} operation. The resource that you specified is currently in status "
    "{status}. Retry your request after the resource changes to a valid status."
)
# §13.5 emulator's choice, worded like AWS's other idempotency refusals.
TOKEN_REUSED = (
    "The request uses the same client token as a previous, but non-identical request. Do not reuse a "
    "client token with different requests, unless the requests are identical."
)
# §13.1 emulator's choice, worded like the seen "Could not delete ... with ID ..." refusal.
NOT_FOUND = "Could not find {label} with ID {id}"
# §13.1: the exception's own documentation in botocore's model (what the runtime's tag calls answer too).
ARN_NOT_FOUND = (
    "The specified resource Amazon Resource Name (ARN) was not found. "
    "Check the Amazon Resource Name (ARN) and try your request again."
)
# §13.3 seen: the test alias cannot be changed or deleted.
TEST_ALIAS = (
    "1 validation error detected: Value 'TSTALIASID' at 'agentAliasId' failed to satisfy constraint: "
    "Member must satisfy regular expression pattern: (?!\\bTSTALIASID\\b)[0-9a-zA-Z]+"
)


def not_found(label: str, identifier: str) -> AwsError:
    return AwsError("ResourceNotFoundException", NOT_FOUND.format(label=label, id=identifier))


def conflict(message: str) -> AwsError:
    return AwsError("ConflictException", message)


def name_taken(action: str, name: str, existing_id: str) -> AwsError:
    return conflict(NAME_TAKEN.format(action=action, name=name, id=existing_id))


def wrong_status(operation: str, status: str) -> AwsError:
    return conflict(WRONG_STATUS.format(operation=operation, status=status))


def invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)
