"""A progress bar for batches: drawn in place (``\\r``) on a terminal, silent anywhere else (a CI log,
a file, a pipe), so logs do not fill with redraws. Thread-safe."""

from __future__ import annotations

import threading
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``advance(ok=..., throttled=...)`` once per finished item; ``close()`` ends the line."""

    def __init__(self, total: int, stream: TextIO | None, *, width: int = 30, label: str = "batch") -> None:
        self.total = total
        self.done = self.failed = self.throttled = 0
        self._stream = stream
        self._width = width
        self._label = label
        self._lock = threading.Lock()
        self.enabled = stream is not None and _is_terminal(stream)
        self._draw()

    def advance(self, *, ok: bool, throttled: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.failed += 0 if ok else 1
            self.throttled += 1 if throttled else 0
            self._draw()

    def render(self) -> str:
        filled = self._width * self.done // self.total if self.total else self._width
        bar = "#" * filled + "." * (self._width - filled)
        return (
            f"{self._label} [{bar}] {self.done}/{self.total}"
            f"  failed {self.failed}  throttled {self.throttled}"
        )

    def close(self) -> None:
        with self._lock:
            if self.enabled and self._stream is not None:
                self._stream.write("\n")
                self._stream.flush()
                self.enabled = False

    def _draw(self) -> None:
        if self.enabled and self._stream is not None:
            self._stream.write("\r" + self.render())
            self._stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
