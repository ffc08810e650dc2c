"""The report as one self-contained HTML file: tables written here (every text escaped), the timeline drawn
in the browser by the dashboard's own script (emulator/timeline.js) from the calls embedded as JSON.

The page loads nothing: its Content-Security-Policy (a ``<meta>``, since a file has no headers) allows
only its own script and stylesheet, by hash, so it opens the same from a CI artifact store or a disk.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable
from html import escape
from typing import Any

from emulator.dashboard import timeline_script
from emulator.report.analysis import Analysis, Group
from emulator.report.source import RunJournal

# What the timeline needs of each call (the rest of the journal stays out of the page).
_TIMELINE_FIELDS = (
    "sequence",
    "time",
    "tenant",
    "operation",
    "status",
    "error_code",
    "latency_ms",
    "ttft_ms",
    "outcome",
    "rule",
    "stream_end",
    "events_sent",
    "quota_window",
)

_STYLE = """
:root { --fg: #1d232b; --muted: #5b6675; --line: #d8dde3; --bg: #f6f7f9;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
header { padding: .8rem 1.25rem; background: #1d232b; color: #fff; }
header h1 { font-size: 1.15rem; margin: 0 0 .3rem; }
header p { margin: 0; color: #c9d1db; }
main { padding: 1rem 1.25rem; display: grid; gap: 1rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; overflow-x: auto; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; }
.muted { color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: .5rem; }
.chip { padding: .15rem .55rem; border-radius: 4px; color: #fff; font-weight: 600; background: #5b6675; }
#timeline-wrap { position: relative; }
#timeline-tip { position: absolute; top: .5rem; right: .5rem; max-width: 32rem; margin: 0; padding: .4rem .6rem;
  background: #1d232b; color: #fff; border-radius: 4px; white-space: pre-wrap; pointer-events: none;
  font: .78rem/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
"""

_INIT = """
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const wrap = document.getElementById("timeline-wrap");
  BedrockTimeline.render(document.getElementById("timeline"), data.calls, {
    width: Math.max(640, wrap.clientWidth - 4),
    advances: data.advances,
    tooltip: document.getElementById("timeline-tip"),
    utc: true,
  });
  for (const chip of document.querySelectorAll("[data-outcome-chip]")) {
    const colour = BedrockTimeline.COLOURS[chip.dataset.outcomeChip];
    if (colour) chip.style.background = colour;
  }
})();
"""


def render(journal: RunJournal, analysis: Analysis, *, source: str, title: str | None = None) -> str:
    script = timeline_script() + _INIT
    data = {
        "calls": [{key: call.get(key) for key in _TIMELINE_FIELDS} for call in journal.calls],
        "advances": journal.advances,
    }
    heading = title or "bedrock-emulator run report"
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src '{_sha256(script)}'",
            f"style-src '{_sha256(_STYLE)}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(heading)}</title>",
        '<link rel="icon" href="data:,">',
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(heading)}</h1>",
        f"<p>{escape(_subtitle(journal, analysis, source))}</p>",
        "</header>",
        "<main>",
        _outcomes(analysis),
        _timeline(),
        _latency(analysis),
        _per_group("Outcomes per operation", "operation", analysis.by_operation, analysis),
        _per_group("Outcomes per rule", "rule", analysis.by_rule, analysis, codes=True),
        _broken_streams(analysis),
        _retries(analysis),
        "</main>",
        f'<script type="application/json" id="report-data">{_json_in_html(data)}</script>',
        f"<script>{script}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _json_in_html(value: Any) -> str:
    # Inside <script type="application/json">, only "</script" (or "<!--") could end the element early:
    # with every <, > and & escaped as JSON \\u escapes, no text from the journal can.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d} UTC"


def _subtitle(journal: RunJournal, analysis: Analysis, source: str) -> str:
    calls = analysis.overall.calls
    span = (analysis.end or 0) - (analysis.start or 0)
    words = [
        f"{calls} calls",
        f"{len(analysis.tenants)} tenant{'s' if len(analysis.tenants) != 1 else ''}",
        f"from {_when(analysis.start)} over {span:.1f} s",
        f"source {source}",
        f"written {_when(time.time())}",
    ]
    if journal.skipped:
        words.append(f"{journal.skipped} entries skipped (not calls)")
    return " · ".join(words)


def _section(title: str, body: str, *, section_id: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>{body}</section>'


def _table(headers: Iterable[str], rows: Iterable[Iterable[tuple[str, str]]], *, table_id: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{cls}">{escape(text)}</td>' for text, cls in row) + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _outcomes(analysis: Analysis) -> str:
    if not analysis.overall.calls:
        return _section("Outcomes", '<p class="muted">The journal holds no calls.</p>', section_id="outcomes")
    chips = "".join(
        f'<span class="chip" data-outcome-chip="{escape(o)}">{escape(o)}: {analysis.overall.outcomes[o]}</span>'
        for o in analysis.outcomes_seen
    )
    return _section("Outcomes", f'<div class="chips">{chips}</div>', section_id="outcomes")


def _timeline() -> str:
    body = (
        '<p class="muted">Each dot is a call: across, when it arrived; up, its latency (log scale); one lane '
        "per tenant. Shaded: a quota window that throttled calls. Dashed: the virtual clock advanced. "
        "Hover a dot for the call.</p>"
        '<div id="timeline-wrap"><svg id="timeline" aria-label="calls over time"></svg>'
        '<pre id="timeline-tip" hidden></pre></div>'
    )
    return _section("Timeline", body, section_id="timeline-section")


def _latency(analysis: Analysis) -> str:
    headers = [
        "operation",
        "calls",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "TTFT p50 ms",
        "TTFT p90 ms",
        "TTFT p99 ms",
    ]
    rows = []
    for group in [analysis.overall, *analysis.by_operation]:
        latency, ttft = group.latency, group.ttft
        rows.append(
            [
                (group.name, "mono"),
                (str(group.calls), "num"),
                *((_ms(latency[p]), "num") for p in (50, 90, 99)),
                *((_ms(ttft[p]), "num") for p in (50, 90, 99)),
            ]
        )
    note = (
        '<p class="muted">Latency: arrival to the last byte sent. TTFT (time to first token): arrival to '
        "a stream's first content event.</p>"
    )
    return _section(
        "Latency and time to first token",
        note + _table(headers, rows, table_id="latency"),
        section_id="latency-section",
    )


def _per_group(title: str, what: str, groups: list[Group], analysis: Analysis, *, codes: bool = False) -> str:
    seen = analysis.outcomes_seen
    headers = [what, "calls", *seen] + (["error codes"] if codes else [])
    rows = []
    for group in groups:
        row = [(group.name, "mono"), (str(group.calls), "num")]
        row += [(str(group.outcomes[o] or ""), "num") for o in seen]
        if codes:
            row.append((", ".join(f"{code} ×{n}" for code, n in group.error_codes.most_common()), "mono"))
        rows.append(row)
    table_id = "by-" + what
    return _section(title, _table(headers, rows, table_id=table_id), section_id=table_id + "-section")


def _broken_streams(analysis: Analysis) -> str:
    if not analysis.broken_streams:
        body = '<p class="muted">No stream was cut or broken.</p>'
    else:
        headers = ["#", "arrived", "tenant", "operation", "ended", "events sent", "outcome", "rule"]
        rows = [
            [
                (str(c.get("sequence") or ""), "num"),
                (_when(c["time"]), "mono"),
                (c["tenant"], "mono"),
                (c["operation"], ""),
                (c.get("stream_end") or "", ""),
                ("" if c.get("events_sent") is None else str(c["events_sent"]), "num"),
                (c["outcome"], ""),
                (c.get("rule") or "", "mono"),
            ]
            for c in analysis.broken_streams
        ]
        body = _table(headers, rows, table_id="broken-streams")
    return _section("Streams cut or broken", body, section_id="streams-section")


def _retries(analysis: Analysis) -> str:
    chains = analysis.retry_chains
    if not chains:
        body = '<p class="muted">No client sent a request again after an error.</p>'
    else:
        recovered = sum(1 for c in chains if c.recovered)
        summary = (
            f"<p>{len(chains)} requests were sent again after an error ({sum(c.retries for c in chains)} "
            f"retries): {recovered} recovered, {len(chains) - recovered} gave up.</p>"
        )
        headers = ["tenant", "operation", "model", "attempts", "outcomes in order", "first error", "ended"]
        rows = []
        for chain in chains:
            first = chain.attempts[0]
            last = chain.attempts[-1]
            rows.append(
                [
                    (first["tenant"], "mono"),
                    (first["operation"], ""),
                    (first.get("model") or "", "mono"),
                    (str(len(chain.attempts)), "num"),
                    (" → ".join(a["outcome"] for a in chain.attempts), ""),
                    (first.get("error_code") or first["outcome"], ""),
                    ("recovered" if chain.recovered else f"gave up ({last['outcome']})", ""),
                ]
            )
        body = summary + _table(headers, rows, table_id="retries")
    note = (
        '<p class="muted">A retry: the same request (tenant, operation, model and body) sent again within '
        "60 s of a failed attempt's end.</p>"
    )
    return _section("Retries clients made", note + body, section_id="retries-section")
