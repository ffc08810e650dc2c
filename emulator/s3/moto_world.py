"""Moto's S3, in this process, private to one app: one moto `S3Backend` per tenant.

This module imports moto at its top (a third of a second): nothing imports it before the first S3 request
or the first use of the in-process `ObjectStore` (see ``emulator/s3/__init__.py``).

Isolation. Moto keeps its backends in a process-wide ``s3_backends`` table keyed by account id, and one
process-wide table of bucket names (S3's global namespace). Neither is used here for lookups: a `MotoS3`
holds its own backends, one per tenant, and each backend knows only its own buckets. So two apps in one
process share nothing, and two tenants of one app may both own a bucket named ``docs`` (each tenant stands
for an AWS account of its own test run; in AWS the name would be taken). Moto's request handling is reused
whole (`S3Response`: parsing, XML, errors), with the backend chosen per request.

Every backend carries moto's default account id: moto records each account it serves in its IAM tables
for good, so an id per tenant would grow them with every tenant; S3 answers show no account id anyway.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.request import Request
from moto.s3 import urls as moto_urls
from moto.s3.exceptions import BucketAlreadyExists, MissingBucket
from moto.s3.models import FakeBucket, FakeKey, S3Backend, s3_backends
from moto.s3.responses import S3Response

from emulator.s3.hosts import virtual_host_bucket

PARTITION = "aws"
# moto's table of bucket names (name -> account) is global to the process. The names of this module's
# buckets are kept out of it, and whatever another user of moto in this process put there is left as it
# was: see `_names_kept_out`.
_NAMESPACE_LOCK = threading.Lock()


@contextmanager
def _names_kept_out(names: list[str]) -> Iterator[None]:
    """Run a moto backend step that writes ``names`` into moto's global bucket table (or takes them out of
    it), then restore the table as it was for those names."""
    table = s3_backends.bucket_accounts
    with _NAMESPACE_LOCK:
        saved = {name: table[name] for name in names if name in table}
        for name in saved:
            del table[name]
        try:
            yield
        finally:
            for name in names:
                table.pop(name, None)
            table.update(saved)


class TenantBackend(S3Backend):
    """One tenant's buckets: a name is unique within the tenant, and never looked up anywhere else."""

    def create_bucket(
        self, bucket_name: str, region_name: str, bucket_namespace: str | None = None
    ) -> FakeBucket:
        if bucket_name in self.buckets:
            raise BucketAlreadyExists(bucket=bucket_name)
        with _names_kept_out([bucket_name]):
            return super().create_bucket(bucket_name, region_name, bucket_namespace=bucket_namespace)

    def get_bucket(self, bucket_name: str) -> FakeBucket:
        bucket = self.buckets.get(bucket_name) or self.table_buckets.get(bucket_name)
        if bucket is None:
            raise MissingBucket(bucket=bucket_name)
        return bucket

    def delete_bucket(self, bucket_name: str) -> FakeBucket | None:
        with _names_kept_out([bucket_name]):
            return super().delete_bucket(bucket_name)

    def dispose(self) -> None:
        """Close the spooled files of this tenant's objects and forget its buckets. (moto's own ``reset``
        closes the files of every object in the process, other tenants' and other apps' among them.)"""
        for bucket in [*self.buckets.values(), *self.table_buckets.values()]:
            for _, versions in bucket.keys.lists():
                for version in versions:
                    if isinstance(version, FakeKey):
                        version.dispose()
            for multipart in bucket.multiparts.values():
                multipart.dispose()
        self.buckets.clear()
        self.table_buckets.clear()


class _TenantResponse(S3Response):
    """moto's S3 request handling over one tenant's backend, with path or virtual-hosted style decided by
    `virtual_host_bucket`."""

    def __init__(self, backend: TenantBackend) -> None:
        super().__init__()
        self._tenant_backend = backend

    @property
    def backend(self) -> S3Backend:
        return self._tenant_backend

    def get_current_account(self) -> str:
        return DEFAULT_ACCOUNT_ID

    @staticmethod
    def subdomain_based_buckets(request: Any) -> bool:
        return virtual_host_bucket(request.headers.get("host", "")) is not None

    def parse_bucket_name_from_url(self, request: Any, url: str) -> str:
        bucket = virtual_host_bucket(request.headers.get("host", ""))
        if bucket is not None:
            return bucket
        return super().parse_bucket_name_from_url(request, url)


_Handler = Callable[[_TenantResponse, Any, str, Any], tuple[int, dict[str, Any], Any]]


def _routes() -> list[tuple[re.Pattern[str], _Handler]]:
    """moto's S3 URL table (``moto/s3/urls.py``) as path patterns, each to the response method its
    ``*_dispatch`` class method would call (``key_dispatch`` -> ``key_response``)."""
    routes = []
    for pattern, dispatch in moto_urls.url_paths.items():
        method = getattr(_TenantResponse, dispatch.__name__.replace("_dispatch", "_response"))
        routes.append((re.compile(pattern.format("")), method))
    return routes


class MotoS3:
    """The S3 of one app: a moto backend per tenant, and moto's request handling in front of them.

    Calls are serialised by one lock: moto's backends are not made for concurrent changes, and request
    bodies are read before the lock is taken, so a slow client holds no one up.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._backends: dict[str, TenantBackend] = {}
        self._routes = _routes()

    def backend(self, tenant: str) -> TenantBackend:
        """The tenant's backend, made on first use. Use it under `lock`."""
        with self._lock:
            backend = self._backends.get(tenant)
            if backend is None:
                backend = self._backends[tenant] = TenantBackend(PARTITION, DEFAULT_ACCOUNT_ID)
            return backend

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def forget(self, tenant: str | None) -> None:
        """Drop a tenant's buckets and objects (every tenant's with None)."""
        with self._lock:
            tenants = list(self._backends) if tenant is None else [tenant]
            for name in tenants:
                backend = self._backends.pop(name, None)
                if backend is not None:
                    backend.dispose()

    def handle(self, environ: dict[str, Any], tenant: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """Serve one S3 request whose body ``environ["wsgi.input"]`` holds in full (a ``BytesIO``)."""
        request = Request(environ)
        path = request.raw_path
        method = next((method for pattern, method in self._routes if pattern.fullmatch(path)), None)
        if method is None:  # moto's table has a route for every path; this only guards a change of it
            raise LookupError(f"no S3 route for {path}")
        with self._lock:
            response = _TenantResponse(self.backend(tenant))
            status, headers, body = method(response, request, request.raw_url, request.headers)
        if isinstance(body, str):
            body = body.encode()
        return int(status), [(str(name), str(value)) for name, value in headers.items()], bytes(body or b"")
