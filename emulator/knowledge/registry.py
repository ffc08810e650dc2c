"""The knowledge bases the emulator serves: their data sources, ingested chunks and ingestion jobs.

Knowledge bases come from ``knowledge_bases:`` files (``configure``) plus one bundled sample, a small
documentation corpus under ``emulator/knowledge/sample/``. In lenient mode an unknown knowledge base or
data source id is answered by the sample (under the id the caller asked for); in strict mode it is the
real ``ResourceNotFoundException``. Every data source is ingested when the registry is built, which
records a first COMPLETE ingestion job; StartIngestionJob rescans the directory and records real
statistics. Jobs a tenant starts are that tenant's own, and forgotten when the tenant is reset. Each app
has its own registry (``current(state)``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.definitions import Kind
from emulator.knowledge import chunking
from emulator.knowledge.config import DataSourceConfig, KnowledgeBaseConfig, load_file
from emulator.knowledge.documents import DocumentError, Scan, scan_directory
from emulator.knowledge.index import LexicalIndex
from emulator.wire.errors import AwsError

if TYPE_CHECKING:
    from emulator.state import AppState

SAMPLE_DIRECTORY = Path(__file__).parent / "sample"
SAMPLE_KNOWLEDGE_BASE_ID = "EMUSAMPLKB"
SAMPLE_DATA_SOURCE_ID = "EMUSAMPLDS"
CONFIG_ENVIRONMENT_VARIABLE = "BEDROCK_EMULATOR_KNOWLEDGE_BASES"
ACCOUNT_ID = "123456789012"

SOURCE_URI_KEY = "x-amz-bedrock-kb-source-uri"
CHUNK_ID_KEY = "x-amz-bedrock-kb-chunk-id"
DATA_SOURCE_ID_KEY = "x-amz-bedrock-kb-data-source-id"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def resource_id(*parts: str) -> str:
    """A 10-character upper-case alphanumeric id (Bedrock's id shape), derived from ``parts``."""
    number = int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=8).digest(), "big")
    characters = []
    for _ in range(10):
        number, digit = divmod(number, len(_ALPHABET))
        characters.append(_ALPHABET[digit])
    return "".join(characters)


@dataclass(frozen=True)
class Chunk:
    """One indexed passage with everything Retrieve reports about it."""

    chunk_id: str
    text: str
    source_uri: str
    data_source_id: str
    document_path: str
    attributes: dict[str, Any]  # the document's own metadata attributes

    def metadata(self) -> dict[str, Any]:
        return {
            **self.attributes,
            SOURCE_URI_KEY: self.source_uri,
            CHUNK_ID_KEY: self.chunk_id,
            DATA_SOURCE_ID_KEY: self.data_source_id,
        }


@dataclass
class IngestionJob:
    knowledge_base_id: str
    data_source_id: str
    ingestion_job_id: str
    status: str
    statistics: dict[str, int]
    started_at: float
    updated_at: float
    description: str | None = None
    failure_reasons: list[str] = field(default_factory=list)
    final_status: str = "COMPLETE"  # what a STARTING job becomes when next read


@dataclass
class DataSource:
    data_source_id: str
    name: str
    directory: Path
    s3_prefix: str
    chunking: chunking.ChunkingSettings
    description: str | None
    created_at: float
    updated_at: float
    chunks: tuple[Chunk, ...] = ()
    digests: dict[str, str] = field(default_factory=dict)  # path -> digest of what is indexed


@dataclass
class KnowledgeBase:
    knowledge_base_id: str
    name: str
    description: str | None
    embedding_model: str
    data_sources: dict[str, DataSource]
    created_at: float
    updated_at: float
    index: LexicalIndex = field(default_factory=lambda: LexicalIndex(()))
    chunks: tuple[Chunk, ...] = ()

    def reindex(self) -> None:
        chunks = tuple(c for ds in self.data_sources.values() for c in ds.chunks)
        self.index, self.chunks = LexicalIndex([c.text for c in chunks]), chunks


@dataclass(frozen=True)
class Resolved:
    """A knowledge base as a request sees it: the id the caller used, and whether the sample stood in."""

    requested_id: str
    knowledge_base: KnowledgeBase
    is_stand_in: bool


def not_found() -> AwsError:
    return AwsError("ResourceNotFoundException")


class Registry:
    def __init__(self, configs: Sequence[KnowledgeBaseConfig] = ()) -> None:
        self._lock = threading.Lock()
        now = time.time()
        self.sample = _build(_sample_config(), now)
        self.knowledge_bases: dict[str, KnowledgeBase] = {}
        for config in configs:
            self.knowledge_bases[config.id] = _build(config, now)
        self._initial_jobs: dict[tuple[str, str], IngestionJob] = {}
        self._jobs: dict[tuple[str, str, str], list[IngestionJob]] = {}
        for kb in [self.sample, *self.knowledge_bases.values()]:
            for ds in kb.data_sources.values():
                self._initial_jobs[(kb.knowledge_base_id, ds.data_source_id)] = _ingest(
                    kb, ds, "initial", now
                )
            kb.reindex()

    # -- lookups -----------------------------------------------------------------------------------

    def resolve(self, knowledge_base_id: str, *, strict: bool) -> Resolved:
        kb = self.knowledge_bases.get(knowledge_base_id)
        if kb is None and knowledge_base_id == SAMPLE_KNOWLEDGE_BASE_ID:
            kb = self.sample
        if kb is not None:
            return Resolved(knowledge_base_id, kb, False)
        if strict:
            raise not_found()
        return Resolved(knowledge_base_id, self.sample, True)

    def data_source(self, resolved: Resolved, data_source_id: str, *, strict: bool) -> DataSource:
        ds = resolved.knowledge_base.data_sources.get(data_source_id)
        if ds is not None:
            return ds
        if strict or not resolved.knowledge_base.data_sources:
            raise not_found()
        return next(iter(resolved.knowledge_base.data_sources.values()))

    def listed(self) -> list[KnowledgeBase]:
        """What ListKnowledgeBases shows: configured knowledge bases, then the sample."""
        return [*self.knowledge_bases.values(), self.sample]

    # -- ingestion ---------------------------------------------------------------------------------

    def start_ingestion(
        self,
        tenant: str,
        resolved: Resolved,
        data_source_id: str,
        *,
        strict: bool,
        description: str | None = None,
    ) -> IngestionJob:
        ds = self.data_source(resolved, data_source_id, strict=strict)
        key = (tenant, resolved.requested_id, data_source_id)
        with self._lock:
            jobs = self._jobs.setdefault(key, [])
            job_id = resource_id("ingestion", *key, str(len(jobs)))
            kb = resolved.knowledge_base
            job = _ingest(kb, ds, job_id, time.time(), description)
            kb.reindex()
            job.knowledge_base_id, job.data_source_id = resolved.requested_id, data_source_id
            job.final_status, job.status = job.status, "STARTING"
            jobs.append(job)
            return job

    def jobs(
        self, tenant: str, resolved: Resolved, data_source_id: str, *, strict: bool
    ) -> list[IngestionJob]:
        """Oldest first: the data source's first ingestion, then the tenant's own jobs."""
        ds = self.data_source(resolved, data_source_id, strict=strict)
        initial = self._initial_jobs[(resolved.knowledge_base.knowledge_base_id, ds.data_source_id)]
        first = IngestionJob(
            resolved.requested_id,
            data_source_id,
            resource_id("ingestion", resolved.requested_id, data_source_id, "initial"),
            initial.status,
            dict(initial.statistics),
            initial.started_at,
            initial.updated_at,
            initial.description,
            list(initial.failure_reasons),
        )
        with self._lock:
            return [first, *self._jobs.get((tenant, resolved.requested_id, data_source_id), [])]

    def job(
        self, tenant: str, resolved: Resolved, data_source_id: str, job_id: str, *, strict: bool
    ) -> IngestionJob:
        for job in self.jobs(tenant, resolved, data_source_id, strict=strict):
            if job.ingestion_job_id == job_id:
                return job
        if strict:
            raise not_found()
        return self.jobs(tenant, resolved, data_source_id, strict=strict)[0]

    def forget(self, tenant: str | None) -> None:
        """Drop the jobs ``tenant`` started (every tenant's when None), for a reset."""
        with self._lock:
            for key in [k for k in self._jobs if tenant is None or k[0] == tenant]:
                del self._jobs[key]

    def observe(self, job: IngestionJob) -> None:
        """A job is STARTING in StartIngestionJob's answer and finished when next read (ingestion is synchronous)."""
        with self._lock:
            if job.status == "STARTING":
                job.status = job.final_status
                job.updated_at = time.time()


def _sample_config() -> KnowledgeBaseConfig:
    return KnowledgeBaseConfig(
        id=SAMPLE_KNOWLEDGE_BASE_ID,
        name="bedrock-emulator-sample-docs",
        description="Sample documentation corpus bundled with bedrock-emulator.",
        data_sources=[
            DataSourceConfig(
                id=SAMPLE_DATA_SOURCE_ID,
                name="sample-docs",
                directory=SAMPLE_DIRECTORY,
                s3_uri="s3://bedrock-emulator-sample-kb/docs",
            )
        ],
    )


def _build(config: KnowledgeBaseConfig, now: float) -> KnowledgeBase:
    sources = {
        ds.id: DataSource(
            data_source_id=ds.id,
            name=ds.name,
            directory=ds.directory,
            s3_prefix=ds.s3_uri or f"s3://bedrock-emulator-{config.id.lower()}/{ds.name}",
            chunking=ds.chunking.settings(),
            description=ds.description,
            created_at=now,
            updated_at=now,
        )
        for ds in config.data_sources
    }
    return KnowledgeBase(
        config.id, config.name, config.description, config.embedding_model, sources, now, now
    )


def _ingest(
    kb: KnowledgeBase, ds: DataSource, job_id: str, now: float, description: str | None = None
) -> IngestionJob:
    """Rescan ``ds``'s directory, rebuild its chunks and return a job whose statistics say what changed."""
    failures: list[str] = []
    try:
        scan = scan_directory(ds.directory, ds.s3_prefix)
    except DocumentError as exc:
        scan = Scan((), (), 0)
        failures.append(str(exc))
    previous = ds.digests
    current = {d.relative_path: d.digest for d in scan.documents}
    new = [p for p in current if p not in previous]
    modified = [p for p in current if p in previous and previous[p] != current[p]]
    deleted = [p for p in previous if p not in current]
    chunks: list[Chunk] = []
    for document in scan.documents:
        for index, text in enumerate(chunking.split(document.text, ds.chunking)):
            chunk_id = _chunk_id(kb.knowledge_base_id, ds.data_source_id, document.relative_path, index)
            chunks.append(
                Chunk(
                    chunk_id,
                    text,
                    document.source_uri,
                    ds.data_source_id,
                    document.relative_path,
                    dict(document.metadata),
                )
            )
    ds.chunks, ds.digests, ds.updated_at = tuple(chunks), current, now
    failures.extend(f"{path}: {reason}" for path, reason in scan.failed)
    statistics = {
        "numberOfDocumentsScanned": len(scan.documents) + len(scan.failed),
        "numberOfMetadataDocumentsScanned": scan.metadata_files,
        "numberOfNewDocumentsIndexed": len(new),
        "numberOfModifiedDocumentsIndexed": len(modified),
        "numberOfMetadataDocumentsModified": 0,
        "numberOfDocumentsDeleted": len(deleted),
        "numberOfDocumentsFailed": len(scan.failed),
        "numberOfDocumentsSkipped": 0,
    }
    status = "FAILED" if failures and not scan.documents else "COMPLETE"
    return IngestionJob(
        kb.knowledge_base_id, ds.data_source_id, job_id, status, statistics, now, now, description, failures
    )


def _chunk_id(*parts: object) -> str:
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=16).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


# -- an app's registry ---------------------------------------------------------------------------------


def _registry_of(paths: tuple[str | Path, ...]) -> Registry:
    return Registry([config for path in paths for config in load_file(path)])


KIND: Kind[Registry] = Kind("knowledge_bases", CONFIG_ENVIRONMENT_VARIABLE, _registry_of)


def configure(state: AppState, paths: Iterable[str | Path] = ()) -> Registry:
    """Build the app's registry from ``knowledge_bases:`` files (replacing any earlier one) and return it."""
    return state.definitions.configure(KIND, paths)


def current(state: AppState) -> Registry:
    """The app's registry, built on first use from ``BEDROCK_EMULATOR_KNOWLEDGE_BASES`` when never
    configured."""
    return state.definitions.get(KIND)


def knowledge_base_arn(region: str, knowledge_base_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:knowledge-base/{knowledge_base_id}"
