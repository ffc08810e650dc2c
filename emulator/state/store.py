"""The `Store` interface and its in-memory implementation, and `AppState`, what an app keeps."""

from __future__ import annotations

import builtins
import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from emulator.definitions import Definitions, Forgetting

T = TypeVar("T")


class Store(Protocol):
    """Values by ``(tenant, kind, key)``; every method is one atomic step."""

    def get(self, tenant: str, kind: str, key: str) -> Any | None:
        """The value, or None. Callers get a copy: changing it changes nothing until `put`."""

    def put(self, tenant: str, kind: str, key: str, value: Any) -> None:
        """Create or replace."""

    def put_new(self, tenant: str, kind: str, key: str, value: Any) -> bool:
        """Create only if absent; False (and nothing written) when the key exists."""

    def delete(self, tenant: str, kind: str, key: str) -> Any | None:
        """Remove and return the value, or None when there was none."""

    def list(self, tenant: str, kind: str) -> list[tuple[str, Any]]:
        """Every ``(key, value)`` of a kind for a tenant, in creation order."""

    def keys(self, tenant: str, kind: str) -> builtins.list[str]:
        """Every key of a kind for a tenant, in creation order (without reading the values)."""

    def increment(self, tenant: str, kind: str, key: str, by: int = 1) -> int:
        """Add ``by`` to an integer counter (0 when absent) and return the new value."""

    def update(self, tenant: str, kind: str, key: str, change: Callable[[Any], Any]) -> Any | None:
        """Replace the value with ``change(value)`` atomically and return the new value; None (and no
        call) when absent. An exception from ``change`` leaves the value as it was and propagates, so a
        refusal decided inside ``change`` writes nothing."""

    def forget(self, tenant: str | None) -> None:
        """Drop everything of a tenant, or of every tenant."""


class MemoryStore:
    """`Store` in a dict under one lock; values are deep-copied in and out, as a remote store would."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, dict[str, Any]]] = {}

    def get(self, tenant: str, kind: str, key: str) -> Any | None:
        with self._lock:
            value = self._data.get(tenant, {}).get(kind, {}).get(key)
            return copy.deepcopy(value)

    def put(self, tenant: str, kind: str, key: str, value: Any) -> None:
        value = copy.deepcopy(value)
        with self._lock:
            self._data.setdefault(tenant, {}).setdefault(kind, {})[key] = value

    def put_new(self, tenant: str, kind: str, key: str, value: Any) -> bool:
        value = copy.deepcopy(value)
        with self._lock:
            bucket = self._data.setdefault(tenant, {}).setdefault(kind, {})
            if key in bucket:
                return False
            bucket[key] = value
            return True

    def delete(self, tenant: str, kind: str, key: str) -> Any | None:
        with self._lock:
            return self._data.get(tenant, {}).get(kind, {}).pop(key, None)

    def list(self, tenant: str, kind: str) -> list[tuple[str, Any]]:
        with self._lock:
            return [(k, copy.deepcopy(v)) for k, v in self._data.get(tenant, {}).get(kind, {}).items()]

    def keys(self, tenant: str, kind: str) -> builtins.list[str]:
        with self._lock:
            return list(self._data.get(tenant, {}).get(kind, {}))

    def increment(self, tenant: str, kind: str, key: str, by: int = 1) -> int:
        with self._lock:
            bucket = self._data.setdefault(tenant, {}).setdefault(kind, {})
            value = int(bucket.get(key, 0)) + by
            bucket[key] = value
            return value

    def update(self, tenant: str, kind: str, key: str, change: Callable[[Any], Any]) -> Any | None:
        with self._lock:
            bucket = self._data.get(tenant, {}).get(kind, {})
            if key not in bucket:
                return None
            value = copy.deepcopy(change(copy.deepcopy(bucket[key])))
            bucket[key] = value
            return copy.deepcopy(value)

    def forget(self, tenant: str | None) -> None:
        with self._lock:
            if tenant is None:
                self._data.clear()
            else:
                self._data.pop(tenant, None)


@dataclass
class AppState:
    """What one app keeps between calls.

    ``store`` holds created resources and everything remembered per tenant, as plain values;
    ``definitions`` the registries built from definition files (agents, flows, knowledge bases,
    guardrails); ``extras`` in-process objects that cannot be stored as values (a paused flow execution),
    keyed by name: make them with `extra`, which also forgets their tenants on reset.
    """

    store: Store = field(default_factory=MemoryStore)
    definitions: Definitions = field(default_factory=Definitions)
    extras: dict[str, Any] = field(default_factory=dict)
    _forgetters: list[Callable[[str | None], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def on_forget(self, forgetter: Callable[[str | None], None]) -> None:
        """Also call ``forgetter(tenant)`` on reset (for caches derived from the store)."""
        with self._lock:
            self._forgetters.append(forgetter)

    def extra(self, name: str, make: Callable[[], T]) -> T:
        """The extra named ``name``, made by ``make()`` on first use (once, even when threads race). When
        it has a ``forget(tenant)`` method, a reset calls it."""
        with self._lock:
            if name not in self.extras:
                made = make()
                self.extras[name] = made
                if isinstance(made, Forgetting):
                    self._forgetters.append(made.forget)
            value: T = self.extras[name]
            return value

    def forget(self, tenant: str | None) -> None:
        """Forget ``tenant`` (every tenant when None) in every store: values, registries and extras."""
        self.store.forget(tenant)
        self.forget_here(tenant)

    def forget_here(self, tenant: str | None) -> None:
        """Forget ``tenant`` in what this process keeps beside the store (registries, extras): all a
        replica does when another one, sharing the store through Redis, was reset (emulator/shared)."""
        self.definitions.forget(tenant)
        with self._lock:
            forgetters = list(self._forgetters)
        for forgetter in forgetters:
            forgetter(tenant)
