"""One Redis connection pool per app, its Lua scripts, and Redis errors turned into `StateUnavailableError`.

Every key the emulator writes starts with ``bedrock-emulator:``; a tenant (an access key id, anything a
client sends) appears in keys percent-encoded, so it never contains ``:`` or a glob character and one
tenant's keys can be found, and dropped, by prefix without touching another's.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.retry import Retry

from emulator.state.unavailable import StateUnavailableError

PREFIX = "bedrock-emulator:"
# A lost Redis must turn into an answer quickly (a 503 the client retries), not into a hung request.
CONNECT_TIMEOUT = 1.0
COMMAND_TIMEOUT = 2.0

_OUTAGES: tuple[builtins.type[Exception], ...] = (
    redis.ConnectionError,  # includes BusyLoadingError (a Redis still loading its data set)
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica after a fail-over, until the client reaches the primary
    redis.exceptions.MasterDownError,
    redis.exceptions.OutOfMemoryError,
)


def tenant_key(tenant: str) -> str:
    """A tenant as it appears inside keys: percent-encoded, so it holds no ``:``, ``*``, ``?`` or ``[``."""
    return quote(tenant, safe="")


def where(url: str) -> str:
    """The URL without a password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class Connection:
    """The client and the scripts registered on it; `run` and `script` raise `StateUnavailableError`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = where(url)
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.005), 1),
            decode_responses=False,
        )

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turns an outage (connection refused or lost, timeout, read-only replica) into the neutral error."""
        try:
            yield
        except _OUTAGES as exc:
            raise StateUnavailableError(f"Redis at {self.where} is unavailable: {exc}") from exc

    def run(self, command: Callable[[Any], Any]) -> Any:
        """``command(client)``; redis-py's replies are loosely typed, so callers say what they read."""
        with self.guard():
            return command(self.client)

    def script(self, source: str) -> Callable[[Sequence[Any], Sequence[Any]], Any]:
        """A Lua script run by its SHA (sent again by redis-py if Redis forgot it, after a restart)."""
        registered: Script = self.client.register_script(source)

        def call(keys: Sequence[Any], args: Sequence[Any]) -> Any:
            with self.guard():
                return registered(keys=list(keys), args=list(args))

        return call

    def ping(self) -> None:
        self.run(lambda client: client.ping())

    def drop_prefix(self, prefix: str) -> None:
        """Unlink every key starting with ``prefix`` (which holds no glob character)."""

        def drop(client: Any) -> None:
            batch: list[bytes] = []
            for key in client.scan_iter(match=prefix + "*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    client.unlink(*batch)
                    batch.clear()
            if batch:
                client.unlink(*batch)

        self.run(drop)
