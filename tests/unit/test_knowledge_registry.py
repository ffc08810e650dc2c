"""Configuration files, lenient/strict lookups and ingestion statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.knowledge.config import KnowledgeConfigError, load_file
from emulator.knowledge.registry import SAMPLE_KNOWLEDGE_BASE_ID, Registry, resource_id
from emulator.knowledge.retrieval import retrieve
from emulator.wire.errors import AwsError

CONFIG = """
knowledge_bases:
  - id: KBTEST0001
    name: test-docs
    description: Test documents.
    data_sources:
      - id: DSTEST0001
        name: docs
        directory: docs
        s3_uri: s3://my-bucket/docs
        chunking: {strategy: FIXED_SIZE, max_tokens: 50, overlap_percentage: 10}
"""


@pytest.fixture
def configured(tmp_path: Path) -> tuple[Registry, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.txt").write_text("Invoices are due within thirty days of issue.")
    (docs / "two.md").write_text("# Travel\n\nTravel expenses need a receipt.")
    path = tmp_path / "kb.yaml"
    path.write_text(CONFIG)
    return Registry(load_file(path)), docs


def test_configured_knowledge_base_is_ingested_at_load(configured: tuple[Registry, Path]) -> None:
    registry, _ = configured
    kb = registry.resolve("KBTEST0001", strict=True).knowledge_base
    assert {c.source_uri for c in kb.chunks} == {"s3://my-bucket/docs/one.txt", "s3://my-bucket/docs/two.md"}
    hits = retrieve(kb, "when are invoices due").hits
    assert hits[0].source_uri == "s3://my-bucket/docs/one.txt"


def test_unknown_id_is_the_sample_in_lenient_mode_and_not_found_in_strict(
    configured: tuple[Registry, Path],
) -> None:
    registry, _ = configured
    resolved = registry.resolve("ZZZZZZZZZZ", strict=False)
    assert resolved.is_stand_in
    assert resolved.knowledge_base is registry.sample
    with pytest.raises(AwsError) as caught:
        registry.resolve("ZZZZZZZZZZ", strict=True)
    assert caught.value.code == "ResourceNotFoundException"
    assert registry.resolve(SAMPLE_KNOWLEDGE_BASE_ID, strict=True).knowledge_base is registry.sample


def test_reingestion_counts_new_modified_and_deleted_documents(configured: tuple[Registry, Path]) -> None:
    registry, docs = configured
    resolved = registry.resolve("KBTEST0001", strict=True)
    (docs / "one.txt").write_text("Invoices are due within sixty days.")
    (docs / "two.md").unlink()
    (docs / "three.csv").write_text("name,value\nlimit,500\n")
    (docs / "bad.json").write_text("{")
    job = registry.start_ingestion("tenant", resolved, "DSTEST0001", strict=True)
    assert job.status == "STARTING"
    registry.observe(job)
    assert job.status == "COMPLETE"
    assert job.statistics["numberOfDocumentsScanned"] == 3
    assert job.statistics["numberOfNewDocumentsIndexed"] == 1
    assert job.statistics["numberOfModifiedDocumentsIndexed"] == 1
    assert job.statistics["numberOfDocumentsDeleted"] == 1
    assert job.statistics["numberOfDocumentsFailed"] == 1
    assert {c.document_path for c in resolved.knowledge_base.chunks} == {"one.txt", "three.csv"}


def test_jobs_are_per_tenant_after_the_shared_first_sync(configured: tuple[Registry, Path]) -> None:
    registry, _ = configured
    resolved = registry.resolve("KBTEST0001", strict=True)
    registry.start_ingestion("a", resolved, "DSTEST0001", strict=True)
    assert len(registry.jobs("a", resolved, "DSTEST0001", strict=True)) == 2
    assert len(registry.jobs("b", resolved, "DSTEST0001", strict=True)) == 1


def test_resource_ids_have_bedrock_shape_and_are_stable() -> None:
    assert resource_id("x", "y") == resource_id("x", "y")
    assert len(resource_id("x")) == 10
    assert resource_id("x").isalnum()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "knowledge_bases:\n  - id: short\n    name: n\n    data_sources: [{id: DSTEST0001, name: d, directory: .}]\n",
            "knowledge_bases.0.id",
        ),
        ("knowledge_bases:\n  - id: KBTEST0001\n    name: n\n    data_sources: []\n", "data_sources"),
        (
            "knowledge_bases:\n  - id: KBTEST0001\n    name: n\n    colour: red\n"
            "    data_sources: [{id: DSTEST0001, name: d, directory: .}]\n",
            "colour",
        ),
    ],
)
def test_invalid_configuration_names_the_file_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(KnowledgeConfigError) as caught:
        load_file(path)
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)
