"""A progress bar on stderr while a long journal is read, drawn only when stderr is a terminal."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30
_REDRAW_S = 0.1


class Progress:
    """``update(done)`` as bytes arrive, ``finish()`` at the end; silent unless ``stream`` is a TTY."""

    def __init__(self, stream: TextIO, label: str, total: int | None) -> None:
        self.stream = stream
        self.label = label
        self.total = total if total and total > 0 else None
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.done = 0
        self._drawn_at = 0.0

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= _REDRAW_S:
            self._drawn_at = now
            self._draw()

    def finish(self) -> None:
        if self.enabled:
            if self.total is not None:
                self.done = self.total
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        megabytes = f"{self.done / 1e6:.1f}"
        if self.total is None:
            line = f"{self.label} {megabytes} MB"
        else:
            share = min(1.0, self.done / self.total)
            filled = round(share * WIDTH)
            bar = "#" * filled + "-" * (WIDTH - filled)
            line = f"{self.label} [{bar}] {share:4.0%} {megabytes}/{self.total / 1e6:.1f} MB"
        self.stream.write("\r" + line)
        self.stream.flush()
