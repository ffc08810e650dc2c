"""Agents: definitions (configured, bundled sample, inline), deterministic orchestration, traces,
returnControl, per-tenant session state and memory, and the Sessions API's store.

The behaviour behind the InvokeAgent / InvokeInlineAgent / agent-memory / Sessions handlers and the
bedrock-agent agent reads; no Flask and no HTTP here (``emulator/services/agents.py`` and
``emulator/services/sessions.py`` are the wire side). Everything remembered (conversations, memory,
sessions) is kept in the app's store, so a reset of the app's state forgets it.
"""

from __future__ import annotations

from emulator.agents.registry import KIND, Registry, configure, current

__all__ = ["KIND", "Registry", "configure", "current"]
