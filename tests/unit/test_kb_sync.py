"""An ingestion job's work on an S3 data source, against an in-memory object store: which objects are
documents, sidecars and folder markers, statistics against the previous job, and the failure reasons for
files Bedrock would not index (including files over 50 MB, which no test uploads for real)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from emulator.control import kb_sync
from emulator.knowledge import content
from emulator.s3 import NoSuchBucketError, NoSuchKeyError, ObjectInfo
from emulator.s3.objects import STORE_KEY
from emulator.services.exchange import OperationCall
from emulator.state import AppState
from emulator.wire.errors import AwsError

KB, DS = "KB00000001", "DS00000001"
BIG = 50 * 1024 * 1024 + 1


@dataclass
class FakeStore:
    """Objects by key in one bucket; ``sizes`` overrides a listed size (to stand for a huge file)."""

    objects: dict[str, bytes] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    bucket: str = "docs-bucket"

    def list_objects(self, tenant: str, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        if bucket != self.bucket:
            raise NoSuchBucketError(bucket)
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        return [
            ObjectInfo(bucket, key, self.sizes.get(key, len(body)), f'"{hash(body) & 0xFFFFFF:x}"', moment)
            for key, body in sorted(self.objects.items())
            if key.startswith(prefix)
        ]

    def get_object(self, tenant: str, bucket: str, key: str) -> bytes:
        if key not in self.objects:
            raise NoSuchKeyError(bucket, key)
        return self.objects[key]


def _call(store: FakeStore, state: AppState) -> OperationCall:
    state.extras[STORE_KEY] = store
    return OperationCall(
        service="bedrock-agent",
        operation="StartIngestionJob",
        labels={},
        headers={},
        query={},
        raw_body=b"",
        region="us-east-1",
        tenant="t",
        request_id="r",
        strict=True,
        seed=0,
        now=100.0,
        state=state,
    )


def _source(prefix: str | None = "kb/", kind: str = "S3") -> dict[str, object]:
    s3: dict[str, object] = {"bucketArn": "arn:aws:s3:::docs-bucket"}
    if prefix is not None:
        s3["inclusionPrefixes"] = [prefix]
    configuration: dict[str, object] = {"type": kind}
    if kind == "S3":
        configuration["s3Configuration"] = s3
    return {"dataSourceId": DS, "dataSourceConfiguration": configuration}


def _sync(
    store: FakeStore, state: AppState, source: dict[str, object] | None = None, job: str = "J1"
) -> kb_sync.Outcome:
    return kb_sync.sync(_call(store, state), KB, source or _source(), job, at=101.0, now=100.0)


def test_documents_sidecars_and_folder_markers_under_the_prefix() -> None:
    store = FakeStore(
        {
            "kb/": b"",
            "kb/a.txt": b"Alpha text.",
            "kb/a.txt.metadata.json": json.dumps({"metadataAttributes": {"tier": "gold"}}).encode(),
            "kb/sub/b.md": b"# Beta",
            "kb/orphan.txt.metadata.json": b"{}",
            "other/c.txt": b"Gamma",
        }
    )
    state = AppState()
    outcome = _sync(store, state)
    assert outcome.status == "COMPLETE"
    assert outcome.statistics["numberOfDocumentsScanned"] == 2
    assert outcome.statistics["numberOfMetadataDocumentsScanned"] == 2
    assert outcome.statistics["numberOfNewDocumentsIndexed"] == 2
    staged = content.latest(state.store, "t", KB, DS)
    assert sorted(staged) == ["s3:s3://docs-bucket/kb/a.txt", "s3:s3://docs-bucket/kb/sub/b.md"]
    assert staged["s3:s3://docs-bucket/kb/a.txt"]["attributes"] == {"tier": "gold"}
    assert outcome.failure_reasons() == []


def test_the_whole_bucket_without_a_prefix() -> None:
    store = FakeStore({"a.txt": b"Alpha.", "deep/b.txt": b"Beta."})
    assert _sync(store, AppState(), _source(prefix=None)).statistics["numberOfDocumentsScanned"] == 2


def test_oversized_and_unsupported_files_fail_with_bedrocks_reasons() -> None:
    store = FakeStore(
        {"kb/huge.pdf": b"%PDF", "kb/ok.txt": b"Fine.", "kb/x.json": b"{}"}, sizes={"kb/huge.pdf": BIG}
    )
    outcome = _sync(store, AppState())
    assert outcome.statistics["numberOfDocumentsFailed"] == 2
    assert outcome.statistics["numberOfNewDocumentsIndexed"] == 1
    (reasons,) = outcome.failure_reasons()
    assert json.loads(reasons) == [
        "Encountered error: Ignored 1 files as their file size exceeded the limit of 50 MB. "
        "[Files: s3://docs-bucket/kb/huge.pdf]. Call to Customer Source did not succeed.",
        "Encountered error: Ignored 1 files as their file format was not supported. "
        "[Files: s3://docs-bucket/kb/x.json]. Call to Customer Source did not succeed.",
    ]


def test_a_second_job_compares_with_the_first() -> None:
    store = FakeStore({"kb/a.txt": b"Alpha.", "kb/b.txt": b"Beta.", "kb/c.txt": b"Gamma."})
    state = AppState()
    _sync(store, state)
    store.objects["kb/a.txt"] = b"Alpha, revised."
    del store.objects["kb/b.txt"]
    store.objects["kb/c.txt.metadata.json"] = json.dumps({"metadataAttributes": {"x": 1}}).encode()
    store.objects["kb/d.txt"] = b"Delta."
    statistics = _sync(store, state, job="J2").statistics
    assert (
        statistics["numberOfModifiedDocumentsIndexed"],
        statistics["numberOfDocumentsDeleted"],
        statistics["numberOfMetadataDocumentsModified"],
        statistics["numberOfNewDocumentsIndexed"],
    ) == (1, 1, 1, 1)


def test_a_file_that_starts_failing_leaves_the_index() -> None:
    store = FakeStore({"kb/a.txt": b"Alpha."})
    state = AppState()
    _sync(store, state)
    store.objects["kb/a.txt"] = b"   "
    outcome = _sync(store, state, job="J2")
    assert outcome.statistics["numberOfDocumentsFailed"] == 1
    assert content.latest(state.store, "t", KB, DS) == {}


def test_semantic_chunking_refuses_bodies_over_a_million_characters() -> None:
    store = FakeStore({"kb/long.txt": b"word " * 200_001})
    source = {
        **_source(),
        "vectorIngestionConfiguration": {
            "chunkingConfiguration": {
                "chunkingStrategy": "SEMANTIC",
                "semanticChunkingConfiguration": {
                    "maxTokens": 300,
                    "bufferSize": 0,
                    "breakpointPercentileThreshold": 95,
                },
            }
        },
    }
    outcome = _sync(store, AppState(), source)
    assert (
        "File body text exceeds size limit of 1000000 for semantic chunking." in outcome.failure_reasons()[0]
    )


def test_a_missing_bucket_fails_the_job_and_custom_sources_are_refused() -> None:
    outcome = _sync(FakeStore(bucket="elsewhere"), AppState())
    assert outcome.status == "FAILED"
    assert json.loads(outcome.failure_reasons()[0]) == [
        "Encountered error: The specified bucket does not exist [Bucket: docs-bucket]. "
        "Call to Customer Source did not succeed."
    ]
    with pytest.raises(AwsError) as raised:
        _sync(FakeStore(), AppState(), _source(kind="CUSTOM"))
    assert raised.value.code == "ValidationException"
    assert _sync(FakeStore(), AppState(), _source(kind="WEB")).statistics["numberOfDocumentsScanned"] == 0
