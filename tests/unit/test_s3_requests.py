"""Which requests are S3's, which bucket a host names, and which S3 operation a request is."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.s3.dispatch import s3_caller
from emulator.s3.hosts import virtual_host_bucket
from emulator.s3.operations import operation_name

V4 = "AWS4-HMAC-SHA256 Credential={key}/20260101/eu-west-1/{service}/aws4_request, SignedHeaders=host, Signature=ab"


@pytest.mark.parametrize(
    ("environ", "tenant"),
    [
        ({"HTTP_AUTHORIZATION": V4.format(key="kb-team", service="s3")}, "kb-team"),
        (
            {"QUERY_STRING": "X-Amz-Credential=presigner%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"},
            "presigner",
        ),
        ({"HTTP_AUTHORIZATION": "AWS legacy-key:c2lnbmF0dXJl"}, "legacy-key"),
        ({"QUERY_STRING": "AWSAccessKeyId=v2-key&Signature=abc%3D&Expires=1"}, "v2-key"),
    ],
)
def test_requests_signed_for_s3_are_claimed_with_their_tenant(environ: dict[str, Any], tenant: str) -> None:
    caller = s3_caller(environ)
    assert caller is not None
    assert (caller.tenant, caller.service) == (tenant, "s3")


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_AUTHORIZATION": V4.format(key="k", service="bedrock")},
        {"QUERY_STRING": "X-Amz-Credential=k%2F20260101%2Fus-east-1%2Fbedrock%2Faws4_request"},
        {"HTTP_AUTHORIZATION": "Bearer ABSKabc"},
        {"QUERY_STRING": "AWSAccessKeyId=k"},  # no signature: not a presigned URL
        {},
    ],
)
def test_other_requests_are_left_to_bedrock(environ: dict[str, Any]) -> None:
    assert s3_caller(environ) is None


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("docs.localhost:8484", "docs"),
        ("my.dotted.bucket.localhost", "my.dotted.bucket"),
        ("docs.s3.us-east-1.amazonaws.com", "docs"),
        ("docs.s3.amazonaws.com", "docs"),
        ("127.0.0.1:8484", None),
        ("localhost:8484", None),
        ("bedrock-emulator:8484", None),
        ("emulator.internal:8484", None),  # a dotted host name is not a bucket
        ("s3.us-east-1.amazonaws.com", None),
    ],
)
def test_virtual_hosted_buckets_only_in_front_of_localhost_or_s3(host: str, bucket: str | None) -> None:
    assert virtual_host_bucket(host) == bucket


@pytest.mark.parametrize(
    ("method", "uri", "extra", "operation"),
    [
        ("GET", "/", {}, "ListBuckets"),
        ("PUT", "/b", {}, "CreateBucket"),
        ("GET", "/b?list-type=2&prefix=a%2F", {}, "ListObjectsV2"),
        ("POST", "/b?delete", {}, "DeleteObjects"),
        ("GET", "/b/k/with/slashes", {}, "GetObject"),
        ("GET", "/b/k?uploadId=1", {}, "ListParts"),
        ("PUT", "/b/k", {"HTTP_X_AMZ_COPY_SOURCE": "/a/b"}, "CopyObject"),
        ("PUT", "/b/k?partNumber=1&uploadId=2", {}, "UploadPart"),
        ("GET", "/b/k?tagging", {}, "GetObjectTagging"),
        ("GET", "/?list-type=2", {"HTTP_HOST": "b.localhost:1"}, "ListObjectsV2"),
        ("HEAD", "/k", {"HTTP_HOST": "b.localhost:1"}, "HeadObject"),
    ],
)
def test_operation_names_come_from_botocores_model(
    method: str, uri: str, extra: dict[str, str], operation: str
) -> None:
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": uri,
        "QUERY_STRING": uri.partition("?")[2],
        "HTTP_HOST": "127.0.0.1:8484",
        **extra,
    }
    assert operation_name(environ) == operation
