"""Definitions built from files (knowledge bases, guardrails, agents, flows): one registry per kind per app.

A `Kind` says how one kind of definitions is read: its name (the ``Settings`` field naming its files),
the ``BEDROCK_EMULATOR_*`` variable read when the app was given no files, and how a registry is built
from paths. An app's `Definitions` (``AppState.definitions``) holds the registry of each kind that app
uses: ``create_app`` configures the kinds its settings name files for, and any other kind is built on
first use from its variable (paths separated by ``os.pathsep`` or commas). Configuring swaps a registry
atomically, so a request sees either the old definitions or the new ones. Two apps share nothing.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast, runtime_checkable

R = TypeVar("R")

# Kind name (the Settings field) -> the package whose ``KIND`` it is; packages load only when used.
PACKAGES: Mapping[str, str] = {
    "knowledge_bases": "emulator.knowledge",
    "guardrails": "emulator.guardrails",
    "agents": "emulator.agents",
    "flows": "emulator.flows",
}


def paths_from(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.replace(",", os.pathsep).split(os.pathsep) if part)


@runtime_checkable
class Forgetting(Protocol):
    """A registry that also keeps something per tenant (e.g. ingestion jobs), dropped on reset."""

    def forget(self, tenant: str | None) -> None: ...


class Kind(Generic[R]):
    """How one kind of definitions is read; a constant of its package (``KIND``), holding no registry."""

    def __init__(
        self, name: str, environment_variable: str, build: Callable[[tuple[str | Path, ...]], R]
    ) -> None:
        self.name = name
        self.environment_variable = environment_variable
        self._build = build

    def build(self, paths: Iterable[str | Path] = ()) -> R:
        """A registry from ``paths`` (none: only the bundled sample), installed nowhere."""
        return self._build(tuple(paths))

    def from_environment(self) -> R:
        return self._build(paths_from(os.environ.get(self.environment_variable, "")))

    def __repr__(self) -> str:
        return f"Kind({self.name!r})"


def kind_named(name: str) -> Kind[Any]:
    """The `Kind` a settings field names (``agents``, ``flows``, ``knowledge_bases``, ``guardrails``)."""
    try:
        package = PACKAGES[name]
    except KeyError:
        raise ValueError(f"no definitions named {name!r}; expected one of {', '.join(PACKAGES)}") from None
    kind: Kind[Any] = importlib.import_module(package).KIND
    return kind


class Definitions:
    """One app's registries, by kind name. Thread-safe; a registry is built once, on first use."""

    def __init__(self) -> None:
        self._registries: dict[str, object] = {}
        self._lock = threading.Lock()

    def configure(self, kind: Kind[R], paths: Iterable[str | Path] = ()) -> R:
        """Build ``kind``'s registry from ``paths`` (replacing any earlier one) and return it; a bad file
        raises here, before anything is installed."""
        registry = kind.build(paths)
        with self._lock:
            self._registries[kind.name] = registry
        return registry

    def get(self, kind: Kind[R]) -> R:
        """``kind``'s registry, built from its environment variable when never configured."""
        with self._lock:
            registry = self._registries.get(kind.name)
            if registry is None:
                registry = self._registries[kind.name] = kind.from_environment()
            return cast(R, registry)

    @contextmanager
    def replaced(self, kind: Kind[R], registry: R | None) -> Iterator[R | None]:
        """Use ``registry`` (None: build again from the environment on next use) for the duration, then
        put the previous one back; for tests and tools that need other definitions for a while."""
        with self._lock:
            previous = self._registries.pop(kind.name, None)
            if registry is not None:
                self._registries[kind.name] = registry
        try:
            yield registry
        finally:
            with self._lock:
                self._registries.pop(kind.name, None)
                if previous is not None:
                    self._registries[kind.name] = previous

    def forget(self, tenant: str | None) -> None:
        """Drop what registries keep per tenant (every tenant's when None)."""
        with self._lock:
            registries = list(self._registries.values())
        for registry in registries:
            if isinstance(registry, Forgetting):
                registry.forget(tenant)
