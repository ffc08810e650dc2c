"""One process-wide registry of definitions (knowledge bases, agents, flows, guardrails), built from files.

Each kind is configured from its ``serve`` setting by ``create_app``, or on first use from its
``BEDROCK_EMULATOR_*`` variable (paths separated by ``os.pathsep`` or commas); reconfiguring swaps the
whole registry atomically, so a request sees either the old definitions or the new ones.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

R = TypeVar("R")


def paths_from(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.replace(",", os.pathsep).split(os.pathsep) if part)


class Definitions(Generic[R]):
    def __init__(self, environment_variable: str, build: Callable[[tuple[str | Path, ...]], R]) -> None:
        self.environment_variable = environment_variable
        self._build = build
        self._registry: R | None = None
        self._lock = threading.Lock()

    def configure(self, paths: Iterable[str | Path] = ()) -> R:
        """Build from ``paths`` (replacing any earlier registry) and return it."""
        registry = self._build(tuple(paths))
        with self._lock:
            self._registry = registry
        return registry

    def current(self) -> R:
        """The registry, built from the environment variable on first use."""
        with self._lock:
            if self._registry is None:
                self._registry = self._build(paths_from(os.environ.get(self.environment_variable, "")))
            return self._registry

    @contextmanager
    def replaced(self, registry: R | None) -> Iterator[R | None]:
        """Use ``registry`` (None: build again from the environment on next use) for the duration, then
        put the previous one back; for tests and tools that need other definitions for a while."""
        with self._lock:
            previous, self._registry = self._registry, registry
        try:
            yield registry
        finally:
            with self._lock:
                self._registry = previous

    def build(self, paths: Iterable[str | Path]) -> R:
        """A registry from ``paths`` without installing it."""
        return self._build(tuple(paths))
