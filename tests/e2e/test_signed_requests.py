"""``serve --verify-signatures`` end to end: the command line, the Anthropic SDK's Bedrock client and the
AWS SDK for JavaScript v3 over HTTP/2, each signing right (served) and wrong (AWS's refusal).

Wire habits found here: the JavaScript SDK over HTTP/2 signs the ``:authority`` pseudo-header instead of
``host`` and sends ``x-amz-content-sha256``; the Anthropic SDK signs with botocore's ``SigV4Auth`` every
header httpx will send (``accept-encoding``, ``x-stainless-*``, ``content-length``) except ``connection``.
"""

from __future__ import annotations

import calendar
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.app import create_app
from emulator.cli import main
from emulator.server import EmulatorServer
from emulator.settings import Settings

KEY, SECRET = "e2e-signed", "e2e-secret"
PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
NODE_DIR = Path(__file__).resolve().parents[1] / "node"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
UNKNOWN_KEY = "The security token included in the request is invalid."
_STAMP = r"\d{8}T\d{6}Z"
EXPIRED = re.compile(rf"Signature expired: {_STAMP} is now earlier than {_STAMP} \({_STAMP} - 5 min\.\)")
_SERVING = re.compile(r"serving on (http://\S+)")
JS_CASES = ("converse", "converse-stream", "invoke-stream")


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("signed-e2e") / "credentials"
    js_keys = "".join(f"js-{case}={SECRET}\n" for case in (*JS_CASES, "clock"))  # a tenant each
    path.write_text(f"{KEY}={SECRET}\n{js_keys}")
    return path


@pytest.fixture(scope="module")
def server(credentials: Path) -> Iterator[EmulatorServer]:
    settings = Settings(port=0, verify_signatures=True, credentials=str(credentials))
    with EmulatorServer(create_app(settings), "127.0.0.1", 0) as running:
        yield running


def _journal(server: EmulatorServer, tenant: str) -> list[Any]:
    entries: list[Any] = server.app.extensions["bedrock_emulator"].journal.entries(tenant=tenant)  # type: ignore[attr-defined]
    return entries


def _skew_botocore(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(seconds=seconds)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: skewed)


# The command line ------------------------------------------------------------------------------------------


def test_malformed_credentials_file_exits_2_with_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "credentials"
    bad.write_text("# keys\nalice=alice-secret\nbob\n")

    code = main(["serve", "--port", "0", "--verify-signatures", "--credentials", str(bad)])

    err = capsys.readouterr().err
    assert code == 2
    assert err == f"bedrock-emulator: credentials file {bad}, line 3: expected ACCESS_KEY_ID=SECRET\n"


def test_verify_signatures_from_the_environment_without_a_credentials_file_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEDROCK_EMULATOR_VERIFY_SIGNATURES", "1")
    monkeypatch.delenv("BEDROCK_EMULATOR_CREDENTIALS", raising=False)

    code = main(["serve", "--port", "0"])

    assert code == 2
    assert "--verify-signatures needs a credentials file" in capsys.readouterr().err


def test_serve_with_the_flags_serves_the_right_secret_and_refuses_a_wrong_one(credentials: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEDROCK_EMULATOR_", "AWS_"))}
    # WARNING: no line per call, so the stderr pipe read only up to the announcement never fills.
    command = [
        sys.executable,
        "-m",
        "emulator",
        "serve",
        "--port",
        "0",
        "--no-library",
        "--log-level",
        "WARNING",
    ]
    command += ["--verify-signatures", "--credentials", str(credentials)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = _endpoint_from(process)

        def client(secret: str) -> Any:
            return boto3.client(
                "bedrock-runtime",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id=KEY,
                aws_secret_access_key=secret,
                config=Config(retries={"total_max_attempts": 1}),
            )

        messages = [{"role": "user", "content": [{"text": "Hi"}]}]
        assert client(SECRET).converse(modelId=PROFILE, messages=messages)["stopReason"]
        with pytest.raises(ClientError) as caught:
            client("wrong").converse(modelId=PROFILE, messages=messages)
        assert caught.value.response["Error"] == {"Code": "InvalidSignatureException", "Message": MISMATCH}
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def _endpoint_from(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = _SERVING.search(line)
        if found:
            return found.group(1)
        if not line and process.poll() is not None:
            break
    pytest.fail("bedrock-emulator serve did not announce its endpoint")


# The Anthropic SDK's Bedrock client --------------------------------------------------------------------


def _anthropic(server: EmulatorServer, key: str = KEY, secret: str = SECRET) -> Any:
    anthropic = pytest.importorskip("anthropic")
    return anthropic.AnthropicBedrock(
        aws_access_key=key,
        aws_secret_key=secret,
        aws_region="us-east-1",
        base_url=server.endpoint_url,
        max_retries=0,
    )


def _hello() -> list[dict[str, Any]]:
    return [{"role": "user", "content": "Hello"}]


def test_anthropic_sdk_signing_right_creates_and_streams_messages(server: EmulatorServer) -> None:
    client = _anthropic(server)
    try:
        message = client.messages.create(model=PROFILE, max_tokens=16, messages=_hello())
        with client.messages.stream(model=PROFILE, max_tokens=16, messages=_hello()) as stream:
            final = stream.get_final_message()
    finally:
        client.close()

    assert message.content[0].text.strip()
    assert final.stop_reason in ("end_turn", "max_tokens")


@pytest.mark.parametrize(
    ("key", "secret", "message"),
    [(KEY, "not-the-secret", MISMATCH), ("nobody-knows-me", SECRET, UNKNOWN_KEY)],
    ids=["wrong-secret", "unknown-key"],
)
def test_anthropic_sdk_refused_raises_permission_denied_with_aws_message(
    server: EmulatorServer, key: str, secret: str, message: str
) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = _anthropic(server, key, secret)
    try:
        with pytest.raises(anthropic.PermissionDeniedError) as caught:
            client.messages.create(model=PROFILE, max_tokens=16, messages=_hello())
    finally:
        client.close()

    assert caught.value.status_code == 403
    assert caught.value.body == {"message": message}


def test_anthropic_sdk_with_a_clock_ten_minutes_slow_gets_signature_expired(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    anthropic = pytest.importorskip("anthropic")
    _skew_botocore(monkeypatch, -600)
    client = _anthropic(server)
    try:
        with pytest.raises(anthropic.PermissionDeniedError) as caught:
            client.messages.create(model=PROFILE, max_tokens=16, messages=_hello())
    finally:
        client.close()

    assert caught.value.response.headers["x-amzn-errortype"].startswith("InvalidSignatureException:")
    assert EXPIRED.fullmatch(caught.value.body["message"])


# The AWS SDK for JavaScript v3 over HTTP/2 ---------------------------------------------------------------

_node = pytest.mark.skipif(
    shutil.which("node") is None
    or not (NODE_DIR / "node_modules" / "@aws-sdk" / "client-bedrock-runtime").is_dir(),
    reason="node or tests/node/node_modules is missing (make test installs it when npm is there)",
)


def _node_call(
    server: EmulatorServer,
    case: str,
    *,
    key: str = KEY,
    secret: str = SECRET,
    clock_offset_ms: int = 0,
    max_attempts: int = 1,
) -> Any:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BEDROCK_ENDPOINT": server.endpoint_url,
        "MODEL_ID": PROFILE,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CLOCK_OFFSET_MS": str(clock_offset_ms),
        "MAX_ATTEMPTS": str(max_attempts),
    }
    result = subprocess.run(
        ["node", "signed_calls.mjs", case],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@_node
@pytest.mark.node
@pytest.mark.parametrize("case", JS_CASES)
def test_javascript_sdk_signing_right_over_http2_is_served(server: EmulatorServer, case: str) -> None:
    key = f"js-{case}"

    result = _node_call(server, case, key=key)

    assert "error" not in result, result
    assert (result["httpStatusCode"], result["requestHandler"]) == (200, "NodeHttp2Handler")
    [entry] = _journal(server, key)
    assert (entry.status, entry.protocol) == (200, "HTTP/2")


@_node
@pytest.mark.node
@pytest.mark.parametrize(
    ("key", "secret", "name", "message"),
    [
        (KEY, "not-the-secret", "InvalidSignatureException", MISMATCH),
        ("js-nobody", SECRET, "UnrecognizedClientException", UNKNOWN_KEY),
    ],
    ids=["wrong-secret", "unknown-key"],
)
def test_javascript_sdk_refused_throws_the_named_exception_with_status_403(
    server: EmulatorServer, key: str, secret: str, name: str, message: str
) -> None:
    error = _node_call(server, "converse", key=key, secret=secret)["error"]

    assert error == {"name": name, "message": message, "fault": "client", "httpStatusCode": 403}


@_node
@pytest.mark.node
def test_javascript_sdk_with_a_clock_ten_minutes_slow_gets_signature_expired(server: EmulatorServer) -> None:
    started = calendar.timegm(time.gmtime())

    error = _node_call(server, "converse-stream", clock_offset_ms=-600_000)["error"]

    assert (error["name"], error["httpStatusCode"]) == ("InvalidSignatureException", 403)
    assert EXPIRED.fullmatch(error["message"])
    signed_at = calendar.timegm(time.strptime(error["message"].split()[2], "%Y%m%dT%H%M%SZ"))
    assert 590 <= started - signed_at <= 620


@_node
@pytest.mark.node
def test_javascript_sdk_retrying_corrects_its_clock_from_the_date_header_and_succeeds(
    server: EmulatorServer,
) -> None:
    # The SDK takes "Signature expired" as transient and re-signs with the offset of the response's Date.
    result = _node_call(server, "converse", key="js-clock", clock_offset_ms=-600_000, max_attempts=3)

    assert (result["httpStatusCode"], result["attempts"]) == (200, 2)
    assert [(e.status, e.error_code) for e in _journal(server, "js-clock")] == [
        (403, "InvalidSignatureException"),
        (200, None),
    ]


# make test-signed ------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("BEDROCK_EMULATOR_VERIFY_SIGNATURES") != "1",
    reason="checks the wiring of make test-signed",
)
def test_plugin_server_checks_signatures_under_make_test_signed(bedrock_emulator: Any) -> None:
    right = bedrock_emulator.client()
    wrong = boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
        **{**bedrock_emulator.credentials, "aws_secret_access_key": "not-emulator"},
    )
    messages = [{"role": "user", "content": [{"text": "Hi"}]}]

    assert right.converse(modelId=PROFILE, messages=messages)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as caught:
        wrong.converse(modelId=PROFILE, messages=messages)
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
