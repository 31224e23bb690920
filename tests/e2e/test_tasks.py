"""Django Tasks of the test project (``tests/project/tasks.py``: a sync and an async ``@task``
with ``@inject``) in the processes that run them: the ASGI server's (the immediate backend) and
django-tasks-db's worker under ``manage.py with_lifespan db_worker``.

Both tasks get the live shared objects of the process that runs them, and reach the async
client on the loop it belongs to (the sync one with ``run_in_lifespan_loop``; the async one is
run by ``Task.call()`` through ``async_to_sync``, which ``with_lifespan`` points at the
lifespan's loop). The worker opens every resource once and closes each once, whether it ends by
itself (``--batch``) or on SIGTERM (which db_worker handles itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from tests.support.journal import assert_closed_once, assert_opened_and_closed_once, journal_by_pid
from tests.support.server import Server
from tests.support.tasks import (
    TIMEOUT,
    django_process,
    migrate_and_enqueue,
    task_results,
    wait_until_done,
)
from tests.support.worker import Worker

pytestmark = pytest.mark.e2e

TASKS = ("tests.project.tasks.sync_task", "tests.project.tasks.async_task")
PONG = "pong from http_client"


def assert_its_one_lifespan_closed_once(worker: Server) -> None:
    by_pid = journal_by_pid(worker)
    assert worker.process is not None
    assert list(by_pid) == [worker.process.pid], by_pid
    assert_opened_and_closed_once(by_pid[worker.process.pid])
    assert worker.output.count("Lifespan shut down") == 1, worker.output
    assert "Traceback" not in worker.output, worker.output


@pytest.mark.parametrize("view", ["enqueue-async", "enqueue-sync"])
def test_the_immediate_backend_runs_both_tasks_in_the_servers_lifespan(
    view: str, tmp_path: Path
) -> None:
    with Server("uvicorn", journal=tmp_path / "journal") as server:
        response = httpx.get(server.url(f"/tasks/{view}/"), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    answer = response.json()
    for name in ("sync", "async"):
        assert answer[name]["status"] == "SUCCESSFUL", answer[name]["errors"]
        got = answer[name]["return_value"]
        assert got["ping"] == PONG
        # The very objects the view got, open, in the server's process.
        assert {key: got[key] for key in ("pid", "client", "cache")} == answer["view"], answer
        assert not got["client"]["closed"]
    assert_its_one_lifespan_closed_once(server)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A migrated SQLite file with both tasks enqueued."""
    database = tmp_path / "db.sqlite3"
    migrate_and_enqueue(
        database,
        tmp_path / "setup",
        "from tests.project.tasks import async_task, sync_task; "
        "sync_task.enqueue(); async_task.enqueue()",
    )
    return database


def assert_both_tasks_used_the_workers_objects(database: Path, worker: Server) -> None:
    results = task_results(database)
    assert set(results) == set(TASKS), results
    assert all(status == "SUCCESSFUL" for status, _, _ in results.values()), results
    answers = [value for _, value, _ in results.values()]
    assert all(answer["ping"] == PONG for answer in answers), answers
    assert worker.process is not None
    # One process, one client, one cache, for both tasks.
    assert {(a["pid"], a["client"]["serial"], a["cache"]["serial"]) for a in answers} == {
        (worker.process.pid, answers[0]["client"]["serial"], answers[0]["cache"]["serial"])
    }, answers


def run_batch(database: Path, journal: Path, env: Mapping[str, str] | None = None) -> Worker:
    """``with_lifespan db_worker --batch``, run until it exits by itself."""
    command = ("with_lifespan", "db_worker", "--batch", "--no-startup-delay")
    worker = django_process(*command, database=database, journal=journal, env=env)
    worker.start()
    worker.wait_exit(TIMEOUT)
    return worker


def test_db_worker_batch_runs_both_tasks_with_the_live_objects(
    database: Path, tmp_path: Path
) -> None:
    worker = run_batch(database, tmp_path / "journal")
    assert worker.returncode == 0, worker.output
    assert_both_tasks_used_the_workers_objects(database, worker)
    assert_its_one_lifespan_closed_once(worker)


def test_db_worker_stops_on_sigterm_and_closes_everything_once(
    database: Path, tmp_path: Path
) -> None:
    command = ("with_lifespan", "db_worker", "--no-startup-delay", "--interval", "0.1")
    with django_process(*command, database=database, journal=tmp_path / "journal") as worker:
        # Both tasks done: the worker is in its loop, its own SIGTERM handler installed.
        wait_until_done(database, worker)
    assert worker.returncode == 0, worker.output
    assert "shutting down gracefully" in worker.output, worker.output
    assert_both_tasks_used_the_workers_objects(database, worker)
    assert_its_one_lifespan_closed_once(worker)


def test_db_worker_does_not_run_when_a_resource_fails_to_start(
    database: Path, tmp_path: Path
) -> None:
    env = {"LIFESPAN_DI_TEST_FAIL_START": "http_client"}
    worker = run_batch(database, tmp_path / "journal", env=env)
    assert worker.returncode == 1, worker.output
    assert (
        "CommandError: The lifespan failed to start: Container.http_client failed to start"
        in worker.output
    ), worker.output
    # The worker never ran: both tasks wait in the queue for one that starts.
    assert [status for status, _, _ in task_results(database).values()] == ["READY", "READY"]
    [events] = journal_by_pid(worker).values()
    assert "open reporter" not in events, events
    assert_closed_once(events, failed="http_client")
