"""The `Store` interface and its in-memory implementation, and `AppState`, what an app keeps."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


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

    def increment(self, tenant: str, kind: str, key: str, by: int = 1) -> int:
        """Add ``by`` to an integer counter (0 when absent) and return the new value."""

    def update(self, tenant: str, kind: str, key: str, change: Callable[[Any], Any]) -> Any | None:
        """Replace the value with ``change(value)`` atomically; None (and no call) when absent."""

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
    """What one app keeps between calls. ``store`` holds created resources and everything remembered
    per tenant; ``extras`` holds in-process objects that cannot be stored as values (an index built from
    ingested documents, a running flow execution), keyed by name, forgotten with their tenant."""

    store: Store = field(default_factory=MemoryStore)
    extras: dict[str, Any] = field(default_factory=dict)
    _forgetters: list[Callable[[str | None], None]] = field(default_factory=list)

    def on_forget(self, forgetter: Callable[[str | None], None]) -> None:
        """Also call ``forgetter(tenant)`` on reset (for caches derived from the store)."""
        self._forgetters.append(forgetter)

    def forget(self, tenant: str | None) -> None:
        self.store.forget(tenant)
        for forgetter in self._forgetters:
            forgetter(tenant)
