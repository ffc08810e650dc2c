"""`ExternalObjectStore`: the `ObjectStore` over an S3-compatible endpoint (MinIO, LocalStack, a moto
server, S3 itself) for ``serve --s3-endpoint-url URL``, through a boto3 client.

Credentials and region come from the usual AWS sources (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``,
a profile, ...; region ``us-east-1`` when none is set); addressing is path style, which every
S3-compatible server understands. The endpoint has one bucket namespace: the tenant is not used.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from emulator.s3.objects import NoSuchBucketError, NoSuchKeyError, ObjectInfo, S3StoreError

DEFAULT_REGION = "us-east-1"
# What a missing bucket or key is called in an error answer (a HEAD answer has only its status: "404").
_NO_BUCKET = frozenset({"NoSuchBucket"})
_NO_KEY = frozenset({"NoSuchKey", "404", "NotFound"})


class ExternalObjectStore:
    def __init__(self, endpoint_url: str, *, client: Any = None) -> None:
        self.endpoint_url = endpoint_url
        self._client = client
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The boto3 S3 client, made on first use (boto3 takes a tenth of a second to import)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                session = boto3.session.Session()
                self._client = session.client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=session.region_name or DEFAULT_REGION,
                    config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
                )
            return self._client

    def list_objects(self, tenant: str, bucket: str, prefix: str = "") -> list[ObjectInfo]:  # noqa: ARG002 - one namespace
        found: list[ObjectInfo] = []
        paginator = self.client().get_paginator("list_objects_v2")
        with _errors(bucket):
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                found.extend(
                    ObjectInfo(
                        bucket, item["Key"], int(item["Size"]), item["ETag"], _utc(item["LastModified"])
                    )
                    for item in page.get("Contents", ())
                )
        return sorted(found, key=lambda info: info.key)

    def head_object(self, tenant: str, bucket: str, key: str) -> ObjectInfo:  # noqa: ARG002 - one namespace
        try:
            with _errors(bucket, key):
                head = self.client().head_object(Bucket=bucket, Key=key)
        except NoSuchKeyError:
            # A HEAD answer has no body to tell a missing bucket from a missing key: ask about the bucket.
            try:
                self.client().head_bucket(Bucket=bucket)
            except ClientError as error:
                if str((error.response.get("Error") or {}).get("Code")) in _NO_KEY:
                    raise NoSuchBucketError(bucket) from None
            raise
        return ObjectInfo(bucket, key, int(head["ContentLength"]), head["ETag"], _utc(head["LastModified"]))

    def get_object(self, tenant: str, bucket: str, key: str) -> bytes:  # noqa: ARG002 - one namespace
        with _errors(bucket, key):
            response = self.client().get_object(Bucket=bucket, Key=key)
            body: bytes = response["Body"].read()
        return body

    def put_object(
        self,
        tenant: str,
        bucket: str,
        key: str,
        body: bytes,
        content_type: str | None = None,
    ) -> ObjectInfo:
        extra = {"ContentType": content_type} if content_type else {}
        with _errors(bucket):
            self.client().put_object(Bucket=bucket, Key=key, Body=body, **extra)
        return self.head_object(tenant, bucket, key)

    def delete_object(self, tenant: str, bucket: str, key: str) -> None:  # noqa: ARG002 - one namespace
        with _errors(bucket):
            self.client().delete_object(Bucket=bucket, Key=key)

    def create_bucket(self, tenant: str, bucket: str) -> None:  # noqa: ARG002 - one namespace
        try:
            with _errors(bucket):
                self.client().create_bucket(Bucket=bucket)
        except S3StoreError as error:
            if error.code != "BucketAlreadyOwnedByYou":
                raise


@contextmanager
def _errors(bucket: str, key: str | None = None) -> Iterator[None]:
    """botocore's ``ClientError`` as the `S3StoreError` with its code."""
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error") or {}
        code = str(details.get("Code", ""))
        if code in _NO_BUCKET:
            raise NoSuchBucketError(bucket) from None
        if code in _NO_KEY and key is not None:
            raise NoSuchKeyError(bucket, key) from None
        message = str(details.get("Message", ""))
        raise S3StoreError(code, message, bucket=bucket, key=key or "") from None


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
