"""``serve`` configuration as a user meets it, in real processes: a bad ``BEDROCK_EMULATOR_*`` value or
flag is one clear line and exit 2 (never a traceback); the health check follows the port actually
served (what the container's HEALTHCHECK runs); the admin guard's settings arrive from the environment;
``--log-format json`` keeps stderr one JSON object per line.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CONSOLE_SCRIPT = Path(sys.executable).with_name("bedrock-emulator")
PYCACHE = Path(tempfile.gettempdir()) / "bedrock-emulator-tests-pycache"


def clean_env(**extra: str) -> dict[str, str]:
    """A fresh shell's environment: no BEDROCK_EMULATOR_* or AWS_* leaks in from ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BEDROCK_EMULATOR_", "AWS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        env=env or clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def healthcheck(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """What the image's HEALTHCHECK runs."""
    return subprocess.run(
        [sys.executable, "-m", "emulator.healthcheck", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Serving:
    """A ``serve`` process whose URL is read from its endpoint file, stderr kept in a file."""

    def __init__(self, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.endpoint_file = workdir / "endpoint"
        self.stderr_path = workdir / "stderr.log"
        self._stderr = self.stderr_path.open("w")
        env = {**env, "BEDROCK_EMULATOR_ENDPOINT_FILE": str(self.endpoint_file)}
        self.env = env
        try:
            self.process = subprocess.Popen(
                [str(CONSOLE_SCRIPT), "serve", *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
            )
        except OSError:
            self._stderr.close()
            raise
        deadline = time.monotonic() + 15
        while not self.endpoint_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"serve did not start: {self.stderr()}")
            time.sleep(0.02)
        self.url = self.endpoint_file.read_text().strip()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._stderr.close()
        return code

    def request(self, method: str, path: str, **headers: str) -> tuple[int, dict[str, object]]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            body = b"{}" if method == "POST" else None
            sent = {name.replace("_", "-"): value for name, value in headers.items()}
            if body is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()


# --- config errors -------------------------------------------------------------------------------------


BAD_VARIABLES = [
    ("PORT", "abc", "BEDROCK_EMULATOR_PORT: expected an integer 0-65535, got 'abc'"),
    ("PORT", "70000", "BEDROCK_EMULATOR_PORT: expected an integer 0-65535, got '70000'"),
    ("SEED", "x", "BEDROCK_EMULATOR_SEED: expected an integer, got 'x'"),
    (
        "LOG_LEVEL",
        "loud",
        "BEDROCK_EMULATOR_LOG_LEVEL: expected 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL', got 'LOUD'",
    ),
    ("LOG_FORMAT", "xml", "BEDROCK_EMULATOR_LOG_FORMAT: expected 'text' or 'json', got 'xml'"),
    (
        "STRICT",
        "maybe",
        "BEDROCK_EMULATOR_STRICT: expected true or false (1/0, yes/no, on/off), got 'maybe'",
    ),
    ("JOURNAL_SIZE", "0", "BEDROCK_EMULATOR_JOURNAL_SIZE: expected an integer >= 1, got '0'"),
    (
        "ALLOWED_HOST",
        "bedrock,bedrock:http",
        "BEDROCK_EMULATOR_ALLOWED_HOST: expected a host name, host:port or *, got 'bedrock:http'",
    ),
    (
        "ADMIN_TOKEN",
        "two words",
        "BEDROCK_EMULATOR_ADMIN_TOKEN: expected a token of visible ASCII characters, without spaces",
    ),
]


@pytest.mark.parametrize(
    ("variable", "value", "line"), BAD_VARIABLES, ids=[f"{v}={x}" for v, x, _ in BAD_VARIABLES]
)
def test_a_bad_variable_exits_2_with_one_line_naming_it(variable: str, value: str, line: str) -> None:
    # No --port: the flag would win over BEDROCK_EMULATOR_PORT.
    result = run("serve", env=clean_env(**{f"BEDROCK_EMULATOR_{variable}": value}), timeout=20)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"bedrock-emulator: {line}"]
    assert result.stdout == ""


def test_a_bad_flag_value_names_the_flag() -> None:
    result = run("serve", "--port", "0", "--log-format", "yaml")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bedrock-emulator: --log-format: expected 'text' or 'json', got 'yaml'"
    ]


def test_the_token_is_never_echoed_in_an_error() -> None:
    result = run("serve", "--port", "0", env=clean_env(BEDROCK_EMULATOR_ADMIN_TOKEN="sec ret"))

    assert result.returncode == 2
    assert "sec ret" not in result.stderr


def test_a_missing_scenario_folder_exits_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"

    result = run("serve", "--port", "0", env=clean_env(BEDROCK_EMULATOR_SCENARIO=str(missing)))

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"bedrock-emulator: {missing}")
    assert "Traceback" not in result.stderr


def test_a_scenario_path_through_a_file_exits_2_with_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")

    result = run("serve", "--port", "0", "--scenario", str(a_file / "scenarios"))

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert str(a_file / "scenarios") in line


def _without_root_reading_powers() -> list[str]:
    """A command prefix under which even root obeys file modes (it drops the capabilities that skip them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root reads every folder, and setpriv (util-linux) is not here to drop that power")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}"]


def test_an_unreadable_scenario_folder_exits_2_with_one_line(tmp_path: Path) -> None:
    prefix = _without_root_reading_powers()
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "a.yaml").write_text("version: 1\nrules: []\n")
    folder.chmod(0)
    try:
        result = subprocess.run(
            [*prefix, str(CONSOLE_SCRIPT), "serve", "--port", "0", "--scenario", str(folder)],
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        folder.chmod(0o755)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"bedrock-emulator: {folder}: cannot read: Permission denied"]


# --- the health check -----------------------------------------------------------------------------------


@pytest.fixture
def served_on_a_flag_port(tmp_path: Path) -> Iterator[Serving]:
    """``serve --port P`` where the environment says another port, as ``docker run IMAGE serve --port P``
    does in the image (which sets BEDROCK_EMULATOR_PORT=8484)."""
    wrong_port = free_port()
    env = clean_env(BEDROCK_EMULATOR_PORT=str(wrong_port), BEDROCK_EMULATOR_HOST="0.0.0.0")
    serving = Serving(["--port", str(free_port()), "--no-library"], env, tmp_path)
    yield serving
    serving.stop()


def test_health_check_follows_the_port_actually_served(served_on_a_flag_port: Serving) -> None:
    serving = served_on_a_flag_port
    wrong_port = serving.env["BEDROCK_EMULATOR_PORT"]

    check = healthcheck(serving.env)
    subcommand = run("health", env=serving.env)

    assert serving.url.startswith("http://127.0.0.1:")  # the wildcard bind is probed on loopback
    assert not serving.url.endswith(f":{wrong_port}")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"healthy: {serving.url} (bedrock-emulator ")
    assert subcommand.returncode == 0, subcommand.stderr


def test_health_check_fails_with_one_line_once_the_server_is_gone(served_on_a_flag_port: Serving) -> None:
    serving = served_on_a_flag_port

    assert serving.stop() == 0
    check = healthcheck(serving.env)

    assert not serving.endpoint_file.exists()  # removed on exit, so no stale port is probed
    assert check.returncode == 1
    (line,) = check.stderr.splitlines()
    assert line.startswith("unhealthy: http://127.0.0.1:")


def test_health_check_ignores_a_proxy_meant_for_other_traffic(served_on_a_flag_port: Serving) -> None:
    env = {
        **served_on_a_flag_port.env,
        "http_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }

    assert healthcheck(env).returncode == 0


def test_health_check_with_an_explicit_url(served_on_a_flag_port: Serving) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"

    assert healthcheck(clean_env(), "--url", served_on_a_flag_port.url).returncode == 0
    assert healthcheck(clean_env(), "--url", nobody, "--timeout", "1").returncode == 1


# --- the admin guard from the environment, and json logs ------------------------------------------------


def test_allowed_hosts_and_the_admin_token_come_from_the_environment(tmp_path: Path) -> None:
    env = clean_env(
        BEDROCK_EMULATOR_ALLOWED_HOST="bedrock, ci-runner:9000",
        BEDROCK_EMULATOR_ADMIN_TOKEN="from-the-env",
        BEDROCK_EMULATOR_LOG_FORMAT="json",
    )
    serving = Serving(["--port", "0", "--no-library"], env, tmp_path)
    try:
        token = {"Authorization": "Bearer from-the-env"}
        by_service_name = serving.request("GET", "/_emulator/scenarios", Host="bedrock:8484", **token)
        on_its_port = serving.request("GET", "/_emulator/scenarios", Host="ci-runner:9000", **token)
        without_token = serving.request("GET", "/_emulator/scenarios", Host="bedrock:8484")
        rebound = serving.request("GET", "/_emulator/scenarios", Host="evil.example", **token)
        forged = serving.request("POST", "/_emulator/reset", Origin="https://evil.example", **token)
    finally:
        assert serving.stop() == 0

    assert by_service_name[0] == on_its_port[0] == 200
    assert without_token[0] == 401
    assert rebound[0] == forged[0] == 403
    records = [json.loads(line) for line in serving.stderr().splitlines()]  # every line is JSON
    assert records[0]["message"] == f"bedrock-emulator serving on {serving.url}"
    refusals = [r for r in records if r["logger"] == "bedrock_emulator.admin"]
    assert [r["level"] for r in refusals] == ["INFO", "WARNING", "WARNING"]  # 401 at INFO, 403s at WARNING
    assert "from-the-env" not in serving.stderr()
