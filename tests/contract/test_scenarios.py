"""The shipped scenario library and the scenario engine's faults, seen by real boto3 over a real socket."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError

MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
RPM_MESSAGE = "Too many requests, please wait before trying again. You have sent too many requests.  Wait before trying again."


def client_for(emulator, access_key: str, **config: Any):
    retries = config.pop("retries", {"mode": "standard", "total_max_attempts": 1})
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="x",
        config=Config(retries=retries, **config),
    )


def code_of(exc: ClientError) -> tuple[str, str, int]:
    return (
        exc.response["Error"]["Code"],
        exc.response["Error"]["Message"],
        exc.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_throttle_always_throttles_every_operation(bedrock_emulator):
    bedrock_emulator.use_scenario("throttle-always")
    runtime = bedrock_emulator.client()
    with pytest.raises(runtime.exceptions.ThrottlingException) as excinfo:
        runtime.converse(modelId=MODEL, messages=MESSAGES)
    assert code_of(excinfo.value) == ("ThrottlingException", RPM_MESSAGE, 429)
    with pytest.raises(runtime.exceptions.ThrottlingException):
        runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "x"}))
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-bedrock-emulator-rule"].startswith(
        "throttle-always/"
    )


def test_throttle_first_3_is_absorbed_by_boto3_standard_retries(bedrock_emulator, monkeypatch):
    # botocore's endpoint sleeps each backoff with time.sleep: record them instead of waiting ~4 s. Only
    # botocore.endpoint's name for the time module is replaced, so the emulator's own clock is untouched.
    import botocore.endpoint

    backoffs: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=backoffs.append))
    bedrock_emulator.use_scenario("throttle-first-3")
    runtime = bedrock_emulator.client(retries={"mode": "standard", "total_max_attempts": 5})
    response = runtime.converse(modelId=MODEL, messages=MESSAGES)
    assert response["ResponseMetadata"]["RetryAttempts"] == 3
    # Standard mode backs off before each retry, a random share of 1, 2, then 4 s for throttling.
    assert len(backoffs) == 3
    assert all(0 <= delay <= 2**attempt for attempt, delay in enumerate(backoffs))
    assert [r.status for r in bedrock_emulator.requests()] == [429, 429, 429, 200]
    assert [r.rule for r in bedrock_emulator.requests()][:3] == ["throttle-first-3/first-3"] * 3


def test_access_key_named_after_a_scenario_selects_it_without_code_change(bedrock_emulator):
    tenant = "throttle-first-3"
    bedrock_emulator.admin("POST", "reset", {"tenant": tenant})
    runtime = client_for(bedrock_emulator, tenant)
    statuses = []
    for _ in range(4):
        try:
            runtime.converse(modelId=MODEL, messages=MESSAGES)
            statuses.append(200)
        except runtime.exceptions.ThrottlingException:
            statuses.append(429)
    assert statuses == [429, 429, 429, 200]
    bedrock_emulator.admin("POST", "reset", {"tenant": tenant})


def test_scenario_header_selects_a_scenario_for_one_request(bedrock_emulator):
    runtime = bedrock_emulator.client()

    def add_header(request, **kwargs):
        request.headers["x-bedrock-emulator-scenario"] = "throttle-always"

    runtime.meta.events.register_first("before-sign.bedrock-runtime.Converse", add_header)
    with pytest.raises(runtime.exceptions.ThrottlingException):
        runtime.converse(modelId=MODEL, messages=MESSAGES)


def test_unknown_scenario_header_is_a_validation_error(bedrock_emulator):
    runtime = bedrock_emulator.client()
    runtime.meta.events.register_first(
        "before-sign.bedrock-runtime.Converse",
        lambda request, **kwargs: request.headers.__setitem__(
            "x-bedrock-emulator-scenario", "no-such-scenario"
        ),
    )
    with pytest.raises(runtime.exceptions.ValidationException) as excinfo:
        runtime.converse(modelId=MODEL, messages=MESSAGES)
    assert "no-such-scenario" in code_of(excinfo.value)[1]


def test_quota_47_rpm_throttles_the_48th_request_of_a_batch_and_the_clock_frees_it(bedrock_emulator):
    bedrock_emulator.use_scenario("quota-47-rpm")
    runtime = bedrock_emulator.client()
    outcomes = []
    for index in range(50):
        try:
            runtime.converse(
                modelId=MODEL, messages=[{"role": "user", "content": [{"text": f"item {index}"}]}]
            )
            outcomes.append("ok")
        except runtime.exceptions.ThrottlingException as exc:
            outcomes.append(code_of(exc)[1])
    assert outcomes[:47] == ["ok"] * 47
    assert outcomes[47:] == [RPM_MESSAGE] * 3
    other_model = runtime.converse(modelId="amazon.nova-lite-v1:0", messages=MESSAGES)
    assert other_model["stopReason"] == "end_turn"  # quotas are per model
    bedrock_emulator.advance_clock(61)
    assert runtime.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"


def test_stream_exception_after_5_delivers_exactly_5_events_then_the_error(bedrock_emulator):
    bedrock_emulator.use_scenario("stream-exception-after-5")
    runtime = bedrock_emulator.client()
    response = runtime.converse_stream(modelId=MODEL, messages=MESSAGES)
    received: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as excinfo:
        received.extend(response["stream"])
    assert len(received) == 5
    error = excinfo.value.response["Error"]
    assert error["Code"] == "modelStreamErrorException"
    assert (
        error["Message"]
        == "The system encountered an unexpected error during processing. Try your request again."
    )
    entry = bedrock_emulator.requests()[-1]
    assert (entry.events_sent, entry.stream_end) == (5, "exception")


def test_service_unavailable_20pct_fails_the_same_calls_on_every_run(bedrock_emulator):
    answers: set[tuple[str, str, int]] = set()

    def run() -> list[int]:
        bedrock_emulator.reset()
        bedrock_emulator.use_scenario("service-unavailable-20pct")
        runtime = bedrock_emulator.client()
        failures = []
        for index in range(40):
            try:
                runtime.converse(modelId=MODEL, messages=MESSAGES)
            except runtime.exceptions.ServiceUnavailableException as exc:
                failures.append(index)
                answers.add(code_of(exc))
        return failures

    first = run()
    assert first == run()
    assert 2 <= len(first) <= 16  # about 20% of 40
    assert answers == {("ServiceUnavailableException", "Bedrock is unable to process your request.", 503)}


def test_first_3_rule_fires_exactly_3_times_under_32_threads(bedrock_emulator):
    bedrock_emulator.use_scenario("throttle-first-3")
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    clients = [bedrock_emulator.client() for _ in range(32)]  # boto3 client creation is not thread-safe

    def worker(runtime) -> None:
        for _ in range(10):
            try:
                runtime.count_tokens(
                    modelId="anthropic.claude-haiku-4-5-20251001-v1:0",
                    input={"converse": {"messages": MESSAGES}},
                )
                status = 200
            except runtime.exceptions.ThrottlingException:
                status = 429
            except Exception as exc:  # pragma: no cover - reported below
                with lock:
                    errors.append(exc)
                return
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker, args=(runtime,)) for runtime in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(statuses) == 320
    assert statuses.count(429) == 3
    assert len(bedrock_emulator.requests()) == 320


def test_tenants_never_see_each_others_counters(bedrock_emulator):
    bedrock_emulator.use_scenario("throttle-first-3")
    ours = bedrock_emulator.client()
    with pytest.raises(ours.exceptions.ThrottlingException):
        ours.converse(modelId=MODEL, messages=MESSAGES)
    stranger = client_for(bedrock_emulator, bedrock_emulator.tenant + "-other")
    assert stranger.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"


SCENARIO_FAULTS = """
version: 1
name: {name}
rules:
  - id: hang
    match: {{operations: [Converse], body: [{{path: "messages[0].content[0].text", equals: "hang"}}]}}
    hang: {{seconds: 1.5}}
  - id: drop
    match: {{operations: [Converse], body: [{{path: "messages[0].content[0].text", equals: "drop"}}]}}
    drop: true
  - id: truncate
    match: {{operations: [Converse], body: [{{path: "messages[0].content[0].text", equals: "truncate"}}]}}
    truncate: {{keep_bytes: 20}}
  - id: cut
    match: {{operations: [ConverseStream], body: [{{path: "messages[0].content[0].text", equals: "cut"}}]}}
    stream: {{cut_after: 3}}
  - id: corrupt
    match: {{operations: [ConverseStream], body: [{{path: "messages[0].content[0].text", equals: "corrupt"}}]}}
    stream: {{corrupt_crc_at: 2}}
  - id: scripted
    match: {{operations: [Converse, ConverseStream], body: [{{path: "messages[0].content[0].text", equals: "script"}}]}}
    answer: {{text: "Scripted hello.", usage: {{input_tokens: 11, output_tokens: 4}}}}
  - id: delayed
    match: {{operations: [Converse], body: [{{path: "messages[0].content[0].text", equals: "slow"}}]}}
    delay: 0.3
"""


@pytest.fixture
def faults(bedrock_emulator):
    name = f"faults-{bedrock_emulator.tenant}"
    bedrock_emulator.load_scenario(SCENARIO_FAULTS.format(name=name))
    bedrock_emulator.use_scenario(name)
    return bedrock_emulator


def _last_request_when_finished(emulator, timeout: float = 2.0):
    """The tenant's last journal entry; a cut call is journaled as the server notices, which may lag the
    client's error by a moment."""
    import time

    deadline = time.monotonic() + timeout
    while not emulator.requests() and time.monotonic() < deadline:
        time.sleep(0.01)
    return emulator.requests()[-1]


def say(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def test_hang_holds_the_connection_past_the_read_timeout(faults):
    runtime = faults.client(read_timeout=0.5, connect_timeout=1)
    with pytest.raises(ReadTimeoutError):
        runtime.converse(modelId=MODEL, messages=say("hang"))


def test_drop_closes_the_connection_without_a_response(faults):
    from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

    runtime = faults.client()
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        runtime.converse(modelId=MODEL, messages=say("drop"))
    assert _last_request_when_finished(faults).stream_end == "disconnected"


def test_truncate_sends_part_of_the_body_then_closes(faults):
    import http.client

    connection = http.client.HTTPConnection(
        "127.0.0.1", int(faults.endpoint_url.rsplit(":", 1)[1]), timeout=5
    )
    connection.request(
        "POST",
        f"/model/{MODEL}/converse",
        body=json.dumps({"messages": say("truncate")}),
        headers={"x-bedrock-emulator-scenario": faults.requests and f"faults-{faults.tenant}"},
    )
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        response.read()
    assert len(excinfo.value.partial) == 20
    connection.close()
    # What boto3 makes of it: a retryable streaming error; with no attempts left it returns an empty result.
    result = faults.client().converse(modelId=MODEL, messages=say("truncate"))
    assert "output" not in result
    assert result["ResponseMetadata"]["MaxAttemptsReached"]


def test_stream_cut_mid_stream_after_3_events(faults):
    from urllib3.exceptions import ProtocolError

    runtime = faults.client()
    received: list[dict[str, Any]] = []
    stream = runtime.converse_stream(modelId=MODEL, messages=say("cut"))["stream"]
    with pytest.raises(ProtocolError):
        received.extend(stream)
    assert len(received) == 3
    assert _last_request_when_finished(faults).stream_end == "disconnected"


def test_corrupt_crc_frame_is_rejected_by_botocore(faults):
    from botocore.eventstream import ChecksumMismatch

    runtime = faults.client()
    received: list[dict[str, Any]] = []
    stream = runtime.converse_stream(modelId=MODEL, messages=say("corrupt"))["stream"]
    with pytest.raises(ChecksumMismatch):
        received.extend(stream)
    assert len(received) == 2


def test_scripted_answer_replaces_the_generated_one(faults):
    runtime = faults.client()
    response = runtime.converse(modelId=MODEL, messages=say("script"))
    assert response["output"]["message"]["content"] == [{"text": "Scripted hello."}]
    assert response["usage"] == {"inputTokens": 11, "outputTokens": 4, "totalTokens": 15}
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-bedrock-emulator-rule"].endswith("/scripted")
    events = list(runtime.converse_stream(modelId=MODEL, messages=say("script"))["stream"])
    assert (
        "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
        == "Scripted hello."
    )


def test_injected_delay_is_observed_by_the_client(faults):
    import time

    runtime = faults.client()
    started = time.perf_counter()
    runtime.converse(modelId=MODEL, messages=say("slow"))
    elapsed = time.perf_counter() - started
    assert 0.3 <= elapsed < 1.0  # the ±10 ms accuracy itself is measured in bench/delay_accuracy.py
