"""The run report's arithmetic and reading, without a server: percentiles, retry chains, the journal
formats it accepts, and the progress bar that shows only on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from emulator.report import analysis, source
from emulator.report.progress import Progress


def call(sequence: int, at: float, outcome: str = "success", **fields: Any) -> dict[str, Any]:
    base = {
        "sequence": sequence,
        "time": at,
        "tenant": "t",
        "operation": "Converse",
        "model": "m",
        "status": 200,
        "latency_ms": 10.0,
        "ttft_ms": None,
        "outcome": outcome,
        "request_digest": "d",
        "rule": None,
        "error_code": None,
        "stream_end": None,
    }
    base.update(fields)
    return base


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]

    assert analysis.percentiles(values) == {50: 50.0, 90: 90.0, 99: 99.0}
    assert analysis.percentiles([7.0]) == {50: 7.0, 90: 7.0, 99: 7.0}
    assert analysis.percentiles([]) == {50: None, 90: None, 99: None}


def test_a_request_sent_again_after_errors_is_a_chain_that_recovers_or_gives_up() -> None:
    calls = [
        call(1, 0.0, "throttled", status=429),
        call(2, 0.5, "throttled", status=429),
        call(3, 1.5, "success"),
        call(4, 2.0, "success"),  # the same request after a success: not a retry
        call(5, 3.0, "error", status=500, request_digest="other"),
        call(6, 3.5, "error", status=500, request_digest="other"),
        call(7, 4.0, "disconnected", tenant="u", status=0),
        call(8, 100.0, "success", tenant="u"),  # long after: a new request, not a retry
    ]

    chains = analysis.retry_chains(calls)

    assert [[c["sequence"] for c in chain.attempts] for chain in chains] == [[1, 2, 3], [5, 6]]
    assert [(chain.retries, chain.recovered) for chain in chains] == [(2, True), (1, False)]


def test_analysis_groups_outcomes_by_operation_and_rule_and_lists_broken_streams() -> None:
    calls = [
        call(1, 0.0, "throttled", status=429, error_code="ThrottlingException", rule="s/r"),
        call(2, 1.0, "disconnected", operation="ConverseStream", stream_end="disconnected", ttft_ms=5.0),
        call(3, 2.0, "success", operation="ConverseStream", stream_end="completed", ttft_ms=7.0),
    ]

    found = analysis.analyse(calls)

    assert [g.name for g in found.by_operation] == ["ConverseStream", "Converse"]
    assert [g.name for g in found.by_rule] == ["s/r", analysis.NO_RULE]
    assert found.by_rule[0].error_codes == {"ThrottlingException": 1}
    assert found.by_operation[0].ttft == {50: 5.0, 90: 7.0, 99: 7.0}
    assert [c["sequence"] for c in found.broken_streams] == [2]
    assert found.outcomes_seen == ["success", "throttled", "disconnected"]


def test_a_journal_is_read_from_its_export_a_bare_list_or_json_lines(tmp_path: Path) -> None:
    calls = [
        call(2, 5.0),
        call(1, 1.0, outcome="bogus", status=503, error_code="ServiceUnavailableException"),
    ]
    exported = {"requests": calls, "clock": {"advances": [{"time": 3.0, "seconds": 61}, {"time": "x"}]}}
    forms = {
        "export.json": json.dumps(exported),
        "list.json": json.dumps(calls),
        "lines.jsonl": "\n".join(json.dumps(c) for c in calls) + "\n",
    }
    for name, text in forms.items():
        path = tmp_path / name
        path.write_text(text)

        journal = source.read(str(path), stderr=io.StringIO())

        assert [c["sequence"] for c in journal.calls] == [1, 2], name  # in time order
        assert journal.calls[0]["outcome"] == "error"  # worked out again when not one of the outcomes
    assert source.read(str(tmp_path / "export.json")).advances == [{"time": 3.0, "seconds": 61}]


def test_what_is_not_a_journal_is_refused_with_the_reason(tmp_path: Path) -> None:
    replay = tmp_path / "replay.yaml"
    replay.write_text("version: 1\nname: replay-all\nrules: []\n")
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"requests": [call(1, 0.0), {"tenant": "no time"}, 7]}))

    with pytest.raises(source.SourceError, match=r"replay scenario .*export\?format=journal"):
        source.read(str(replay))
    with pytest.raises(source.SourceError, match="No such file"):
        source.read(str(tmp_path / "missing.json"))
    with pytest.raises(source.SourceError, match="not a journal"):
        source.parse(b'{"calls": 3}')
    assert source.read(str(partial)).skipped == 2


def test_the_progress_bar_is_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text(json.dumps({"requests": [call(n, float(n)) for n in range(3000)]}))
    terminal, pipe = Terminal(), io.StringIO()

    source.read(str(path), stderr=terminal)
    source.read(str(path), stderr=pipe)

    drawn = terminal.getvalue()
    assert drawn.startswith("\rreading journal.json [")
    assert drawn.endswith(f"] 100% {path.stat().st_size / 1e6:.1f}/{path.stat().st_size / 1e6:.1f} MB\n")
    assert pipe.getvalue() == ""


def test_progress_without_a_total_counts_megabytes() -> None:
    terminal = Terminal()
    progress = Progress(terminal, "reading", None)

    progress.update(2_500_000)
    progress.finish()

    assert terminal.getvalue() == "\rreading 2.5 MB\rreading 2.5 MB\n"
