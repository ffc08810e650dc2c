"""Which S3 an app uses: the one it serves itself (None), or an external endpoint's URL, kept on the app's
state so that ``object_store(state)`` and the S3 dispatcher agree. Imports nothing: it runs at start-up."""

from __future__ import annotations

from emulator.state import AppState

ENDPOINT_KEY = "s3.endpoint_url"  # in AppState.extras


def configure(state: AppState, endpoint_url: str | None) -> None:
    """Make the app use an external S3 at ``endpoint_url``, or its own with None. Nothing is imported or
    connected before the first use."""
    state.extras[ENDPOINT_KEY] = endpoint_url


def endpoint_url(state: AppState) -> str | None:
    """The external S3 endpoint the app uses, or None for the S3 it serves itself."""
    value = state.extras.get(ENDPOINT_KEY)
    return value if isinstance(value, str) else None
