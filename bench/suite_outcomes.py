"""A pytest plugin for bench/third_party_suites.py: every test's outcome, as one JSON file.

JUnit XML cannot tell an unexpected pass of an ``xfail`` test from a plain pass, and the suites' own
``xfail`` marks are exactly where the emulator is more lenient than Bedrock (a test that Bedrock fails
passes here), so the runner reads this file instead. Each entry: ``nodeid``, ``outcome`` (``passed``,
``failed``, ``error``, ``skipped``, ``xfailed``, ``xpassed``) and, for the last four, a one-line
``message`` (the assertion or exception, the skip or xfail reason).

Loaded with ``-p suite_outcomes`` and this directory on ``PYTHONPATH``; the file is named by
``SUITE_OUTCOMES_FILE``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

_outcomes: dict[str, dict[str, str]] = {}
_MESSAGE_CHARS = 400


def _message(report: Any) -> str:
    """The exception's last line, or the skip or xfail reason."""
    if getattr(report, "wasxfail", ""):
        return str(report.wasxfail)[:_MESSAGE_CHARS]
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        return str(longrepr[2])[:_MESSAGE_CHARS]
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    text = str(crash if crash is not None else longrepr or "")
    return " ".join(text.split())[:_MESSAGE_CHARS]


def _record(nodeid: str, outcome: str, message: str = "") -> None:
    previous = _outcomes.get(nodeid)
    # A setup or teardown error outranks the call's outcome; otherwise the first non-pass stays.
    if previous is not None and previous["outcome"] != "passed" and outcome != "error":
        return
    _outcomes[nodeid] = {"nodeid": nodeid, "outcome": outcome, "message": message}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            _record(report.nodeid, "xpassed" if xfail else "passed", _message(report) if xfail else "")
        elif report.skipped:
            _record(report.nodeid, "xfailed" if xfail else "skipped", _message(report))
        else:
            _record(report.nodeid, "failed", _message(report))
    elif report.failed:
        _record(report.nodeid, "error", f"in {report.when}: {_message(report)}")
    elif report.skipped:
        _record(report.nodeid, "xfailed" if xfail else "skipped", _message(report))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _record(report.nodeid, "error", f"in collection: {_message(report)}")


def pytest_sessionfinish() -> None:
    path = os.environ.get("SUITE_OUTCOMES_FILE")
    if path:
        Path(path).write_text(json.dumps(sorted(_outcomes.values(), key=lambda o: o["nodeid"]), indent=1))
