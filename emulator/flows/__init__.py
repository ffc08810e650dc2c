"""Flows: definitions in bedrock-agent's shape, an executor, the bundled sample and executions.

The behaviour behind InvokeFlow, the flow-executions API and GetFlow; no HTTP here
(``emulator/services/flows.py`` is the wire side).
"""

from __future__ import annotations

from emulator.flows.registry import KIND, Registry, configure, current

__all__ = ["KIND", "Registry", "configure", "current"]
