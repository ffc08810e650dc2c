"""Handlers of sessions (being built: see issue 4)."""

from __future__ import annotations

from collections.abc import Callable

from emulator.services.exchange import OperationCall, Reply

SESSION_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {}
