"""`StateUnavailableError`: the shared state (Redis, ``serve --state redis://...``) cannot be reached.

Defined here, with no Redis import, so the data plane can answer it as Bedrock answers an outage (a
``ServiceUnavailableException``) and ``serve`` can stop with one line, whatever backend raised it.
"""

from __future__ import annotations


class StateUnavailableError(Exception):
    """The state backend did not answer; the message says where and why."""
