"""Agents: definitions (configured, bundled sample, inline), deterministic orchestration, traces,
returnControl, per-tenant session state and memory, and the Sessions API's store.

The behaviour behind the InvokeAgent / InvokeInlineAgent / agent-memory / Sessions handlers and the
bedrock-agent agent reads; no Flask and no HTTP here (``emulator/services/agents.py`` and
``emulator/services/sessions.py`` are the wire side).
"""

from __future__ import annotations

from emulator.agents.conversations import CONVERSATIONS
from emulator.agents.memory import MEMORY
from emulator.agents.registry import Registry, configure, current
from emulator.agents.session_management import SESSIONS

__all__ = ["Registry", "configure", "current", "forget"]


def forget(tenant: str | None) -> None:
    """Drop a tenant's (every tenant's when None) agent sessions, memory and Sessions API data."""
    CONVERSATIONS.clear(tenant)
    MEMORY.clear(tenant)
    SESSIONS.clear(tenant)
