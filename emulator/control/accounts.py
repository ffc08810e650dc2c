"""The AWS account id a tenant's resources live in, and the ARNs built on it.

Each tenant (access key id) gets a stable 12-digit account id: the first eight bytes of
``blake2b("bedrock-emulator:account:<tenant>")`` modulo 10**12, zero-padded. Stable across runs and
processes, different per tenant, never an account id anyone owns on purpose (it is not a lookup).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

PARTITION = "aws"


@lru_cache(maxsize=4096)
def account_id(tenant: str) -> str:
    """The tenant's 12-digit account id."""
    digest = hashlib.blake2b(f"bedrock-emulator:account:{tenant}".encode(), digest_size=8).digest()
    return f"{int.from_bytes(digest, 'big') % 10**12:012d}"


def bedrock_arn(region: str, tenant: str, resource: str) -> str:
    """``arn:aws:bedrock:<region>:<the tenant's account>:<resource>``."""
    return f"arn:{PARTITION}:bedrock:{region}:{account_id(tenant)}:{resource}"


def role_arn(tenant: str, name: str) -> str:
    """An IAM role ARN in the tenant's account (for members Bedrock fills in when the caller gave none)."""
    return f"arn:{PARTITION}:iam::{account_id(tenant)}:role/service-role/{name}"
