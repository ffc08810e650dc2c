"""Fixtures for the reference-client tests: virtual time that moves the emulator's quota clock too,
so a client that waits a minute costs the test nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


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


SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _scaled(value: Any, factor: float) -> Any:
    """Every delay (a number under a key ending in ``delay``) of a scenario's rules, times ``factor``."""
    if isinstance(value, dict):
        return {
            key: item * factor
            if key.endswith("delay") and isinstance(item, int | float)
            else _scaled(item, factor)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scaled(item, factor) for item in value]
    return value


@pytest.fixture
def shipped_faster(bedrock_emulator: Any) -> Callable[[str, float], str]:
    """Bind a shipped scenario (scenarios/NAME.yaml) with its delays scaled by ``factor``, so a 2 s
    wait becomes 0.2 s: the same rules, a quick test. Returns the loaded scenario's name."""

    def bind(name: str, factor: float) -> str:
        document = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
        document = _scaled(document, factor)
        document["name"] = f"{name}-x{factor:g}"
        loaded = bedrock_emulator.load_scenario(yaml.safe_dump(document))
        bedrock_emulator.use_scenario(loaded)
        return str(loaded)

    return bind
