"""Knowledge bases through real boto3 over a real socket: Retrieve, RetrieveAndGenerate(Stream), Rerank and
the bedrock-agent reads, including what seed 000's debugging helpers do."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.knowledge.registry import SAMPLE_DATA_SOURCE_ID, SAMPLE_KNOWLEDGE_BASE_ID

ANY_KB = "MYKB123456"  # unknown: lenient mode serves the sample corpus under this id
ANY_DS = "MYDS123456"
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
NOT_FOUND = "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier"


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-agent-runtime")


@pytest.fixture
def agent(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-agent")


def strict(bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: kb-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )


def rag_config(kb_id: str = ANY_KB, **extra: Any) -> dict[str, Any]:
    return {
        "type": "KNOWLEDGE_BASE",
        "knowledgeBaseConfiguration": {"knowledgeBaseId": kb_id, "modelArn": MODEL_ARN, **extra},
    }


# -- Retrieve ---------------------------------------------------------------------------------------------


def test_retrieve_returns_five_results_by_default_with_bedrock_metadata_keys(runtime: Any) -> None:
    response = runtime.retrieve(knowledgeBaseId=ANY_KB, retrievalQuery={"text": "how do I reset my password"})
    results = response["retrievalResults"]
    assert len(results) == 5
    first = results[0]
    assert first["content"]["type"] == "TEXT"
    assert "Forgot password" in first["content"]["text"]
    assert first["location"]["type"] == "S3"
    assert first["location"]["s3Location"]["uri"].endswith("/account-help.md")
    assert first["metadata"]["x-amz-bedrock-kb-source-uri"] == first["location"]["s3Location"]["uri"]
    assert first["metadata"]["x-amz-bedrock-kb-data-source-id"] == SAMPLE_DATA_SOURCE_ID
    assert first["metadata"]["x-amz-bedrock-kb-chunk-id"]
    assert first["metadata"]["category"] == "account"
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


def test_retrieve_is_deterministic_for_the_same_query(runtime: Any) -> None:
    ask = {"knowledgeBaseId": ANY_KB, "retrievalQuery": {"text": "shipping to canada"}}
    assert runtime.retrieve(**ask)["retrievalResults"] == runtime.retrieve(**ask)["retrievalResults"]


def test_retrieve_metadata_filter_keeps_only_matching_chunks(runtime: Any) -> None:
    response = runtime.retrieve(
        knowledgeBaseId=ANY_KB,
        retrievalQuery={"text": "how long does delivery take"},
        retrievalConfiguration={
            "vectorSearchConfiguration": {
                "numberOfResults": 10,
                "filter": {
                    "andAll": [
                        {"equals": {"key": "category", "value": "shipping"}},
                        {"greaterThanOrEquals": {"key": "year", "value": 2025}},
                    ]
                },
            }
        },
    )
    uris = {r["location"]["s3Location"]["uri"].rsplit("/", 1)[1] for r in response["retrievalResults"]}
    assert uris == {"shipping-rates.csv"}


def test_retrieve_with_a_non_numeric_greater_than_filter_is_a_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        runtime.retrieve(
            knowledgeBaseId=ANY_KB,
            retrievalQuery={"text": "x"},
            retrievalConfiguration={
                "vectorSearchConfiguration": {"filter": {"greaterThan": {"key": "year", "value": "2020"}}}
            },
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_retrieve_pages_with_next_token_without_repeating_chunks(runtime: Any) -> None:
    ask = {
        "knowledgeBaseId": ANY_KB,
        "retrievalQuery": {"text": "order shipping refund card warranty password"},
        "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": 2}},
    }
    first = runtime.retrieve(**ask)
    assert len(first["retrievalResults"]) == 2
    second = runtime.retrieve(**ask, nextToken=first["nextToken"])
    ids = [
        r["metadata"]["x-amz-bedrock-kb-chunk-id"]
        for r in first["retrievalResults"] + second["retrievalResults"]
    ]
    assert len(ids) == len(set(ids)) == 4


def test_retrieve_honours_managed_search_like_vector_search(runtime: Any) -> None:
    query = {"text": "order shipping refund card warranty password"}
    managed = runtime.retrieve(
        knowledgeBaseId=ANY_KB,
        retrievalQuery=query,
        retrievalConfiguration={"managedSearchConfiguration": {"numberOfResults": 3}},
    )["retrievalResults"]
    vector = runtime.retrieve(
        knowledgeBaseId=ANY_KB,
        retrievalQuery=query,
        retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 3}},
    )["retrievalResults"]
    assert len(managed) == 3
    assert [r["content"] for r in managed] == [r["content"] for r in vector]
    with pytest.raises(ClientError) as caught:
        runtime.retrieve(
            knowledgeBaseId=ANY_KB,
            retrievalQuery=query,
            retrievalConfiguration={
                "managedSearchConfiguration": {"filter": {"greaterThan": {"key": "year", "value": "2020"}}}
            },
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_retrieve_hybrid_and_semantic_search_types_both_answer(runtime: Any) -> None:
    for kind in ("HYBRID", "SEMANTIC"):
        response = runtime.retrieve(
            knowledgeBaseId=ANY_KB,
            retrievalQuery={"text": "warranty claim"},
            retrievalConfiguration={"vectorSearchConfiguration": {"overrideSearchType": kind}},
        )
        assert response["retrievalResults"][0]["location"]["s3Location"]["uri"].endswith("warranty.html")


def test_retrieve_unknown_knowledge_base_in_strict_mode_is_resource_not_found(
    bedrock_emulator: Any, runtime: Any
) -> None:
    strict(bedrock_emulator)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
        runtime.retrieve(knowledgeBaseId=ANY_KB, retrievalQuery={"text": "hello"})
    assert caught.value.response["Error"]["Message"] == NOT_FOUND
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_retrieve_sample_id_still_answers_in_strict_mode(bedrock_emulator: Any, runtime: Any) -> None:
    strict(bedrock_emulator)
    response = runtime.retrieve(knowledgeBaseId=SAMPLE_KNOWLEDGE_BASE_ID, retrievalQuery={"text": "refund"})
    assert response["retrievalResults"]


def test_retrieve_uses_scenario_scripted_results_when_the_engine_passes_them(runtime: Any) -> None:
    from emulator.engine import ScriptedAnswer
    from emulator.services.exchange import OperationCall
    from emulator.services.knowledge import handle_retrieve

    call = OperationCall(
        "bedrock-agent-runtime",
        "Retrieve",
        {"knowledgeBaseId": ANY_KB},
        {},
        {},
        b'{"retrievalQuery":{"text":"menu"}}',
        "us-east-1",
        "t",
        "r",
        False,
        0,
        ScriptedAnswer(),
    )
    reply = handle_retrieve(call, [{"text": "Lentil soup on Monday.", "score": 0.21}])
    results = reply.body["retrievalResults"]  # type: ignore[union-attr]
    assert [r["score"] for r in results] == [0.21]
    assert results[0]["content"]["text"] == "Lentil soup on Monday."


# -- RetrieveAndGenerate ----------------------------------------------------------------------------------


def test_retrieve_and_generate_cites_spans_that_point_into_the_output(runtime: Any) -> None:
    response = runtime.retrieve_and_generate(
        input={"text": "What does the warranty cover?"}, retrieveAndGenerateConfiguration=rag_config()
    )
    text = response["output"]["text"]
    assert response["sessionId"]
    assert response["citations"]
    for citation in response["citations"]:
        part = citation["generatedResponsePart"]["textResponsePart"]
        span = part["span"]
        assert text[span["start"] : span["end"] + 1] == part["text"]
        reference = citation["retrievedReferences"][0]
        assert part["text"] in reference["content"]["text"]
        assert reference["location"]["s3Location"]["uri"].startswith("s3://")
    assert "warranty" in text.lower()


def test_retrieve_and_generate_keeps_a_given_session_id(runtime: Any) -> None:
    first = runtime.retrieve_and_generate(
        input={"text": "refund timing"}, retrieveAndGenerateConfiguration=rag_config()
    )
    again = runtime.retrieve_and_generate(
        input={"text": "and for gift cards?"},
        sessionId=first["sessionId"],
        retrieveAndGenerateConfiguration=rag_config(),
    )
    assert again["sessionId"] == first["sessionId"]


def test_retrieve_and_generate_with_nothing_relevant_answers_the_bedrock_refusal(runtime: Any) -> None:
    response = runtime.retrieve_and_generate(
        input={"text": "quantum chromodynamics"}, retrieveAndGenerateConfiguration=rag_config()
    )
    assert response["output"]["text"] == "Sorry, I am unable to assist you with this request."
    assert response["citations"][0]["retrievedReferences"] == []


def test_retrieve_and_generate_prompt_template_without_search_results_gives_no_citations(
    runtime: Any,
) -> None:
    config = rag_config(generationConfiguration={"promptTemplate": {"textPromptTemplate": "Answer: $query$"}})
    response = runtime.retrieve_and_generate(
        input={"text": "warranty"}, retrieveAndGenerateConfiguration=config
    )
    assert response["output"]["text"]
    assert response["citations"] == []


def test_retrieve_and_generate_over_external_byte_content(runtime: Any) -> None:
    document = b"The office opens at nine. Parking is behind the library. The cafe closes at four."
    response = runtime.retrieve_and_generate(
        input={"text": "when does the cafe close"},
        retrieveAndGenerateConfiguration={
            "type": "EXTERNAL_SOURCES",
            "externalSourcesConfiguration": {
                "modelArn": MODEL_ARN,
                "sources": [
                    {
                        "sourceType": "BYTE_CONTENT",
                        "byteContent": {
                            "identifier": "notes.txt",
                            "contentType": "text/plain",
                            "data": document,
                        },
                    }
                ],
            },
        },
    )
    assert response["output"]["text"] == "The cafe closes at four."


def test_retrieve_and_generate_stream_sends_output_and_citation_events_and_session_header(
    runtime: Any,
) -> None:
    response = runtime.retrieve_and_generate_stream(
        input={"text": "What does the warranty cover?"}, retrieveAndGenerateConfiguration=rag_config()
    )
    assert response["sessionId"]
    text = ""
    citations = []
    for event in response["stream"]:
        if "output" in event:
            text += event["output"]["text"]
        elif "citation" in event:
            citations.append(event["citation"])
    unary = runtime.retrieve_and_generate(
        input={"text": "What does the warranty cover?"}, retrieveAndGenerateConfiguration=rag_config()
    )
    assert text == unary["output"]["text"]
    assert citations
    part = citations[0]["generatedResponsePart"]["textResponsePart"]
    assert text[part["span"]["start"] : part["span"]["end"] + 1] == part["text"]


# -- Rerank -------------------------------------------------------------------------------------------------


def test_rerank_orders_documents_by_relevance_with_their_indexes(runtime: Any) -> None:
    docs = ["Bananas are yellow.", "Refunds reach your card within ten days.", "The sky is blue."]
    response = runtime.rerank(
        queries=[{"type": "TEXT", "textQuery": {"text": "when will my refund arrive on my card"}}],
        sources=[
            {"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": d}}}
            for d in docs
        ],
        rerankingConfiguration={
            "type": "BEDROCK_RERANKING_MODEL",
            "bedrockRerankingConfiguration": {
                "numberOfResults": 2,
                "modelConfiguration": {
                    "modelArn": "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0"
                },
            },
        },
    )
    results = response["results"]
    assert next(r["index"] for r in results) == 1
    assert len(results) == 2
    assert 0 <= results[1]["relevanceScore"] <= results[0]["relevanceScore"] <= 1


# -- bedrock-agent reads --------------------------------------------------------------------------------


def test_get_knowledge_base_reports_active_with_the_requested_id(agent: Any) -> None:
    kb = agent.get_knowledge_base(knowledgeBaseId=ANY_KB)["knowledgeBase"]
    assert kb["knowledgeBaseId"] == ANY_KB
    assert kb["status"] == "ACTIVE"
    assert kb["knowledgeBaseArn"].endswith(f":knowledge-base/{ANY_KB}")
    assert kb["createdAt"].year >= 2024


def test_list_knowledge_bases_includes_the_sample(agent: Any) -> None:
    summaries = agent.list_knowledge_bases()["knowledgeBaseSummaries"]
    assert SAMPLE_KNOWLEDGE_BASE_ID in [s["knowledgeBaseId"] for s in summaries]


def test_get_and_list_data_sources_report_available_fixed_size_chunking(agent: Any) -> None:
    ds = agent.get_data_source(knowledgeBaseId=ANY_KB, dataSourceId=ANY_DS)["dataSource"]
    assert ds["status"] == "AVAILABLE"
    assert ds["dataSourceId"] == ANY_DS
    assert ds["vectorIngestionConfiguration"]["chunkingConfiguration"] == {
        "chunkingStrategy": "FIXED_SIZE",
        "fixedSizeChunkingConfiguration": {"maxTokens": 300, "overlapPercentage": 20},
    }
    listed = agent.list_data_sources(knowledgeBaseId=ANY_KB)["dataSourceSummaries"]
    assert [s["status"] for s in listed] == ["AVAILABLE"]


def test_start_ingestion_job_then_get_shows_complete_with_statistics(agent: Any) -> None:
    started = agent.start_ingestion_job(
        knowledgeBaseId=SAMPLE_KNOWLEDGE_BASE_ID, dataSourceId=SAMPLE_DATA_SOURCE_ID
    )["ingestionJob"]
    assert started["status"] == "STARTING"
    job = agent.get_ingestion_job(
        knowledgeBaseId=SAMPLE_KNOWLEDGE_BASE_ID,
        dataSourceId=SAMPLE_DATA_SOURCE_ID,
        ingestionJobId=started["ingestionJobId"],
    )["ingestionJob"]
    assert job["status"] == "COMPLETE"
    assert job["statistics"]["numberOfDocumentsScanned"] == 6
    assert job["statistics"]["numberOfMetadataDocumentsScanned"] == 6
    assert job["statistics"]["numberOfNewDocumentsIndexed"] == 0  # nothing changed since the first sync
    assert job["statistics"]["numberOfDocumentsFailed"] == 0
    jobs = agent.list_ingestion_jobs(
        knowledgeBaseId=SAMPLE_KNOWLEDGE_BASE_ID, dataSourceId=SAMPLE_DATA_SOURCE_ID
    )["ingestionJobSummaries"]
    assert [j["ingestionJobId"] for j in jobs][-1] == started["ingestionJobId"]


def test_control_plane_unknown_knowledge_base_in_strict_mode_is_resource_not_found(
    bedrock_emulator: Any, agent: Any
) -> None:
    strict(bedrock_emulator)
    with pytest.raises(agent.exceptions.ResourceNotFoundException):
        agent.get_knowledge_base(knowledgeBaseId=ANY_KB)


# -- seed 000's helpers, rewritten, with only endpoint_url added ----------------------------------------


def debug_retrieval(endpoint_url: str, credentials: dict[str, str], kb_id: str, query: str) -> dict[str, Any]:
    """What seed 000's debug_knowledge_base_retrieval does: KB status, then retrieve 10 and read each hit."""
    import boto3

    control = boto3.client("bedrock-agent", endpoint_url=endpoint_url, **credentials)
    data = boto3.client("bedrock-agent-runtime", endpoint_url=endpoint_url, **credentials)
    status = control.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"]["status"]
    if status != "ACTIVE":
        return {"error": status}
    found = data.retrieve(
        knowledgeBaseId=kb_id,
        retrievalQuery={"text": query},
        retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 10}},
    )
    rows = [
        {
            "rank": n + 1,
            "score": r.get("score", 0),
            "preview": r["content"]["text"][:200],
            "location": r["location"]["s3Location"]["uri"],
        }
        for n, r in enumerate(found["retrievalResults"])
    ]
    for row in rows:
        _ = f"Result {row['rank']}: Score={row['score']:.4f}"
    return {"total_results": len(rows), "results": rows}


def data_source_sync(
    endpoint_url: str, credentials: dict[str, str], kb_id: str, ds_id: str
) -> dict[str, Any]:
    """What seed 000's check_data_source_sync does: DS status, last 5 jobs, stats of finished ones."""
    import boto3

    control = boto3.client("bedrock-agent", endpoint_url=endpoint_url, **credentials)
    status = control.get_data_source(knowledgeBaseId=kb_id, dataSourceId=ds_id)["dataSource"]["status"]
    jobs = control.list_ingestion_jobs(knowledgeBaseId=kb_id, dataSourceId=ds_id, maxResults=5)
    info: dict[str, Any] = {"data_source_status": status, "recent_jobs": []}
    for job in jobs["ingestionJobSummaries"]:
        row = {
            "job_id": job["ingestionJobId"],
            "status": job["status"],
            "started": str(job.get("startedAt", "N/A")),
            "updated": str(job.get("updatedAt", "N/A")),
        }
        if job["status"] in ["COMPLETE", "FAILED"]:
            detail = control.get_ingestion_job(
                knowledgeBaseId=kb_id, dataSourceId=ds_id, ingestionJobId=job["ingestionJobId"]
            )
            row["statistics"] = detail["ingestionJob"].get("statistics", {})
        info["recent_jobs"].append(row)
    return info


def test_seed_000_debug_knowledge_base_retrieval_runs_against_the_emulator(bedrock_emulator: Any) -> None:
    result = debug_retrieval(
        bedrock_emulator.endpoint_url,
        bedrock_emulator.credentials,
        ANY_KB,
        "what is the return window for unused items",
    )
    assert "error" not in result
    assert result["total_results"] == 7  # every chunk of the sample corpus, ranked
    assert result["results"][0]["location"].endswith("returns-and-refunds.txt")


def test_seed_000_check_data_source_sync_runs_against_the_emulator(bedrock_emulator: Any) -> None:
    result = data_source_sync(bedrock_emulator.endpoint_url, bedrock_emulator.credentials, ANY_KB, ANY_DS)
    assert result["data_source_status"] == "AVAILABLE"
    (job,) = result["recent_jobs"]
    assert job["status"] == "COMPLETE"
    assert job["statistics"]["numberOfDocumentsScanned"] == 6
    assert job["statistics"]["numberOfNewDocumentsIndexed"] == 6
