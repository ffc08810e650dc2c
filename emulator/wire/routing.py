"""The route table: (method, raw path) -> operation and its unquoted URI labels.

Routing runs on the *raw* request path and unquotes each label afterwards: a model id can be an ARN
whose ``/`` arrives as ``%2F`` and whose ``:`` may arrive as ``%3A`` or raw, which decoded-path routing
cannot tell apart from a path separator. The table is written out by hand from botocore's service
models; a parity test checks it against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

# (service, operation, method, URI template, success status)
ROUTES: tuple[tuple[str, str, str, str, int], ...] = (
    (
        "bedrock-runtime",
        "ApplyGuardrail",
        "POST",
        "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply",
        200,
    ),
    ("bedrock-runtime", "Converse", "POST", "/model/{modelId}/converse", 200),
    ("bedrock-runtime", "ConverseStream", "POST", "/model/{modelId}/converse-stream", 200),
    ("bedrock-runtime", "CountTokens", "POST", "/model/{modelId}/count-tokens", 200),
    ("bedrock-runtime", "GetAsyncInvoke", "GET", "/async-invoke/{invocationArn}", 200),
    ("bedrock-runtime", "InvokeGuardrailChecks", "POST", "/guardrail-checks/invoke", 200),
    ("bedrock-runtime", "InvokeModel", "POST", "/model/{modelId}/invoke", 200),
    (
        "bedrock-runtime",
        "InvokeModelWithBidirectionalStream",
        "POST",
        "/model/{modelId}/invoke-with-bidirectional-stream",
        200,
    ),
    (
        "bedrock-runtime",
        "InvokeModelWithResponseStream",
        "POST",
        "/model/{modelId}/invoke-with-response-stream",
        200,
    ),
    ("bedrock-runtime", "ListAsyncInvokes", "GET", "/async-invoke", 200),
    ("bedrock-runtime", "StartAsyncInvoke", "POST", "/async-invoke", 200),
    ("bedrock-agent-runtime", "AgenticRetrieveStream", "POST", "/agenticRetrieveStream", 200),
    (
        "bedrock-agent-runtime",
        "CheckIngestedDocumentAcl",
        "POST",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/check-ingested-document-acl",
        200,
    ),
    ("bedrock-agent-runtime", "CreateInvocation", "PUT", "/sessions/{sessionIdentifier}/invocations/", 201),
    ("bedrock-agent-runtime", "CreateSession", "PUT", "/sessions/", 201),
    (
        "bedrock-agent-runtime",
        "DeleteAgentMemory",
        "DELETE",
        "/agents/{agentId}/agentAliases/{agentAliasId}/memories",
        202,
    ),
    ("bedrock-agent-runtime", "DeleteSession", "DELETE", "/sessions/{sessionIdentifier}/", 200),
    ("bedrock-agent-runtime", "EndSession", "PATCH", "/sessions/{sessionIdentifier}", 200),
    ("bedrock-agent-runtime", "GenerateQuery", "POST", "/generateQuery", 200),
    (
        "bedrock-agent-runtime",
        "GetAgentMemory",
        "GET",
        "/agents/{agentId}/agentAliases/{agentAliasId}/memories",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "GetDocumentContent",
        "POST",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/documents/{documentId}/content",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "GetExecutionFlowSnapshot",
        "GET",
        "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}/executions/{executionIdentifier}/flowsnapshot",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "GetFlowExecution",
        "GET",
        "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}/executions/{executionIdentifier}",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "GetIngestedDocumentAcl",
        "POST",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/get-ingested-document-acl",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "GetInvocationStep",
        "POST",
        "/sessions/{sessionIdentifier}/invocationSteps/{invocationStepId}",
        200,
    ),
    ("bedrock-agent-runtime", "GetSession", "GET", "/sessions/{sessionIdentifier}/", 200),
    (
        "bedrock-agent-runtime",
        "InvokeAgent",
        "POST",
        "/agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "InvokeFlow",
        "POST",
        "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}",
        200,
    ),
    ("bedrock-agent-runtime", "InvokeInlineAgent", "POST", "/agents/{sessionId}", 200),
    (
        "bedrock-agent-runtime",
        "ListFlowExecutionEvents",
        "GET",
        "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}/executions/{executionIdentifier}/events",
        200,
    ),
    ("bedrock-agent-runtime", "ListFlowExecutions", "GET", "/flows/{flowIdentifier}/executions", 200),
    (
        "bedrock-agent-runtime",
        "ListInvocationSteps",
        "POST",
        "/sessions/{sessionIdentifier}/invocationSteps/",
        200,
    ),
    ("bedrock-agent-runtime", "ListInvocations", "POST", "/sessions/{sessionIdentifier}/invocations/", 200),
    ("bedrock-agent-runtime", "ListSessions", "POST", "/sessions/", 200),
    ("bedrock-agent-runtime", "ListTagsForResource", "GET", "/tags/{resourceArn}", 200),
    ("bedrock-agent-runtime", "OptimizePrompt", "POST", "/optimize-prompt", 200),
    (
        "bedrock-agent-runtime",
        "PutInvocationStep",
        "PUT",
        "/sessions/{sessionIdentifier}/invocationSteps/",
        201,
    ),
    ("bedrock-agent-runtime", "Rerank", "POST", "/rerank", 200),
    ("bedrock-agent-runtime", "Retrieve", "POST", "/knowledgebases/{knowledgeBaseId}/retrieve", 200),
    ("bedrock-agent-runtime", "RetrieveAndGenerate", "POST", "/retrieveAndGenerate", 200),
    ("bedrock-agent-runtime", "RetrieveAndGenerateStream", "POST", "/retrieveAndGenerateStream", 200),
    (
        "bedrock-agent-runtime",
        "StartFlowExecution",
        "POST",
        "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}/executions",
        200,
    ),
    (
        "bedrock-agent-runtime",
        "StopFlowExecution",
        "POST",
        "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}/executions/{executionIdentifier}/stop",
        200,
    ),
    ("bedrock-agent-runtime", "TagResource", "POST", "/tags/{resourceArn}", 200),
    ("bedrock-agent-runtime", "UntagResource", "DELETE", "/tags/{resourceArn}", 200),
    ("bedrock-agent-runtime", "UpdateSession", "PUT", "/sessions/{sessionIdentifier}/", 200),
    ("bedrock", "CreateGuardrail", "POST", "/guardrails", 202),
    ("bedrock", "GetFoundationModel", "GET", "/foundation-models/{modelIdentifier}", 200),
    ("bedrock", "GetGuardrail", "GET", "/guardrails/{guardrailIdentifier}", 200),
    ("bedrock", "GetInferenceProfile", "GET", "/inference-profiles/{inferenceProfileIdentifier}", 200),
    ("bedrock", "ListFoundationModels", "GET", "/foundation-models", 200),
    ("bedrock", "ListGuardrails", "GET", "/guardrails", 200),
    ("bedrock", "ListInferenceProfiles", "GET", "/inference-profiles", 200),
    ("bedrock-agent", "GetAgent", "GET", "/agents/{agentId}/", 200),
    (
        "bedrock-agent",
        "GetDataSource",
        "GET",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}",
        200,
    ),
    ("bedrock-agent", "GetFlow", "GET", "/flows/{flowIdentifier}/", 200),
    (
        "bedrock-agent",
        "GetIngestionJob",
        "GET",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/{ingestionJobId}",
        200,
    ),
    ("bedrock-agent", "GetKnowledgeBase", "GET", "/knowledgebases/{knowledgeBaseId}", 200),
    ("bedrock-agent", "ListAgents", "POST", "/agents/", 200),
    ("bedrock-agent", "ListDataSources", "POST", "/knowledgebases/{knowledgeBaseId}/datasources/", 200),
    (
        "bedrock-agent",
        "ListIngestionJobs",
        "POST",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/",
        200,
    ),
    ("bedrock-agent", "ListKnowledgeBases", "POST", "/knowledgebases/", 200),
    (
        "bedrock-agent",
        "StartIngestionJob",
        "PUT",
        "/knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/",
        202,
    ),
)

_LABEL = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    service: str
    operation: str
    method: str
    template: str
    status: int
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Match:
    route: Route
    labels: dict[str, str]

    @property
    def service(self) -> str:
        return self.route.service

    @property
    def operation(self) -> str:
        return self.route.operation


def _compile(template: str) -> re.Pattern[str]:
    # A label never spans a raw '/', so an ARN model id must arrive with its slashes encoded.
    parts = _LABEL.split(template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


_TABLE: tuple[Route, ...] = tuple(
    Route(service, operation, method, template, status, _compile(template))
    for service, operation, method, template, status in ROUTES
)
# Most traffic is the model paths; checking them first keeps routing cheap on the hot path.
_BY_METHOD: dict[str, tuple[Route, ...]] = {
    method: tuple(
        sorted((r for r in _TABLE if r.method == method), key=lambda r: not r.template.startswith("/model/"))
    )
    for method in {r.method for r in _TABLE}
}


def resolve(method: str, raw_path: str) -> Match | None:
    """The operation for a request, or None. ``raw_path`` is the path as sent, still percent-encoded."""
    path = raw_path.split("?", 1)[0]
    for route in _BY_METHOD.get(method.upper(), ()):
        found = route.pattern.match(path)
        if found:
            return Match(route, {name: unquote(value) for name, value in found.groupdict().items()})
    return None


def routes() -> tuple[Route, ...]:
    return _TABLE
