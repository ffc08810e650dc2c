"""The foundation-model catalogue: id forms, Bedrock's exact errors, retirement, geography, data integrity."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from emulator import catalog
from emulator.catalog import ResolvedModel, resolve
from emulator.wire.errors import AwsError

TODAY = date(2026, 11, 22)
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # on-demand, retired 2026-09-10
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"  # profile-only, active
NOVA_MICRO = "amazon.nova-micro-v1:0"  # on-demand, active
ACCOUNT = "123456789012"

INVALID = "The provided model identifier is invalid."
EOL = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)

# Model ids the seed material sends, each with the form that real Bedrock serves from us-east-1.
SEED_IDS = {
    "anthropic.claude-3-5-sonnet-20241022-v2:0": "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-haiku-20240307-v1:0": "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-sonnet-20240229-v1:0": "anthropic.claude-3-sonnet-20240229-v1:0",
    "amazon.titan-text-express-v1": "amazon.titan-text-express-v1",
    "amazon.titan-embed-text-v2:0": "amazon.titan-embed-text-v2:0",
    "meta.llama3-1-70b-instruct-v1:0": "meta.llama3-1-70b-instruct-v1:0",
    "anthropic.claude-sonnet-4-20250514-v1:0": "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-opus-4-20250514-v1:0": "us.anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
}


def _error(model_id: str, *, region: str = "us-east-1", strict: bool = False) -> AwsError:
    with pytest.raises(AwsError) as caught:
        resolve(model_id, region=region, strict=strict, today=TODAY)
    return caught.value


# --- id forms ---------------------------------------------------------------------------------------


def test_bare_on_demand_id_resolves_as_foundation_model() -> None:
    model = catalog.get(NOVA_MICRO)
    assert model is not None
    assert resolve(NOVA_MICRO, today=TODAY) == ResolvedModel(
        NOVA_MICRO, model, "foundation-model", None, "us-east-1"
    )


@pytest.mark.parametrize("prefix", ["us", "global"])
def test_profile_id_from_us_region_resolves_with_its_prefix(prefix: str) -> None:
    resolved = resolve(f"{prefix}.{HAIKU_45}", today=TODAY)
    assert (resolved.kind, resolved.profile_prefix, resolved.model.model_id) == (
        "inference-profile",
        prefix,
        HAIKU_45,
    )


def test_foundation_model_arn_resolves() -> None:
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}"
    resolved = resolve(arn, today=TODAY)
    assert (resolved.requested_id, resolved.kind, resolved.model.model_id) == (
        arn,
        "foundation-model",
        NOVA_MICRO,
    )


def test_inference_profile_arn_resolves_to_its_model() -> None:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{HAIKU_45}"
    resolved = resolve(arn, today=TODAY)
    assert (resolved.kind, resolved.profile_prefix, resolved.model.model_id) == (
        "inference-profile",
        "us",
        HAIKU_45,
    )


@pytest.mark.parametrize("kind", ["application-inference-profile", "provisioned-model"])
def test_account_resource_arns_map_to_the_default_model(kind: str) -> None:
    resolved = resolve(f"arn:aws:bedrock:us-east-1:{ACCOUNT}:{kind}/a1b2c3d4e5f6", today=TODAY, strict=True)
    assert (resolved.kind, resolved.model.model_id, resolved.warnings) == (
        kind,
        catalog.DEFAULT_PROFILE_MODEL_ID,
        (),
    )


def test_gov_cloud_profile_arn_resolves_in_gov_region() -> None:
    arn = f"arn:aws-us-gov:bedrock:us-gov-west-1:{ACCOUNT}:inference-profile/us-gov.anthropic.claude-opus-4-8"
    resolved = resolve(arn, region="us-gov-west-1", today=TODAY)
    assert (resolved.profile_prefix, resolved.region) == ("us-gov", "us-gov-west-1")


# --- errors, exact texts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-9",
        "",
        "ANTHROPIC.CLAUDE-3-HAIKU-20240307-V1:0",
        "anthropic.claude-sonnet-4-20250514",  # the seeds' truncated id: Bedrock wants the -v1:0 suffix
        "xx.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "apac.anthropic.claude-opus-4-5-20251101-v1:0",  # a prefix this model has no profile for
        f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}-nope",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/too-short",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:foundation-model/{NOVA_MICRO}",
        f"arn:aws:bedrock:us-east-1::inference-profile/us.{HAIKU_45}",
        "arn:aws:s3:::bucket/key",
    ],
)
def test_unknown_or_malformed_id_is_invalid_identifier(model_id: str) -> None:
    error = _error(model_id)
    assert (error.code, error.message) == ("ValidationException", INVALID)


def test_bare_id_of_profile_only_model_names_the_id_with_typographic_apostrophe() -> None:
    error = _error(HAIKU_45)
    assert error.code == "ValidationException"
    assert error.message == (
        f"Invocation of model ID {HAIKU_45} with on-demand throughput isn\u2019t supported. "
        "Retry your request with the ID or ARN of an inference profile that contains this model."
    )


def test_profile_only_check_is_enforced_in_lenient_mode_too() -> None:
    assert _error("anthropic.claude-sonnet-5", strict=False).message.startswith("Invocation of model ID")


def test_eu_profile_from_us_credential_is_invalid_identifier() -> None:
    error = _error(f"eu.{HAIKU_45}", region="us-east-1")
    assert (error.code, error.message) == ("ValidationException", INVALID)


def test_profile_arn_from_another_region_is_invalid_identifier() -> None:
    error = _error(f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.{HAIKU_45}", region="us-east-1")
    assert error.message == INVALID


def test_max_tokens_error_quotes_the_limit_twice() -> None:
    error = catalog.max_tokens_error(4096)
    assert (error.code, error.message) == (
        "ValidationException",
        "The maximum tokens you requested exceeds the model limit of 4096. "
        "Try again with a maximum tokens value that is lower than 4096.",
    )


# --- retirement -------------------------------------------------------------------------------------


def test_retired_model_strict_raises_resource_not_found() -> None:
    error = _error(HAIKU_3, strict=True)
    assert (error.code, error.message, error.status("bedrock-runtime")) == (
        "ResourceNotFoundException",
        EOL,
        404,
    )


def test_retired_model_strict_via_profile_also_raises_resource_not_found() -> None:
    assert _error(f"us.{HAIKU_3}", strict=True).code == "ResourceNotFoundException"


def test_retired_model_lenient_resolves_with_warning_naming_the_date() -> None:
    resolved = resolve(HAIKU_3, today=TODAY)
    assert resolved.model.model_id == HAIKU_3
    assert resolved.warnings == (
        f"{HAIKU_3} reached its end of life on 2026-09-10; real Bedrock answers ResourceNotFoundException",
    )


def test_model_is_retired_on_its_eol_date_not_the_day_before() -> None:
    model = catalog.get(HAIKU_3)
    assert model is not None
    assert not model.is_retired(date(2026, 9, 9))
    assert model.is_retired(date(2026, 9, 10))
    assert resolve(HAIKU_3, strict=True, today=date(2026, 9, 9)).warnings == ()


def test_today_defaults_to_the_real_date(monkeypatch: pytest.MonkeyPatch) -> None:
    class FrozenDate(date):
        @classmethod
        def today(cls) -> FrozenDate:
            return cls(2020, 1, 1)

    monkeypatch.setattr(catalog, "date", FrozenDate)
    monkeypatch.setattr(catalog, "_day", (0.0, 0.0, date.min))  # forget the day read before
    assert resolve(HAIKU_3, strict=True).warnings == ()


def test_model_without_eol_date_is_never_retired() -> None:
    model = catalog.get(NOVA_MICRO)
    assert model is not None
    assert not model.is_retired(date(2100, 1, 1))


# --- region / geography -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "prefixes"),
    [
        ("us-east-1", ("us", "global")),
        ("us-west-2", ("us", "global")),
        ("eu-west-1", ("eu", "global")),
        ("ap-south-1", ("apac", "global")),
        ("ap-northeast-1", ("apac", "jp", "global")),
        ("ap-southeast-2", ("apac", "au", "global")),
        ("us-gov-west-1", ("us-gov",)),
    ],
)
def test_profile_prefixes_for_region(region: str, prefixes: tuple[str, ...]) -> None:
    assert catalog.profile_prefixes_for_region(region) == prefixes


def test_eu_profile_resolves_from_eu_region() -> None:
    assert resolve(f"eu.{HAIKU_45}", region="eu-central-1", today=TODAY).region == "eu-central-1"


def test_jp_profile_resolves_from_tokyo_but_not_from_singapore() -> None:
    assert resolve(f"jp.{HAIKU_45}", region="ap-northeast-1", today=TODAY).profile_prefix == "jp"
    assert _error(f"jp.{HAIKU_45}", region="ap-southeast-1").message == INVALID


def test_inference_profile_ids_only_list_the_regions_geographies() -> None:
    us_ids = catalog.inference_profile_ids("us-east-1")
    assert f"us.{HAIKU_45}" in us_ids
    assert f"global.{HAIKU_45}" in us_ids
    assert all(i.split(".", 1)[0] in {"us", "global"} for i in us_ids)
    assert f"eu.{HAIKU_45}" in catalog.inference_profile_ids("eu-west-1")


def test_every_listed_profile_id_resolves_from_its_region() -> None:
    for region in ("us-east-1", "eu-west-1", "ap-northeast-1", "ap-southeast-2", "us-gov-west-1"):
        for profile_id in catalog.inference_profile_ids(region):
            assert resolve(profile_id, region=region, today=TODAY).kind == "inference-profile"


def test_arn_uses_the_regions_partition() -> None:
    model = catalog.get(NOVA_MICRO)
    assert model is not None
    assert model.arn == f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}"
    assert model.arn_in("us-gov-west-1").startswith("arn:aws-us-gov:bedrock:us-gov-west-1::")


# --- data integrity ---------------------------------------------------------------------------------


def test_every_record_has_a_known_body_family_and_sane_limits() -> None:
    for model in catalog.foundation_models():
        assert model.body_family in catalog.BODY_FAMILIES, model.model_id
        assert model.context_window > 0, model.model_id
        assert 0 <= model.default_max_tokens <= model.max_output_tokens <= model.context_window, (
            model.model_id
        )
        if model.converse:
            assert model.max_output_tokens > 0, model.model_id
            assert model.default_max_tokens > 0, model.model_id
        assert model.lifecycle in {"ACTIVE", "LEGACY"}, model.model_id
        if model.legacy_date and model.eol_date:
            assert model.legacy_date < model.eol_date, model.model_id


def test_embedding_and_image_models_do_not_support_converse() -> None:
    for model in catalog.foundation_models():
        if model.is_embedding or "IMAGE" in model.output_modalities:
            assert not model.converse, model.model_id


def test_profile_only_models_have_at_least_one_profile() -> None:
    for model in catalog.foundation_models():
        if not model.on_demand:
            assert model.profile_prefixes, model.model_id
            assert model.inference_types == ("INFERENCE_PROFILE",), model.model_id


def test_get_returns_none_for_profile_ids() -> None:
    assert catalog.get(f"us.{HAIKU_45}") is None


@pytest.mark.parametrize(("seed_id", "served_as"), SEED_IDS.items())
def test_seed_model_ids_are_catalogued_and_resolvable(seed_id: str, served_as: str) -> None:
    assert catalog.get(seed_id) is not None
    assert resolve(served_as, today=TODAY).model.model_id == seed_id


@pytest.mark.parametrize(
    ("model_id", "limit"),
    [
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", 4096),
        ("anthropic.claude-opus-4-20250514-v1:0", 32768),
        ("amazon.titan-text-premier-v1:0", 3000),
        ("meta.llama3-1-70b-instruct-v1:0", 2048),
        ("amazon.nova-pro-v1:0", 10000),
        (HAIKU_45, 64000),
    ],
)
def test_observed_bedrock_limits_win_over_third_party_catalogues(model_id: str, limit: int) -> None:
    model = catalog.get(model_id)
    assert model is not None
    assert model.max_output_tokens == limit


def test_current_families_are_present() -> None:
    for model_id in [
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-opus-4-5-20251101-v1:0",
        "anthropic.claude-v2",
        "anthropic.claude-v2:1",
        "anthropic.claude-instant-v1",
        "amazon.titan-text-lite-v1",
        "amazon.titan-embed-text-v1",
        "amazon.titan-image-generator-v1",
        "amazon.nova-lite-v1:0",
        "amazon.nova-premier-v1:0",
        "amazon.nova-2-lite-v1:0",
        "meta.llama3-8b-instruct-v1:0",
        "meta.llama3-2-11b-instruct-v1:0",
        "meta.llama3-3-70b-instruct-v1:0",
        "meta.llama4-maverick-17b-instruct-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
        "mistral.mixtral-8x7b-instruct-v0:1",
        "mistral.mistral-large-2407-v1:0",
        "mistral.mistral-small-2402-v1:0",
        "cohere.command-r-v1:0",
        "cohere.command-r-plus-v1:0",
        "cohere.embed-english-v3",
        "cohere.embed-multilingual-v3",
        "cohere.embed-v4:0",
        "cohere.rerank-v3-5:0",
        "ai21.jamba-1-5-mini-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "deepseek.r1-v1:0",
        "openai.gpt-oss-120b-1:0",
    ]:
        assert catalog.get(model_id) is not None, model_id


def test_public_api_is_stable() -> None:
    assert set(catalog.__all__) >= {
        "FoundationModel",
        "ResolvedModel",
        "resolve",
        "get",
        "foundation_models",
        "inference_profile_ids",
        "profile_prefixes_for_region",
        "max_tokens_error",
    }


# --- performance ------------------------------------------------------------------------------------


def test_hundred_thousand_resolves_take_well_under_a_second() -> None:
    ids = [NOVA_MICRO, f"us.{HAIKU_45}", HAIKU_3, f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}"]
    start = time.perf_counter()
    for i in range(100_000):
        resolve(ids[i % 4], today=TODAY)
    assert time.perf_counter() - start < 0.8


def test_the_date_is_read_again_once_the_day_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = catalog._today()
    start, end, day = catalog._day
    assert day == seen
    assert start <= time.time() < end
    monkeypatch.setattr(catalog.time, "time", lambda: end + 1)

    class NextDay(date):
        @classmethod
        def today(cls) -> NextDay:
            return cls.fromordinal(seen.toordinal() + 1)

    monkeypatch.setattr(catalog, "date", NextDay)
    assert catalog._today() == seen + timedelta(days=1)
