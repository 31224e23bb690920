"""A throwaway server program (PostgreSQL, redis-server) on a free 127.0.0.1 port: what
``tests/support/postgres.py`` and ``tests/support/redis.py`` share.

A subclass says how to launch its program on ``self.port`` and how to tell that it answers;
``start()`` picks the port, launches and waits, ``stop()`` terminates it (then kills it after
``timeout_seconds``), and the ``with`` block does both.
"""

from __future__ import annotations

import subprocess
import time
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from tests.support.server import free_port


class LocalServer(ABC):
    """A server subprocess listening on a free 127.0.0.1 port."""

    #: How long a starting server gets to answer, and a stopping one to exit.
    timeout_seconds = 10.0

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def launch(self) -> subprocess.Popen[bytes]:
        """Start the program on ``self.port``."""

    @abstractmethod
    def answers(self) -> bool:
        """Whether the program answers on ``self.port`` now."""

    @abstractmethod
    def log(self) -> str:
        """What the program logged (why it did not start, say)."""

    def start(self) -> Self:
        # The port is free when picked, but another process may take it first: then the
        # program exits at once ("Address already in use"), and another port is tried.
        for _ in range(3):
            self.port = free_port()
            self.process = self.launch()
            if self._wait_until_it_answers():
                return self
            self.stop()
        raise AssertionError(f"{type(self).__name__} did not start: {self.log()}")

    def _wait_until_it_answers(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.timeout_seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.answers():
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
