"""``serve --s3-endpoint-url``: the emulator reads and writes an external S3-compatible store (here moto's
standalone server on a free loopback port, started and stopped by the test) through boto3, and serves no
S3 itself."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from emulator.app import create_app
from emulator.s3 import NoSuchBucketError, NoSuchKeyError, S3StoreError, object_store
from emulator.s3.external import ExternalObjectStore
from emulator.server import EmulatorServer
from emulator.settings import Settings


@pytest.fixture(scope="module")
def external_s3() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # The external store signs with the usual AWS sources, as it would for MinIO's keys.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "minio-like")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def direct(external_s3: str, credentials: None) -> Iterator[Any]:
    """A plain boto3 client of the external store: what the user's own code would use."""
    client = boto3.client("s3", endpoint_url=external_s3)
    yield client
    client.close()


def test_store_reads_what_was_put_in_the_external_endpoint(external_s3: str, direct: Any) -> None:
    direct.create_bucket(Bucket="ext-docs")
    direct.put_object(Bucket="ext-docs", Key="docs/b.txt", Body=b"bee")
    direct.put_object(Bucket="ext-docs", Key="docs/a.txt", Body=b"ay")
    direct.put_object(Bucket="ext-docs", Key="other.txt", Body=b"no")
    store = ExternalObjectStore(external_s3)

    listed = store.list_objects("any-tenant", "ext-docs", "docs/")
    assert [(info.key, info.size) for info in listed] == [("docs/a.txt", 2), ("docs/b.txt", 3)]
    assert listed[0].etag == direct.head_object(Bucket="ext-docs", Key="docs/a.txt")["ETag"]
    assert listed[0].last_modified.tzinfo is not None
    assert store.head_object("any-tenant", "ext-docs", "docs/a.txt").etag == listed[0].etag
    assert store.get_object("another-tenant", "ext-docs", "docs/b.txt") == b"bee"  # one namespace


def test_store_writes_show_in_the_external_endpoint(external_s3: str, direct: Any, credentials: None) -> None:
    store = ExternalObjectStore(external_s3)
    store.create_bucket("t", "ext-out")
    store.create_bucket("t", "ext-out")  # already there: nothing happens
    written = store.put_object("t", "ext-out", "job/out.jsonl", b"{}\n", content_type="application/jsonl")
    got = direct.get_object(Bucket="ext-out", Key="job/out.jsonl")
    assert got["Body"].read() == b"{}\n"
    assert got["ContentType"] == "application/jsonl"
    assert written.size == 3
    store.delete_object("t", "ext-out", "job/out.jsonl")
    assert "Contents" not in direct.list_objects_v2(Bucket="ext-out")


def test_store_errors_are_the_same_as_in_process(external_s3: str, credentials: None) -> None:
    store = ExternalObjectStore(external_s3)
    with pytest.raises(NoSuchBucketError):
        store.list_objects("t", "ext-nowhere")
    with pytest.raises(NoSuchBucketError):
        store.head_object("t", "ext-nowhere", "k")
    store.create_bucket("t", "ext-errors")
    with pytest.raises(NoSuchKeyError):
        store.get_object("t", "ext-errors", "missing")
    with pytest.raises(NoSuchKeyError):
        store.head_object("t", "ext-errors", "missing")
    with pytest.raises(S3StoreError) as invalid:
        store.create_bucket("t", "x")
    assert invalid.value.code == "InvalidBucketName"


def test_the_app_uses_the_endpoint_and_serves_no_s3_itself(
    external_s3: str, direct: Any, credentials: None
) -> None:
    app = create_app(Settings(port=0, s3_endpoint_url=external_s3))
    store = object_store(app.extensions["bedrock_emulator"].state)
    assert isinstance(store, ExternalObjectStore)
    direct.create_bucket(Bucket="ext-app")
    direct.put_object(Bucket="ext-app", Key="doc.txt", Body=b"through the app")
    assert store.get_object("t", "ext-app", "doc.txt") == b"through the app"

    server = EmulatorServer(app, "127.0.0.1", 0).start()
    try:
        status, body = _signed_for_s3(server.endpoint_url, "/ext-app/doc.txt")
    finally:
        server.stop()
    assert status == 501
    assert b"<Code>NotImplemented</Code>" in body
    assert external_s3.encode() in body


def test_serve_flag_points_s3_requests_to_the_endpoint(external_s3: str, tmp_path: Path) -> None:
    """``bedrock-emulator serve --s3-endpoint-url URL`` in a real process."""
    endpoint_file = tmp_path / "endpoint"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEDROCK_EMULATOR_", "AWS_"))}
    command = [sys.executable, "-m", "emulator", "serve", "--port", "0", "--s3-endpoint-url", external_s3]
    with (tmp_path / "stderr.log").open("w") as stderr:
        process = subprocess.Popen(
            [*command, "--endpoint-file", str(endpoint_file)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 15
            while not endpoint_file.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert endpoint_file.exists(), (tmp_path / "stderr.log").read_text()
            status, body = _signed_for_s3(endpoint_file.read_text().strip(), "/ext-app/doc.txt")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
    assert status == 501
    assert external_s3.encode() in body


def test_the_variable_sets_the_endpoint_and_the_flag_wins() -> None:
    variable = {"BEDROCK_EMULATOR_S3_ENDPOINT_URL": "http://minio:9000"}
    assert Settings.from_sources({}, variable).s3_endpoint_url == "http://minio:9000"
    flag = {"s3_endpoint_url": "http://127.0.0.1:9000"}
    assert Settings.from_sources(flag, variable).s3_endpoint_url == "http://127.0.0.1:9000"


def _signed_for_s3(url: str, path: str) -> tuple[int, bytes]:
    """A GET whose credential scope names S3 (its signature is not checked without verification)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    scope = "t/20260101/us-east-1/s3/aws4_request"
    try:
        connection.request(
            "GET",
            path,
            headers={
                "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
            },
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
