"""Retrieve and RetrieveAndGenerate over a knowledge base the caller created: what its ingestion jobs and
IngestKnowledgeBaseDocuments calls indexed (``emulator.knowledge.content``), searched as the bundled and
file-defined knowledge bases are (``emulator.knowledge.retrieval``).

``retrieve(call, kb_id, ...)`` answers None when the tenant created no knowledge base with that id, and
in lenient mode also when nothing of it is indexed yet, so the runtime handlers fall back to the
definition files and the sample; in strict mode a created knowledge base with nothing indexed answers no
results, as Bedrock does.

Each result is shown as Bedrock shows it (wire-facts §17): an S3 document's ``location`` is
``{"type": "S3", "s3Location": {"uri": ...}}`` and its ``metadata`` the sidecar's attributes plus
``x-amz-bedrock-kb-source-uri``, ``x-amz-bedrock-kb-chunk-id`` and ``x-amz-bedrock-kb-data-source-id``;
a CUSTOM document's location is ``{"type": "CUSTOM", "customDocumentLocation": {"id": ...}}`` and its
metadata carries its id as the source URI and no chunk id. Chunk ids look like the vector store's: an
OpenSearch document id (``1%3A0%3A`` and 20 characters) for OpenSearch Serverless, a UUID otherwise.
A hit on a hierarchical child chunk is reported as its parent, once per parent.

Indexes are built on first use and kept per app (``AppState.extra``), per tenant and knowledge base, until
the records change, a staged version comes due or a data source goes; a reset forgets them.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from emulator.control import lifecycle
from emulator.control.resources import DATA_SOURCE, KNOWLEDGE_BASE
from emulator.knowledge import content
from emulator.knowledge.index import LexicalIndex
from emulator.knowledge.registry import (
    CHUNK_ID_KEY,
    DATA_SOURCE_ID_KEY,
    SOURCE_URI_KEY,
    Chunk,
    KnowledgeBase,
)
from emulator.knowledge.retrieval import Hit, Page
from emulator.knowledge.retrieval import retrieve as search
from emulator.services.exchange import OperationCall
from emulator.state import AppState

_EXTRA: Final = "control.kb-retrieval-indexes"
_URL_SAFE: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass(frozen=True)
class Shown:
    """How one indexed chunk appears in a result."""

    text: str
    location: dict[str, Any]
    metadata: dict[str, Any]
    parent: tuple[str, int] | None  # (document, parent index) for hierarchical chunks


@dataclass(frozen=True)
class View:
    """A created knowledge base's index as of one moment."""

    stamp: tuple[Any, ...]
    knowledge_base: KnowledgeBase
    shown: dict[str, Shown]  # by chunk id
    data_source_id: str

    def hits(self, hits: Sequence[Hit]) -> list[Hit]:
        """Search hits as Bedrock shows them (scripted hits pass unchanged)."""
        shown: list[Hit] = []
        parents: set[tuple[str, int]] = set()
        for hit in hits:
            chunk = self.shown.get(str(hit.metadata.get(CHUNK_ID_KEY, "")))
            if chunk is None:
                shown.append(hit)
                continue
            if chunk.parent is not None:
                if chunk.parent in parents:
                    continue
                parents.add(chunk.parent)
            uri = str(chunk.metadata[SOURCE_URI_KEY])
            shown.append(Hit(chunk.text, hit.score, uri, dict(chunk.metadata), dict(chunk.location)))
        return shown


class Indexes:
    """The built indexes of an app, by (tenant, knowledge base id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: dict[tuple[str, str], View] = {}

    def view(self, call: OperationCall, kb_id: str, record: Mapping[str, Any]) -> View:
        now = lifecycle.now(call)
        sources = _live_data_sources(call, kb_id, now)
        revision = content.revision(call.state.store, call.tenant, kb_id)
        with self._lock:
            cached = self._views.get((call.tenant, kb_id))
        if cached is not None and cached.stamp[:2] == (revision, sources):
            pending: list[float] = cached.stamp[3]
            if bisect.bisect_right(pending, now) == cached.stamp[2]:
                return cached
        built = _build(call, kb_id, record, now, revision, sources)
        with self._lock:
            self._views[(call.tenant, kb_id)] = built
        return built

    def forget(self, tenant: str | None) -> None:
        with self._lock:
            for key in [k for k in self._views if tenant is None or k[0] == tenant]:
                del self._views[key]


def indexes(state: AppState) -> Indexes:
    return state.extra(_EXTRA, Indexes)


def find(call: OperationCall, kb_id: str) -> View | None:
    """The caller's created knowledge base as Retrieve searches it, or None (see the module docstring)."""
    record = _live(call.state.store.get(call.tenant, KNOWLEDGE_BASE.store_kind, kb_id), lifecycle.now(call))
    if record is None:
        return None
    view = indexes(call.state).view(call, kb_id, record)
    if not view.knowledge_base.chunks and not call.strict:
        return None
    return view


def retrieve(
    call: OperationCall,
    kb_id: str,
    query: str,
    *,
    number_of_results: int,
    filter_spec: Mapping[str, Any] | None,
    search_type: str | None,
    next_token: str | None = None,
    scripted: Sequence[Mapping[str, Any]] | None = None,
) -> Page | None:
    """One page of Retrieve results from a created knowledge base, or None when it is not one."""
    view = find(call, kb_id)
    if view is None:
        return None
    page = search(
        view.knowledge_base,
        query,
        number_of_results=number_of_results,
        filter_spec=filter_spec,
        search_type=search_type,
        next_token=next_token,
        scripted=scripted,
        data_source_id=view.data_source_id,
    )
    return Page(view.hits(page.hits), page.next_token)


def _build(
    call: OperationCall,
    kb_id: str,
    record: Mapping[str, Any],
    now: float,
    revision: int,
    sources: tuple[str, ...],
) -> View:
    documents, pending = content.visible(call.state.store, call.tenant, kb_id, now)
    opensearch = (record.get("storageConfiguration") or {}).get("type") == "OPENSEARCH_SERVERLESS"
    chunks: list[Chunk] = []
    shown: dict[str, Shown] = {}
    for ds_id, document_key, entry in documents:
        if ds_id not in sources:
            continue  # the data source was deleted
        for index, text in enumerate(entry["chunks"]):
            chunk_id = _chunk_id(opensearch, kb_id, ds_id, document_key, entry["contentDigest"], index)
            location, metadata = _presented(entry, ds_id, chunk_id)
            attributes = {**entry["attributes"], SOURCE_URI_KEY: metadata[SOURCE_URI_KEY]}
            chunks.append(Chunk(chunk_id, text, metadata[SOURCE_URI_KEY], ds_id, document_key, attributes))
            parent_of = entry.get("parentOf") or []
            parent = parent_of[index] if index < len(parent_of) else None
            shown[chunk_id] = Shown(
                entry["parents"][parent] if parent is not None else text,
                location,
                metadata,
                (f"{ds_id}/{document_key}", parent) if parent is not None else None,
            )
    knowledge_base = KnowledgeBase(
        kb_id,
        str(record.get("name", kb_id)),
        record.get("description"),
        "",
        {},
        0.0,
        0.0,
        LexicalIndex([c.text for c in chunks]),
        tuple(chunks),
    )
    stamp = (revision, sources, bisect.bisect_right(pending, now), pending)
    return View(stamp, knowledge_base, shown, sources[0] if sources else kb_id)


def _presented(entry: Mapping[str, Any], ds_id: str, chunk_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    attributes = dict(entry["attributes"])
    if entry["source"] == "CUSTOM":
        location = {"type": "CUSTOM", "customDocumentLocation": {"id": entry["id"]}}
        return location, {**attributes, SOURCE_URI_KEY: entry["id"], DATA_SOURCE_ID_KEY: ds_id}
    location = {"type": "S3", "s3Location": {"uri": entry["uri"]}}
    metadata = {**attributes, SOURCE_URI_KEY: entry["uri"], CHUNK_ID_KEY: chunk_id, DATA_SOURCE_ID_KEY: ds_id}
    return location, metadata


def _chunk_id(opensearch: bool, *parts: object) -> str:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()
    if opensearch:  # OpenSearch's auto-generated document id, URL-encoded as Bedrock reports it
        number = int.from_bytes(digest, "big")
        characters = []
        for _ in range(20):
            number, digit = divmod(number, len(_URL_SAFE))
            characters.append(_URL_SAFE[digit])
        return "1%3A0%3A" + "".join(characters)
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _live_data_sources(call: OperationCall, kb_id: str, now: float) -> tuple[str, ...]:
    """The data sources of the knowledge base that exist at ``now`` (read without writing back: the data
    plane does not take the control plane's lock)."""
    found = []
    for key, record in call.state.store.list(call.tenant, DATA_SOURCE.store_kind):
        if key.startswith(f"{kb_id}/") and _live(record, now) is not None:
            found.append(key.split("/", 1)[1])
    return tuple(found)


def _live(record: Any, now: float) -> dict[str, Any] | None:
    """A record (the store's copy) as it stands at ``now``, or None when absent or deleted by then."""
    if not isinstance(record, dict):
        return None
    lifecycle.settle(record, now)
    return None if record.get(lifecycle.GONE) else record
