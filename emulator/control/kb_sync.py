"""What an ingestion job does to a created knowledge base: its S3 data source read through the app's
`ObjectStore`, each document chunked with the data source's strategy and staged for retrieval when the
job completes, and the job's statistics and failure reasons against what the previous jobs left.

An S3 data source's bucket comes from ``bucketArn``, its one optional ``inclusionPrefixes`` entry limits
the keys. Keys ending in ``/`` are folder markers. ``<key>.metadata.json`` is the metadata of ``<key>``
(``emulator.knowledge.attributes``). A document is *new* when the data source has not indexed it,
*modified* when its bytes changed (the ETag, then a digest of the bytes), a *metadata* change when only
its sidecar changed, *deleted* when its object is gone; an unchanged document is not read again.
Documents of an unsupported format, larger than 50 MB, without text or with invalid metadata fail, and
the job's ``failureReasons`` say so as Bedrock words them (wire-facts §17); the job still completes.
A bucket the tenant does not have fails the job.

CUSTOM data sources take documents only through IngestKnowledgeBaseDocuments: StartIngestionJob on one
is a ValidationException. Crawled sources (web, Confluence, SharePoint, Salesforce) are not crawled:
their jobs complete with nothing scanned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from emulator.knowledge import attributes, content, extraction, strategies
from emulator.knowledge.attributes import InvalidAttributesError
from emulator.knowledge.extraction import NoTextError
from emulator.s3 import S3StoreError, object_store
from emulator.services.exchange import OperationCall
from emulator.wire.errors import AwsError

STATISTICS: Final = (
    "numberOfDocumentsScanned",
    "numberOfMetadataDocumentsScanned",
    "numberOfNewDocumentsIndexed",
    "numberOfModifiedDocumentsIndexed",
    "numberOfMetadataDocumentsModified",
    "numberOfDocumentsDeleted",
    "numberOfDocumentsFailed",
    "numberOfDocumentsSkipped",
)
SEMANTIC_MAX_CHARACTERS: Final = 1_000_000
# wire-facts §17: failure reasons, "Encountered error: <what> [Files: <uris>]. Call to Customer Source did not succeed."
FRAME: Final = "Encountered error: {what} [Files: {files}]. Call to Customer Source did not succeed."
REASONS: Final = {
    "format": "Ignored {count} files as their file format was not supported.",
    "size": "Ignored {count} files as their file size exceeded the limit of 50 MB.",
    "text": "Ignored {count} files as no text content found.",
    "semantic": "File body text exceeds size limit of 1000000 for semantic chunking.",
    "metadata": (
        "Ignored {count} files due to invalid metadata attributes. Check that the attribute keys and values "
        "don't exceed the character quota, and that the attribute values are acceptable data types "
        "(strings, numbers, or Booleans). Then retry your request"
    ),
    "read": "Ignored {count} files as they could not be read.",
}
BUCKET_FAILURE: Final = (
    "Encountered error: {message} [Bucket: {bucket}]. Call to Customer Source did not succeed."
)
CUSTOM_SOURCE: Final = (
    "Ingestion jobs can't be started for a data source of type CUSTOM. Use IngestKnowledgeBaseDocuments "
    "to add documents to it."
)


@dataclass
class Outcome:
    """How a job ends: its final status, statistics and failure reasons."""

    status: str = "COMPLETE"
    statistics: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATISTICS, 0))
    failures: dict[str, list[str]] = field(default_factory=dict)  # reason -> URIs
    problem: str | None = None  # a failure of the whole job

    def failure_reasons(self) -> list[str]:
        """``failureReasons`` as Bedrock sends them: one string holding a JSON array of messages."""
        messages = [self.problem] if self.problem else []
        for reason, uris in self.failures.items():
            what = REASONS[reason].format(count=len(uris))
            messages.append(FRAME.format(what=what, files=", ".join(uris)))
        return [json.dumps(messages)] if messages else []


class DocumentFailedError(Exception):
    """A document a knowledge base does not index, and why (a key of ``REASONS``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sync(
    call: OperationCall, kb_id: str, data_source: Mapping[str, Any], job_id: str, *, at: float, now: float
) -> Outcome:
    """Run an ingestion job of ``data_source``: stage what it indexes at clock ``at``; its outcome."""
    configuration = data_source.get("dataSourceConfiguration") or {}
    kind = configuration.get("type")
    if kind == "CUSTOM":
        raise AwsError("ValidationException", CUSTOM_SOURCE)
    if kind != "S3":
        return Outcome()
    return _S3Sync(call, kb_id, data_source, job_id, at, now).run(configuration.get("s3Configuration") or {})


def document_entry(
    source: str,
    identity: str,
    text: str,
    attribute_values: Mapping[str, Any],
    chunking: Mapping[str, Any] | None,
    **fingerprint: str,
) -> content.Entry:
    """The indexed form of one document (``source`` S3 with its URI, or CUSTOM with its id)."""
    if chunking and chunking.get("chunkingStrategy") == "SEMANTIC" and len(text) > SEMANTIC_MAX_CHARACTERS:
        raise DocumentFailedError("semantic")
    chunks = strategies.chunk(text, chunking)
    entry: content.Entry = {
        "source": source,
        "uri" if source == "S3" else "id": identity,
        "attributes": dict(attribute_values),
        "metadataDigest": attributes.digest(attribute_values),
        "chunks": list(chunks.texts),
        **fingerprint,
    }
    if chunks.parents:
        entry["parents"] = list(chunks.parents)
        entry["parentOf"] = list(chunks.parent_of)
    return entry


def chunking_of(data_source: Mapping[str, Any]) -> Mapping[str, Any] | None:
    configuration = (data_source.get("vectorIngestionConfiguration") or {}).get("chunkingConfiguration")
    return configuration if isinstance(configuration, Mapping) else None


def bucket_of(bucket_arn: str) -> str:
    """``arn:aws:s3:::name`` -> ``name``."""
    return bucket_arn.rsplit(":", 1)[-1]


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _S3Sync:
    def __init__(
        self,
        call: OperationCall,
        kb_id: str,
        data_source: Mapping[str, Any],
        job_id: str,
        at: float,
        now: float,
    ) -> None:
        self.call = call
        self.kb_id = kb_id
        self.ds_id = str(data_source["dataSourceId"])
        self.chunking = chunking_of(data_source)
        self.job_id = job_id
        self.at = at
        self.now = now
        self.objects = object_store(call.state)
        self.outcome = Outcome()

    def run(self, configuration: Mapping[str, Any]) -> Outcome:
        bucket = bucket_of(str(configuration.get("bucketArn", "")))
        prefix = next(iter(configuration.get("inclusionPrefixes") or []), "")
        try:
            listing = self.objects.list_objects(self.call.tenant, bucket, prefix)
        except S3StoreError as error:
            self.outcome.status = "FAILED"
            self.outcome.problem = BUCKET_FAILURE.format(message=error.message, bucket=bucket)
            return self.outcome
        files = {info.key: info for info in listing if not info.key.endswith("/")}
        sidecars = {
            k.removesuffix(extraction.SIDECAR_SUFFIX): i
            for k, i in files.items()
            if k.endswith(extraction.SIDECAR_SUFFIX)
        }
        documents = [
            info for key, info in sorted(files.items()) if not key.endswith(extraction.SIDECAR_SUFFIX)
        ]
        previous = content.latest(self.call.state.store, self.call.tenant, self.kb_id, self.ds_id)
        statistics = self.outcome.statistics
        statistics["numberOfDocumentsScanned"] = len(documents)
        statistics["numberOfMetadataDocumentsScanned"] = len(sidecars)
        seen = set()
        for info in documents:
            document_key = f"s3:{info.uri}"
            seen.add(document_key)
            sidecar = sidecars.get(info.key)
            old = previous.get(document_key)
            fingerprint = {"etag": info.etag, "metadataEtag": sidecar.etag if sidecar else ""}
            if old is not None and all(old.get(k) == v for k, v in fingerprint.items()):
                continue  # unchanged since the last job: not read again
            try:
                entry = self._entry(
                    info.bucket, info.key, info.size, info.uri, sidecar.key if sidecar else None
                )
            except DocumentFailedError as failed:
                self.outcome.failures.setdefault(failed.reason, []).append(info.uri)
                statistics["numberOfDocumentsFailed"] += 1
                if old is not None:
                    self._stage(document_key, None)
                continue
            entry.update(fingerprint)
            if old is None:
                statistics["numberOfNewDocumentsIndexed"] += 1
            elif old.get("contentDigest") != entry["contentDigest"]:
                statistics["numberOfModifiedDocumentsIndexed"] += 1
            elif old.get("metadataDigest") != entry["metadataDigest"]:
                statistics["numberOfMetadataDocumentsModified"] += 1
            self._stage(document_key, entry)
        for document_key in previous.keys() - seen:
            statistics["numberOfDocumentsDeleted"] += 1
            self._stage(document_key, None)
        return self.outcome

    def _entry(self, bucket: str, key: str, size: int, uri: str, sidecar: str | None) -> content.Entry:
        suffix = extraction.extension(key)
        if suffix not in extraction.SUPPORTED:
            raise DocumentFailedError("format")
        if size > extraction.MAX_FILE_BYTES:
            raise DocumentFailedError("size")
        try:
            data = self.objects.get_object(self.call.tenant, bucket, key)
            metadata = self.objects.get_object(self.call.tenant, bucket, sidecar) if sidecar else None
        except S3StoreError as error:  # deleted or unreadable since the listing
            raise DocumentFailedError("read") from error
        try:
            text = extraction.extract(data, suffix)
        except NoTextError as error:
            raise DocumentFailedError("text") from error
        try:
            values = attributes.from_sidecar(metadata) if metadata is not None else {}
        except InvalidAttributesError as error:
            raise DocumentFailedError("metadata") from error
        return document_entry("S3", uri, text, values, self.chunking, contentDigest=digest_of(data))

    def _stage(self, document_key: str, entry: content.Entry | None) -> None:
        content.stage(
            self.call.state.store,
            self.call.tenant,
            self.kb_id,
            self.ds_id,
            document_key,
            entry,
            at=self.at,
            now=self.now,
            job=self.job_id,
        )
