"""A process of the test project that serves no HTTP (a Celery worker, ``db_worker``).

    with Worker([sys.executable, "-m", "celery", ...], journal=tmp_path / "journal") as worker:
        ...  # send it work; nothing waits for a port
    assert worker.returncode == 0

The server harness's life cycle (own process group, the test project's environment, SIGTERM on
leaving the block, ``output``, the journal), with a command of the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.server import Server


class Worker(Server):
    def __init__(
        self, command: Sequence[str], *, journal: Path, env: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(journal=journal, env=env, expect_ready=False)
        self.command = list(command)
