"""SigV4 credential parsing with plain values: the access key names the tenant, the scope names the region."""

from __future__ import annotations

import time

import pytest

from emulator.wire.sigv4 import (
    ANONYMOUS,
    DEFAULT_REGION,
    MAX_AUTHORIZATION_LENGTH,
    Caller,
    caller_from,
    parse_authorization,
)

_HEADER = (
    "AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/bedrock/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd"
)


def test_authorization_header_names_tenant_and_region() -> None:
    assert caller_from(_HEADER.format(key="team-a", region="eu-west-1")) == Caller(
        "team-a", "eu-west-1", True
    )


def test_real_looking_access_key_id_is_the_tenant() -> None:
    caller = caller_from(_HEADER.format(key="AKIAIOSFODNN7EXAMPLE", region="us-west-2"))
    assert (caller.tenant, caller.region) == ("AKIAIOSFODNN7EXAMPLE", "us-west-2")


def test_scenario_name_as_access_key_is_kept_verbatim() -> None:
    assert (
        caller_from(_HEADER.format(key="throttle-3-then-ok", region="us-east-1")).tenant
        == "throttle-3-then-ok"
    )


def test_minimal_fake_header_from_the_docs_is_accepted() -> None:
    header = "AWS4-HMAC-SHA256 Credential=t1/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"
    assert caller_from(header) == Caller("t1", "us-east-1", True)


def test_header_without_spaces_after_commas_still_parses() -> None:
    header = "AWS4-HMAC-SHA256 Credential=k/20260101/ap-south-1/bedrock/aws4_request,SignedHeaders=host,Signature=00"
    assert caller_from(header) == Caller("k", "ap-south-1", True)


def test_presigned_query_credential_names_tenant_and_region() -> None:
    assert caller_from(None, "presign-tenant/20260101/eu-central-1/bedrock/aws4_request") == Caller(
        "presign-tenant", "eu-central-1", True
    )


def test_authorization_header_wins_over_query_credential() -> None:
    caller = caller_from(
        _HEADER.format(key="header", region="us-west-2"), "query/20260101/eu-west-1/bedrock/aws4_request"
    )
    assert caller.tenant == "header"


def test_unsigned_request_is_anonymous_in_us_east_1() -> None:
    assert caller_from(None) == Caller(ANONYMOUS, DEFAULT_REGION, False)
    assert (ANONYMOUS, DEFAULT_REGION) == ("anonymous", "us-east-1")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "Bearer abc.def.ghi",
        "AWS4-HMAC-SHA256 Credential=onlykey, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=k/2026/us-east-1/bedrock/aws4_request, Signature=00",
        "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/bedrock/not_aws4, Signature=00",
    ],
)
def test_garbage_authorization_is_anonymous(header: str) -> None:
    assert caller_from(header) == Caller(ANONYMOUS, DEFAULT_REGION, False)


@pytest.mark.parametrize("credential", ["", "k/20260101/us-east-1", "k/20260101/us-east-1/bedrock/other"])
def test_malformed_query_credential_is_anonymous(credential: str) -> None:
    assert caller_from(None, credential) == Caller(ANONYMOUS, DEFAULT_REGION, False)


def test_header_signed_by_botocore_parses_to_its_key_and_region() -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url="http://127.0.0.1:8484/model/m/converse", data=b"{}")
    SigV4Auth(Credentials("botocore-tenant", "secret"), "bedrock", "ca-central-1").add_auth(request)
    assert caller_from(request.headers["Authorization"]) == Caller("botocore-tenant", "ca-central-1", True)


@pytest.mark.parametrize(
    "header",
    [
        "Credential=" * 6000,  # 66 KB: took the old backtracking pattern 2-3 s
        "AWS4-HMAC-SHA256 " + "Credential=a/" * 5000,
        "AWS4-HMAC-SHA256 Credential=" + "k" * 65_000 + "/20260101/us-east-1/bedrock/aws4_request",
        "AWS4-HMAC-SHA256 " + ", " * 32_000,
    ],
)
def test_crafted_64_kb_header_costs_well_under_50_ms_and_is_unsigned(header: str) -> None:
    started = time.perf_counter()
    caller = caller_from(header)
    elapsed = time.perf_counter() - started

    assert caller == Caller(ANONYMOUS, DEFAULT_REGION, False)
    assert elapsed < 0.05


def test_header_just_under_the_cap_still_names_its_tenant() -> None:
    padding = "x" * (MAX_AUTHORIZATION_LENGTH - 200)
    header = f"AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/bedrock/aws4_request, Signature={padding}"
    assert len(header) <= MAX_AUTHORIZATION_LENGTH
    assert caller_from(header) == Caller("k", "us-east-1", True)


def test_header_over_the_cap_is_not_looked_into() -> None:
    header = _HEADER.format(key="k", region="us-east-1") + ", Pad=" + "x" * MAX_AUTHORIZATION_LENGTH
    assert parse_authorization(header) is None
    assert caller_from(header).signed is False


def test_parameters_split_on_commas_and_spaces_and_bare_tokens_are_kept_apart() -> None:
    parsed = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=k /20260101/r/s/aws4_request,SignedHeaders=host"
    )
    assert parsed is not None
    assert parsed.scheme == "AWS4-HMAC-SHA256"
    assert parsed.params == {"Credential": "k", "SignedHeaders": "host"}
    assert parsed.bare == ("/20260101/r/s/aws4_request",)
