"""Where the shipped scenario library lives: ``scenarios/`` in a checkout, ``emulator/scenarios`` once
installed (the package carries the same files through a symlink resolved at build time)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_scenarios() -> Path | None:
    for candidate in (_PACKAGE_DIR / "scenarios", _PACKAGE_DIR.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    return None
