"""S3 at the emulator's own URL, through real boto3 over a socket, and the in-process `ObjectStore` the
emulator's own code reads: what a client puts is what the store sees, and the other way round."""

from __future__ import annotations

import datetime
import http.client
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from emulator.app import create_app
from emulator.s3 import NoSuchBucketError, NoSuchKeyError, ObjectStore, S3StoreError, object_store
from emulator.settings import Settings


@pytest.fixture
def s3(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("s3")


@pytest.fixture
def store(bedrock_emulator_server: Any) -> ObjectStore:
    return object_store(bedrock_emulator_server.app.extensions["bedrock_emulator"].state)


def _keys(listing: dict[str, Any]) -> list[str]:
    return [item["Key"] for item in listing.get("Contents", [])]


def test_create_put_list_get_delete_round_trip(s3: Any) -> None:
    s3.create_bucket(Bucket="kb-docs")
    s3.put_object(Bucket="kb-docs", Key="docs/a.txt", Body=b"alpha")
    s3.put_object(Bucket="kb-docs", Key="docs/nested/b.md", Body=b"# beta")
    s3.put_object(Bucket="kb-docs", Key="other/c.txt", Body=b"gamma")

    assert _keys(s3.list_objects_v2(Bucket="kb-docs", Prefix="docs/")) == ["docs/a.txt", "docs/nested/b.md"]
    listing = s3.list_objects_v2(Bucket="kb-docs", Prefix="docs/", Delimiter="/")
    assert _keys(listing) == ["docs/a.txt"]
    assert listing["CommonPrefixes"] == [{"Prefix": "docs/nested/"}]
    assert s3.get_object(Bucket="kb-docs", Key="docs/a.txt")["Body"].read() == b"alpha"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["kb-docs"]

    s3.delete_object(Bucket="kb-docs", Key="docs/a.txt")
    assert _keys(s3.list_objects_v2(Bucket="kb-docs")) == ["docs/nested/b.md", "other/c.txt"]
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="kb-docs", Key="docs/a.txt")


def test_missing_bucket_and_key_are_s3_errors(s3: Any) -> None:
    with pytest.raises(s3.exceptions.NoSuchBucket) as missing_bucket:
        s3.list_objects_v2(Bucket="never-made")
    assert missing_bucket.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert missing_bucket.value.response["Error"]["Message"] == "The specified bucket does not exist"
    s3.create_bucket(Bucket="present")
    with pytest.raises(s3.exceptions.NoSuchKey) as missing_key:
        s3.get_object(Bucket="present", Key="absent.txt")
    assert missing_key.value.response["Error"]["Message"] == "The specified key does not exist."


def test_presigned_get_works_in_both_signature_versions(bedrock_emulator: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="report 1.txt", Body=b"presigned body")
    # boto3 presigns with signature version 2 in us-east-1 unless told otherwise.
    version_2 = s3.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "report 1.txt"})
    assert "AWSAccessKeyId=" in version_2
    version_4 = bedrock_emulator.client("s3", signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": "shared", "Key": "report 1.txt"}
    )
    assert "X-Amz-Credential=" in version_4
    for url in (version_2, version_4):
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"presigned body"


def test_virtual_hosted_style_names_the_bucket_in_the_host(
    bedrock_emulator: Any, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``docs.localhost:PORT`` (the JavaScript SDK's default with a custom endpoint) is the bucket ``docs``;
    this machine's resolver does not know ``*.localhost``, so it is pointed at loopback here."""
    resolve = socket.getaddrinfo

    def loopback(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback)
    port = urlsplit(bedrock_emulator.endpoint_url).port
    virtual = boto3.client(
        "s3",
        endpoint_url=f"http://localhost:{port}",
        config=Config(s3={"addressing_style": "virtual"}, retries={"total_max_attempts": 1}),
        **bedrock_emulator.credentials,
    )
    seen: list[str] = []
    virtual.meta.events.register("before-send", lambda request, **_: seen.append(request.url))
    try:
        virtual.create_bucket(Bucket="vhost-docs")
        virtual.put_object(Bucket="vhost-docs", Key="k/one.txt", Body=b"one")
        assert _keys(virtual.list_objects_v2(Bucket="vhost-docs", Prefix="k/")) == ["k/one.txt"]
        assert virtual.get_object(Bucket="vhost-docs", Key="k/one.txt")["Body"].read() == b"one"
    finally:
        virtual.close()
    assert seen[0].startswith(f"http://vhost-docs.localhost:{port}/")
    # The same bucket, path style: one bucket whatever the addressing.
    assert s3.get_object(Bucket="vhost-docs", Key="k/one.txt")["Body"].read() == b"one"


def test_each_tenant_has_buckets_of_its_own(bedrock_emulator: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="same-name")
    s3.put_object(Bucket="same-name", Key="mine.txt", Body=b"tenant one")
    other = boto3.client(
        "s3",
        endpoint_url=bedrock_emulator.endpoint_url,
        aws_access_key_id=bedrock_emulator.tenant + "-other",
        aws_secret_access_key="emulator",
        region_name="us-east-1",
    )
    try:
        with pytest.raises(other.exceptions.NoSuchBucket):
            other.get_object(Bucket="same-name", Key="mine.txt")
        other.create_bucket(Bucket="same-name")  # the name is free in another tenant's account
        assert _keys(other.list_objects_v2(Bucket="same-name")) == []
    finally:
        other.close()
        bedrock_emulator.admin("POST", "reset", {"tenant": bedrock_emulator.tenant + "-other"})
    assert s3.get_object(Bucket="same-name", Key="mine.txt")["Body"].read() == b"tenant one"


def test_recreating_an_owned_bucket_outside_us_east_1_is_already_owned_by_you(bedrock_emulator: Any) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=bedrock_emulator.endpoint_url,
        **{**bedrock_emulator.credentials, "region_name": "eu-west-1"},
    )
    config = {"LocationConstraint": "eu-west-1"}
    try:
        s3.create_bucket(Bucket="twice", CreateBucketConfiguration=config)
        with pytest.raises(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket="twice", CreateBucketConfiguration=config)
    finally:
        s3.close()


def test_reset_forgets_the_tenants_buckets(bedrock_emulator: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="short-lived")
    bedrock_emulator.admin("POST", "reset", {"tenant": bedrock_emulator.tenant})
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket="short-lived")


def test_bedrock_calls_beside_s3_still_reach_bedrock(bedrock_emulator: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="model")  # a bucket named like a Bedrock path segment
    runtime = bedrock_emulator.client("bedrock-runtime")
    answer = runtime.converse(
        modelId="amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}]
    )
    assert answer["output"]["message"]["role"] == "assistant"
    assert [r.operation for r in bedrock_emulator.requests()] == ["Converse"]  # S3 calls are not journaled


def test_a_body_over_the_servers_cap_is_entity_too_large(bedrock_emulator: Any) -> None:
    parts = urlsplit(bedrock_emulator.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    credential = f"{bedrock_emulator.tenant}/20260101/us-east-1/s3/aws4_request"
    connection.putrequest("PUT", "/big/object.bin")
    connection.putheader(
        "Authorization", f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=0"
    )
    connection.putheader("Content-Length", str(1 << 40))
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 400
    assert b"<Code>EntityTooLarge</Code>" in body
    assert b"<ProposedSize>1099511627776</ProposedSize>" in body


# The ObjectStore over the same S3 ------------------------------------------------------------------


def test_store_lists_what_a_client_put_with_size_etag_and_time(
    bedrock_emulator: Any, s3: Any, store: ObjectStore
) -> None:
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    s3.create_bucket(Bucket="source")
    s3.put_object(Bucket="source", Key="docs/b.txt", Body=b"bee")
    s3.put_object(Bucket="source", Key="docs/a.txt", Body=b"ay")
    s3.put_object(Bucket="source", Key="elsewhere.txt", Body=b"no")
    tenant = bedrock_emulator.tenant

    listed = store.list_objects(tenant, "source", "docs/")
    assert [(info.key, info.size, info.uri) for info in listed] == [
        ("docs/a.txt", 2, "s3://source/docs/a.txt"),
        ("docs/b.txt", 3, "s3://source/docs/b.txt"),
    ]
    head = s3.head_object(Bucket="source", Key="docs/a.txt")
    assert listed[0].etag == head["ETag"]
    assert before <= listed[0].last_modified <= datetime.datetime.now(datetime.UTC)
    assert store.get_object(tenant, "source", "docs/b.txt") == b"bee"
    assert store.head_object(tenant, "source", "docs/b.txt") == listed[1]
    assert [info.key for info in store.list_objects(tenant, "source")] == [
        "docs/a.txt",
        "docs/b.txt",
        "elsewhere.txt",
    ]


def test_store_changes_show_to_clients_and_etags_follow_content(
    bedrock_emulator: Any, s3: Any, store: ObjectStore
) -> None:
    tenant = bedrock_emulator.tenant
    store.create_bucket(tenant, "outputs")
    store.create_bucket(tenant, "outputs")  # already the tenant's: nothing happens
    first = store.put_object(
        tenant, "outputs", "job/out.jsonl", b'{"a": 1}\n', content_type="application/jsonl"
    )
    got = s3.get_object(Bucket="outputs", Key="job/out.jsonl")
    assert got["Body"].read() == b'{"a": 1}\n'
    assert got["ContentType"] == "application/jsonl"
    second = store.put_object(tenant, "outputs", "job/out.jsonl", b'{"a": 2}\n')
    assert second.etag != first.etag
    store.delete_object(tenant, "outputs", "job/out.jsonl")
    store.delete_object(tenant, "outputs", "job/out.jsonl")  # absent: nothing happens, as in S3
    assert _keys(s3.list_objects_v2(Bucket="outputs")) == []


def test_store_errors_name_the_missing_bucket_or_key(bedrock_emulator: Any, store: ObjectStore) -> None:
    tenant = bedrock_emulator.tenant
    with pytest.raises(NoSuchBucketError) as no_bucket:
        store.list_objects(tenant, "nowhere")
    assert (no_bucket.value.code, no_bucket.value.bucket) == ("NoSuchBucket", "nowhere")
    store.create_bucket(tenant, "somewhere")
    with pytest.raises(NoSuchKeyError) as no_key:
        store.get_object(tenant, "somewhere", "missing.txt")
    assert (no_key.value.code, no_key.value.key) == ("NoSuchKey", "missing.txt")
    with pytest.raises(NoSuchKeyError):
        store.head_object(tenant, "somewhere", "missing.txt")
    with pytest.raises(NoSuchBucketError):
        store.put_object(tenant, "nowhere", "k", b"v")
    with pytest.raises(S3StoreError) as invalid:
        store.create_bucket(tenant, "x")
    assert invalid.value.code == "InvalidBucketName"


# Apps and start-up --------------------------------------------------------------------------------


@pytest.fixture
def two_apps() -> Iterator[tuple[ObjectStore, ObjectStore]]:
    apps = [create_app(Settings(port=0)) for _ in range(2)]
    states = [app.extensions["bedrock_emulator"].state for app in apps]
    yield object_store(states[0]), object_store(states[1])
    for state in states:
        state.forget(None)


def test_two_apps_in_one_process_share_no_buckets(two_apps: tuple[ObjectStore, ObjectStore]) -> None:
    first, second = two_apps
    first.create_bucket("tenant", "docs")
    first.put_object("tenant", "docs", "a.txt", b"first app")
    with pytest.raises(NoSuchBucketError):
        second.list_objects("tenant", "docs")
    second.create_bucket("tenant", "docs")
    second.put_object("tenant", "docs", "a.txt", b"second app")
    assert first.get_object("tenant", "docs", "a.txt") == b"first app"


def test_moto_is_not_imported_until_the_first_s3_use() -> None:
    script = (
        "import sys\n"
        "from emulator.app import create_app\n"
        "from emulator.s3 import object_store\n"
        "app = create_app()\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'moto'], 'moto imported at start-up'\n"
        "object_store(app.extensions['bedrock_emulator'].state).create_bucket('t', 'bkt')\n"
        "assert 'moto.s3.models' in sys.modules\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


def test_unsigned_requests_are_not_s3s(bedrock_emulator: Any) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{bedrock_emulator.endpoint_url}/some-bucket/some-key", timeout=10)
    assert error.value.headers.get("x-amzn-ErrorType", "").startswith("UnknownOperationException")
