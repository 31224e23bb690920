"""Django Tasks on django-tasks-db's database backend, in processes of the test project: a
SQLite file migrated and enqueued into by a process without a lifespan, a worker on it, and the
results it wrote.

    migrate_and_enqueue(database, tmp_path / "setup", "from tests.project.tasks import ...")
    with django_process("with_lifespan", "db_worker", database=database, journal=...) as worker:
        wait_until_done(database, worker)
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.support.server import Server
from tests.support.worker import Worker

DJANGO = (sys.executable, "-m", "django")
#: How long a process of the test project may take to do its part.
TIMEOUT = 30.0


def django_process(
    *args: str, database: Path, journal: Path, env: Mapping[str, str] | None = None
) -> Worker:
    """A process of the test project on the file database, with django-tasks-db's backend."""
    env = {
        "LIFESPAN_DI_TEST_DATABASE": str(database),
        "LIFESPAN_DI_TEST_TASKS": "database",
        **(env or {}),
    }
    return Worker([*DJANGO, *args], journal=journal, env=env)


def migrate_and_enqueue(
    database: Path, journal: Path, enqueue: str, env: Mapping[str, str] | None = None
) -> None:
    """Migrate the SQLite file ``database`` and run ``enqueue`` (Python code), in a process
    without a lifespan, as a web process's view would enqueue."""
    migrate = (
        "from django.core.management import call_command; call_command('migrate', verbosity=0)"
    )
    code = f"{migrate}; {enqueue}"
    setup = django_process("shell", "-c", code, database=database, journal=journal, env=env)
    setup.start()
    assert setup.wait_exit(TIMEOUT) == 0, setup.output
    assert setup.journal_events() == [], "enqueuing opened resources"


def task_results(database: Path) -> dict[str, tuple[str, Any, str]]:
    """task path -> (status, return value, traceback), read from django-tasks-db's table."""
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT task_path, status, return_value, traceback "
            "FROM django_tasks_database_dbtaskresult"
        ).fetchall()
    return {path: (status, json.loads(value or "null"), tb) for path, status, value, tb in rows}


def wait_until_done(database: Path, worker: Server) -> None:
    """Until every enqueued task has succeeded; fails if one failed or the worker exited."""
    deadline = time.monotonic() + TIMEOUT
    while (statuses := {status for status, _, _ in task_results(database).values()}) != {
        "SUCCESSFUL"
    }:
        assert worker.process is not None
        if worker.process.poll() is not None:
            worker.collect()
            raise AssertionError(f"the worker exited ({worker.returncode}):\n{worker.output}")
        assert "FAILED" not in statuses, task_results(database)
        assert time.monotonic() < deadline, task_results(database)
        time.sleep(0.1)
