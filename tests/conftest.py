"""Shared fixtures. The emulator itself comes from our own pytest plugin (``bedrock_emulator``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Tests talk to 127.0.0.1 only: make sure no real credentials or endpoints leak in from the environment.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def anthropic_bedrock(bedrock_emulator: Any) -> Iterator[Any]:
    """The Anthropic SDK's Bedrock client (``anthropic.AnthropicBedrock``), unmodified, aimed at the
    emulator as the test's tenant, without retries; skipped where the SDK is not installed."""
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.AnthropicBedrock(
        aws_access_key=bedrock_emulator.tenant,
        aws_secret_key="emulator",
        aws_region="us-east-1",
        base_url=bedrock_emulator.endpoint_url,
        max_retries=0,
    )
    yield client
    client.close()
