"""``bedrock-emulator report`` over a real run: boto3 calls under shipped scenarios (retries that recover,
a cut stream, a stream exception, a quota and a clock advance), read from the emulator's URL and from a
saved journal, written as one HTML file that a real headless Chromium renders without a console error
or a single request."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from chromium import chromium, console_problems, fresh_page, wait_for

from emulator import cli
from emulator.app import create_app
from emulator.report import command
from emulator.server import EmulatorServer
from emulator.settings import Settings

MODEL = "amazon.nova-micro-v1:0"
TOKEN = "report-admin-token"
TWO_RPM = """
version: 1
name: report-two-rpm
rules:
  - id: rpm
    match: {operations: [Converse]}
    quota: {rpm: 2}
"""


class Tables(HTMLParser):
    """Each table's rows (lists of cell texts) by the table's id, and the page's scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: list[tuple[str | None, str]] = []
        self.styles: list[str] = []
        self.policy = ""
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in: str | None = None
        self._script_type: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self._table = values.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._table is not None:
            self._cell = []
        elif tag in ("script", "style"):
            self._in, self._script_type = tag, values.get("type")
            self._cell = []
        elif tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.policy = values.get("content") or ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag in ("script", "style") and self._cell is not None:
            text = "".join(self._cell)
            if tag == "script":
                self.scripts.append((self._script_type, text))
            else:
                self.styles.append(text)
            self._cell, self._in = None, None

    def rows(self, table: str) -> list[list[str]]:
        return [row for row in self.tables.get(table, []) if row]


@pytest.fixture(scope="module")
def run() -> Iterator[EmulatorServer]:
    """An emulator after a small chaos run: the calls the report is about."""
    with EmulatorServer(create_app(Settings(port=0))) as server:
        admin = httpx.Client(base_url=server.endpoint_url + "/_emulator")
        admin.put("/scenarios", content=TWO_RPM)
        bindings = {
            "r-retry": "throttle-first-3",
            "r-cut": "stream-cut-after-5-deltas",
            "r-exception": "stream-exception-after-5",
            "r-quota": "report-two-rpm",
        }
        for tenant, scenario in bindings.items():
            admin.put(f"/tenants/{tenant}/scenario", json={"name": scenario})
        say = [{"role": "user", "content": [{"text": "</script><script>alert(1)</script> report me"}]}]
        # boto3's standard retry mode sends the throttled request again until it passes (3 throttles).
        client(server, "r-retry", attempts=5).converse(modelId=MODEL, messages=say)
        for tenant in ("r-cut", "r-exception", "r-plain"):
            stream = client(server, tenant).converse_stream(modelId=MODEL, messages=say)
            try:
                for _ in stream["stream"]:
                    pass
            except Exception:
                pass
        quota = client(server, "r-quota")
        for _ in range(3):
            with contextlib.suppress(quota.exceptions.ThrottlingException):
                quota.converse(modelId=MODEL, messages=say)
        admin.post("/clock/advance", json={"seconds": 61})
        quota.converse(modelId=MODEL, messages=say)
        wait_for("every call journaled", lambda: len(admin.get("/requests").json()["requests"]) == 11)
        admin.close()
        yield server


@pytest.fixture(scope="module")
def shared_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def client(server: EmulatorServer, tenant: str, attempts: int = 1) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def report(source: str, output: Path, *extra: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    args = cli._parser().parse_args(["report", source, "-o", str(output), *extra])
    code = command.run(args, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def parsed(path: Path) -> Tables:
    tables = Tables()
    tables.feed(path.read_text(encoding="utf-8"))
    return tables


def test_report_from_the_url_tells_outcomes_latency_broken_streams_and_retries(
    run: EmulatorServer, tmp_path: Path
) -> None:
    output = tmp_path / "report.html"

    code, out, err = report(run.endpoint_url, output)

    assert (code, err) == (0, "")
    assert out == f"wrote {output}: calls 11; streams cut or broken 2; requests retried 2\n"
    page = parsed(output)
    by_operation = {row[0]: row for row in page.rows("by-operation")}
    assert set(by_operation) == {"Converse", "ConverseStream"}
    assert by_operation["Converse"][1] == "8"
    assert by_operation["ConverseStream"][1] == "3"
    by_rule = {row[0]: row for row in page.rows("by-rule")}
    assert by_rule["throttle-first-3/first-3"][1] == "3"
    assert by_rule["throttle-first-3/first-3"][-1] == "ThrottlingException ×3"
    assert by_rule["report-two-rpm/rpm"][1] == "1"
    assert by_rule["stream-cut-after-5-deltas/cut"][1] == "1"
    broken = page.rows("broken-streams")
    assert sorted((row[2], row[4], row[5]) for row in broken) == [
        ("r-cut", "disconnected", "6"),
        ("r-exception", "exception", "5"),
    ]
    retries = {row[0]: row for row in page.rows("retries")}
    assert set(retries) == {"r-retry", "r-quota"}
    assert retries["r-retry"][:4] == ["r-retry", "Converse", MODEL, "4"]
    assert retries["r-retry"][4] == "throttled → throttled → throttled → success"
    assert retries["r-retry"][6] == "recovered"
    # the quota's third call was throttled; the same request, sent after the clock moved on, passed
    assert retries["r-quota"][4:] == ["throttled → success", "ThrottlingException", "recovered"]
    latency = {row[0]: row for row in page.rows("latency")}
    assert latency["all"][1] == "11"
    p50, p90, p99 = (float(v) for v in latency["all"][2:5])
    assert 0 < p50 <= p90 <= p99
    ttft = [float(v) for v in latency["ConverseStream"][5:8]]
    assert 0 < ttft[0] <= ttft[1] <= ttft[2]
    assert latency["Converse"][5:8] == ["-", "-", "-"]


def test_report_is_self_contained_escaped_and_pinned_by_its_content_security_policy(
    run: EmulatorServer, tmp_path: Path
) -> None:
    import base64
    import hashlib

    output = tmp_path / "report.html"
    report(run.endpoint_url, output)
    text = output.read_text(encoding="utf-8")
    page = parsed(output)

    assert "://" not in text.replace(run.endpoint_url, "")  # the source is named; nothing is linked
    assert not re.search(r"""\b(src|href)=["'](?!data:)""", text)
    (data_type, data), (code_type, code) = page.scripts
    assert (data_type, code_type) == ("application/json", None)
    assert "</script" not in data.lower()
    assert len(json.loads(data)["calls"]) == 11
    policy = dict(part.strip().split(" ", 1) for part in page.policy.split(";"))
    assert policy["default-src"] == "'none'"

    def sha(content: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"

    assert policy["script-src"] == sha(code)
    (style,) = page.styles
    assert policy["style-src"] == sha(style)


def test_report_from_a_saved_journal_matches_the_report_from_the_url(
    run: EmulatorServer, tmp_path: Path
) -> None:
    saved = tmp_path / "journal.json"
    response = httpx.get(run.endpoint_url + "/_emulator/requests/export", params={"format": "journal"})
    assert response.headers["content-disposition"] == 'attachment; filename="journal-all.json"'
    saved.write_bytes(response.content)
    assert json.loads(saved.read_text())["clock"]["advances"][-1]["seconds"] == 61

    code, _, _ = report(str(saved), tmp_path / "from-file.html")
    report(run.endpoint_url, tmp_path / "from-url.html")

    assert code == 0
    only = report(str(saved), tmp_path / "only.html", "--tenant", "r-cut", "--tenant", "r-quota")
    assert (
        only[1] == f"wrote {tmp_path / 'only.html'}: calls 5; streams cut or broken 1; requests retried 1\n"
    )
    from_file, from_url = parsed(tmp_path / "from-file.html"), parsed(tmp_path / "from-url.html")
    assert from_file.tables == from_url.tables
    assert json.loads(from_file.scripts[0][1]) == json.loads(from_url.scripts[0][1])


def test_report_in_chromium_renders_the_timeline_with_no_console_error_and_no_request(
    run: EmulatorServer, tmp_path: Path, shared_browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    output = tmp_path / "report.html"
    report(run.endpoint_url, output)

    with fresh_page(shared_browser) as browser:
        browser.get(output.as_uri())
        svg = browser.find_element(By.ID, "timeline")
        wait_for("the dots", lambda: len(svg.find_elements(By.CSS_SELECTOR, "circle[data-sequence]")) == 11)
        outcomes = set(
            browser.execute_script(
                "return [...document.querySelectorAll('#timeline circle[data-sequence]')]"
                ".map(c => c.dataset.outcome);"
            )
        )
        assert outcomes == {"success", "throttled", "disconnected", "stream-exception"}
        assert svg.find_elements(By.CSS_SELECTOR, "line[data-clock-advance='61']")
        assert svg.find_elements(By.CSS_SELECTOR, "rect[data-quota-window='r-quota']")
        texts = browser.execute_script(
            "return [...document.querySelectorAll('#timeline text')].map(t => t.firstChild.nodeValue);"
        )
        lanes = [text for text in texts if text.startswith("r-")]
        assert lanes == ["r-cut", "r-exception", "r-plain", "r-quota", "r-retry"]
        chip = browser.find_element(By.CSS_SELECTOR, "[data-outcome-chip='throttled']")
        assert chip.text == "throttled: 4"
        assert chip.value_of_css_property("background-color") == "rgba(249, 168, 37, 1)"
        from selenium.webdriver.common.action_chains import ActionChains

        cut = svg.find_element(By.CSS_SELECTOR, "circle[data-outcome='disconnected']")
        ActionChains(browser).move_to_element(cut).perform()
        tip = wait_for("the hover tip", lambda: browser.find_element(By.ID, "timeline-tip").text)
        assert "ConverseStream" in tip
        assert "tenant r-cut" in tip
        assert re.search(r"\d\d:\d\d:\d\d\.\d{3} UTC", tip)  # a report is read later, elsewhere
        assert browser.execute_script("return performance.getEntriesByType('resource').length;") == 0
        assert browser.find_elements(By.CSS_SELECTOR, "body script:not([type])")  # the one script ran...
        assert browser.execute_script("return typeof BedrockTimeline;") == "object"
        assert console_problems(browser) == []  # ...and nothing was refused or failed


def test_report_names_what_it_cannot_read(tmp_path: Path) -> None:
    with EmulatorServer(create_app(Settings(port=0, admin_token=TOKEN))) as server:
        refused = report(server.endpoint_url, tmp_path / "a.html")
        allowed = report(server.endpoint_url, tmp_path / "b.html", "--token", TOKEN)
    missing = report(str(tmp_path / "nowhere.json"), tmp_path / "c.html")

    assert refused[0] == 1
    assert "the admin API wants its token" in refused[2]
    assert allowed[:2] == (
        0,
        f"wrote {tmp_path / 'b.html'}: calls 0; streams cut or broken 0; requests retried 0\n",
    )
    assert missing[0] == 1
    assert missing[2].startswith("bedrock-emulator report: ")
    assert not (tmp_path / "a.html").exists()


def test_report_to_stdout_keeps_the_page_there_and_the_summary_on_stderr(
    run: EmulatorServer, tmp_path: Path
) -> None:
    code, out, err = report(run.endpoint_url, Path("-"))

    assert code == 0
    assert out.startswith("<!doctype html>")
    assert out.endswith("</html>\n")
    assert err == "wrote stdout: calls 11; streams cut or broken 2; requests retried 2\n"
    assert list(tmp_path.iterdir()) == []


def test_report_of_hostile_names_shows_them_as_text(tmp_path: Path, shared_browser: Any) -> None:
    from selenium.webdriver.common.by import By

    hostile = "<img src=x onerror=window.__pwned=1></script><script>window.__pwned=2</script>"
    journal = tmp_path / "journal.json"
    call = {
        "sequence": 1,
        "time": 1_700_000_000.0,
        "tenant": hostile,
        "operation": hostile,
        "status": 429,
        "error_code": hostile,
        "rule": hostile,
        "latency_ms": 3.0,
        "stream_end": "exception",
        "events_sent": 2,
    }
    journal.write_text(json.dumps({"requests": [call]}))
    output = tmp_path / "report.html"

    code, _, _ = report(str(journal), output, "--title", hostile)

    assert code == 0
    text = output.read_text(encoding="utf-8")
    assert "<img" not in text
    assert "<script>window.__pwned" not in text
    with fresh_page(shared_browser) as browser:
        browser.get(output.as_uri())
        wait_for("the dot", lambda: browser.find_elements(By.CSS_SELECTOR, "#timeline circle[data-sequence]"))
        assert browser.title == hostile
        assert browser.find_element(By.CSS_SELECTOR, "#by-rule td").text == hostile
        assert browser.execute_script("return window.__pwned === undefined;")
        assert console_problems(browser) == []
