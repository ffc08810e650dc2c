"""Quota rules: RPM/TPM/TPD sliding windows per model per tenant on the virtual clock."""

from __future__ import annotations

from emulator.engine import Call, Engine
from emulator.engine.quotas import RPM_MESSAGE, TPD_MESSAGE, TPM_MESSAGE

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def call(tenant: str = "t", model: str = HAIKU, tokens: int = 0) -> Call:
    return Call(
        "bedrock-runtime",
        "Converse",
        tenant,
        model_id=model,
        foundation_model_id=model,
        estimated_tokens=tokens,
    )


def engine(quota: str, extra_rules: str = "") -> Engine:
    built = Engine()
    built.load_text(
        f"version: 1\nname: t\nrules:\n  - {{id: q, match: {{operations: [Converse]}}, quota: {quota}}}\n"
        + extra_rules
    )
    return built


def messages(built: Engine, calls: list[Call]) -> list[str | None]:
    return [p.error.message if p.error else None for p in map(built.plan, calls)]


def test_rpm_throttles_the_48th_request_with_the_real_message() -> None:
    built = engine("{rpm: 47}")
    seen = messages(built, [call()] * 50)
    assert seen[:47] == [None] * 47
    assert seen[47:] == [RPM_MESSAGE] * 3
    assert RPM_MESSAGE.endswith("You have sent too many requests.  Wait before trying again.")


def test_rpm_window_slides_on_the_virtual_clock() -> None:
    built = engine("{rpm: 2}")
    assert messages(built, [call()] * 3) == [None, None, RPM_MESSAGE]
    built.clock.advance(30)
    assert messages(built, [call()]) == [RPM_MESSAGE]
    built.clock.advance(31)
    assert messages(built, [call()] * 3) == [None, None, RPM_MESSAGE]


def test_quota_is_per_model_and_per_tenant() -> None:
    built = engine("{rpm: 1}")
    assert messages(built, [call(), call()]) == [None, RPM_MESSAGE]
    assert messages(built, [call(model="amazon.nova-micro-v1:0")]) == [None]
    assert messages(built, [call(tenant="other")]) == [None]


def test_throttle_error_is_a_labelled_throttling_exception() -> None:
    built = engine("{rpm: 1}")
    built.plan(call())
    plan = built.plan(call())
    assert plan.rule_label == "t/q"
    assert plan.error is not None
    assert plan.error.code == "ThrottlingException"
    assert plan.error.status("bedrock-runtime") == 429


def test_tpm_admits_on_estimate_then_settles_real_usage() -> None:
    built = engine("{tpm: 1000}")
    first = built.plan(call(tokens=900))
    assert first.error is None
    assert messages(built, [call(tokens=200)]) == [TPM_MESSAGE]
    built.settle(call(), first, input_tokens=50, output_tokens=50)
    assert messages(built, [call(tokens=800)]) == [None]
    built.clock.advance(61)
    assert messages(built, [call(tokens=1000)]) == [None]


def test_tpd_throttles_with_its_own_message_and_lasts_a_day() -> None:
    built = engine("{tpd: 500}")
    assert messages(built, [call(tokens=400), call(tokens=200)]) == [None, TPD_MESSAGE]
    built.clock.advance(3600)
    assert messages(built, [call(tokens=200)]) == [TPD_MESSAGE]
    built.clock.advance(86_400)
    assert messages(built, [call(tokens=200)]) == [None]


def test_admitted_calls_fall_through_to_later_rules() -> None:
    built = engine("{rpm: 5}", "  - {id: slow, delay: 0.1}\n")
    plan = built.plan(call())
    assert plan.rule_id == "slow"
    assert plan.delay_seconds == 0.1
    assert plan.quota_tickets == ()


def test_reset_clears_quota_windows() -> None:
    built = engine("{rpm: 1}")
    built.plan(call())
    built.reset("t")
    assert messages(built, [call()]) == [None]


def test_clock_never_runs_backwards() -> None:
    built = Engine()
    before = built.clock.now()
    built.clock.advance(10)
    assert built.clock.now() >= before + 10
    try:
        built.clock.advance(-1)
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("negative advance accepted")


def test_the_token_estimate_is_worked_out_only_for_a_rule_that_limits_tokens() -> None:
    asked: list[str] = []

    def estimate() -> int:
        asked.append("estimate")
        return 600

    lazy = Call(
        "bedrock-runtime",
        "Converse",
        "t",
        model_id=HAIKU,
        foundation_model_id=HAIKU,
        estimated_tokens=estimate,
    )
    assert engine("{rpm: 47}").plan(lazy).error is None
    assert asked == []  # a request quota never needs it
    built = engine("{tpm: 1000}")
    assert messages(built, [lazy, lazy]) == [None, TPM_MESSAGE]  # 600 admitted, then 600 more is over
    assert asked == ["estimate", "estimate"]  # once per call that reached the token quota
