"""`connect(url)`: reach Redis once (or say why not), then build what an app keeps there."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.shared.connection import PREFIX, Connection
from emulator.shared.engine import SharedEngine
from emulator.shared.journal import SharedJournal
from emulator.shared.store import RedisStore
from emulator.state.unavailable import StateUnavailableError

log = logging.getLogger("bedrock_emulator")

RESETS = PREFIX + "resets"  # the pub/sub channel of reset announcements
LISTEN_AGAIN_AFTER = 0.5


@dataclass
class SharedBackend:
    connection: Connection
    # Tells this replica's reset announcements from the others'.
    replica: str = field(default_factory=lambda: uuid.uuid4().hex)

    def engine(self, *, seed: int | None, default_scenario: str | None, strict: bool) -> SharedEngine:
        return SharedEngine(self.connection, seed=seed, default_scenario=default_scenario, strict=strict)

    def journal(self, capacity: int) -> SharedJournal:
        return SharedJournal(self.connection, capacity)

    def store(self) -> RedisStore:
        return RedisStore(self.connection)

    def announce_reset(self, tenant: str | None) -> None:
        """Tell the other replicas that ``tenant`` (everyone when None) was reset here."""
        message = json.dumps({"tenant": tenant, "from": self.replica})
        self.connection.run(lambda client: client.publish(RESETS, message))

    def listen_for_resets(self, forget_here: Callable[[str | None], None]) -> None:
        """Call ``forget_here(tenant)`` whenever another replica announces a reset: what this process
        keeps beside Redis (paused flow runs, indexes, ingestion jobs of file-defined knowledge bases)
        goes too. A daemon thread, resubscribing by itself after Redis comes back."""

        def listen() -> None:
            while True:
                try:
                    with self.connection.client.pubsub(ignore_subscribe_messages=True) as pubsub:
                        pubsub.subscribe(RESETS)
                        while True:
                            message = pubsub.get_message(timeout=1.0)
                            if message is not None:
                                announced = json.loads(message["data"])
                                if announced["from"] != self.replica:
                                    forget_here(announced["tenant"])
                except Exception as exc:  # Redis gone (or a bad message): try again shortly
                    log.debug("reset listener: %r", exc)
                    time.sleep(LISTEN_AGAIN_AFTER)

        threading.Thread(target=listen, name="bedrock-emulator-resets", daemon=True).start()

    def healthy(self) -> bool:
        """Whether Redis answers now (the health check's question)."""
        try:
            self.connection.ping()
        except StateUnavailableError:
            return False
        return True


def connect(url: str) -> SharedBackend:
    """The backend for ``url``, once Redis has answered a PING (`StateUnavailableError` otherwise)."""
    connection = Connection(url)
    connection.ping()
    return SharedBackend(connection)
