"""bedrock_emulator_clients.batch: seed 001's 50-item batch against a 47 RPM quota, completed by retries or by
pacing, with every item's outcome reported."""

from __future__ import annotations

import io
from typing import Any

from bedrock_emulator_clients.batch import converse_batch, run_batch
from bedrock_emulator_clients.rate_limit import RateLimiter
from bedrock_emulator_clients.retry import Retrier, RetryPolicy

MODEL = "amazon.nova-micro-v1:0"
PROMPTS = [f"What is the state flower of state number {n}? Answer in JSON." for n in range(50)]


def retrier(virtual_time: Any, max_attempts: int = 10) -> Retrier:
    return Retrier(
        RetryPolicy(max_attempts=max_attempts, base_delay=1.0, max_delay=20.0, deadline=None),
        sleep=virtual_time.sleep,
        random=lambda: 1.0,
        clock=virtual_time.clock,
    )


def test_batch_of_50_under_quota_47_rpm_completes_every_item_and_reports_the_throttled_one(
    bedrock_emulator, virtual_time
):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")

    report = converse_batch(client, MODEL, PROMPTS, concurrency=1, retrier=retrier(virtual_time))

    assert report.succeeded == list(range(50))
    assert report.failed == []
    # The 48th request is throttled, like the seed's West Virginia, until the minute rolls over;
    # by then the window is empty again, so items 49 and 50 pass at once.
    assert report.throttled == [47]
    throttled_attempts = [a.error_code for a in report.outcomes[47].attempts]
    assert throttled_attempts[-1] is None
    assert set(throttled_attempts[:-1]) == {"ThrottlingException"}
    assert sum(virtual_time.sleeps[:-1]) < 60 <= virtual_time.slept  # stopped retrying once through
    statuses = [r.status for r in bedrock_emulator.requests()]
    assert statuses.count(200) == 50
    assert statuses.count(429) == len(throttled_attempts) - 1
    assert all(isinstance(text, str) and text for text in report.values())


def test_concurrent_batch_under_quota_47_rpm_accounts_for_every_throttle(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")

    report = converse_batch(client, MODEL, PROMPTS, concurrency=4, retrier=retrier(virtual_time))

    assert report.succeeded == list(range(50))
    assert report.throttled  # at least the calls past the 47th wait for the minute
    statuses = [r.status for r in bedrock_emulator.requests()]
    assert statuses.count(200) == 50
    assert statuses.count(429) == report.attempts - 50
    assert [o.index for o in report.outcomes] == list(range(50))  # outcomes stay in item order


def test_batch_with_the_rate_limiter_is_never_throttled(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")
    limiter = RateLimiter(requests_per_minute=47, clock=virtual_time.clock, sleep=virtual_time.sleep)

    report = converse_batch(
        client, MODEL, PROMPTS, concurrency=1, retrier=retrier(virtual_time), limiter=limiter
    )

    assert report.succeeded == list(range(50))
    assert report.throttled == []
    assert report.attempts == 50
    assert 429 not in [r.status for r in bedrock_emulator.requests()]


def test_batch_records_a_failed_item_and_carries_on(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            "version: 1\nname: one-bad-item\nrules:\n  - id: bad\n"
            "    match: {operations: [Converse], body: [{path: 'messages[0].content[0].text', contains: 'number 3?'}]}\n"
            "    error: ValidationException\n"
        )
    )
    client = bedrock_emulator.client("bedrock-runtime")

    report = converse_batch(client, MODEL, PROMPTS[:6], concurrency=3, retrier=retrier(virtual_time))

    assert report.succeeded == [0, 1, 2, 4, 5]
    assert report.failed == [3]
    failed = report.outcomes[3]
    assert failed.error_code == "ValidationException"
    assert failed.value is None
    assert len(failed.attempts) == 1  # not retried


def test_batch_reports_items_that_exhaust_their_retries(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("throttle-always")
    client = bedrock_emulator.client("bedrock-runtime")

    report = converse_batch(client, MODEL, PROMPTS[:3], retrier=retrier(virtual_time, max_attempts=2))

    assert report.failed == [0, 1, 2]
    assert report.throttled == [0, 1, 2]
    assert {o.error_code for o in report.outcomes} == {"ThrottlingException"}
    assert all("Too many requests" in (o.error_message or "") for o in report.outcomes)


def test_run_batch_takes_any_work_function():
    report = run_batch([1, 2, 3], lambda n: 10 // (n - 2), concurrency=2)

    assert report.values() == [-10, None, 10]
    assert report.outcomes[1].error_code == "ZeroDivisionError"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_progress_bar_runs_then_the_final_report(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")
    terminal = Terminal()

    report = converse_batch(
        client,
        MODEL,
        PROMPTS,
        concurrency=1,
        retrier=retrier(virtual_time, max_attempts=1),
        progress=terminal,
    )

    assert report.failed == [47, 48, 49]  # no retries: the calls past the 47th in the minute fail
    drawn, _, final = terminal.getvalue().partition("\n")
    frames = drawn.split("\r")[1:]
    assert len(frames) == 51  # the empty bar, then one redraw per item
    assert frames[0] == "batch [..............................] 0/50  failed 0  throttled 0"
    assert frames[47] == f"batch [{'#' * 28}..] 47/50  failed 0  throttled 0"
    assert frames[-1] == f"batch [{'#' * 30}] 50/50  failed 3  throttled 3"
    lines = final.splitlines()
    assert lines[0] == "50 items: 47 succeeded, 3 failed, 3 throttled at least once; 50 attempts (0 retries)"
    assert lines[1].startswith("  item 47: ThrottlingException after 1 attempt(s): ")
    assert len(lines) == 4
    assert final == report.summary() + "\n"


def test_elsewhere_only_the_final_report_is_written(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")
    log = io.StringIO()  # a CI log or a file: no redraws

    report = converse_batch(
        client, MODEL, PROMPTS[:10], concurrency=2, retrier=retrier(virtual_time), progress=log
    )

    assert log.getvalue() == report.summary() + "\n"
    assert (
        log.getvalue()
        == "10 items: 10 succeeded, 0 failed, 0 throttled at least once; 10 attempts (0 retries)\n"
    )
