"""A ``bedrock-emulator serve`` subprocess for the tests that start real server processes
(tests/e2e/test_cli.py, tests/e2e/test_replicas_redis.py)."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time

SERVING_LINE = re.compile(r"^bedrock-emulator serving on (http://(?:127\.0\.0\.1|localhost):(\d+))$")


class ServeProcess:
    """A ``serve`` subprocess; its stderr lines are collected by a thread so the pipe never fills."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._first_line = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))
            self._first_line.set()
        self._first_line.set()

    def first_line(self, timeout: float = 10.0) -> str:
        assert self._first_line.wait(timeout), "serve printed nothing"
        assert self.lines, f"serve exited with {self.process.poll()} and printed nothing"
        return self.lines[0]

    def endpoint_url(self, timeout: float = 10.0) -> str:
        match = SERVING_LINE.match(self.first_line(timeout))
        assert match is not None, self.lines
        return match.group(1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """``sig`` (if still running), wait, and return the exit code; idempotent."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return code
