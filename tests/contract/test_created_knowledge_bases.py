"""Knowledge bases created through bedrock-agent, with runtime effect, through real boto3 over a socket in
``--strict`` mode: files put in the emulator's S3 are ingested by StartIngestionJob (statistics against the
previous job, failure reasons), documents are added and removed directly, and Retrieve /
RetrieveAndGenerate search exactly what was ingested, with Bedrock's locations and metadata."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from emulator.generation import count_tokens
from emulator.pytest_plugin import BedrockEmulator

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForKnowledgeBase_docs"
EMBEDDINGS = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
VECTOR = {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": EMBEDDINGS}}
OPENSEARCH = {
    "type": "OPENSEARCH_SERVERLESS",
    "opensearchServerlessConfiguration": {
        "collectionArn": "arn:aws:aoss:us-east-1:123456789012:collection/kbcollection01",
        "vectorIndexName": "bedrock-knowledge-base-default-index",
        "fieldMapping": {
            "vectorField": "bedrock-knowledge-base-default-vector",
            "textField": "AMAZON_BEDROCK_TEXT_CHUNK",
            "metadataField": "AMAZON_BEDROCK_METADATA",
        },
    },
}
RDS = {
    "type": "RDS",
    "rdsConfiguration": {
        "resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:kb-cluster",
        "credentialsSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:kb-secret",
        "databaseName": "kb",
        "tableName": "bedrock_kb",
        "fieldMapping": {
            "primaryKeyField": "id",
            "vectorField": "embedding",
            "textField": "chunks",
            "metadataField": "metadata",
        },
    },
}
BUCKET = "kb-manuals"

RETURNS = (
    "Returns are accepted within 30 days of delivery. Refunds go back to the original card within a week."
)
WARRANTY = "Every lamp carries a two year warranty covering the wiring, the switch and the dimmer."
SHIPPING = "Standard shipping takes three to five business days. Express shipping arrives the next day."


class Kb:
    """One test's bedrock-agent, bedrock-agent-runtime and S3 clients, and the steps the tests repeat."""

    def __init__(self, emulator: BedrockEmulator) -> None:
        self.emulator = emulator
        self.agent = emulator.client("bedrock-agent")
        self.runtime = emulator.client("bedrock-agent-runtime")
        self.s3 = emulator.client("s3")
        self._names = 0

    def put(self, key: str, body: str | bytes, bucket: str = BUCKET) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)

    def sidecar(self, key: str, attributes: dict[str, Any]) -> None:
        self.put(f"{key}.metadata.json", json.dumps({"metadataAttributes": attributes}))

    def knowledge_base(self, storage: dict[str, Any] = OPENSEARCH) -> str:
        self._names += 1
        created = self.agent.create_knowledge_base(
            name=f"manuals-{self._names}",
            roleArn=ROLE,
            knowledgeBaseConfiguration=VECTOR,
            storageConfiguration=storage,
        )
        return str(created["knowledgeBase"]["knowledgeBaseId"])

    def s3_source(
        self,
        kb_id: str,
        prefix: str | None = "docs/",
        chunking: dict[str, Any] | None = None,
        bucket: str = BUCKET,
    ) -> str:
        s3: dict[str, Any] = {"bucketArn": f"arn:aws:s3:::{bucket}"}
        if prefix is not None:
            s3["inclusionPrefixes"] = [prefix]
        extra = {"vectorIngestionConfiguration": {"chunkingConfiguration": chunking}} if chunking else {}
        self._names += 1
        created = self.agent.create_data_source(
            knowledgeBaseId=kb_id,
            name=f"source-{self._names}",
            dataSourceConfiguration={"type": "S3", "s3Configuration": s3},
            **extra,
        )
        return str(created["dataSource"]["dataSourceId"])

    def custom_source(self, kb_id: str) -> str:
        self._names += 1
        created = self.agent.create_data_source(
            knowledgeBaseId=kb_id, name=f"custom-{self._names}", dataSourceConfiguration={"type": "CUSTOM"}
        )
        return str(created["dataSource"]["dataSourceId"])

    def ingest(self, kb_id: str, ds_id: str) -> dict[str, Any]:
        """Start a job and poll it to its end, skipping the clock ahead instead of sleeping."""
        ids = {"knowledgeBaseId": kb_id, "dataSourceId": ds_id}
        job = self.agent.start_ingestion_job(**ids)["ingestionJob"]
        ids["ingestionJobId"] = job["ingestionJobId"]
        seen = [job["status"]]
        while seen[-1] not in ("COMPLETE", "FAILED", "STOPPED"):
            self.emulator.advance_clock(0.5)
            job = self.agent.get_ingestion_job(**ids)["ingestionJob"]
            if job["status"] != seen[-1]:
                seen.append(job["status"])
        job["seen"] = seen
        return job

    def retrieve(self, kb_id: str, text: str, **vector: Any) -> list[dict[str, Any]]:
        configuration = {"vectorSearchConfiguration": {"numberOfResults": 5, **vector}}
        results: list[dict[str, Any]] = self.runtime.retrieve(
            knowledgeBaseId=kb_id, retrievalQuery={"text": text}, retrievalConfiguration=configuration
        )["retrievalResults"]
        return results


@pytest.fixture
def kb(bedrock_emulator: BedrockEmulator) -> Kb:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: created-kb-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    world = Kb(bedrock_emulator)
    world.s3.create_bucket(Bucket=BUCKET)
    return world


def uris(results: list[dict[str, Any]]) -> list[str]:
    return [r["location"]["s3Location"]["uri"] for r in results]


def reasons(job: dict[str, Any]) -> list[str]:
    return [message for reason in job.get("failureReasons", []) for message in json.loads(reason)]


def stats(job: dict[str, Any], *names: str) -> tuple[int, ...]:
    return tuple(job["statistics"][f"numberOf{name}"] for name in names)


def test_ingestion_reads_the_bucket_under_the_prefix_and_retrieve_finds_it_with_uri_and_metadata(
    kb: Kb,
) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb.sidecar("docs/returns.txt", {"category": "billing", "year": 2024})
    kb.put("docs/warranty.md", f"# Warranty\n\n{WARRANTY}")
    kb.put("docs/shipping.html", f"<html><body><p>{SHIPPING}</p></body></html>")
    kb.put("drafts/secret.txt", "The returns window is secretly ninety days.")
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)

    job = kb.ingest(kb_id, ds_id)

    assert job["seen"] == ["STARTING", "IN_PROGRESS", "COMPLETE"]
    assert stats(
        job, "DocumentsScanned", "MetadataDocumentsScanned", "NewDocumentsIndexed", "DocumentsFailed"
    ) == (
        3,
        1,
        3,
        0,
    )
    assert "failureReasons" not in job
    results = kb.retrieve(kb_id, "how long do refunds take to reach my card")
    top = results[0]
    assert top["location"] == {"type": "S3", "s3Location": {"uri": f"s3://{BUCKET}/docs/returns.txt"}}
    assert top["content"]["text"] == RETURNS
    metadata = top["metadata"]
    assert (metadata["category"], metadata["year"]) == ("billing", 2024)
    assert metadata["x-amz-bedrock-kb-source-uri"] == f"s3://{BUCKET}/docs/returns.txt"
    assert metadata["x-amz-bedrock-kb-data-source-id"] == ds_id
    assert metadata["x-amz-bedrock-kb-chunk-id"].startswith("1%3A0%3A")  # OpenSearch Serverless's ids
    assert 0 < results[-1]["score"] <= top["score"] <= 1
    assert f"s3://{BUCKET}/drafts/secret.txt" not in uris(results)  # outside the inclusion prefix
    assert set(uris(results)) == {
        f"s3://{BUCKET}/docs/{n}" for n in ("returns.txt", "warranty.md", "shipping.html")
    }
    assert "billing" in json.dumps(
        kb.retrieve(kb_id, "refund", filter={"equals": {"key": "category", "value": "billing"}})
    )
    assert kb.retrieve(kb_id, "refund", filter={"equals": {"key": "category", "value": "shipping"}}) == []


def test_nothing_is_searchable_until_the_job_completes(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)
    started = kb.agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds_id)["ingestionJob"]
    assert started["statistics"]["numberOfDocumentsScanned"] == 0

    assert kb.retrieve(kb_id, "refunds") == []
    kb.emulator.advance_clock(2)
    assert uris(kb.retrieve(kb_id, "refunds")) == [f"s3://{BUCKET}/docs/returns.txt"]


def test_reingestion_counts_what_changed_since_the_previous_job(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb.put("docs/warranty.md", WARRANTY)
    kb.put("docs/shipping.txt", SHIPPING)
    kb.sidecar("docs/shipping.txt", {"region": "eu"})
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)
    assert stats(kb.ingest(kb_id, ds_id), "NewDocumentsIndexed") == (3,)

    kb.put(
        "docs/returns.txt", "Returns are accepted within 60 days. Store credit is issued for late returns."
    )
    kb.s3.delete_object(Bucket=BUCKET, Key="docs/warranty.md")
    kb.put("docs/gift-cards.txt", "Gift cards never expire and can be spent online or in any store.")
    kb.sidecar("docs/shipping.txt", {"region": "us"})
    job = kb.ingest(kb_id, ds_id)

    assert stats(
        job,
        "DocumentsScanned",
        "MetadataDocumentsScanned",
        "NewDocumentsIndexed",
        "ModifiedDocumentsIndexed",
        "MetadataDocumentsModified",
        "DocumentsDeleted",
        "DocumentsFailed",
    ) == (3, 1, 1, 1, 1, 1, 0)
    assert uris(kb.retrieve(kb_id, "store credit for late returns"))[0] == f"s3://{BUCKET}/docs/returns.txt"
    assert f"s3://{BUCKET}/docs/warranty.md" not in uris(kb.retrieve(kb_id, "lamp warranty wiring"))
    found = kb.retrieve(kb_id, "shipping", filter={"equals": {"key": "region", "value": "us"}})
    assert uris(found) == [f"s3://{BUCKET}/docs/shipping.txt"]
    assert stats(
        kb.ingest(kb_id, ds_id), "NewDocumentsIndexed", "ModifiedDocumentsIndexed", "DocumentsDeleted"
    ) == (
        0,
        0,
        0,
    )


def test_unsupported_files_fail_with_bedrocks_reason_and_the_rest_is_indexed(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb.put("docs/diagram.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    kb.put("docs/notes.rtf", "{\\rtf1 refunds}")
    kb.put("docs/empty.txt", "   \n")
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)

    job = kb.ingest(kb_id, ds_id)

    assert job["status"] == "COMPLETE"
    assert stats(job, "DocumentsScanned", "NewDocumentsIndexed", "DocumentsFailed") == (4, 1, 3)
    assert reasons(job) == [
        "Encountered error: Ignored 2 files as their file format was not supported. "
        f"[Files: s3://{BUCKET}/docs/diagram.png, s3://{BUCKET}/docs/notes.rtf]. "
        "Call to Customer Source did not succeed.",
        "Encountered error: Ignored 1 files as no text content found. "
        f"[Files: s3://{BUCKET}/docs/empty.txt]. Call to Customer Source did not succeed.",
    ]
    assert uris(kb.retrieve(kb_id, "refunds")) == [f"s3://{BUCKET}/docs/returns.txt"]


def test_invalid_sidecar_fails_its_document(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb.put("docs/returns.txt.metadata.json", json.dumps({"metadataAttributes": {"owner": {"name": "ops"}}}))
    kb_id = kb.knowledge_base()
    job = kb.ingest(kb_id, kb.s3_source(kb_id))
    assert stats(job, "DocumentsFailed", "NewDocumentsIndexed") == (1, 0)
    assert reasons(job)[0].startswith(
        "Encountered error: Ignored 1 files due to invalid metadata attributes."
    )


def test_a_bucket_the_tenant_does_not_have_fails_the_job(kb: Kb) -> None:
    kb_id = kb.knowledge_base()
    job = kb.ingest(kb_id, kb.s3_source(kb_id, bucket="no-such-bucket"))
    assert job["seen"] == ["STARTING", "IN_PROGRESS", "FAILED"]
    assert "no-such-bucket" in reasons(job)[0]
    assert stats(job, "DocumentsScanned") == (0,)


def test_chunking_strategy_changes_what_a_result_holds(kb: Kb) -> None:
    long_text = " ".join(
        f"Section {i} explains how lamp model {i} is assembled, wired and tested before it ships."
        for i in range(60)
    )
    kb.put("docs/assembly.txt", long_text)
    kb_id = kb.knowledge_base(storage=RDS)
    fixed = kb.s3_source(
        kb_id,
        chunking={
            "chunkingStrategy": "FIXED_SIZE",
            "fixedSizeChunkingConfiguration": {"maxTokens": 40, "overlapPercentage": 10},
        },
    )
    kb.ingest(kb_id, fixed)
    fixed_hits = kb.retrieve(kb_id, "lamp model 7 wiring")
    assert len(fixed_hits) == 5
    assert all(count_tokens(h["content"]["text"]) <= 40 for h in fixed_hits)
    chunk_id = fixed_hits[0]["metadata"]["x-amz-bedrock-kb-chunk-id"]
    assert len(chunk_id) == 36  # a UUID outside OpenSearch
    assert chunk_id.count("-") == 4

    whole_kb = kb.knowledge_base()
    kb.ingest(whole_kb, kb.s3_source(whole_kb, chunking={"chunkingStrategy": "NONE"}))
    assert [h["content"]["text"] for h in kb.retrieve(whole_kb, "lamp model 7 wiring")] == [long_text]

    parents_kb = kb.knowledge_base()
    hierarchical = {
        "chunkingStrategy": "HIERARCHICAL",
        "hierarchicalChunkingConfiguration": {
            "levelConfigurations": [{"maxTokens": 200}, {"maxTokens": 30}],
            "overlapTokens": 5,
        },
    }
    kb.ingest(parents_kb, kb.s3_source(parents_kb, chunking=hierarchical))
    parents = kb.retrieve(parents_kb, "lamp model 7 wiring")
    sizes = [count_tokens(h["content"]["text"]) for h in parents]
    assert max(sizes) > 30  # a child's hit is reported as its parent
    assert all(size <= 200 for size in sizes)
    assert len({h["content"]["text"] for h in parents}) == len(parents)

    semantic_kb = kb.knowledge_base()
    semantic = {
        "chunkingStrategy": "SEMANTIC",
        "semanticChunkingConfiguration": {
            "maxTokens": 60,
            "bufferSize": 0,
            "breakpointPercentileThreshold": 90,
        },
    }
    kb.ingest(semantic_kb, kb.s3_source(semantic_kb, chunking=semantic))
    assert all(
        count_tokens(h["content"]["text"]) <= 60 for h in kb.retrieve(semantic_kb, "lamp model 7 wiring")
    )


def test_documents_api_inline_text_and_bytes_into_a_custom_data_source(kb: Kb) -> None:
    kb_id = kb.knowledge_base()
    ds_id = kb.custom_source(kb_id)
    source = {"knowledgeBaseId": kb_id, "dataSourceId": ds_id}
    text_document = {
        "content": {
            "dataSourceType": "CUSTOM",
            "custom": {
                "customDocumentIdentifier": {"id": "returns-policy"},
                "sourceType": "IN_LINE",
                "inlineContent": {"type": "TEXT", "textContent": {"data": RETURNS}},
            },
        },
        "metadata": {
            "type": "IN_LINE_ATTRIBUTE",
            "inlineAttributes": [{"key": "team", "value": {"type": "STRING", "stringValue": "billing"}}],
        },
    }
    byte_document = {
        "content": {
            "dataSourceType": "CUSTOM",
            "custom": {
                "customDocumentIdentifier": {"id": "warranty-page"},
                "sourceType": "IN_LINE",
                "inlineContent": {
                    "type": "BYTE",
                    "byteContent": {"mimeType": "text/markdown", "data": f"## Warranty\n{WARRANTY}".encode()},
                },
            },
        }
    }

    ingested = kb.agent.ingest_knowledge_base_documents(**source, documents=[text_document, byte_document])

    assert [d["status"] for d in ingested["documentDetails"]] == ["STARTING", "STARTING"]
    assert kb.retrieve(kb_id, "refunds") == []
    kb.emulator.advance_clock(2)
    identifiers = [
        {"dataSourceType": "CUSTOM", "custom": {"id": i}} for i in ("returns-policy", "warranty-page")
    ]
    got = kb.agent.get_knowledge_base_documents(**source, documentIdentifiers=identifiers)["documentDetails"]
    assert [d["status"] for d in got] == ["INDEXED", "INDEXED"]
    refunds = kb.retrieve(kb_id, "refunds to the original card")[0]
    assert refunds["location"] == {"type": "CUSTOM", "customDocumentLocation": {"id": "returns-policy"}}
    assert refunds["metadata"] == {
        "team": "billing",
        "x-amz-bedrock-kb-source-uri": "returns-policy",
        "x-amz-bedrock-kb-data-source-id": ds_id,
    }
    warranty = kb.retrieve(kb_id, "two year warranty dimmer")[0]
    assert warranty["location"]["customDocumentLocation"]["id"] == "warranty-page"
    assert "two year warranty" in warranty["content"]["text"]

    kb.agent.delete_knowledge_base_documents(**source, documentIdentifiers=identifiers[:1])
    assert (
        kb.retrieve(kb_id, "refunds to the original card")[0]["location"]["type"] == "CUSTOM"
    )  # until it is gone
    kb.emulator.advance_clock(2)
    assert "returns-policy" not in json.dumps(kb.retrieve(kb_id, "refunds to the original card"))
    listed = kb.agent.list_knowledge_base_documents(**source)["documentDetails"]
    assert [d["identifier"]["custom"]["id"] for d in listed] == ["warranty-page"]


def test_documents_api_s3_content_into_custom_and_s3_data_sources(kb: Kb) -> None:
    kb.put("direct/returns.txt", RETURNS)
    kb.put("direct/returns.txt.metadata.json", json.dumps({"metadataAttributes": {"team": "billing"}}))
    kb.put("direct/shipping.txt", SHIPPING)
    kb_id = kb.knowledge_base()
    custom = kb.custom_source(kb_id)
    s3_source = kb.s3_source(kb_id, prefix="direct/")
    kb.agent.ingest_knowledge_base_documents(
        knowledgeBaseId=kb_id,
        dataSourceId=custom,
        documents=[
            {
                "content": {
                    "dataSourceType": "CUSTOM",
                    "custom": {
                        "customDocumentIdentifier": {"id": "returns"},
                        "sourceType": "S3_LOCATION",
                        "s3Location": {"uri": f"s3://{BUCKET}/direct/returns.txt"},
                    },
                },
                "metadata": {
                    "type": "S3_LOCATION",
                    "s3Location": {"uri": f"s3://{BUCKET}/direct/returns.txt.metadata.json"},
                },
            }
        ],
    )
    kb.agent.ingest_knowledge_base_documents(
        knowledgeBaseId=kb_id,
        dataSourceId=s3_source,
        documents=[
            {
                "content": {
                    "dataSourceType": "S3",
                    "s3": {"s3Location": {"uri": f"s3://{BUCKET}/direct/shipping.txt"}},
                }
            }
        ],
    )
    kb.emulator.advance_clock(2)

    returns = kb.retrieve(kb_id, "refunds original card")[0]
    assert (returns["location"]["customDocumentLocation"]["id"], returns["metadata"]["team"]) == (
        "returns",
        "billing",
    )
    shipping = kb.retrieve(kb_id, "express shipping next day")[0]
    assert shipping["location"] == {"type": "S3", "s3Location": {"uri": f"s3://{BUCKET}/direct/shipping.txt"}}
    assert shipping["metadata"]["x-amz-bedrock-kb-data-source-id"] == s3_source


def test_documents_that_do_not_fit_their_data_source_are_refused_whole(kb: Kb) -> None:
    kb_id = kb.knowledge_base()
    s3_source = kb.s3_source(kb_id)
    good = {"content": {"dataSourceType": "S3", "s3": {"s3Location": {"uri": f"s3://{BUCKET}/docs/a.txt"}}}}
    inline = {
        "content": {
            "dataSourceType": "CUSTOM",
            "custom": {
                "customDocumentIdentifier": {"id": "x"},
                "sourceType": "IN_LINE",
                "inlineContent": {"type": "TEXT", "textContent": {"data": "hello"}},
            },
        }
    }
    with pytest.raises(kb.agent.exceptions.ValidationException) as raised:
        kb.agent.ingest_knowledge_base_documents(
            knowledgeBaseId=kb_id, dataSourceId=s3_source, documents=[good, inline]
        )
    assert "doesn't match the type S3" in raised.value.response["Error"]["Message"]
    assert (
        kb.agent.list_knowledge_base_documents(knowledgeBaseId=kb_id, dataSourceId=s3_source)[
            "documentDetails"
        ]
        == []
    )
    with pytest.raises(kb.agent.exceptions.ValidationException):
        kb.agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=kb.custom_source(kb_id))


def test_a_missing_s3_document_fails_with_a_reason(kb: Kb) -> None:
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)
    identifier = {"dataSourceType": "S3", "s3": {"uri": f"s3://{BUCKET}/docs/missing.txt"}}
    kb.agent.ingest_knowledge_base_documents(
        knowledgeBaseId=kb_id,
        dataSourceId=ds_id,
        documents=[{"content": {"dataSourceType": "S3", "s3": {"s3Location": identifier["s3"]}}}],
    )
    kb.emulator.advance_clock(2)
    detail = kb.agent.get_knowledge_base_documents(
        knowledgeBaseId=kb_id, dataSourceId=ds_id, documentIdentifiers=[identifier]
    )["documentDetails"][0]
    assert (detail["status"], detail["statusReason"]) == (
        "FAILED",
        "The document could not be read from its S3 location.",
    )


def test_synced_documents_are_listed_and_can_be_deleted_directly(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb.put("docs/warranty.txt", WARRANTY)
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)
    kb.ingest(kb_id, ds_id)
    source = {"knowledgeBaseId": kb_id, "dataSourceId": ds_id}
    listed = kb.agent.list_knowledge_base_documents(**source)["documentDetails"]
    assert sorted((d["identifier"]["s3"]["uri"], d["status"]) for d in listed) == [
        (f"s3://{BUCKET}/docs/returns.txt", "INDEXED"),
        (f"s3://{BUCKET}/docs/warranty.txt", "INDEXED"),
    ]
    kb.agent.delete_knowledge_base_documents(
        **source,
        documentIdentifiers=[{"dataSourceType": "S3", "s3": {"uri": f"s3://{BUCKET}/docs/warranty.txt"}}],
    )
    kb.emulator.advance_clock(2)
    assert uris(kb.retrieve(kb_id, "warranty")) == [f"s3://{BUCKET}/docs/returns.txt"]


def test_stopping_a_job_leaves_the_index_as_it_was(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)
    job = kb.agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds_id)["ingestionJob"]
    kb.agent.stop_ingestion_job(
        knowledgeBaseId=kb_id, dataSourceId=ds_id, ingestionJobId=job["ingestionJobId"]
    )
    kb.emulator.advance_clock(3)
    assert kb.retrieve(kb_id, "refunds") == []
    assert stats(kb.ingest(kb_id, ds_id), "NewDocumentsIndexed") == (1,)


def test_deleting_a_data_source_removes_its_documents_from_retrieval(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb_id = kb.knowledge_base()
    ds_id = kb.s3_source(kb_id)
    kb.ingest(kb_id, ds_id)
    kb.agent.delete_data_source(knowledgeBaseId=kb_id, dataSourceId=ds_id)
    kb.emulator.advance_clock(2)
    assert kb.retrieve(kb_id, "refunds") == []


def test_retrieve_and_generate_cites_what_was_ingested(kb: Kb) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb.put("docs/warranty.txt", WARRANTY)
    kb_id = kb.knowledge_base()
    kb.ingest(kb_id, kb.s3_source(kb_id))
    configuration = {
        "type": "KNOWLEDGE_BASE",
        "knowledgeBaseConfiguration": {
            "knowledgeBaseId": kb_id,
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        },
    }

    answer = kb.runtime.retrieve_and_generate(
        input={"text": "How long does a refund take?"}, retrieveAndGenerateConfiguration=configuration
    )

    assert "Refunds go back to the original card" in answer["output"]["text"]
    references = [r for c in answer["citations"] for r in c["retrievedReferences"]]
    assert references[0]["location"]["s3Location"]["uri"] == f"s3://{BUCKET}/docs/returns.txt"
    assert references[0]["metadata"]["x-amz-bedrock-kb-source-uri"] == f"s3://{BUCKET}/docs/returns.txt"
    stream = kb.runtime.retrieve_and_generate_stream(
        input={"text": "How long does a refund take?"}, retrieveAndGenerateConfiguration=configuration
    )
    text = "".join(e["output"]["text"] for e in stream["stream"] if "output" in e)
    assert text == answer["output"]["text"]


def test_a_created_knowledge_base_with_nothing_ingested(kb: Kb, bedrock_emulator: BedrockEmulator) -> None:
    kb_id = kb.knowledge_base()
    assert kb.retrieve(kb_id, "refunds") == []  # strict: as Bedrock, nothing to find
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: created-kb-lenient-{bedrock_emulator.tenant}\nrules: []\n"
        )
    )
    sample = kb.retrieve(
        kb_id, "refunds"
    )  # lenient: the bundled sample stands in until something is ingested
    assert sample
    assert all(r["location"]["type"] == "S3" for r in sample)


def test_another_tenant_cannot_retrieve_from_my_knowledge_base(
    kb: Kb, bedrock_emulator: BedrockEmulator
) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb_id = kb.knowledge_base()
    kb.ingest(kb_id, kb.s3_source(kb_id))
    stranger_key = f"{bedrock_emulator.tenant}-stranger"
    name = bedrock_emulator.load_scenario(
        f"version: 1\nname: {stranger_key}-strict\nstrict: true\nrules: []\n"
    )
    bedrock_emulator.admin("PUT", f"tenants/{stranger_key}/scenario", {"name": name})
    stranger = boto3.client(
        "bedrock-agent-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=stranger_key,
        aws_secret_access_key="x",
    )
    try:
        with pytest.raises(stranger.exceptions.ResourceNotFoundException):
            stranger.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": "refunds"})
    finally:
        bedrock_emulator.admin("DELETE", f"tenants/{stranger_key}/scenario")
        stranger.close()


def test_a_reset_forgets_what_was_indexed(kb: Kb, bedrock_emulator: BedrockEmulator) -> None:
    kb.put("docs/returns.txt", RETURNS)
    kb_id = kb.knowledge_base()
    kb.ingest(kb_id, kb.s3_source(kb_id))
    assert kb.retrieve(kb_id, "refunds")

    bedrock_emulator.admin("POST", "reset", {"tenant": bedrock_emulator.tenant})
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: created-kb-strict-again-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    again = kb.knowledge_base()  # ids are minted afresh after a reset: the same id comes back

    assert again == kb_id
    assert kb.retrieve(again, "refunds") == []
