"""Fixtures for the reference-client tests: virtual time that moves the emulator's quota clock too,
so a client that waits a minute costs the test nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest


class VirtualTime:
    """A clock and a sleep for clients under test: sleeping records the wait and moves both this
    clock and the emulator's virtual clock forward, instantly."""

    def __init__(self, emulator: Any) -> None:
        self._emulator = emulator
        self._lock = threading.Lock()
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
            self._emulator.advance_clock(seconds)

    @property
    def slept(self) -> float:
        return sum(self.sleeps)


@pytest.fixture
def virtual_time(bedrock_emulator: Any) -> VirtualTime:
    return VirtualTime(bedrock_emulator)
