"""A mapping bounded by a capacity, forgetting its least recently used entries first.

For anything kept per tenant: a long run that uses a new access key per call must not grow without end.
Reading an entry with ``get`` or ``[]`` and writing one count as use; ``peek``, ``in`` and iteration do not.
An owner can spare entries still in use (``spare``): a spared entry counts as just used, and the map holds
more than its capacity only while every entry it looks at is spared. Not thread-safe: the owner holds its
own lock around every call, as it does around the plain dict this replaces.

    counters: LruMap[str, int] = LruMap(10_000)
    counters[tenant] = counters.get(tenant, 0) + 1
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

# How many spared entries one insertion looks past before it lets the map run over its capacity.
_LOOK_PAST = 8


class LruMap(Generic[K, V]):
    def __init__(
        self,
        capacity: int,
        *,
        spare: Callable[[K, V], bool] | None = None,
        on_evict: Callable[[K, V], None] | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"an LruMap holds at least one entry, got capacity {capacity}")
        self.capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._spare = spare
        self._on_evict = on_evict

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The value, marked as just used; ``default`` when absent."""
        entries = self._entries
        if key not in entries:
            return default
        entries.move_to_end(key)
        return entries[key]

    def __getitem__(self, key: K) -> V:
        value = self._entries[key]
        self._entries.move_to_end(key)
        return value

    @overload
    def peek(self, key: K) -> V | None: ...

    @overload
    def peek(self, key: K, default: D) -> V | D: ...

    def peek(self, key: K, default: object = None) -> object:
        """The value without marking it used."""
        return self._entries.get(key, default)

    def __setitem__(self, key: K, value: V) -> None:
        entries = self._entries
        entries[key] = value
        entries.move_to_end(key)
        if len(entries) > self.capacity:
            self._evict(key)

    def __delitem__(self, key: K) -> None:
        del self._entries[key]

    @overload
    def pop(self, key: K) -> V | None: ...

    @overload
    def pop(self, key: K, default: D) -> V | D: ...

    def pop(self, key: K, default: object = None) -> object:
        """Removes an entry (no ``on_evict``: the owner asked for it); ``default`` when absent."""
        return self._entries.pop(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        """Keys from least to most recently used."""
        return iter(self._entries)

    def keys(self) -> KeysView[K]:
        return self._entries.keys()

    def values(self) -> ValuesView[V]:
        return self._entries.values()

    def items(self) -> ItemsView[K, V]:
        return self._entries.items()

    def clear(self) -> None:
        self._entries.clear()

    def _evict(self, newest: K) -> None:
        entries = self._entries
        looked = 0
        while len(entries) > self.capacity and looked < _LOOK_PAST:
            key = next(iter(entries))
            if key == newest:  # everything older was spared: never evict what was just written
                return
            value = entries[key]
            looked += 1
            if self._spare is not None and self._spare(key, value):
                entries.move_to_end(key)
                continue
            del entries[key]
            if self._on_evict is not None:
                self._on_evict(key, value)
