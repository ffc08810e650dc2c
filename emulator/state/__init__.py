"""Per-app state: every store of created or remembered things lives on the app, never in a module.

``create_app`` makes one `AppState`; the data plane hands it to each handler on ``OperationCall.state``.
Two apps in one process share nothing, and ``POST /_emulator/reset`` with a tenant forgets that tenant in
every store (`AppState.forget`).

Stores keep plain JSON-able values (dicts, lists, strings, numbers) under ``(tenant, kind, key)``, behind
the small `Store` interface (get, put, put_new, delete, list, keys, increment, update, forget), so a later
backend can keep them in Redis without handlers changing. Definition registries built from files are on
``AppState.definitions`` (`emulator.definitions`); objects that cannot be values on ``AppState.extra``.
docs/state.md lists the kinds each module keeps.
"""

from emulator.state.store import AppState, MemoryStore, Store

__all__ = ["AppState", "MemoryStore", "Store"]
