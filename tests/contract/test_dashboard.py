"""The ``/_emulator/ui`` dashboard over HTTP, and driven in a real headless Chromium when one is here.

The HTTP tests pin what keeps the page safe to open: served as HTML under a nonce-based CSP, and every
URL it names is a relative ``/_emulator/`` path the admin API actually routes. The browser test plays a
user: a boto3 call appears in the journal table by itself (auto-refresh), and binding ``throttle-always``
from the page throttles the tenant's next call; with ``--admin-token`` the page shows nothing until the
token is entered, then works as before. CI has no browser, so those tests skip with the reason.
"""

from __future__ import annotations

import http.client
import re
import shutil
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
    ("PUT", '"tenants/"', "tenants/t/scenario"),
    ("DELETE", '"tenants/"', "tenants/t/scenario"),
    ("POST", '"reset"', "reset"),
    ("POST", '"clock/advance"', "clock/advance"),
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

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
WAIT_S = 10.0


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("google-chrome")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    binary = _chromium()
    if binary is None:
        pytest.skip("no Chromium here (/usr/bin/chromium, chromium or google-chrome on PATH); CI has none")
    webdriver = pytest.importorskip("selenium.webdriver", reason="the selenium package is not installed")
    driver_binary = shutil.which("chromedriver")
    if driver_binary is None:
        # Selenium would otherwise try to download a driver, which this network does not allow.
        pytest.skip("chromedriver is not on PATH (Debian: apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_binary))
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(what: str, probe: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


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

    browser.find_element(By.ID, "unbind-button").click()
    _wait_for(
        "the unbind confirmation", lambda: browser.find_element(By.ID, "message").text == f"unbound {tenant}"
    )
    assert client.converse(modelId=MODEL, messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"] == 200
    client.close()
    problems = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert problems == []


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
