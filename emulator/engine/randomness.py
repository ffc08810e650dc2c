"""Seeded draws for one call: every random choice is a pure function of (seed, scenario, rule, n, purpose).

There is no shared generator to advance, so one tenant's traffic cannot shift another's faults, threads
cannot reorder draws, and a run replays exactly. ``n`` is the tenant's count of calls the rule matched;
the tenant name is deliberately left out so a test using a fresh random access key per run still sees the
same placement for the same request sequence.
"""

from __future__ import annotations

import hashlib
import math
import random

from emulator.engine.schema import Delay, FixedDelay, LognormalDelay, NormalDelay, UniformDelay

_SCALE = float(1 << 64)


def _digest(seed: int, scenario: str, rule: str, n: int, purpose: str) -> int:
    key = f"{seed}\x1f{scenario}\x1f{rule}\x1f{n}\x1f{purpose}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def uniform(seed: int, scenario: str, rule: str, n: int, purpose: str) -> float:
    """A number in [0, 1) fixed by its arguments."""
    return _digest(seed, scenario, rule, n, purpose) / _SCALE


def generator(seed: int, scenario: str, rule: str, n: int, purpose: str) -> random.Random:
    """A generator seeded by its arguments, for draws that need a distribution."""
    return random.Random(_digest(seed, scenario, rule, n, purpose))


def sample_delay(delay: Delay, draw: random.Random) -> float:
    """Seconds to wait, from the rule's distribution; never negative, never above its ``max``."""
    if isinstance(delay, FixedDelay):
        return delay.seconds
    if isinstance(delay, UniformDelay):
        return draw.uniform(delay.min, delay.max)
    if isinstance(delay, NormalDelay):
        value = draw.gauss(delay.mean, delay.stddev)
    elif isinstance(delay, LognormalDelay):
        value = draw.lognormvariate(math.log(delay.median), delay.sigma)
    else:  # pragma: no cover - the union is closed
        raise TypeError(delay)
    value = max(0.0, value)
    return min(value, delay.max) if delay.max is not None else value
