"""pytest plugin (``pytest11`` entry point): the ``bedrock_emulator`` fixture.

One emulator serves the whole test session on a free port (started on first use); each test gets its
own tenant, i.e. its own access key, so counters, quotas, bound scenarios and the journal of one test
never leak into another. Heavy imports happen on first use, so merely installing the package costs a
test run nothing.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.journal import JournalEntry
    from emulator.server import EmulatorServer

_tenants = itertools.count(1)


@dataclass
class _Recorded:
    """A journal entry as tests read it: ``status``, ``operation``, ``error_code``, ``rule`` and the rest."""

    entry: JournalEntry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


class BedrockEmulator:
    """A handle on the running emulator, scoped to one test's tenant."""

    def __init__(self, server: EmulatorServer, tenant: str, region: str = "us-east-1") -> None:
        self._server = server
        self.tenant = tenant
        self.region = region
        self._state = server.app.extensions["bedrock_emulator"]  # type: ignore[attr-defined]
        self._clients: list[Any] = []

    @property
    def endpoint_url(self) -> str:
        return self._server.endpoint_url

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.tenant,
            "aws_secret_access_key": "emulator",
            "region_name": self.region,
        }

    def client(self, service: str = "bedrock-runtime", **config: Any) -> Any:
        """A boto3 client for ``service`` wired to the emulator with this test's tenant."""
        import boto3
        from botocore.config import Config

        retries = config.pop("retries", {"mode": "standard", "total_max_attempts": 1})
        client = boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            config=Config(retries=retries, **config),
            **self.credentials,
        )
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close the clients this handle made, reset the tenant and unbind its scenario."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.reset()
        self._state.engine.bind(self.tenant, None)

    def use_scenario(self, name_or_path: str | Path) -> str:
        """Apply a scenario to this test's tenant: a loaded scenario's name, or a file to load first."""
        engine = self._state.engine
        name = str(name_or_path)
        if Path(name).suffix in (".yaml", ".yml", ".json") and Path(name).exists():
            name = engine.load_path(name)[0]
        engine.bind(self.tenant, name)
        return name

    def load_scenario(self, text: str) -> str:
        """Load a scenario from YAML or JSON text; returns its name."""
        name: str = self._state.engine.load_text(text, source="<pytest>")
        return name

    def requests(self, operation: str | None = None) -> list[_Recorded]:
        """What this test's tenant sent, oldest first."""
        return [_Recorded(e) for e in self._state.journal.entries(tenant=self.tenant, operation=operation)]

    def advance_clock(self, seconds: float) -> None:
        self._state.engine.clock.advance(seconds)

    def reset(self) -> None:
        self._state.reset(self.tenant)

    def definitions(self, kind: str, paths: Sequence[str | Path]) -> AbstractContextManager[None]:
        """A context manager: the server serves the definitions in ``paths`` for ``kind`` (``agents``,
        ``flows``, ``knowledge_bases`` or ``guardrails``, as ``serve`` names them) for the duration, then
        what it served before. The server is shared: every tenant sees them meanwhile."""
        return served_definitions(self._server, kind, paths)

    def admin(self, method: str, path: str, payload: Any = None) -> Any:
        """Call the admin API over HTTP (what a non-Python client would do)."""
        data = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        token = self._state.settings.admin_token  # serve --admin-token, or BEDROCK_EMULATOR_ADMIN_TOKEN
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        req = urllib.request.Request(
            f"{self.endpoint_url}/_emulator/{path.lstrip('/')}", data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(req, timeout=10) as response:
            return json.loads(response.read() or b"null")


@contextmanager
def served_definitions(server: EmulatorServer, kind: str, paths: Sequence[str | Path]) -> Iterator[None]:
    """What `BedrockEmulator.definitions` does, for fixtures wider than one test (given the server)."""
    from emulator.definitions import kind_named

    registries = server.app.extensions["bedrock_emulator"].state.definitions  # type: ignore[attr-defined]
    kind_of = kind_named(kind)
    with registries.replaced(kind_of, kind_of.build(paths)):
        yield


@pytest.fixture(scope="session")
def bedrock_emulator_server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    """The session's emulator server. Scenario paths come from ``--bedrock-emulator-scenario``."""
    from emulator.app import create_app
    from emulator.server import EmulatorServer
    from emulator.settings import Settings

    paths = tuple(request.config.getoption("bedrock_emulator_scenario") or ())
    # BEDROCK_EMULATOR_* variables apply as they do to `serve`; the port is always a free one.
    settings = Settings.from_sources({"port": 0, "host": "127.0.0.1", "scenario": paths or None})
    server = EmulatorServer(create_app(settings), "127.0.0.1", 0).start()
    yield server
    server.stop()


@pytest.fixture
def bedrock_emulator(bedrock_emulator_server: EmulatorServer) -> Iterator[BedrockEmulator]:
    """The emulator, with a tenant of this test's own (access key ``test-<n>-<time>``)."""
    tenant = f"test-{next(_tenants)}-{int(time.time() * 1000) % 100000}"
    handle = BedrockEmulator(bedrock_emulator_server, tenant)
    yield handle
    handle.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bedrock-emulator")
    group.addoption(
        "--bedrock-emulator-scenario",
        action="append",
        dest="bedrock_emulator_scenario",
        help="scenario file or directory for the bedrock_emulator fixture's server (repeatable)",
    )
