"""The `ObjectStore`: the S3 objects the emulator's own code reads and writes (knowledge-base data sources,
later batch inference input and output, customization data, invocation logs), whichever S3 serves them.

``object_store(state)`` is the app's store: moto's S3 in this process by default (the one clients reach
at the emulator's own URL), or an external S3-compatible endpoint (``serve --s3-endpoint-url``). Either way
the calls and their errors are the same:

- ``list_objects(tenant, bucket, prefix)``: every object under a prefix, by key, with size, ETag and
  last-modified time (what an ingestion job compares to find new, modified and deleted documents);
- ``head_object`` / ``get_object`` / ``put_object`` / ``delete_object`` / ``create_bucket``.

``tenant`` is the access key id of whoever the work is done for: in-process, each tenant has its own
buckets (docs/s3.md); an external store has one namespace and ignores it.

Errors are `S3StoreError`s carrying S3's code: `NoSuchBucketError`, `NoSuchKeyError`, or the base class
with the external store's code (``AccessDenied``, ...).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from emulator.s3.endpoint import endpoint_url
from emulator.state import AppState

if TYPE_CHECKING:
    from emulator.s3.moto_world import MotoS3  # moto itself loads on first use

# Where an app keeps its S3 pieces (AppState.extras).
STORE_KEY = "s3.object_store"
WORLD_KEY = "s3.moto_world"

_CREATION_LOCK = threading.Lock()  # guards the first creation of an app's store or world


@dataclass(frozen=True)
class ObjectInfo:
    """One object as a listing shows it."""

    bucket: str
    key: str
    size: int
    etag: str  # as S3 sends it, double quotes included: '"<md5 hex>"', or '"<hex>-<parts>"' after a multipart upload
    last_modified: datetime  # timezone-aware, UTC, whole seconds or finer as the store keeps it

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3StoreError(Exception):
    """An S3 error answer: ``code`` as S3 names it (``NoSuchBucket``, ``AccessDenied``, ...)."""

    def __init__(self, code: str, message: str, *, bucket: str = "", key: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.bucket = bucket
        self.key = key


class NoSuchBucketError(S3StoreError):
    def __init__(self, bucket: str) -> None:
        super().__init__("NoSuchBucket", "The specified bucket does not exist", bucket=bucket)


class NoSuchKeyError(S3StoreError):
    def __init__(self, bucket: str, key: str) -> None:
        super().__init__("NoSuchKey", "The specified key does not exist.", bucket=bucket, key=key)


class ObjectStore(Protocol):
    """S3 as the emulator's own code uses it. Every method raises `NoSuchBucketError` for a bucket the
    tenant does not have."""

    def list_objects(self, tenant: str, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (all pages), sorted by key."""

    def head_object(self, tenant: str, bucket: str, key: str) -> ObjectInfo:
        """One object's listing entry; `NoSuchKeyError` when absent."""

    def get_object(self, tenant: str, bucket: str, key: str) -> bytes:
        """An object's bytes; `NoSuchKeyError` when absent."""

    def put_object(
        self, tenant: str, bucket: str, key: str, body: bytes, content_type: str | None = None
    ) -> ObjectInfo:
        """Create or replace an object."""

    def delete_object(self, tenant: str, bucket: str, key: str) -> None:
        """Remove an object (nothing happens when it is absent, as in S3)."""

    def create_bucket(self, tenant: str, bucket: str) -> None:
        """Create a bucket; nothing happens when the tenant already has it."""


def object_store(state: AppState) -> ObjectStore:
    """The app's `ObjectStore`, made on first use."""
    store: ObjectStore | None = state.extras.get(STORE_KEY)
    if store is not None:
        return store
    with _CREATION_LOCK:
        store = state.extras.get(STORE_KEY)
        if store is None:
            url = endpoint_url(state)
            if url is not None:
                from emulator.s3.external import ExternalObjectStore

                store = ExternalObjectStore(url)
            else:
                from emulator.s3.inprocess import MotoObjectStore

                store = MotoObjectStore(_world_locked(state))
            state.extras[STORE_KEY] = store
        return store


def moto_world(state: AppState) -> MotoS3:
    """The app's in-process S3 (moto), made on first use; reset forgets a tenant's buckets with it."""
    world: MotoS3 | None = state.extras.get(WORLD_KEY)
    if world is not None:
        return world
    with _CREATION_LOCK:
        return _world_locked(state)


def _world_locked(state: AppState) -> MotoS3:
    world: MotoS3 | None = state.extras.get(WORLD_KEY)
    if world is None:
        from emulator.s3.moto_world import MotoS3

        world = MotoS3()
        state.extras[WORLD_KEY] = world
        state.on_forget(world.forget)
    return world
