"""What a created knowledge base has indexed: one record per document, each with its versions on the
virtual clock.

Records are JSON values in the app's store under ``(tenant, KIND, "<kbId>/<dsId>/<document key>")``, the
document key spelled as the documents API does (``s3:<uri>``, ``custom:<id>``). A record is
``{"versions": [{"from": clock, "job": id or None, "entry": entry or None}, ...]}``: an ingestion job or an
IngestKnowledgeBaseDocuments call stages the version a document will have once it finishes (``None``:
removed), so Retrieve answers from the previous version until then, and StopIngestionJob withdraws
what its job staged. An entry holds what search needs: ``source`` (``S3`` / ``CUSTOM``), ``uri`` or
``id``, ``contentDigest``, ``metadataDigest``, ``attributes``, ``chunks`` (texts) and, for hierarchical
chunking, ``parents`` and ``parentOf``.

``REVISIONS`` counts the writes to each knowledge base's records, so an index built from them
(``emulator.knowledge.created_bases``) knows when it is stale. A reset forgets both with the tenant.
"""

from __future__ import annotations

import bisect
from typing import Any, Final

from emulator.state import Store

KIND: Final = "bedrock-agent:kb-content"
REVISIONS: Final = "bedrock-agent:kb-content-revision"

Entry = dict[str, Any]


def record_key(kb_id: str, ds_id: str, document_key: str) -> str:
    return f"{kb_id}/{ds_id}/{document_key}"


def stage(
    store: Store,
    tenant: str,
    kb_id: str,
    ds_id: str,
    document_key: str,
    entry: Entry | None,
    *,
    at: float,
    now: float,
    job: str | None = None,
) -> None:
    """From clock ``at`` on, the document is ``entry`` (None: not indexed)."""
    key = record_key(kb_id, ds_id, document_key)
    record = store.get(tenant, KIND, key) or {"versions": []}
    versions = _settled([*record["versions"], {"from": at, "job": job, "entry": entry}], now)
    if len(versions) == 1 and versions[0]["entry"] is None and float(versions[0]["from"]) <= now:
        store.delete(tenant, KIND, key)
    else:
        store.put(tenant, KIND, key, {"versions": versions})
    store.increment(tenant, REVISIONS, kb_id)


def withdraw(store: Store, tenant: str, kb_id: str, ds_id: str, job: str, now: float) -> None:
    """Forget the versions job ``job`` staged that have not come due (a stopped ingestion job)."""
    prefix = f"{kb_id}/{ds_id}/"
    for key, record in store.list(tenant, KIND):
        if not key.startswith(prefix):
            continue
        kept = [v for v in record["versions"] if not (v.get("job") == job and float(v["from"]) > now)]
        if len(kept) != len(record["versions"]):
            if kept:
                store.put(tenant, KIND, key, {"versions": kept})
            else:
                store.delete(tenant, KIND, key)
    store.increment(tenant, REVISIONS, kb_id)


def latest(store: Store, tenant: str, kb_id: str, ds_id: str) -> dict[str, Entry]:
    """Each document of a data source as its most recent version (due or not) leaves it: what the next
    ingestion job compares the data source with. Removed documents are absent."""
    prefix = f"{kb_id}/{ds_id}/"
    found: dict[str, Entry] = {}
    for key, record in store.list(tenant, KIND):
        if key.startswith(prefix) and record["versions"]:
            entry = _ordered(record["versions"])[-1]["entry"]
            if entry is not None:
                found[key[len(prefix) :]] = entry
    return found


def current(store: Store, tenant: str, kb_id: str, ds_id: str, document_key: str, now: float) -> Entry | None:
    """One document as Retrieve sees it at ``now``."""
    record = store.get(tenant, KIND, record_key(kb_id, ds_id, document_key))
    return None if record is None else _at(record["versions"], now)


def visible(
    store: Store, tenant: str, kb_id: str, now: float
) -> tuple[list[tuple[str, str, Entry]], list[float]]:
    """Every document of a knowledge base as Retrieve sees it at ``now`` (``(dsId, document key,
    entry)``, in creation order), and the clock readings at which that view changes next."""
    prefix = f"{kb_id}/"
    documents: list[tuple[str, str, Entry]] = []
    pending: set[float] = set()
    for key, record in store.list(tenant, KIND):
        if not key.startswith(prefix):
            continue
        ds_id, _, document_key = key[len(prefix) :].partition("/")
        entry = _at(record["versions"], now)
        if entry is not None:
            documents.append((ds_id, document_key, entry))
        pending.update(float(v["from"]) for v in record["versions"] if float(v["from"]) > now)
    return documents, sorted(pending)


def revision(store: Store, tenant: str, kb_id: str) -> int:
    value = store.get(tenant, REVISIONS, kb_id)
    return int(value) if isinstance(value, int) else 0


def _at(versions: list[dict[str, Any]], now: float) -> Entry | None:
    ordered = _ordered(versions)
    due = bisect.bisect_right([float(v["from"]) for v in ordered], now)
    return None if due == 0 else ordered[due - 1]["entry"]


def _settled(versions: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    """The versions still needed: the one in force at ``now`` and every later one."""
    ordered = _ordered(versions)
    due = bisect.bisect_right([float(v["from"]) for v in ordered], now)
    return ordered[max(0, due - 1) :]


def _ordered(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(versions, key=lambda v: float(v["from"]))  # stable: of equal clocks, the later staged wins
