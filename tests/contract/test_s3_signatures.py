"""``--verify-signatures`` applies to S3 requests: boto3 signs (SigV4 and SigV2, header and presigned),
the emulator checks against its credentials file, and each refusal is S3's own XML answer.

This file runs its own emulator with a credentials file, so it means the same under ``make test-signed``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings

KEY, SECRET = "s3-signed-tenant", "s3-signed-secret"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    credentials = Path(tmp_path_factory.mktemp("s3-signed")) / "credentials"
    credentials.write_text(f"{KEY}={SECRET}\n")
    settings = Settings(port=0, verify_signatures=True, credentials=str(credentials))
    app = create_app(settings)
    server = EmulatorServer(app, "127.0.0.1", 0).start()
    yield server.endpoint_url
    server.stop()
    app.extensions["bedrock_emulator"].state.forget(None)


def _client(endpoint: str, key: str = KEY, secret: str = SECRET, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


@pytest.fixture(scope="module")
def bucket(endpoint: str) -> str:
    client = _client(endpoint)
    client.create_bucket(Bucket="signed-bucket")
    client.put_object(Bucket="signed-bucket", Key="dir/a b+c.txt", Body=b"signed body")
    client.close()
    return "signed-bucket"


def test_right_signatures_pass_in_both_versions(endpoint: str, bucket: str) -> None:
    for version in ("s3v4", "s3"):
        client = _client(endpoint, signature_version=version)
        try:
            client.put_object(Bucket=bucket, Key=f"{version}/x?y=1.txt", Body=b"v")
            listing = client.list_objects_v2(Bucket=bucket, Prefix="dir/")
            assert [item["Key"] for item in listing["Contents"]] == ["dir/a b+c.txt"]
            assert client.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read() == b"signed body"
        finally:
            client.close()


def test_presigned_urls_pass_in_both_versions(endpoint: str, bucket: str) -> None:
    for version in ("s3v4", "s3"):
        client = _client(endpoint, signature_version=version)
        url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"})
        client.close()
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"signed body"


def test_a_wrong_secret_is_signature_does_not_match(endpoint: str, bucket: str) -> None:
    client = _client(endpoint, secret="not-the-secret", signature_version="s3v4")
    with pytest.raises(ClientError) as refused:
        client.get_object(Bucket=bucket, Key="dir/a b+c.txt")
    client.close()
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["Message"] == (
        "The request signature we calculated does not match the signature you provided. Check your key "
        "and signing method."
    )


def test_a_tampered_presigned_url_is_refused(endpoint: str, bucket: str) -> None:
    client = _client(endpoint, signature_version="s3v4")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"})
    client.close()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.replace("dir/a", "dir/b"), timeout=10)
    assert refused.value.code == 403
    body = refused.value.read()
    assert b"<Code>SignatureDoesNotMatch</Code>" in body
    assert b"<CanonicalRequest>GET\n/signed-bucket/dir/b%20b%2Bc.txt\n" in body


def test_an_unknown_access_key_is_invalid_access_key_id(endpoint: str, bucket: str) -> None:
    client = _client(endpoint, key="nobody-knows-me")
    with pytest.raises(ClientError) as refused:
        client.list_objects_v2(Bucket=bucket)
    client.close()
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert refused.value.response["Error"]["Message"] == (
        "The AWS Access Key Id you provided does not exist in our records."
    )


def test_an_expired_presigned_url_is_access_denied(endpoint: str, bucket: str) -> None:
    client = _client(endpoint, signature_version="s3v4")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"}, ExpiresIn=1
    )
    client.close()
    signed_at = url.split("X-Amz-Date=")[1][:16]
    earlier = f"{int(signed_at[:4]) - 1}{signed_at[4:]}"  # a year ago: long expired, whatever the clock
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.replace(signed_at, earlier), timeout=10)
    assert refused.value.code == 403
    body = refused.value.read()
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in body


def test_a_body_that_is_not_the_signed_hash_is_refused(endpoint: str, bucket: str) -> None:
    client = _client(endpoint, signature_version="s3v4")

    def swap_body(request: Any, **_: Any) -> None:
        request.body = b"a different body"
        request.headers["Content-Length"] = str(len(request.body))

    client.meta.events.register("before-send.s3.PutObject", swap_body)
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=bucket, Key="tampered.txt", Body=b"the signed body")
    client.close()
    assert refused.value.response["Error"]["Code"] == "XAmzContentSHA256Mismatch"
