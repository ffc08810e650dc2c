"""A real headless Chromium for the browser tests (the dashboard and the run report), driven by Selenium
through Debian's chromium-driver. CI installs both (.ci/apt-packages), so there a missing browser fails
the test instead of skipping it; elsewhere the tests skip with the reason."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1300,1400",
)
WAIT_S = 10.0


def _binary() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("google-chrome")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/apt-packages installs chromium)")
    pytest.skip(reason)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A Selenium driver of a fresh headless Chromium whose profile lives in ``profile``."""
    binary = _binary()
    if binary is None:
        _unavailable("no Chromium here (/usr/bin/chromium, chromium or google-chrome on PATH)")
    try:
        from selenium import webdriver
    except ImportError:
        _unavailable("the selenium package is not installed (pip install -e '.[test]')")
    driver_binary = shutil.which("chromedriver")
    if driver_binary is None:
        # Selenium would otherwise try to download a driver, which this network does not allow.
        _unavailable("chromedriver is not on PATH (Debian: apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary or ""
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_binary))
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def fresh_page(driver: Any) -> Iterator[Any]:
    """One test's use of a browser shared by a module: its console starts empty, and the page is left
    (so its polling stops) when the test ends."""
    driver.get_log("browser")
    try:
        yield driver
    finally:
        driver.get("about:blank")


def wait_for(what: str, probe: Any) -> Any:
    """``probe()``'s first truthy value, polled for up to WAIT_S seconds."""
    deadline = time.monotonic() + WAIT_S
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def console_problems(driver: Any) -> list[str]:
    """The page's console errors (and CSP refusals) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
