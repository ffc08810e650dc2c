"""What each routed operation declares: its error codes, and for streams its event and exception members.

Protocol data, next to the route table: written out from botocore's service models (the contract), so that
handlers declare exactly the stream exceptions they may send and scenario files can be checked at load:
an error a rule injects must be one the operation declares, and an in-stream exception must be a member of
the operation's event stream. A parity test compares this table with botocore's JSON and with the route
table, so a botocore upgrade or a new route cannot silently drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.wire.routing import ROUTES


@dataclass(frozen=True)
class StreamDeclared:
    """An operation's output event stream: the member holding it, its events and its exception members."""

    member: str
    events: tuple[str, ...]
    exceptions: frozenset[str]


@dataclass(frozen=True)
class Declared:
    service: str
    errors: frozenset[str]
    stream: StreamDeclared | None = None


OPERATIONS: dict[str, Declared] = {
    "ApplyGuardrail": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "Converse": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ModelErrorException",
                "ModelNotReadyException",
                "ModelTimeoutException",
                "ResourceNotFoundException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ConverseStream": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ModelErrorException",
                "ModelNotReadyException",
                "ModelTimeoutException",
                "ResourceNotFoundException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "stream",
            (
                "messageStart",
                "contentBlockStart",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata",
            ),
            frozenset(
                {
                    "internalServerException",
                    "modelStreamErrorException",
                    "serviceUnavailableException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "CountTokens": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetAsyncInvoke": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "InvokeGuardrailChecks": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "InvokeModel": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ModelErrorException",
                "ModelNotReadyException",
                "ModelTimeoutException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "InvokeModelWithBidirectionalStream": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ModelErrorException",
                "ModelNotReadyException",
                "ModelStreamErrorException",
                "ModelTimeoutException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "body",
            ("chunk",),
            frozenset(
                {
                    "internalServerException",
                    "modelStreamErrorException",
                    "modelTimeoutException",
                    "serviceUnavailableException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "InvokeModelWithResponseStream": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ModelErrorException",
                "ModelNotReadyException",
                "ModelStreamErrorException",
                "ModelTimeoutException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "body",
            ("chunk",),
            frozenset(
                {
                    "internalServerException",
                    "modelStreamErrorException",
                    "modelTimeoutException",
                    "serviceUnavailableException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "ListAsyncInvokes": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "StartAsyncInvoke": Declared(
        "bedrock-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ServiceUnavailableException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "AgenticRetrieveStream": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "stream",
            (
                "responseEvent",
                "result",
                "traceEvent",
            ),
            frozenset(
                {
                    "accessDeniedException",
                    "badGatewayException",
                    "conflictException",
                    "dependencyFailedException",
                    "internalServerException",
                    "resourceNotFoundException",
                    "serviceQuotaExceededException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "CheckIngestedDocumentAcl": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "CreateInvocation": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "CreateSession": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "DeleteAgentMemory": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "DeleteSession": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "EndSession": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GenerateQuery": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetAgentMemory": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetDocumentContent": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetExecutionFlowSnapshot": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetFlowExecution": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetIngestedDocumentAcl": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetInvocationStep": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetSession": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "InvokeAgent": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ModelNotReadyException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "completion",
            (
                "chunk",
                "files",
                "returnControl",
                "trace",
            ),
            frozenset(
                {
                    "accessDeniedException",
                    "badGatewayException",
                    "conflictException",
                    "dependencyFailedException",
                    "internalServerException",
                    "modelNotReadyException",
                    "resourceNotFoundException",
                    "serviceQuotaExceededException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "InvokeFlow": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "responseStream",
            (
                "flowCompletionEvent",
                "flowMultiTurnInputRequestEvent",
                "flowOutputEvent",
                "flowTraceEvent",
            ),
            frozenset(
                {
                    "accessDeniedException",
                    "badGatewayException",
                    "conflictException",
                    "dependencyFailedException",
                    "internalServerException",
                    "resourceNotFoundException",
                    "serviceQuotaExceededException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "InvokeInlineAgent": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "completion",
            (
                "chunk",
                "files",
                "returnControl",
                "trace",
            ),
            frozenset(
                {
                    "accessDeniedException",
                    "badGatewayException",
                    "conflictException",
                    "dependencyFailedException",
                    "internalServerException",
                    "resourceNotFoundException",
                    "serviceQuotaExceededException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "ListFlowExecutionEvents": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListFlowExecutions": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListInvocationSteps": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListInvocations": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListSessions": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListTagsForResource": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "OptimizePrompt": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "DependencyFailedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "optimizedPrompt",
            (
                "analyzePromptEvent",
                "optimizedPromptEvent",
            ),
            frozenset(
                {
                    "accessDeniedException",
                    "badGatewayException",
                    "dependencyFailedException",
                    "internalServerException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "PutInvocationStep": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "Rerank": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "Retrieve": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "RetrieveAndGenerate": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "RetrieveAndGenerateStream": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
        StreamDeclared(
            "stream",
            (
                "citation",
                "guardrail",
                "output",
            ),
            frozenset(
                {
                    "accessDeniedException",
                    "badGatewayException",
                    "conflictException",
                    "dependencyFailedException",
                    "internalServerException",
                    "resourceNotFoundException",
                    "serviceQuotaExceededException",
                    "throttlingException",
                    "validationException",
                }
            ),
        ),
    ),
    "StartFlowExecution": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "StopFlowExecution": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "BadGatewayException",
                "ConflictException",
                "DependencyFailedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "TagResource": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "UntagResource": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "UpdateSession": Declared(
        "bedrock-agent-runtime",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "CreateGuardrail": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "TooManyTagsException",
                "ValidationException",
            }
        ),
    ),
    "GetFoundationModel": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetGuardrail": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetInferenceProfile": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListFoundationModels": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListGuardrails": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListInferenceProfiles": Declared(
        "bedrock",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetAgent": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetDataSource": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetFlow": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetIngestionJob": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "GetKnowledgeBase": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListAgents": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListDataSources": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListIngestionJobs": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "ListKnowledgeBases": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "InternalServerException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
    "StartIngestionJob": Declared(
        "bedrock-agent",
        frozenset(
            {
                "AccessDeniedException",
                "ConflictException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ServiceQuotaExceededException",
                "ThrottlingException",
                "ValidationException",
            }
        ),
    ),
}

ERROR_MEMBERS: dict[str, dict[str, frozenset[str]]] = {
    "bedrock-runtime": {
        "ModelErrorException": frozenset(
            {
                "originalStatusCode",
                "resourceName",
            }
        ),
        "ModelStreamErrorException": frozenset(
            {
                "originalMessage",
                "originalStatusCode",
            }
        ),
    },
    "bedrock-agent-runtime": {
        "BadGatewayException": frozenset(
            {
                "resourceName",
            }
        ),
        "DependencyFailedException": frozenset(
            {
                "resourceName",
            }
        ),
        "InternalServerException": frozenset(
            {
                "reason",
            }
        ),
    },
    "bedrock": {
        "TooManyTagsException": frozenset(
            {
                "resourceName",
            }
        ),
    },
    "bedrock-agent": {
        "ValidationException": frozenset(
            {
                "fieldList",
            }
        ),
    },
}

STREAMING_OPERATIONS: frozenset[str] = frozenset(op for op, d in OPERATIONS.items() if d.stream is not None)


def stream_exceptions(operation: str) -> frozenset[str]:
    """The lower-camel exception members an operation's event stream declares (empty if it has none)."""
    stream = OPERATIONS[operation].stream
    return stream.exceptions if stream is not None else frozenset()


def exception_code(member: str) -> str:
    """The error shape behind a lower-camel stream exception member (``throttlingException``)."""
    return member[:1].upper() + member[1:]


def error_members(service: str, code: str) -> frozenset[str]:
    """Members an error shape carries besides ``message`` (e.g. ``originalStatusCode``)."""
    return ERROR_MEMBERS.get(service, {}).get(code, frozenset())


def _operations_with_label(label: str) -> frozenset[str]:
    return frozenset(op for _, op, _, template, _ in ROUTES if "{" + label + "}" in template)


# Operations whose calls carry each kind of id a rule can match on. Retrieve-and-generate names its
# knowledge base in the body rather than the path, so it is added by hand.
MODEL_OPERATIONS: frozenset[str] = _operations_with_label("modelId")
KNOWLEDGE_BASE_OPERATIONS: frozenset[str] = _operations_with_label("knowledgeBaseId") | {
    "RetrieveAndGenerate",
    "RetrieveAndGenerateStream",
}
AGENT_OPERATIONS: frozenset[str] = _operations_with_label("agentId")
FLOW_OPERATIONS: frozenset[str] = _operations_with_label("flowIdentifier")
