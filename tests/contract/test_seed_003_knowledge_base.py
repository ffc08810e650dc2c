"""Seed 003's Knowledge Base walkthrough, from ingestion on: the calls it makes against a knowledge base id
nobody created, in our own code, with only ``endpoint_url`` added; in lenient mode the bundled sample serves
any id. The whole walkthrough, from CreateKnowledgeBase on, is in test_seed_003_created_knowledge_base.py."""

from __future__ import annotations

from typing import Any

import boto3

KB_ID = "SEEDKB0003"
DS_ID = "SEEDDS0003"


def _client(emulator: Any, service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=emulator.tenant,
        aws_secret_access_key="x",
    )


def test_seed_003_ingestion_then_retrieve_and_generate_with_citations(bedrock_emulator: Any) -> None:
    bedrock_agent = _client(bedrock_emulator, "bedrock-agent")
    ingest = bedrock_agent.start_ingestion_job(knowledgeBaseId=KB_ID, dataSourceId=DS_ID)
    job_id = ingest["ingestionJob"]["ingestionJobId"]
    assert job_id
    job = bedrock_agent.get_ingestion_job(knowledgeBaseId=KB_ID, dataSourceId=DS_ID, ingestionJobId=job_id)
    assert job["ingestionJob"]["status"] == "COMPLETE"
    assert job["ingestionJob"]["statistics"]["numberOfDocumentsScanned"] > 0

    runtime = _client(bedrock_emulator, "bedrock-agent-runtime")
    response = runtime.retrieve_and_generate(
        input={"text": "What is the return policy for enterprise subscriptions?"},
        retrieveAndGenerateConfiguration={
            "type": "KNOWLEDGE_BASE",
            "knowledgeBaseConfiguration": {
                "knowledgeBaseId": KB_ID,
                "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0",
                "retrievalConfiguration": {
                    "vectorSearchConfiguration": {"numberOfResults": 5, "overrideSearchType": "HYBRID"}
                },
                "generationConfiguration": {
                    "promptTemplate": {
                        "textPromptTemplate": "You are a support agent. Use only the provided context to "
                        "answer. Context: $search_results$ Question: $query$"
                    }
                },
            },
        },
    )
    text = response["output"]["text"]
    assert isinstance(text, str)
    assert text
    assert response["sessionId"]
    uris = [
        reference["location"]["s3Location"]["uri"]
        for citation in response.get("citations", [])
        for reference in citation.get("retrievedReferences", [])
    ]
    assert uris
    assert all(uri.startswith("s3://") for uri in uris)
    for citation in response["citations"]:
        span = citation["generatedResponsePart"]["textResponsePart"]["span"]
        assert 0 <= span["start"] <= span["end"] < len(text)
