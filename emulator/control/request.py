"""A request's input as bedrock-agent's model names it: one dict of member name -> value.

``params(call)`` is the one place handlers here read a request from: the shapes layer's validated
input (``OperationCall.input``: URI labels, typed query string and headers, body, by member name),
copied so a handler may change its dict freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.services.exchange import OperationCall


def params(call: OperationCall) -> dict[str, Any]:
    """Every member the request carries, by member name; absent members are absent."""
    return dict(call.input)


def without(values: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """``values`` minus the named members (what a record keeps of a request: all but e.g. ``tags``)."""
    return {k: v for k, v in values.items() if k not in names}
