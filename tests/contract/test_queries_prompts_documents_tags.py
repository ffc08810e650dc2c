"""The rest of bedrock-agent-runtime through real boto3: GenerateQuery, OptimizePrompt,
AgenticRetrieveStream, the knowledge-base document reads and their ACLs, and session tags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.knowledge import registry as kb_registry
from emulator.knowledge.registry import SAMPLE_DATA_SOURCE_ID
from emulator.pytest_plugin import served_definitions

ANY_KB = "MYKB123456"
ANY_DS = "MYDS123456"
KB_ARN = f"arn:aws:bedrock:us-east-1:123456789012:knowledge-base/{ANY_KB}"
SESSION_ARN = "arn:aws:bedrock:us-east-1:123456789012:session/0f8fad5b-d9cb-469f-a165-70867728950e"
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
ACL = {
    "allowList": {
        "memberRelation": "OR",
        "conditions": [{"conditionOperator": "OR", "users": [{"id": "alice", "type": "KNOWLEDGE_BASE"}]}],
    },
    "denyList": {
        "memberRelation": "OR",
        "conditions": [{"conditionOperator": "OR", "users": [{"id": "mallory", "type": "KNOWLEDGE_BASE"}]}],
    },
}


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-agent-runtime")


@pytest.fixture(scope="module")
def acl_knowledge_base(
    tmp_path_factory: pytest.TempPathFactory, bedrock_emulator_server: Any
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("acl-kb")
    docs = root / "docs"
    docs.mkdir()
    (docs / "salaries.md").write_text("# Salaries\n\nSalary bands are reviewed every April.\n")
    (docs / "salaries.md.metadata.json").write_text(
        json.dumps({"metadataAttributes": {"team": "hr"}, "documentAcl": ACL})
    )
    (docs / "handbook.txt").write_text("The office opens at nine.\n")
    config = root / "kb.yaml"
    config.write_text(
        "knowledge_bases:\n  - id: ACLKB00001\n    name: acl-kb\n    data_sources:\n"
        "      - {id: ACLDS00001, name: hr-docs, directory: docs, s3_uri: 's3://hr-bucket/docs'}\n"
    )
    with served_definitions(bedrock_emulator_server, "knowledge_bases", [config]):
        yield "ACLKB00001"


def strict(bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: extras-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )


# -- GenerateQuery ------------------------------------------------------------------------------------------


def generate(runtime: Any, text: str) -> str:
    response = runtime.generate_query(
        queryGenerationInput={"type": "TEXT", "text": text},
        transformationConfiguration={
            "mode": "TEXT_TO_SQL",
            "textToSqlConfiguration": {
                "type": "KNOWLEDGE_BASE",
                "knowledgeBaseConfiguration": {"knowledgeBaseArn": KB_ARN},
            },
        },
    )
    (query,) = response["queries"]
    assert query["type"] == "REDSHIFT_SQL"
    sql: str = query["sql"]
    return sql


def test_generate_query_turns_questions_into_deterministic_redshift_sql(runtime: Any) -> None:
    assert generate(runtime, "How many orders were placed in 2025?") == (
        "SELECT COUNT(*) AS count FROM orders WHERE EXTRACT(YEAR FROM created_at) = 2025;"
    )
    assert generate(runtime, "What is the average total of invoices?") == (
        "SELECT AVG(total) AS avg_total FROM invoices;"
    )
    assert generate(runtime, "Show the top 5 customers by revenue") == (
        "SELECT * FROM customers ORDER BY revenue DESC LIMIT 5;"
    )
    assert generate(runtime, "How many orders?") == generate(runtime, "How many orders?")


def test_generate_query_unknown_knowledge_base_is_not_found_in_strict_mode(
    bedrock_emulator: Any, runtime: Any
) -> None:
    strict(bedrock_emulator)
    with pytest.raises(ClientError) as error:
        generate(runtime, "How many orders?")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- OptimizePrompt -----------------------------------------------------------------------------------------


def test_optimize_prompt_streams_an_analysis_then_the_optimized_prompt(runtime: Any) -> None:
    response = runtime.optimize_prompt(
        input={"textPrompt": {"text": "Summarize {{document}} for a busy manager."}},
        targetModelId="anthropic.claude-3-haiku-20240307-v1:0",
    )
    events = list(response["optimizedPrompt"])
    assert [next(iter(e)) for e in events] == ["analyzePromptEvent", "optimizedPromptEvent"]
    assert "{{document}}" in events[0]["analyzePromptEvent"]["message"]
    optimized = events[1]["optimizedPromptEvent"]["optimizedPrompt"]["textPrompt"]["text"]
    assert optimized.startswith("<task>\nSummarize {{document}} for a busy manager.\n</task>")


def test_optimize_prompt_with_an_unknown_model_is_a_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        runtime.optimize_prompt(input={"textPrompt": {"text": "Hi"}}, targetModelId="acme.nonexistent-v1")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"] == "The provided model identifier is invalid."


# -- AgenticRetrieveStream ----------------------------------------------------------------------------------


def agentic(runtime: Any, **extra: Any) -> list[dict[str, Any]]:
    response = runtime.agentic_retrieve_stream(
        messages=[{"role": "user", "content": {"text": "how do I reset my password"}}],
        retrievers=[
            {
                "configuration": {
                    "knowledgeBase": {
                        "knowledgeBaseId": ANY_KB,
                        "retrievalOverrides": {"maxNumberOfResults": 3},
                    }
                }
            }
        ],
        agenticRetrieveConfiguration={
            "foundationModelConfiguration": {
                "type": "BEDROCK_FOUNDATION_MODEL",
                "bedrockFoundationModelConfiguration": {"modelConfiguration": {"modelArn": MODEL_ARN}},
            }
        },
        **extra,
    )
    return list(response["stream"])


def test_agentic_retrieve_stream_traces_its_steps_then_returns_ranked_results(runtime: Any) -> None:
    events = agentic(runtime)
    traces = [e["traceEvent"]["attributes"] for e in events if "traceEvent" in e]
    assert [(t["step"], t["status"]) for t in traces] == [
        ("Planning", "SUCCEEDED"),
        ("Retrieval", "IN_PROGRESS"),
        ("Retrieval", "SUCCEEDED"),
    ]
    assert traces[1]["actions"][0]["retrieve"]["sourceRetrievers"] == [{"identifier": ANY_KB}]
    result = events[-1]["result"]
    assert len(result["results"]) == 3
    assert "Forgot password" in result["results"][0]["content"]["text"]
    assert result["results"][0]["sourceRetriever"] == {"identifier": ANY_KB}
    assert "generatedResponse" not in result


def test_agentic_retrieve_stream_generates_a_cited_answer_when_asked(runtime: Any) -> None:
    events = agentic(runtime, generateResponse=True)
    streamed = "".join(e["responseEvent"]["text"] for e in events if "responseEvent" in e)
    generated = events[-1]["result"]["generatedResponse"]
    assert streamed == generated["answer"]
    citation = generated["citations"][0]
    assert generated["answer"][citation["startIndex"] : citation["endIndex"]]
    assert citation["references"][0]["resultIndex"] == 0


# -- document content and ACLs ------------------------------------------------------------------------------


def test_get_document_content_describes_the_raw_and_extracted_document(runtime: Any) -> None:
    uri = "s3://bedrock-emulator-sample-kb/docs/warranty.html"
    raw = runtime.get_document_content(
        knowledgeBaseId=ANY_KB, dataSourceId=SAMPLE_DATA_SOURCE_ID, documentId=uri
    )
    assert raw["mimeType"] == "text/html"
    assert raw["presignedUrl"].startswith(
        "https://bedrock-emulator-sample-kb.s3.us-east-1.amazonaws.com/docs/warranty.html?"
    )
    size = (Path(kb_registry.SAMPLE_DIRECTORY) / "warranty.html").stat().st_size
    assert raw["documentContentLength"] == size
    extracted = runtime.get_document_content(
        knowledgeBaseId=ANY_KB, dataSourceId=ANY_DS, documentId="warranty.html", outputFormat="EXTRACTED"
    )
    assert extracted["mimeType"] == "text/plain"
    assert 0 < extracted["documentContentLength"] < size  # the tags are gone


def test_get_document_content_of_a_missing_document_is_not_found(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        runtime.get_document_content(
            knowledgeBaseId=ANY_KB, dataSourceId=ANY_DS, documentId="s3://nope/missing.txt"
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_ingested_document_acl_comes_from_the_metadata_sidecar(runtime: Any, acl_knowledge_base: str) -> None:
    acl = runtime.get_ingested_document_acl(
        knowledgeBaseId=acl_knowledge_base,
        dataSourceId="ACLDS00001",
        documentId="s3://hr-bucket/docs/salaries.md",
    )["documentAcl"]
    assert acl == ACL
    plain = runtime.get_ingested_document_acl(
        knowledgeBaseId=acl_knowledge_base, dataSourceId="ACLDS00001", documentId="handbook.txt"
    )["documentAcl"]
    assert plain == {}


def test_check_ingested_document_acl_allows_listed_users_and_denies_the_rest(
    runtime: Any, acl_knowledge_base: str
) -> None:
    def check(user: str, document: str = "salaries.md") -> bool:
        result: bool = runtime.check_ingested_document_acl(
            knowledgeBaseId=acl_knowledge_base,
            dataSourceId="ACLDS00001",
            documentId=document,
            userContext={"userId": user},
        )["hasAccess"]
        return result

    assert check("alice") is True
    assert check("bob") is False
    assert check("mallory") is False
    assert check("bob", "handbook.txt") is True  # no ACL ingested: open to everyone


# -- tags ---------------------------------------------------------------------------------------------------


def test_tags_on_a_session_start_with_create_session_and_change_with_tag_calls(
    bedrock_emulator: Any, runtime: Any
) -> None:
    arn = runtime.create_session(tags={"team": "billing"})["sessionArn"]
    runtime.tag_resource(resourceArn=arn, tags={"env": "test", "owner": "ops"})
    assert runtime.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "team": "billing",
        "env": "test",
        "owner": "ops",
    }
    runtime.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert runtime.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "billing", "owner": "ops"}
    runtime.untag_resource(resourceArn=arn, tagKeys=["team", "owner"])  # a repeated query key
    assert runtime.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    other = boto3.client(
        "bedrock-agent-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{bedrock_emulator.tenant}-other",
        aws_secret_access_key="x",
    )
    with pytest.raises(ClientError) as error:
        other.list_tags_for_resource(resourceArn=arn)  # another tenant's session does not exist for it
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_tagging_a_session_that_does_not_exist_is_not_found(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        runtime.tag_resource(resourceArn=SESSION_ARN, tags={"team": "billing"})
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert error.value.response["Error"]["Message"] == (
        "The specified resource Amazon Resource Name (ARN) was not found. "
        "Check the Amazon Resource Name (ARN) and try your request again."
    )


def test_tagging_an_arn_other_than_a_session_is_served_as_bedrock_agents_call(runtime: Any) -> None:
    # Both services declare /tags/{resourceArn} and one port cannot tell them apart by host; only session
    # ARNs are bedrock-agent-runtime's, so a flow ARN is bedrock-agent's call, and a flow nobody created is
    # not found (docs/wire-facts.md §14.2).
    with pytest.raises(ClientError) as error:
        runtime.list_tags_for_resource(resourceArn="arn:aws:bedrock:us-east-1:123456789012:flow/ABCDEFGHIJ")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
