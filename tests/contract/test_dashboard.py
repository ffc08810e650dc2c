"""The ``/_emulator/ui`` dashboard over HTTP, and driven in a real headless Chromium when one is here.

The HTTP tests pin what keeps the page safe to open: served as HTML under a nonce-based CSP, and every
URL it names is a relative ``/_emulator/`` path the admin API actually routes. The browser test plays a
user: a boto3 call appears in the journal table by itself (auto-refresh), and binding ``throttle-always``
from the page throttles the tenant's next call; with ``--admin-token`` the page shows nothing until the
token is entered, then works as before; a call opens into its detail (a body holding ``<script>`` shown as
text), the timeline is looked at in a screenshot, counters, gauges and filters follow the calls. CI installs
Debian's chromium and chromium-driver (.ci/apt-packages); elsewhere the browser tests skip with the reason.
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from chromium import chromium, console_problems, fresh_page, wait_for
from flask import Flask

from emulator import dashboard
from emulator.app import create_app
from emulator.server import EmulatorServer
from emulator.settings import Settings

MODEL = "amazon.nova-micro-v1:0"
ADMIN_TOKEN = "dashboard-admin-token"
MESSAGES = [{"role": "user", "content": [{"text": "hello from the dashboard test"}]}]
# The admin calls the page's script makes: method, the path literal as the script spells it, and a
# concrete path (relative to /_emulator/) that the admin API must route for that method.
PAGE_CALLS = [
    ("GET", '"health"', "health"),
    ("GET", '"scenarios"', "scenarios"),
    ("GET", '"requests?"', "requests"),
    ("GET", '"requests/export"', "requests/export"),
    ("GET", '"requests/export?format=journal"', "requests/export"),
    ("PUT", '"tenants/"', "tenants/t/scenario"),
    ("DELETE", '"tenants/"', "tenants/t/scenario"),
    ("POST", '"reset"', "reset"),
    ("POST", '"clock/advance"', "clock/advance"),
    ("GET", '"requests/"', "requests/1"),
    ("GET", '"counters"', "counters"),
    ("GET", '"clock"', "clock"),
]


@pytest.fixture(scope="module")
def app() -> Flask:
    app = create_app(Settings(port=0))
    dashboard.install(app)
    return app


@pytest.fixture(scope="module")
def server(app: Flask) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def token_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(create_app(Settings(port=0, admin_token=ADMIN_TOKEN))) as server:
        yield server


class Page:
    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text


def get_ui(endpoint_url: str) -> Page:
    parts = urlsplit(endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", "/_emulator/ui")
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Page(response.status, headers, response.read().decode("utf-8"))
    finally:
        connection.close()


class _Links(HTMLParser):
    """Every URL-valued attribute, and the nonce of every script and style element."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.nonces: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src", "action", "formaction"):
            if values.get(name) is not None:
                self.urls.append((tag, values[name] or ""))
        if tag in ("script", "style"):
            self.nonces.append((tag, values.get("nonce")))


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_ui_is_served_as_html_under_a_nonce_content_security_policy(server: EmulatorServer) -> None:
    page = get_ui(server.endpoint_url)

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = csp_directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    (script_source,) = policy["script-src"]
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9_-]{16,})'", script_source)
    assert nonce, script_source
    assert policy["style-src"] == [script_source]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    links = _Links()
    links.feed(page.text)
    assert links.nonces, "the page has no script or style"
    assert links.nonces == [(tag, nonce.group(1)) for tag, _ in links.nonces]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_ui_nonce_is_fresh_for_every_response(server: EmulatorServer) -> None:
    first = get_ui(server.endpoint_url).headers["content-security-policy"]
    second = get_ui(server.endpoint_url).headers["content-security-policy"]

    assert first != second


def test_ui_names_only_relative_admin_urls_and_no_external_host(server: EmulatorServer) -> None:
    page = get_ui(server.endpoint_url)
    links = _Links()
    links.feed(page.text)

    assert "://" not in page.text
    assert not re.search(r"""["'(]//""", page.text), "protocol-relative URL"
    for tag, url in links.urls:
        # The one exception: an empty inline icon, so the browser does not ask the data plane for one.
        assert url.startswith("/_emulator/") or (tag, url) == ("link", "data:,"), (tag, url)


@pytest.mark.parametrize(("method", "literal", "path"), PAGE_CALLS)
def test_ui_calls_only_routes_the_admin_api_serves(app: Flask, method: str, literal: str, path: str) -> None:
    assert literal in get_ui_text(app), f"the page no longer names {literal}; update PAGE_CALLS"
    endpoint, _ = app.url_map.bind("127.0.0.1").match(f"/_emulator/{path}", method=method)
    assert endpoint.startswith("admin."), endpoint


def get_ui_text(app: Flask) -> str:
    response = app.test_client().get("/_emulator/ui")
    return response.get_data(as_text=True)


def test_with_a_token_the_page_is_served_and_asks_for_it_but_the_data_needs_it(
    token_server: EmulatorServer,
) -> None:
    page = get_ui(token_server.endpoint_url)
    parts = urlsplit(token_server.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", "/_emulator/scenarios")
        data_status = connection.getresponse().status
    finally:
        connection.close()

    assert page.status == 200
    assert 'id="token-form"' in page.text
    assert "sessionStorage" in page.text
    assert data_status == 401


def test_install_twice_registers_the_page_once() -> None:
    app = create_app(Settings(port=0))
    dashboard.install(app)
    dashboard.install(app)

    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "dashboard.ui"] == [dashboard.UI_PATH]


# --- a real browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


@pytest.fixture
def browser(shared_browser: Any) -> Iterator[Any]:
    with fresh_page(shared_browser) as driver:
        yield driver


_wait_for = wait_for


def _journal_rows(driver: Any, tenant: str, count: int = 1) -> list[list[str]] | None:
    """The tenant's rows of the journal table, newest first, once there are ``count`` of them."""
    cells = driver.execute_script(
        "return [...document.querySelectorAll('#journal-rows tr')]"
        ".map(tr => [...tr.children].map(td => td.textContent));"
    )
    rows = [row for row in cells if row[1] == tenant]
    return rows if len(rows) == count else None


def test_browser_shows_calls_in_the_journal_and_binds_a_scenario_that_throttles(
    server: EmulatorServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    tenant = "dashboard-browser"
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    browser.get(server.endpoint_url + "/_emulator/ui")
    _wait_for("health", lambda: browser.find_element(By.ID, "health-status").text == "ok")
    assert browser.find_element(By.ID, "health-mode").text == "lenient"
    scenario_rows = browser.find_elements(
        By.CSS_SELECTOR, "#scenario-rows tr[data-scenario='throttle-always']"
    )
    assert "Every call of every operation answers ThrottlingException." in scenario_rows[0].text

    client.converse(modelId=MODEL, messages=MESSAGES)
    # No click: the page's own polling must bring the call in.
    (row,) = _wait_for("the first call in the journal", lambda: _journal_rows(browser, tenant))
    assert row[2:5] == ["Converse", MODEL, "200"]

    browser.find_element(By.ID, "tenant").send_keys(tenant)
    Select(browser.find_element(By.ID, "bind-scenario")).select_by_value("throttle-always")
    browser.find_element(By.ID, "bind-button").click()
    _wait_for(
        "the bind confirmation",
        lambda: browser.find_element(By.ID, "message").text == f"bound throttle-always to {tenant}",
    )
    with pytest.raises(ClientError) as raised:
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"

    browser.find_element(By.ID, "refresh-button").click()
    newest, older = _wait_for("the throttled call", lambda: _journal_rows(browser, tenant, count=2))
    assert newest[2:7] == ["Converse", MODEL, "429", "ThrottlingException", "throttle-always/throttle"]
    assert older[4] == "200"
    export = browser.find_element(By.ID, "export-link").get_attribute("href")
    assert export == f"{server.endpoint_url}/_emulator/requests/export?tenant={tenant}"
    journal = browser.find_element(By.ID, "journal-link").get_attribute("href")
    assert journal == f"{server.endpoint_url}/_emulator/requests/export?format=journal&tenant={tenant}"

    browser.find_element(By.ID, "unbind-button").click()
    _wait_for(
        "the unbind confirmation", lambda: browser.find_element(By.ID, "message").text == f"unbound {tenant}"
    )
    assert client.converse(modelId=MODEL, messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"] == 200
    client.close()
    assert console_problems(browser) == []


def _message_is(driver: Any, text: str) -> bool:
    from selenium.webdriver.common.by import By

    return bool(driver.find_element(By.ID, "message").text == text)


def test_browser_filters_the_journal_resets_a_tenant_and_advances_the_clock(
    app: Flask, server: EmulatorServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    tenant = "dashboard-reset"
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
    )
    client.converse(modelId=MODEL, messages=MESSAGES)
    for _ in client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]:
        pass
    client.close()
    browser.get(server.endpoint_url + "/_emulator/ui")
    newest, _ = _wait_for("both calls", lambda: _journal_rows(browser, tenant, count=2))
    assert newest[2] == "ConverseStream"
    assert newest[9] == "completed"
    assert int(newest[8]) > 0  # events sent

    browser.find_element(By.ID, "filter-operation").send_keys("Converse", Keys.ENTER)
    (only,) = _wait_for("the filtered journal", lambda: _journal_rows(browser, tenant, count=1))
    assert only[2] == "Converse"

    clock = app.extensions["bedrock_emulator"].engine.clock
    before = clock.offset
    seconds = browser.find_element(By.ID, "clock-seconds")
    seconds.clear()
    seconds.send_keys("61")
    browser.find_element(By.ID, "clock-button").click()
    _wait_for("the clock confirmation", lambda: _message_is(browser, "virtual clock advanced by 61 s"))
    assert clock.offset == pytest.approx(before + 61)

    browser.find_element(By.ID, "tenant").send_keys(tenant)
    browser.find_element(By.ID, "reset-tenant-button").click()
    _wait_for("the reset confirmation", lambda: _message_is(browser, f"reset {tenant}"))
    _wait_for("the emptied journal", lambda: _journal_rows(browser, tenant, count=0) is not None)
    assert app.extensions["bedrock_emulator"].journal.entries(tenant=tenant) == []


def _panel_shown(driver: Any) -> bool:
    from selenium.webdriver.common.by import By

    return bool(driver.find_element(By.ID, "token-panel").is_displayed())


def test_browser_asks_for_the_admin_token_shows_nothing_without_it_and_works_with_it(
    token_server: EmulatorServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    tenant = "dashboard-token"
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=token_server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    client.converse(modelId=MODEL, messages=MESSAGES)
    browser.get(token_server.endpoint_url + "/_emulator/ui")

    _wait_for("the token prompt", lambda: _panel_shown(browser))
    assert browser.find_element(By.ID, "message").text == "enter the admin token to see this emulator"
    assert _journal_rows(browser, tenant, count=0) is not None
    assert browser.find_elements(By.CSS_SELECTOR, "#scenario-rows tr") == []
    _wait_for(
        "health, which needs no token", lambda: browser.find_element(By.ID, "health-status").text == "ok"
    )

    browser.find_element(By.ID, "token").send_keys("not-the-token", Keys.ENTER)
    _wait_for("the refusal", lambda: _message_is(browser, "the admin token was refused; enter it again"))
    assert _panel_shown(browser)

    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN, Keys.ENTER)
    (row,) = _wait_for("the call in the journal", lambda: _journal_rows(browser, tenant))
    assert row[2:5] == ["Converse", MODEL, "200"]
    assert not _panel_shown(browser)

    browser.find_element(By.ID, "tenant").send_keys(tenant)
    Select(browser.find_element(By.ID, "bind-scenario")).select_by_value("throttle-always")
    browser.find_element(By.ID, "bind-button").click()
    _wait_for("the bind confirmation", lambda: _message_is(browser, f"bound throttle-always to {tenant}"))
    with pytest.raises(ClientError) as raised:
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"

    # The export link cannot carry a header: with a token the page fetches the file itself.
    browser.find_element(By.ID, "export-link").click()
    time.sleep(0.5)
    assert browser.current_url == token_server.endpoint_url + "/_emulator/ui"
    assert _message_is(browser, f"bound throttle-always to {tenant}")

    # The token lives in this tab's session storage: a reload does not ask again.
    browser.refresh()
    _wait_for("both calls after a reload", lambda: _journal_rows(browser, tenant, count=2))
    assert not _panel_shown(browser)
    stored = browser.execute_script("return sessionStorage.getItem('bedrock-emulator.admin-token');")
    assert stored == ADMIN_TOKEN
    client.close()


# --- the detail, the timeline, counters and filters ------------------------------------------------------

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
TWO_RPM = """
version: 1
name: dashboard-two-rpm
rules:
  - id: rpm
    match: {operations: [Converse]}
    quota: {rpm: 2}
"""


def _runtime(server: EmulatorServer, tenant: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def _drain(client: Any, text: str = "stream please") -> None:
    try:
        for _ in client.converse_stream(
            modelId=MODEL, messages=[{"role": "user", "content": [{"text": text}]}]
        )["stream"]:
            pass
    except Exception:
        return


def _click_row(driver: Any, tenant: str, operation: str) -> bool:
    """Click the journal row of the tenant's call of this operation, if the table has it (in one script:
    the page rebuilds its tables as it polls, so an element found earlier may be gone by the click)."""
    return bool(
        driver.execute_script(
            "const row = [...document.querySelectorAll('#journal-rows tr')].find((tr) =>"
            " tr.children[1].textContent === arguments[0] && tr.children[2].textContent === arguments[1]);"
            "if (row) row.click();"
            "return Boolean(row);",
            tenant,
            operation,
        )
    )


def _cells(driver: Any, selector: str) -> list[str] | None:
    """The text of each cell of the first row matching ``selector``, read in one script."""
    cells: list[str] | None = driver.execute_script(
        "const row = document.querySelector(arguments[0]);"
        "return row ? [...row.children].map((td) => td.textContent) : null;",
        selector,
    )
    return cells


def test_browser_opens_a_call_into_its_detail_and_shows_a_script_body_as_text(
    app: Flask, server: EmulatorServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    tenant = "dashboard-detail"
    client = _runtime(server, tenant)
    client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": HOSTILE}]}])
    app.extensions["bedrock_emulator"].engine.bind(tenant, "stream-cut-after-5-deltas")
    _drain(client)
    browser.get(server.endpoint_url + "/_emulator/ui")

    _wait_for("the call's row", lambda: _click_row(browser, tenant, "Converse"))
    _wait_for("the detail", lambda: "Converse" in browser.find_element(By.ID, "detail-title").text)
    request_body = browser.find_element(By.ID, "detail-request-body")
    shown = request_body.find_element(By.TAG_NAME, "pre").get_attribute("textContent")
    assert (
        '"text": "<script>window.__pwned = 1</script><img src=x onerror=\\"window.__pwned = 2\\">"' in shown
    )
    assert shown.startswith('{\n  "messages": [')  # pretty-printed
    assert browser.find_elements(By.CSS_SELECTOR, "#detail script, #detail img") == []
    assert browser.execute_script("return window.__pwned === undefined;")
    assert (
        browser.find_element(By.ID, "detail-why").text == "No scenario applied to this call: plain emulation."
    )
    headers = browser.find_element(By.ID, "detail-request-headers").text
    assert "Signature=(redacted)" in headers
    assert "x-amzn-RequestId" in browser.find_element(By.ID, "detail-response-headers").text

    _wait_for("the stream's row", lambda: _click_row(browser, tenant, "ConverseStream"))
    _wait_for("the stream's frames", lambda: browser.find_element(By.ID, "detail-stream").is_displayed())
    why = browser.find_element(By.ID, "detail-why").text
    assert why.startswith("rule cut of scenario stream-cut-after-5-deltas fired on its matching call #1")
    frames = browser.find_elements(By.CSS_SELECTOR, "#detail-frames tr[data-frame]")
    assert [f.find_elements(By.TAG_NAME, "td")[2].text for f in frames] == ["messageStart"] + [
        "contentBlockDelta"
    ] * 5
    offsets = [float(f.find_elements(By.TAG_NAME, "td")[1].text) for f in frames]
    assert offsets == sorted(offsets)
    (marker,) = browser.find_elements(By.CSS_SELECTOR, "#detail-frames tr.marker")
    assert marker.get_attribute("data-marker") == "disconnected"
    assert marker.text == "✂ the connection was cut here"
    last_row = browser.find_elements(By.CSS_SELECTOR, "#detail-frames tr")[-1]
    assert last_row.get_attribute("data-marker") == "disconnected"
    assert console_problems(browser) == []


def test_browser_timeline_pictures_faults_in_their_colours_with_quota_windows_and_clock_advances(
    app: Flask, server: EmulatorServer, browser: Any, tmp_path: Path
) -> None:
    from png_pixels import colour_counts, count_near
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    state = app.extensions["bedrock_emulator"]
    state.engine.load_text(TWO_RPM)
    state.journal.clear()
    calls = {
        "tl-ok": None,
        "tl-throttle": "throttle-always",
        "tl-cut": "stream-cut-after-5-deltas",
        "tl-exception": "stream-exception-after-5",
        "tl-quota": "dashboard-two-rpm",
    }
    for tenant, scenario in calls.items():
        if scenario:
            state.engine.bind(tenant, scenario)
    _runtime(server, "tl-ok").converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(ClientError):
        _runtime(server, "tl-throttle").converse(modelId=MODEL, messages=MESSAGES)
    _drain(_runtime(server, "tl-cut"))
    _drain(_runtime(server, "tl-exception"))
    quota = _runtime(server, "tl-quota")
    quota.converse(modelId=MODEL, messages=MESSAGES)
    quota.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(ClientError):
        quota.converse(modelId=MODEL, messages=MESSAGES)
    state.engine.clock.advance(61)
    quota.converse(modelId=MODEL, messages=MESSAGES)

    browser.get(server.endpoint_url + "/_emulator/ui")
    svg = browser.find_element(By.ID, "timeline")
    _wait_for("all eight dots", lambda: len(svg.find_elements(By.CSS_SELECTOR, "circle[data-sequence]")) == 8)
    outcomes = sorted(
        browser.execute_script(
            "return [...document.querySelectorAll('#timeline circle[data-sequence]')].map(c => c.dataset.outcome);"
        )
    )
    assert outcomes == sorted(
        [
            "success",
            "throttled",
            "disconnected",
            "stream-exception",
            "success",
            "success",
            "throttled",
            "success",
        ]
    )
    assert svg.find_elements(By.CSS_SELECTOR, "rect[data-quota-window='tl-quota']")
    # A 60 s quota window ending at 100 (wall time) begins at 40, unless the virtual clock jumped inside it.
    starts = browser.execute_script(
        "const w = BedrockTimeline.windowStart;"
        "return [w(100, 60, []), w(100, 60, [{time: 90, seconds: 30}]), w(100, 60, [{time: 90, seconds: 61}]),"
        " w(100, 60, [{time: 101, seconds: 61}])];"
    )
    assert starts == [40, 70, 90, 40]
    (advance,) = svg.find_elements(By.CSS_SELECTOR, "line[data-clock-advance]")
    assert advance.get_attribute("data-clock-advance") == "61"
    texts = browser.execute_script(
        "return [...document.querySelectorAll('#timeline text')].map(t => t.firstChild.nodeValue);"
    )
    lanes = [text for text in texts if text.startswith("tl-")]
    assert lanes == sorted(calls)

    picture = tmp_path / "timeline.png"
    picture.write_bytes(svg.screenshot_as_png)
    png = picture.read_bytes()
    colours = browser.execute_script("return BedrockTimeline.COLOURS;")
    counts = colour_counts(png)
    # Every outcome has a disc in the legend; an outcome with calls has dots besides (a dot is a disc of
    # radius 5, some 60 pixels, though calls close in time overlap): no call was a corrupt frame, so its
    # colour shows the legend alone.
    legend_alone = count_near(counts, colours["corrupt-frame"])
    assert 30 < legend_alone < 120
    for outcome in ("throttled", "disconnected", "stream-exception", "success"):
        assert count_near(counts, colours[outcome]) > legend_alone + 30, outcome

    cut = svg.find_element(By.CSS_SELECTOR, "circle[data-outcome='disconnected']")
    ActionChains(browser).move_to_element(cut).perform()
    tip = browser.find_element(By.ID, "timeline-tip")
    _wait_for("the hover tip", tip.is_displayed)
    assert "ConverseStream" in tip.text
    assert "tenant tl-cut" in tip.text
    assert "rule stream-cut-after-5-deltas/cut" in tip.text
    cut.click()
    _wait_for(
        "the clicked call's detail",
        lambda: "ConverseStream" in browser.find_element(By.ID, "detail-title").text,
    )
    assert console_problems(browser) == []


def test_browser_counts_rules_gauges_quotas_and_filters_by_status_outcome_and_rule(
    app: Flask, server: EmulatorServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    state = app.extensions["bedrock_emulator"]
    state.engine.load_text(TWO_RPM)
    tenant = "dashboard-counted"
    state.engine.bind(tenant, "dashboard-two-rpm")
    client = _runtime(server, tenant)
    client.converse(modelId=MODEL, messages=MESSAGES)
    client.converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(ClientError):
        client.converse(modelId=MODEL, messages=MESSAGES)
    browser.get(server.endpoint_url + "/_emulator/ui")
    browser.find_element(By.ID, "filter-tenant").send_keys(tenant, Keys.ENTER)

    # The tenant's own counts (other tests' tenants use the scenario too): matched 3, fired 1, 1 tenant.
    counted = ["dashboard-two-rpm", "rpm", "3", "1", "1"]
    _wait_for(
        "the rule's counters",
        lambda: _cells(browser, "#counter-rows tr[data-rule='dashboard-two-rpm/rpm']") == counted,
    )
    gauge = _cells(browser, f"#quota-rows tr[data-quota='{tenant} dashboard-two-rpm/rpm']")
    assert gauge is not None
    assert gauge[:3] == [tenant, "dashboard-two-rpm/rpm", MODEL]
    assert gauge[3] == " 2 / 2"
    meter = browser.execute_script(
        "const m = document.querySelector('#quota-rows meter'); return [m.value, m.max];"
    )
    assert meter == [2, 2]

    _wait_for("three rows", lambda: _journal_rows(browser, tenant, count=3))
    Select(browser.find_element(By.ID, "filter-outcome")).select_by_value("throttled")
    (throttled,) = _wait_for("the throttled row", lambda: _journal_rows(browser, tenant, count=1))
    assert throttled[4:7] == ["429", "ThrottlingException", "dashboard-two-rpm/rpm"]
    assert throttled[11] == "throttled"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#timeline circle[data-sequence]")) == 1
    Select(browser.find_element(By.ID, "filter-outcome")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("2xx")
    _wait_for("the two answered rows", lambda: _journal_rows(browser, tenant, count=2))
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("")
    browser.find_element(By.ID, "filter-rule").send_keys("dashboard-two-rpm/rpm", Keys.ENTER)
    _wait_for("the rule's one row", lambda: _journal_rows(browser, tenant, count=1))

    # live: a new call arrives without a reload
    browser.find_element(By.ID, "filter-rule").clear()
    browser.find_element(By.ID, "filter-rule").send_keys(Keys.ENTER)
    state.engine.clock.advance(61)
    client.converse(modelId=MODEL, messages=MESSAGES)
    _wait_for("the fourth call, live", lambda: _journal_rows(browser, tenant, count=4))
    _wait_for(
        "the counters, live",
        lambda: (
            _cells(browser, "#counter-rows tr[data-rule='dashboard-two-rpm/rpm']")
            == [*counted[:2], "4", "1", "1"]
        ),
    )
    assert console_problems(browser) == []
