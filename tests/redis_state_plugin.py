"""``pytest -p redis_state_plugin``: every app the tests build keeps its state in one real Redis.

A sweep for ``make test-redis``: the contract, wire and client suites run unchanged, but ``create_app``
gets ``--state redis://...`` by default (a redis-server started on a free loopback port for the run), so
every handler's values go through `RedisStore`, every scenario through the shared engine and every call
through the shared journal. Tests that give their own state, or that check two apps share nothing, are
not meant for it (``make test-redis`` deselects the latter).
"""

from __future__ import annotations

import shutil

import pytest
from redis_server import RedisServer

from emulator.settings import Settings

_server: RedisServer | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _server  # noqa: PLW0603 - one server for the whole run, as the hook pair requires
    if shutil.which("redis-server") is None:
        raise pytest.UsageError("redis_state_plugin needs redis-server (apt-get install redis-server)")
    _server = RedisServer.start()
    Settings.model_fields["state"].default = _server.url
    Settings.model_rebuild(force=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _server is not None:
        _server.stop()
