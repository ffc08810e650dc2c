"""The route table with plain values: raw-path routing, label unquoting and the ambiguous neighbours."""

from __future__ import annotations

import pytest

from emulator.wire.routing import resolve

_PROFILE_ARN = (
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"
)
_PROFILE_ARN_ENCODED = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-haiku-20240307-v1%3A0"


def _resolved(method: str, path: str) -> tuple[str, str, dict[str, str]]:
    match = resolve(method, path)
    assert match is not None, f"{method} {path} did not resolve"
    return match.service, match.operation, match.labels


@pytest.mark.parametrize(
    ("suffix", "operation"),
    [
        ("converse", "Converse"),
        ("converse-stream", "ConverseStream"),
        ("count-tokens", "CountTokens"),
        ("invoke", "InvokeModel"),
        ("invoke-with-response-stream", "InvokeModelWithResponseStream"),
        ("invoke-with-bidirectional-stream", "InvokeModelWithBidirectionalStream"),
    ],
)
def test_model_operations_resolve_by_their_suffix(suffix: str, operation: str) -> None:
    assert _resolved("POST", f"/model/amazon.nova-micro-v1%3A0/{suffix}") == (
        "bedrock-runtime",
        operation,
        {"modelId": "amazon.nova-micro-v1:0"},
    )


def test_arn_model_id_with_encoded_slash_and_colon_is_unquoted_whole() -> None:
    assert _resolved("POST", f"/model/{_PROFILE_ARN_ENCODED}/converse")[2] == {"modelId": _PROFILE_ARN}


def test_raw_colon_in_model_id_is_accepted_like_encoded_colon() -> None:
    raw = _resolved("POST", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke")
    encoded = _resolved("POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke")
    assert (
        raw
        == encoded
        == ("bedrock-runtime", "InvokeModel", {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"})
    )


def test_arn_model_id_with_raw_slash_does_not_resolve() -> None:
    # A label never spans a raw '/': the ARN must arrive encoded, as every SDK sends it.
    assert resolve("POST", f"/model/{_PROFILE_ARN}/converse") is None


def test_lower_case_percent_escapes_are_unquoted_too() -> None:
    assert _resolved("POST", "/model/amazon.nova-micro-v1%3a0/converse")[2] == {
        "modelId": "amazon.nova-micro-v1:0"
    }


def test_query_string_is_ignored_for_routing() -> None:
    assert _resolved("POST", "/model/amazon.nova-micro-v1%3A0/converse?x=1&y=%2F")[1] == "Converse"
    assert _resolved("GET", "/async-invoke?maxResults=10&statusEquals=Completed")[1] == "ListAsyncInvokes"


def test_method_is_case_insensitive() -> None:
    assert _resolved("post", "/model/m/converse")[1] == "Converse"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/model/m/unknown"),
        ("POST", "/model//converse"),
        ("POST", "/nothing/here"),
        ("GET", "/model/m/converse"),
        ("POST", "/"),
        ("POST", "/model/m/converse/"),
    ],
)
def test_unknown_path_or_wrong_method_resolves_to_none(method: str, path: str) -> None:
    assert resolve(method, path) is None


def test_trailing_slash_create_session_vs_end_session() -> None:
    assert _resolved("PUT", "/sessions/") == ("bedrock-agent-runtime", "CreateSession", {})
    assert _resolved("POST", "/sessions/") == ("bedrock-agent-runtime", "ListSessions", {})
    assert _resolved("PATCH", "/sessions/s-1") == (
        "bedrock-agent-runtime",
        "EndSession",
        {"sessionIdentifier": "s-1"},
    )
    assert resolve("PATCH", "/sessions/s-1/") is None


def test_trailing_slash_get_update_delete_session() -> None:
    assert _resolved("GET", "/sessions/s-1/")[1:] == ("GetSession", {"sessionIdentifier": "s-1"})
    assert _resolved("PUT", "/sessions/s-1/")[1:] == ("UpdateSession", {"sessionIdentifier": "s-1"})
    assert _resolved("DELETE", "/sessions/s-1/")[1:] == ("DeleteSession", {"sessionIdentifier": "s-1"})
    assert resolve("GET", "/sessions/s-1") is None


def test_invocations_with_trailing_slash_split_by_method() -> None:
    assert _resolved("PUT", "/sessions/s-1/invocations/")[1] == "CreateInvocation"
    assert _resolved("POST", "/sessions/s-1/invocations/")[1] == "ListInvocations"
    assert _resolved("PUT", "/sessions/s-1/invocationSteps/")[1] == "PutInvocationStep"
    assert _resolved("POST", "/sessions/s-1/invocationSteps/")[1] == "ListInvocationSteps"
    assert _resolved("POST", "/sessions/s-1/invocationSteps/step-9")[1:] == (
        "GetInvocationStep",
        {"sessionIdentifier": "s-1", "invocationStepId": "step-9"},
    )


def test_invoke_inline_agent_vs_list_agents() -> None:
    assert _resolved("POST", "/agents/sess-42") == (
        "bedrock-agent-runtime",
        "InvokeInlineAgent",
        {"sessionId": "sess-42"},
    )
    assert _resolved("POST", "/agents/") == ("bedrock-agent", "ListAgents", {})
    assert _resolved("GET", "/agents/AGENT1/") == ("bedrock-agent", "GetAgent", {"agentId": "AGENT1"})


def test_invoke_agent_labels() -> None:
    assert _resolved("POST", "/agents/A1/agentAliases/TSTALIASID/sessions/s%2F1/text") == (
        "bedrock-agent-runtime",
        "InvokeAgent",
        {"agentId": "A1", "agentAliasId": "TSTALIASID", "sessionId": "s/1"},
    )


def test_agent_memory_get_and_delete_share_a_path() -> None:
    assert _resolved("GET", "/agents/A1/agentAliases/AL1/memories")[1] == "GetAgentMemory"
    assert _resolved("DELETE", "/agents/A1/agentAliases/AL1/memories")[1] == "DeleteAgentMemory"


def test_flow_paths_split_by_depth_and_method() -> None:
    assert _resolved("POST", "/flows/F1/aliases/A1")[1] == "InvokeFlow"
    assert _resolved("POST", "/flows/F1/aliases/A1/executions")[1] == "StartFlowExecution"
    assert _resolved("GET", "/flows/F1/aliases/A1/executions/E1")[1] == "GetFlowExecution"
    assert _resolved("GET", "/flows/F1/aliases/A1/executions/E1/events")[1] == "ListFlowExecutionEvents"
    assert _resolved("POST", "/flows/F1/aliases/A1/executions/E1/stop")[1] == "StopFlowExecution"
    assert _resolved("GET", "/flows/F1/")[1:] == ("GetFlow", {"flowIdentifier": "F1"})


_TAGGING = (("GET", "ListTagsForResource"), ("POST", "TagResource"), ("DELETE", "UntagResource"))


def test_tagging_a_session_arn_routes_to_agent_runtime_with_unquoted_arn() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:session/3f4e5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"
    encoded = arn.replace(":", "%3A").replace("/", "%2F")
    for method, operation in _TAGGING:
        assert _resolved(method, f"/tags/{encoded}") == (
            "bedrock-agent-runtime",
            operation,
            {"resourceArn": arn},
        )


def test_tagging_any_other_arn_routes_to_bedrock_agent() -> None:
    # Both services declare /tags/{resourceArn}; only session ARNs fit bedrock-agent-runtime's pattern.
    arn = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/A1/AL1"
    encoded = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aagent-alias%2FA1%2FAL1"
    for method, operation in _TAGGING:
        assert _resolved(method, f"/tags/{encoded}") == ("bedrock-agent", operation, {"resourceArn": arn})


def test_bedrock_tagging_has_its_own_paths() -> None:
    assert _resolved("POST", "/tagResource")[:2] == ("bedrock", "TagResource")
    assert _resolved("POST", "/listTagsForResource")[:2] == ("bedrock", "ListTagsForResource")


def test_control_plane_reads_resolve() -> None:
    assert _resolved("GET", "/foundation-models")[:2] == ("bedrock", "ListFoundationModels")
    assert _resolved("GET", "/foundation-models/amazon.titan-text-express-v1%3A0%3A8k")[1:] == (
        "GetFoundationModel",
        {"modelIdentifier": "amazon.titan-text-express-v1:0:8k"},
    )
    assert _resolved("POST", "/guardrails")[1] == "CreateGuardrail"
    assert _resolved("GET", "/guardrails")[1] == "ListGuardrails"
    assert _resolved("POST", "/knowledgebases/KB1/retrieve") == (
        "bedrock-agent-runtime",
        "Retrieve",
        {"knowledgeBaseId": "KB1"},
    )
    assert _resolved("GET", "/knowledgebases/KB1")[:2] == ("bedrock-agent", "GetKnowledgeBase")


def test_every_bedrock_agent_and_bedrock_operation_routes() -> None:
    assert _resolved("PUT", "/knowledgebases/")[:2] == ("bedrock-agent", "CreateKnowledgeBase")
    assert _resolved("PUT", "/knowledgebases/KB1")[:2] == ("bedrock-agent", "UpdateKnowledgeBase")
    assert _resolved("PUT", "/agents/")[:2] == ("bedrock-agent", "CreateAgent")
    assert _resolved("POST", "/agents/A1/")[1:] == ("PrepareAgent", {"agentId": "A1"})
    assert _resolved("POST", "/flows/F1/versions")[1:] == ("CreateFlowVersion", {"flowIdentifier": "F1"})
    assert _resolved("POST", "/prompts/")[:2] == ("bedrock-agent", "CreatePrompt")
    assert _resolved("POST", "/model-customization-jobs")[:2] == ("bedrock", "CreateModelCustomizationJob")


def test_match_exposes_success_status_of_the_route() -> None:
    match = resolve("PUT", "/sessions/")
    assert match is not None
    assert match.route.status == 201
    delete_memory = resolve("DELETE", "/agents/A/agentAliases/B/memories")
    assert delete_memory is not None
    assert delete_memory.route.status == 202
