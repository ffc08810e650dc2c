"""`MotoObjectStore`: the `ObjectStore` over the app's in-process S3, calling moto's backends directly (no
HTTP, no signing), so what a client put at the emulator's URL is what the emulator's own code reads."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeKey

from emulator.s3.moto_world import MotoS3, TenantBackend
from emulator.s3.objects import NoSuchBucketError, NoSuchKeyError, ObjectInfo, S3StoreError

DEFAULT_REGION = "us-east-1"


class MotoObjectStore:
    def __init__(self, world: MotoS3) -> None:
        self._world = world

    @contextmanager
    def _backend(self, tenant: str, bucket: str, key: str = "") -> Iterator[TenantBackend]:
        """The tenant's backend, under the world's lock, with moto's errors as `S3StoreError`s."""
        with self._world.lock:
            try:
                yield self._world.backend(tenant)
            except S3ClientError as error:
                if error.code == "NoSuchBucket":
                    raise NoSuchBucketError(bucket) from None
                if error.code == "NoSuchKey":
                    raise NoSuchKeyError(bucket, key) from None
                raise S3StoreError(error.code, error.message, bucket=bucket, key=key) from None

    def list_objects(self, tenant: str, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        with self._backend(tenant, bucket) as backend:
            found = backend.get_bucket(bucket)
            keys, _, _, _ = backend.list_objects(found, prefix or None, None, None, None)
            return [_info(bucket, key) for key in keys if isinstance(key, FakeKey)]

    def head_object(self, tenant: str, bucket: str, key: str) -> ObjectInfo:
        with self._backend(tenant, bucket, key) as backend:
            return _info(bucket, _key(backend, bucket, key))

    def get_object(self, tenant: str, bucket: str, key: str) -> bytes:
        with self._backend(tenant, bucket, key) as backend:
            return bytes(_key(backend, bucket, key).value)

    def put_object(
        self, tenant: str, bucket: str, key: str, body: bytes, content_type: str | None = None
    ) -> ObjectInfo:
        with self._backend(tenant, bucket, key) as backend:
            stored = backend.put_object(bucket, key, body)
            if content_type:
                stored.set_metadata({"Content-Type": content_type})
            return _info(bucket, stored)

    def delete_object(self, tenant: str, bucket: str, key: str) -> None:
        with self._backend(tenant, bucket, key) as backend:
            backend.delete_object(bucket, key)

    def create_bucket(self, tenant: str, bucket: str) -> None:
        with self._backend(tenant, bucket) as backend:
            if bucket not in backend.buckets:
                backend.create_bucket(bucket, DEFAULT_REGION)


def _key(backend: TenantBackend, bucket: str, key: str) -> FakeKey:
    found = backend.get_object(bucket, key)  # NoSuchBucket when the bucket is absent
    if not isinstance(found, FakeKey):  # absent, or a delete marker of a versioned bucket
        raise NoSuchKeyError(bucket, key)
    return found


def _info(bucket: str, key: FakeKey) -> ObjectInfo:
    modified = key.last_modified
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=datetime.UTC)
    return ObjectInfo(bucket=bucket, key=key.name, size=key.size, etag=key.etag, last_modified=modified)
