"""Celery workers of the test project (``tests/project/celery_app.py``, ``setup_lifespan(app)``):
real ``celery worker`` processes on a real Redis broker, each pool, real tasks.

Every worker process that runs tasks has one lifespan: it opens every resource once, hands the
same objects to every task it runs, and closes each once when the worker stops (SIGTERM, a warm
shutdown). The prefork main process opens nothing; each child has its own, also the children
that ``--max-tasks-per-child`` recycles. Async clients are used on the lifespan's loop, from
``run_in_lifespan_loop`` and from ``async_to_sync``. A worker process whose lifespan fails to
start refuses every task with the ``StartupError``, and nothing stays open.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.result import AsyncResult

from django_lifespan_di import ConfigurationError, StartupError
from tests.project import celery_app as project
from tests.support.journal import assert_closed_once, assert_opened_and_closed_once, journal_by_pid
from tests.support.redis import RedisServer, redis_server  # noqa: F401  (a fixture)
from tests.support.server import Server
from tests.support.worker import Worker

pytestmark = pytest.mark.e2e

#: How long a task may take to come back, the worker's startup included.
RESULT_TIMEOUT = 30.0
CELERY_WORKER = (
    *(sys.executable, "-m", "celery", "-A", "tests.project.celery_app", "worker"),
    "--loglevel=INFO",
    # Cluster chatter this single worker does not need (mingle alone costs a second).
    *("--without-mingle", "--without-gossip", "--without-heartbeat"),
)
PONG = "pong from http_client"


@pytest.fixture
def producer(redis_server: RedisServer) -> Iterator[Celery]:  # noqa: F811
    """A client app, as a web process would have: it sends tasks by name, waits for results."""
    app = Celery("tests.e2e.producer", set_as_current=False)
    app.conf.update(broker_url=redis_server.url, result_backend=redis_server.url)
    yield app
    app.close()


def celery_worker(
    tmp_path: Path, redis: RedisServer, *pool: str, env: Mapping[str, str] | None = None
) -> Worker:
    return Worker(
        [*CELERY_WORKER, *pool],
        journal=tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_REDIS_URL": redis.url, **(env or {})},
    )


def send(producer: Celery, task: Any, *args: Any) -> AsyncResult:
    return producer.signature(task.name, args=args).delay()


def lifespans_shut_down(worker: Server) -> int:
    """How many lifespans logged their shutdown (Celery's log lines, one per process)."""
    return len(re.findall(r"\] Lifespan shut down \(pid \d+\)$", worker.output, re.MULTILINE))


def assert_one_object_per_process(answers: list[dict[str, Any]]) -> set[int]:
    """Every task of a process got that process's one client and one cache, open; the pids."""
    by_pid: dict[int, set[tuple[int, int]]] = {}
    for answer in answers:
        assert not answer["client"]["closed"], answer
        assert not answer["cache"]["closed"], answer
        by_pid.setdefault(answer["pid"], set()).add(
            (answer["client"]["serial"], answer["cache"]["serial"])
        )
    assert all(len(objects) == 1 for objects in by_pid.values()), by_pid
    return set(by_pid)


def run_tasks(producer: Celery, count: int, seconds: float = 0.0) -> list[dict[str, Any]]:
    """``count`` shared_objects tasks and both pings, sent at once; the tasks' answers."""
    shared = [send(producer, project.shared_objects, seconds) for _ in range(count)]
    pings = [
        send(producer, project.ping_with_run_in_lifespan_loop),
        send(producer, project.ping_with_async_to_sync),
    ]
    answers = [result.get(timeout=RESULT_TIMEOUT) for result in shared]
    assert [result.get(timeout=RESULT_TIMEOUT) for result in pings] == [PONG, PONG]
    return answers


def assert_each_lifespan_closed_once(worker: Server, by_pid: dict[int, list[str]]) -> None:
    """Every process of ``by_pid`` opened each resource once and closed it once."""
    for events in by_pid.values():
        assert_opened_and_closed_once(events)
    assert lifespans_shut_down(worker) == len(by_pid), worker.output
    assert "Traceback" not in worker.output, worker.output


def test_prefork_each_child_has_its_own_lifespan_recycled_ones_too(
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
    producer: Celery,
) -> None:
    pool = ("--pool=prefork", "--concurrency=2", "--max-tasks-per-child=2")
    with celery_worker(tmp_path, redis_server, *pool) as worker:
        answers = run_tasks(producer, 5, seconds=0.05)
    assert worker.returncode == 0, worker.output
    assert worker.process is not None
    task_pids = assert_one_object_per_process(answers)
    # Two children, two tasks each before they are replaced: 5 tasks need 3 children or more.
    assert len(task_pids) >= 3, answers
    assert worker.process.pid not in task_pids
    by_pid = journal_by_pid(worker)
    assert worker.process.pid not in by_pid, "the prefork main process opened resources"
    assert task_pids <= set(by_pid), (task_pids, by_pid)
    assert_each_lifespan_closed_once(worker, by_pid)


def test_solo_the_worker_process_has_one_lifespan(
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
    producer: Celery,
) -> None:
    with celery_worker(tmp_path, redis_server, "--pool=solo") as worker:
        answers = run_tasks(producer, 3)
    assert worker.returncode == 0, worker.output
    assert worker.process is not None
    assert assert_one_object_per_process(answers) == {worker.process.pid}
    # Solo gets no worker_process_shutdown: worker_shutdown closes everything.
    by_pid = journal_by_pid(worker)
    assert set(by_pid) == {worker.process.pid}, by_pid
    assert_each_lifespan_closed_once(worker, by_pid)


def test_threads_share_the_one_lifespan_of_the_worker_process(
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
    producer: Celery,
) -> None:
    with celery_worker(tmp_path, redis_server, "--pool=threads", "--concurrency=2") as worker:
        # Tasks that last long enough to run side by side, in both threads.
        answers = run_tasks(producer, 4, seconds=0.3)
    assert worker.returncode == 0, worker.output
    assert worker.process is not None
    assert len({answer["thread"] for answer in answers}) == 2, answers
    assert assert_one_object_per_process(answers) == {worker.process.pid}
    by_pid = journal_by_pid(worker)
    assert set(by_pid) == {worker.process.pid}, by_pid
    assert_each_lifespan_closed_once(worker, by_pid)


# Prefork children and solo workers start at worker_process_init (one path: prefork stands for
# both); a threads pool starts with its first task, in whichever thread runs it.
@pytest.mark.parametrize(
    "pool",
    [("--pool=prefork", "--concurrency=1"), ("--pool=threads", "--concurrency=2")],
    ids=["prefork", "threads"],
)
def test_a_failed_startup_refuses_every_task_with_the_startup_error(
    pool: tuple[str, ...],
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
    producer: Celery,
) -> None:
    env = {"LIFESPAN_DI_TEST_FAIL_START": "http_client"}
    with celery_worker(tmp_path, redis_server, *pool, env=env) as worker:
        results = [send(producer, project.shared_objects) for _ in range(4)]
        for result in results:
            with pytest.raises(StartupError) as refused:
                result.get(timeout=RESULT_TIMEOUT)
            assert refused.value.culprit == "Container.http_client"
            assert str(refused.value).startswith(
                "Container.http_client failed to start: ConnectionRefusedError"
            ), refused.value
    assert worker.returncode == 0, worker.output
    assert [result.state for result in results] == ["FAILURE"] * 4
    # Refusing a task does not lengthen the stored traceback of the next refusal.
    before_last, last = (len(result.traceback.splitlines()) for result in results[-2:])
    assert last == before_last, results[-1].traceback
    by_pid = journal_by_pid(worker)
    assert worker.process is not None
    if pool[0] == "--pool=prefork":  # its one child tried, the main process did not
        assert len(by_pid) == 1, by_pid
        assert worker.process.pid not in by_pid, by_pid
    else:  # one attempt for the process, whichever of its threads made it
        assert list(by_pid) == [worker.process.pid], by_pid
    for events in by_pid.values():
        # Started once in the process, never retried; its dependents never opened.
        assert events.count("open http_client") == 1, events
        assert "open reporter" not in events, events
        assert_closed_once(events, failed="http_client")
    assert "Lifespan startup failed: Container.http_client failed to start" in worker.output


def test_a_worker_process_that_cannot_load_the_containers_says_why_and_refuses_tasks(
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
    producer: Celery,
) -> None:
    # A setting that the system checks would report (E004), but a worker runs no checks.
    env = {"LIFESPAN_DI_TEST_CONTAINERS": "tests.project.containres.Container"}
    with celery_worker(tmp_path, redis_server, "--pool=solo", env=env) as worker:
        result = send(producer, project.shared_objects)
        with pytest.raises(ConfigurationError) as refused:
            result.get(timeout=RESULT_TIMEOUT)
    assert "'tests.project.containres.Container' cannot be imported" in str(refused.value)
    assert worker.returncode == 0, worker.output
    assert journal_by_pid(worker) == {}  # nothing opened
    # At the start of the worker process, before any task, with the error and its traceback.
    failed = worker.output.index("The lifespan of this worker process failed to start")
    assert worker.output.index("Traceback", failed) < worker.output.index(
        'ConfigurationError: settings.LIFESPAN_DI["CONTAINERS"] entry '
        "'tests.project.containres.Container' cannot be imported",
        failed,
    ), worker.output


def test_a_failed_shutdown_of_a_worker_process_is_logged_naming_the_resource(
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
    producer: Celery,
) -> None:
    env = {"LIFESPAN_DI_TEST_FAIL_STOP": "cache"}
    with celery_worker(tmp_path, redis_server, "--pool=solo", env=env) as worker:
        answer = send(producer, project.shared_objects).get(timeout=RESULT_TIMEOUT)
    assert answer["cache"]["closed"] is False
    assert worker.returncode == 0, worker.output
    (events,) = journal_by_pid(worker).values()
    assert_closed_once(events)  # every other shutdown still ran
    failed = worker.output.index("The lifespan of this worker process failed to shut down")
    assert (
        "ShutdownError: 1 shutdown(s) failed (all others completed):\n"
        "  Container.cache: RuntimeError: cache failed to close (test fault)"
    ) in worker.output[failed:], worker.output
