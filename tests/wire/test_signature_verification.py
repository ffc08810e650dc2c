"""``--verify-signatures`` over a real socket: boto3 signs, the emulator checks, and every refusal is AWS's
own (status 403, ``x-amzn-ErrorType`` in coral's namespace, the exact message; docs/security.md).

This file runs its own emulator with a credentials file, so it means the same under ``make test-signed``.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import http.client
import json
import logging
import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings

KEY, SECRET = "signed-tenant", "signed-secret"
PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{PROFILE}"
FOUNDATION_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
CORAL = ":http://internal.amazon.com/coral/com.amazon.coral.service/"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
UNKNOWN_KEY = "The security token included in the request is invalid."
_STAMP = r"\d{8}T\d{6}Z"
MESSAGES = [{"role": "user", "content": [{"text": "Name three colours."}]}]
CONVERSE_BODY = json.dumps({"messages": MESSAGES, "inferenceConfig": {"maxTokens": 16}}).encode()
ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 24,
    "messages": [{"role": "user", "content": "Hello"}],
}


@dataclass
class _Signed:
    server: EmulatorServer

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def state(self) -> Any:
        return self.server.app.extensions["bedrock_emulator"]  # type: ignore[attr-defined]

    def client(
        self, service: str = "bedrock-runtime", key: str = KEY, secret: str = SECRET, **config: Any
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1}, **config),
        )


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Signed]:
    credentials = tmp_path_factory.mktemp("signed") / "credentials"
    credentials.write_text(f"# who may call\n{KEY}={SECRET}\n\nother-tenant = other-secret\n")
    settings = Settings(port=0, verify_signatures=True, credentials=str(credentials))
    with EmulatorServer(create_app(settings), "127.0.0.1", 0) as server:
        yield _Signed(server)


@dataclass
class _Raw:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def _send(signed: _Signed, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> _Raw:
    parts = urlsplit(signed.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return _Raw(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def _signed_by_botocore(
    signed: _Signed,
    target: str,
    body: bytes,
    *,
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
    service: str = "bedrock",
) -> dict[str, str]:
    """The headers botocore's signer adds to a POST of ``body`` to ``target``."""
    request = AWSRequest(method="POST", url=signed.endpoint_url + target, data=body, headers=headers or {})
    request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials(KEY, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def _converse_path(model: str = "amazon.nova-micro-v1%3A0") -> str:
    return f"/model/{model}/converse"


def _refusal(caught: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str, str]:
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"],
    )


def _clock(monkeypatch: pytest.MonkeyPatch, offset_seconds: float) -> None:
    """Make botocore sign as if its clock were ``offset_seconds`` away from the real one."""
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(
        seconds=offset_seconds
    )
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: skewed)


# Clients signing right are served ------------------------------------------------------------------------


def test_converse_signed_with_the_listed_secret_is_served(signed: _Signed) -> None:
    answer = signed.client().converse(modelId=PROFILE, messages=MESSAGES, inferenceConfig={"maxTokens": 16})

    assert answer["output"]["message"]["role"] == "assistant"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_converse_stream_signed_right_streams_every_event(signed: _Signed) -> None:
    answer = signed.client().converse_stream(
        modelId=PROFILE, messages=MESSAGES, inferenceConfig={"maxTokens": 16}
    )
    events = [next(iter(event)) for event in answer["stream"]]

    assert events[0] == "messageStart"
    assert events[-1] == "metadata"


def test_invoke_model_with_response_stream_signed_right_yields_anthropic_chunks(signed: _Signed) -> None:
    answer = signed.client().invoke_model_with_response_stream(
        modelId=PROFILE, body=json.dumps(ANTHROPIC_BODY)
    )
    chunks = [json.loads(event["chunk"]["bytes"]) for event in answer["body"] if "chunk" in event]

    assert chunks[0]["type"] == "message_start"
    assert chunks[-1]["type"] == "message_stop"


def test_percent_encoded_arn_in_the_path_is_double_encoded_as_botocore_signs_it(signed: _Signed) -> None:
    # The ARN's ':' and '/' travel as %3A and %2F; the canonical URI encodes those escapes once more.
    answer = signed.client().converse(
        modelId=PROFILE_ARN, messages=MESSAGES, inferenceConfig={"maxTokens": 8}
    )

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_get_with_query_parameters_is_served_on_the_control_plane(signed: _Signed) -> None:
    bedrock = signed.client("bedrock")

    summaries = bedrock.list_foundation_models(byProvider="Anthropic", byOutputModality="TEXT")[
        "modelSummaries"
    ]
    model = bedrock.get_foundation_model(modelIdentifier=FOUNDATION_MODEL)["modelDetails"]

    assert summaries
    assert model["modelId"] == FOUNDATION_MODEL


def test_second_listed_key_signs_with_its_own_secret(signed: _Signed) -> None:
    client = signed.client(key="other-tenant", secret="other-secret")

    assert client.converse(modelId=PROFILE, messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_date_header_instead_of_x_amz_date_is_accepted(signed: _Signed) -> None:
    headers = _signed_by_botocore(
        signed, _converse_path(), CONVERSE_BODY, headers={"Date": formatdate(usegmt=True)}
    )
    assert "X-Amz-Date" not in headers

    assert _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY).status == 200


def test_unsigned_payload_is_accepted_when_the_client_says_so(signed: _Signed) -> None:
    headers = _signed_by_botocore(
        signed, _converse_path(), CONVERSE_BODY, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )

    assert _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY).status == 200


def test_virtual_clock_of_the_scenarios_does_not_age_signatures(signed: _Signed) -> None:
    signed.state.engine.clock.advance(3600)

    assert (
        signed.client().converse(modelId=PROFILE, messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )


def test_admin_api_is_not_signature_checked(signed: _Signed) -> None:
    with urllib.request.urlopen(f"{signed.endpoint_url}/_emulator/health", timeout=10) as response:
        assert response.status == 200


# Presigned URLs --------------------------------------------------------------------------------------------


def test_presigned_get_foundation_model_url_is_served(signed: _Signed) -> None:
    url = signed.client("bedrock").generate_presigned_url(
        "get_foundation_model", Params={"modelIdentifier": FOUNDATION_MODEL}
    )
    assert "X-Amz-Signature=" in url

    with urllib.request.urlopen(url, timeout=10) as response:
        assert json.loads(response.read())["modelDetails"]["modelId"] == FOUNDATION_MODEL


def test_presigned_url_with_a_wrong_secret_is_refused(signed: _Signed) -> None:
    url = signed.client("bedrock", secret="not-the-secret").generate_presigned_url(
        "get_foundation_model", Params={"modelIdentifier": FOUNDATION_MODEL}
    )

    refused = _send(signed, "GET", url.removeprefix(signed.endpoint_url), {})

    assert (refused.status, refused.headers["x-amzn-errortype"]) == (403, "InvalidSignatureException" + CORAL)
    assert refused.json == {"message": MISMATCH}


def test_presigned_url_pointed_at_another_model_is_refused(signed: _Signed) -> None:
    url = signed.client("bedrock").generate_presigned_url(
        "get_foundation_model", Params={"modelIdentifier": FOUNDATION_MODEL}
    )
    tampered = url.removeprefix(signed.endpoint_url).replace("claude-haiku", "claude-sonnet")

    assert _send(signed, "GET", tampered, {}).json == {"message": MISMATCH}


def test_presigned_url_used_more_than_five_minutes_after_its_date_has_expired(
    signed: _Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # X-Amz-Expires is an S3 notion: other services hold a presigned request to the five-minute window.
    _clock(monkeypatch, -3600)
    url = signed.client("bedrock").generate_presigned_url(
        "get_foundation_model", Params={"modelIdentifier": FOUNDATION_MODEL}, ExpiresIn=7200
    )

    refused = _send(signed, "GET", url.removeprefix(signed.endpoint_url), {})

    assert refused.status == 403
    assert re.fullmatch(
        rf"Signature expired: {_STAMP} is now earlier than {_STAMP} \({_STAMP} - 5 min\.\)",
        refused.json["message"],
    )


def test_incomplete_presigned_query_names_each_missing_parameter(signed: _Signed) -> None:
    target = "/foundation-models/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z"

    refused = _send(signed, "GET", target, {})

    assert (refused.status, refused.headers["x-amzn-errortype"]) == (
        403,
        "IncompleteSignatureException" + CORAL,
    )
    assert refused.json == {
        "message": "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters "
        "must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "Re-examine the query-string parameters."
    }


def test_header_and_presigned_query_together_are_refused(signed: _Signed) -> None:
    url = signed.client("bedrock").generate_presigned_url(
        "get_foundation_model", Params={"modelIdentifier": FOUNDATION_MODEL}
    )
    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/bedrock/aws4_request"}

    refused = _send(signed, "GET", url.removeprefix(signed.endpoint_url), headers)

    assert refused.json == {
        "message": "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    }


# AWS's refusals -----------------------------------------------------------------------------------------


def test_wrong_secret_is_refused_with_invalid_signature_exception(signed: _Signed) -> None:
    with pytest.raises(ClientError) as caught:
        signed.client(secret="not-the-secret").converse(modelId=PROFILE, messages=MESSAGES)

    assert _refusal(caught) == (
        403,
        "InvalidSignatureException",
        MISMATCH,
        "InvalidSignatureException" + CORAL,
    )


def test_wrong_secret_on_a_stream_is_refused_before_the_stream_opens(signed: _Signed) -> None:
    with pytest.raises(ClientError) as caught:
        signed.client(secret="not-the-secret").converse_stream(modelId=PROFILE, messages=MESSAGES)

    assert _refusal(caught)[:2] == (403, "InvalidSignatureException")


def test_unknown_access_key_is_refused_with_unrecognized_client_exception(signed: _Signed) -> None:
    with pytest.raises(ClientError) as caught:
        signed.client(key="nobody-knows-me").converse(modelId=PROFILE, messages=MESSAGES)

    assert _refusal(caught) == (
        403,
        "UnrecognizedClientException",
        UNKNOWN_KEY,
        "UnrecognizedClientException" + CORAL,
    )


def test_unsigned_runtime_request_gets_the_api_key_front_ends_authorization_header_is_missing(
    signed: _Signed,
) -> None:
    refused = _send(signed, "POST", _converse_path(), {"Content-Type": "application/json"}, CONVERSE_BODY)

    assert (refused.status, refused.headers["x-amzn-errortype"]) == (403, "AccessDeniedException" + CORAL)
    assert refused.body == b'{"Message":"Authorization header is missing"}'


def test_unsigned_agent_runtime_request_gets_missing_authentication_token(signed: _Signed) -> None:
    client = boto3.client(
        "bedrock-agent-runtime",
        endpoint_url=signed.endpoint_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )

    with pytest.raises(ClientError) as caught:
        client.retrieve(knowledgeBaseId="KB12345678", retrievalQuery={"text": "hello"})

    assert _refusal(caught) == (
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
        "MissingAuthenticationTokenException" + CORAL,
    )


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not-an-api-key", "Invalid API Key format: Must start with pre-defined prefix"),
        ("ABSKZmFrZS1rZXk=", "Authentication failed: Please make sure your API Key is valid."),
    ],
)
def test_bedrock_api_key_bearer_token_is_refused_as_the_api_key_front_end_does(
    signed: _Signed, token: str, message: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    refused = _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY)

    assert (refused.status, refused.headers["x-amzn-errortype"]) == (403, "AccessDeniedException" + CORAL)
    assert refused.json == {"Message": message}


def test_signature_from_ten_minutes_ago_has_expired(signed: _Signed, monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, -600)

    with pytest.raises(ClientError) as caught:
        signed.client().converse(modelId=PROFILE, messages=MESSAGES)

    status, code, message, error_type = _refusal(caught)
    assert (status, code, error_type) == (
        403,
        "InvalidSignatureException",
        "InvalidSignatureException" + CORAL,
    )
    found = re.fullmatch(
        rf"Signature expired: ({_STAMP}) is now earlier than ({_STAMP}) \(({_STAMP}) - 5 min\.\)", message
    )
    assert found is not None
    signed_at, limit, now = (
        calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")) for stamp in found.groups()
    )
    assert now - limit == 300
    assert 590 <= now - signed_at <= 620


def test_signature_from_ten_minutes_ahead_is_not_yet_current(
    signed: _Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clock(monkeypatch, 600)

    with pytest.raises(ClientError) as caught:
        signed.client().converse(modelId=PROFILE, messages=MESSAGES)

    assert re.fullmatch(
        rf"Signature not yet current: {_STAMP} is still later than {_STAMP} \({_STAMP} \+ 5 min\.\)",
        _refusal(caught)[2],
    )


def test_four_minutes_of_skew_is_still_accepted(signed: _Signed, monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, -240)

    assert (
        signed.client().converse(modelId=PROFILE, messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )


def test_body_changed_after_signing_is_refused(signed: _Signed) -> None:
    headers = _signed_by_botocore(signed, _converse_path(), CONVERSE_BODY)
    changed = CONVERSE_BODY.replace(b"colours", b"animals")

    refused = _send(signed, "POST", _converse_path(), headers, changed)

    assert refused.json == {"message": MISMATCH}


def test_body_changed_under_a_signed_content_hash_header_is_refused(signed: _Signed) -> None:
    # The JavaScript SDK sends x-amz-content-sha256 with the body's hash; the hash must be the body's.
    digest = hashlib.sha256(CONVERSE_BODY).hexdigest()
    headers = _signed_by_botocore(
        signed, _converse_path(), CONVERSE_BODY, headers={"X-Amz-Content-SHA256": digest}
    )
    assert _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY).status == 200

    refused = _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY.replace(b"colours", b"animals"))

    assert refused.json == {"message": MISMATCH}


def test_scope_for_another_service_is_refused_naming_bedrock(signed: _Signed) -> None:
    headers = _signed_by_botocore(signed, _converse_path(), CONVERSE_BODY, service="bedrock-runtime")

    refused = _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY)

    assert (refused.status, refused.headers["x-amzn-errortype"]) == (403, "InvalidSignatureException" + CORAL)
    assert refused.json == {"message": "Credential should be scoped to correct service: 'bedrock'. "}


def test_authorization_missing_its_signature_is_incomplete(signed: _Signed) -> None:
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={KEY}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host"
    )
    headers = {"Authorization": authorization, "X-Amz-Date": "20260101T000000Z"}

    refused = _send(signed, "POST", _converse_path(), headers, CONVERSE_BODY)

    assert (refused.status, refused.headers["x-amzn-errortype"]) == (
        403,
        "IncompleteSignatureException" + CORAL,
    )
    assert refused.json == {
        "message": f"Authorization header requires 'Signature' parameter. Authorization={authorization}"
    }


def test_host_left_out_of_the_signed_headers_is_refused(signed: _Signed) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={KEY}/{stamp[:8]}/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=x-amz-date, Signature=00"
    )

    refused = _send(signed, "POST", _converse_path(), {"Authorization": authorization, "X-Amz-Date": stamp})

    assert refused.json == {"message": "'Host' must be a 'SignedHeader' in the AWS Authorization."}


def test_64_kb_authorization_header_is_refused_quickly_as_incomplete(signed: _Signed) -> None:
    authorization = "AWS4-HMAC-SHA256 " + "Credential=" * 5_800
    started = time.perf_counter()

    refused = _send(signed, "POST", _converse_path(), {"Authorization": authorization}, CONVERSE_BODY)

    assert time.perf_counter() - started < 1.0
    assert (refused.status, refused.headers["x-amzn-errortype"]) == (
        403,
        "IncompleteSignatureException" + CORAL,
    )
    assert refused.json["message"].startswith("Authorization header requires 'Credential' parameter. ")


def test_refused_request_is_journaled_with_its_code_for_the_tenant_it_named(signed: _Signed) -> None:
    tenant = "journaled-but-unknown"
    with pytest.raises(ClientError):
        signed.client(key=tenant).converse(modelId=PROFILE, messages=MESSAGES)

    [entry] = signed.state.journal.entries(tenant=tenant)

    assert (entry.operation, entry.status, entry.error_code) == (
        "Converse",
        403,
        "UnrecognizedClientException",
    )


def test_credentials_file_edited_while_serving_takes_effect(signed: _Signed) -> None:
    path = Path(signed.state.settings.credentials)
    original = path.read_text()
    try:
        path.write_text(original + "late-tenant=late-secret\n")
        client = signed.client(key="late-tenant", secret="late-secret")

        assert (
            client.converse(modelId=PROFILE, messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"] == 200
        )
    finally:
        path.write_text(original)


def test_wrong_secret_logs_the_canonical_request_with_the_path_escapes_encoded_again(
    signed: _Signed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bedrock_emulator.signature")
    with pytest.raises(ClientError):
        signed.client(secret="not-the-secret").converse(modelId=PROFILE, messages=MESSAGES)

    [record] = [r for r in caplog.records if r.name == "bedrock_emulator.signature"]
    logged = record.getMessage()
    assert f"signature mismatch for access key {KEY}" in logged
    assert "POST\n/model/us.anthropic.claude-haiku-4-5-20251001-v1%253A0/converse\n" in logged
    assert "\nAWS4-HMAC-SHA256\n" in logged
