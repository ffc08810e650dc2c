"""The shipped library in scenarios/: every file loads, is documented, and plans as its comment says.

Calls pick a scenario the way an unmodified client would: the tenant (access key id) is the scenario name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.engine import Call, Engine, validate_files
from emulator.engine.quotas import RPM_MESSAGE
from emulator.wire.declared import OPERATIONS, STREAMING_OPERATIONS
from emulator.wire.errors import DEFAULT_MESSAGES

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(LIBRARY.glob("*.yaml"))
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CONTRACT_NAMES = {
    "throttle-always",
    "throttle-first-3",
    "quota-47-rpm",
    "stream-exception-after-5",
    "service-unavailable-20pct",
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    built = Engine()
    built.load_path(LIBRARY)
    return built


@pytest.fixture(autouse=True)
def _fresh(engine: Engine) -> None:
    engine.reset()


def call(scenario: str, operation: str = "Converse", model: str | None = HAIKU, **fields: Any) -> Call:
    declared = OPERATIONS[operation]
    values: dict[str, Any] = {
        "service": declared.service,
        "operation": operation,
        "tenant": scenario,
        "model_id": model,
        "foundation_model_id": model,
        "streaming": operation in STREAMING_OPERATIONS,
    } | fields
    return Call(**values)


def codes(engine: Engine, calls: list[Call]) -> list[str | None]:
    return [p.error.code if p.error else None for p in map(engine.plan, calls)]


def test_library_has_at_least_12_valid_files_including_the_contract_names() -> None:
    assert len(FILES) >= 12
    assert validate_files([LIBRARY]) == []
    assert {f.stem for f in FILES} >= CONTRACT_NAMES


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.stem)
def test_each_file_is_named_by_its_stem_and_opens_with_a_comment_block(file: Path) -> None:
    lines = file.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines[: lines.index("version: 1")] if line.startswith("#")]
    text = " ".join(header)
    assert header[0] == f"# {file.stem}"
    assert "Simulates:" in text
    assert "Tests in the client:" in text
    assert "name:" not in "\n".join(line for line in lines if not line.startswith("#")).split("rules:")[0]


def test_throttle_always_throttles_every_operation(engine: Engine) -> None:
    # Every one that can be throttled: botocore's CreateModelCopyJob alone declares no ThrottlingException.
    for operation in [op for op, declared in OPERATIONS.items() if "ThrottlingException" in declared.errors]:
        plan = engine.plan(call("throttle-always", operation))
        assert plan.error is not None
        assert plan.error.code == "ThrottlingException"
        assert plan.error.message == DEFAULT_MESSAGES["ThrottlingException"]
        assert plan.rule_label == "throttle-always/throttle"


@pytest.mark.parametrize("name", ["throttle-first-3", "throttle-3-then-ok"])
def test_throttle_first_3_then_normal_per_tenant(engine: Engine, name: str) -> None:
    operations = ["Converse", "InvokeModel", "Retrieve", "Converse", "Converse"]
    seen = codes(engine, [call(name, op) for op in operations])
    assert seen == ["ThrottlingException"] * 3 + [None, None]
    other = Call("bedrock-runtime", "Converse", "someone-else", scenario_header=name)
    assert codes(engine, [other]) == ["ThrottlingException"]


def test_quota_47_rpm_throttles_the_48th_of_a_50_item_batch(engine: Engine) -> None:
    plans = [engine.plan(call("quota-47-rpm")) for _ in range(50)]
    assert [p.error is not None for p in plans].index(True) == 47
    throttled = plans[47].error
    assert throttled is not None
    assert throttled.code == "ThrottlingException"
    assert throttled.message == RPM_MESSAGE
    engine.clock.advance(60)
    assert engine.plan(call("quota-47-rpm")).error is None
    assert engine.plan(call("quota-47-rpm", model="amazon.nova-micro-v1:0")).error is None


@pytest.mark.parametrize("operation", ["ConverseStream", "InvokeModelWithResponseStream"])
def test_stream_exception_after_5(engine: Engine, operation: str) -> None:
    plan = engine.plan(call("stream-exception-after-5", operation))
    assert plan.stream is not None
    exception = plan.stream.exception_after
    assert exception is not None
    assert (exception.count, exception.member) == (5, "modelStreamErrorException")
    assert exception.payload["originalStatusCode"] == 500
    assert engine.plan(call("stream-exception-after-5", "Converse")).rule_id is None


def test_service_unavailable_20pct_is_seeded_and_about_a_fifth(engine: Engine) -> None:
    def run() -> list[str | None]:
        engine.reset()
        return codes(engine, [call("service-unavailable-20pct") for _ in range(500)])

    first, second = run(), run()
    assert first == second
    failures = first.count("ServiceUnavailableException")
    assert 70 <= failures <= 130
    assert set(first) == {None, "ServiceUnavailableException"}


def test_model_timeout_after_half_a_second(engine: Engine) -> None:
    plan = engine.plan(call("model-timeout", "InvokeModel"))
    assert plan.error is not None
    assert plan.error.code == "ModelTimeoutException"
    assert plan.error.status("bedrock-runtime") == 408
    assert plan.delay_seconds == 0.5


def test_model_not_ready_then_ready(engine: Engine) -> None:
    seen = codes(engine, [call("model-not-ready-then-ready") for _ in range(5)])
    assert seen == ["ModelNotReadyException"] * 2 + [None] * 3
    assert engine.state_of("model-not-ready-then-ready", "model-not-ready-then-ready") == (
        "Ready",
        {"cold": 3, "warmed-up": 1},
    )


def test_stream_cut_after_5_deltas(engine: Engine) -> None:
    plan = engine.plan(call("stream-cut-after-5-deltas", "ConverseStream"))
    assert plan.stream is not None
    assert plan.stream.cut_after == 6  # messageStart + 5 contentBlockDelta


def test_slow_first_token(engine: Engine) -> None:
    plan = engine.plan(call("slow-first-token", "ConverseStream"))
    assert plan.stream is not None
    assert (plan.stream.first_event_delay, plan.stream.event_delay) == (2.0, 0.03)


def test_validation_tour_walks_real_messages_then_serves(engine: Engine) -> None:
    plans = [
        engine.plan(call("validation-tour", op)) for op in ["Converse", "ConverseStream", "InvokeModel"] * 3
    ]
    errors = [p.error for p in plans]
    assert [e.code if e else None for e in errors] == ["ValidationException"] * 6 + [None] * 3
    messages = [e.message for e in errors if e]
    assert messages[0] == "The provided model identifier is invalid."
    assert "on-demand throughput isn’t supported" in messages[1]
    assert messages[2].startswith("A conversation must start with a user message.")
    assert messages[5].startswith("Malformed input request: ")
    assert messages[5].endswith(", please reformat your input and try again.")


def test_access_denied_for_one_model_however_named(engine: Engine) -> None:
    opus = "anthropic.claude-3-opus-20240229-v1:0"
    for sent in (opus, f"us.{opus}", f"arn:aws:bedrock:us-east-1::foundation-model/{opus}"):
        plan = engine.plan(call("access-denied-one-model", model=sent, foundation_model_id=opus))
        assert plan.error is not None
        assert plan.error.message == "You don't have access to the model with the specified model ID."
    assert engine.plan(call("access-denied-one-model")).error is None


def test_retired_model_end_of_life_and_strict(engine: Engine) -> None:
    plan = engine.plan(call("retired-model", "InvokeModel", model="anthropic.claude-v2:1"))
    assert plan.error is not None
    assert plan.error.code == "ResourceNotFoundException"
    assert plan.error.message == (
        "This model version has reached the end of its life. "
        "Please refer to the AWS documentation for more details."
    )
    assert plan.strict is True
    assert engine.plan(call("retired-model")).strict is True


def test_knowledge_base_empty(engine: Engine) -> None:
    retrieve = engine.plan(
        call("knowledge-base-empty", "Retrieve", model=None, labels={"knowledgeBaseId": "KB1"})
    )
    assert retrieve.answer is not None
    assert retrieve.answer.retrieval_results == ()
    generate = engine.plan(call("knowledge-base-empty", "RetrieveAndGenerate", model=None))
    assert generate.answer is not None
    assert generate.answer.text == "Sorry, I am unable to assist you with this request."


def test_knowledge_base_low_score(engine: Engine) -> None:
    plan = engine.plan(call("knowledge-base-low-score", "Retrieve", model=None))
    assert plan.answer is not None
    results = plan.answer.retrieval_results
    assert results
    assert max(r["score"] for r in results) == 0.21
    assert results[0]["location"]["type"] == "S3"


def test_hang_past_read_timeout(engine: Engine) -> None:
    plan = engine.plan(call("hang-past-read-timeout"))
    assert plan.connection is not None
    assert getattr(plan.connection, "seconds", 0) > 60


def test_latency_long_tail_is_seeded_and_capped(engine: Engine) -> None:
    def delays() -> list[float]:
        engine.reset()
        return [engine.plan(call("latency-long-tail")).delay_seconds for _ in range(200)]

    first = delays()
    assert first == delays()
    assert all(0 <= d <= 5.0 for d in first)
    assert 0.2 < sorted(first)[100] < 0.45


def test_quota_tokens_per_minute(engine: Engine) -> None:
    big = call("quota-tokens-per-minute", estimated_tokens=6000)
    plans = [engine.plan(big) for _ in range(2)]
    assert plans[0].error is None
    assert plans[1].error is not None
    assert plans[1].error.message == "Too many tokens, please wait before trying again."
