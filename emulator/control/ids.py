"""Resource ids as Bedrock mints them, deterministically.

Most bedrock-agent ids are ten upper-case letters and digits (botocore's ``Id`` shape is
``[0-9a-zA-Z]{10}``; real ones are upper-case, e.g. ``7HNG5UEHZC``); retrieval instructions use ten
lower-case ones (``[a-z0-9]{10}``) and VPC configurations 32 (``[a-z0-9](?:[a-z0-9-]{30}[a-z0-9])``).
An id is a hash of the seed, the tenant, what it names and a per-tenant counter in the store, so the
same requests in the same order give the same ids, and two tenants never share one.
"""

from __future__ import annotations

import hashlib

from emulator.services.exchange import OperationCall

UPPER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "0123456789abcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"
COUNTERS = "bedrock-agent:counters"
RESERVED = frozenset({"TSTALIASID"})  # the test alias id every agent has


def new_id(call: OperationCall, purpose: str, *, alphabet: str = UPPER, length: int = 10) -> str:
    """A fresh id for ``purpose`` (e.g. ``"agent"``) in the caller's tenant."""
    while True:
        count = call.state.store.increment(call.tenant, COUNTERS, f"id/{purpose}")
        text = f"{call.seed}|{call.tenant}|{purpose}|{count}".encode()
        number = int.from_bytes(hashlib.blake2b(text, digest_size=24).digest(), "big")
        characters = []
        for _ in range(length):
            number, digit = divmod(number, len(alphabet))
            characters.append(alphabet[digit])
        candidate = "".join(characters)
        if candidate not in RESERVED:
            return candidate


def next_version(call: OperationCall, counter: str) -> str:
    """The next numbered version ("1", "2", ...) of the resource ``counter`` names; never reused."""
    return str(call.state.store.increment(call.tenant, COUNTERS, f"version/{counter}"))
