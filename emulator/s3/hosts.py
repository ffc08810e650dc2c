"""Path or virtual-hosted style: which bucket, if any, a request's ``Host`` names."""

from __future__ import annotations

import re

# Hosts that name a bucket in front of them (virtual-hosted style): ``docs.localhost:8484``, and AWS's own
# S3 host names when a client's DNS points them here. Any other host is path style (``/docs/key``), so an
# emulator reached as ``emulator.internal:8484`` does not read ``emulator`` as a bucket (moto's own rule
# would: it takes the first label of any dotted host name that is not an address).
_VIRTUAL_HOST = re.compile(
    r"(?P<bucket>[a-z0-9][a-z0-9.-]*?)\."
    r"(?:localhost|s3(?:[.-](?:dualstack|fips))?(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?)(?::\d+)?",
    re.IGNORECASE,
)


def virtual_host_bucket(host: str) -> str | None:
    """The bucket a virtual-hosted style ``Host`` names, or None for a path-style host."""
    match = _VIRTUAL_HOST.fullmatch(host)
    return match.group("bucket") if match else None
