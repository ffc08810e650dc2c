"""Shared fixtures. The emulator itself comes from our own pytest plugin (``bedrock_emulator``)."""

from __future__ import annotations

import os

# Tests talk to 127.0.0.1 only: make sure no real credentials or endpoints leak in from the environment.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
