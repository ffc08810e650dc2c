"""The data plane's read-only view of control-plane records (prompts, flows, their versions and aliases).

Runtime calls (Converse with a prompt ARN, InvokeFlow on a created flow) read what the control plane
stored without taking its lock and without writing: a record is settled on the call's virtual clock in
a copy (``lifecycle.settle``), so a flow whose PrepareFlow has come due reads Prepared, and a record
whose deletion has come due reads as absent. The control plane writes the settled state back on its own
next read.
"""

from __future__ import annotations

from typing import Any

from emulator.control import lifecycle
from emulator.control.resources import Kind
from emulator.services.exchange import OperationCall


def record(call: OperationCall, kind: Kind, key: str) -> dict[str, Any] | None:
    """The caller's record of ``kind`` under ``key`` as it stands now, or None (absent or gone)."""
    stored = call.state.store.get(call.tenant, kind.store_kind, key)
    if not isinstance(stored, dict):
        return None
    lifecycle.settle(stored, lifecycle.now(call))
    return None if stored.get(lifecycle.GONE) else stored
