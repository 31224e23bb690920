"""The examples of docs/guides/processes.md, run as the page says, against a real Redis: the
Celery app and its task in a real worker, the Django Tasks in a test's lifespan and under the
Procfile's ``with_lifespan db_worker``. The shared Redis client opens once and closes once in
each process; each task counts a visit through it."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from dependency_injector import providers
from django.test import override_settings

from django_lifespan_di import StartupError, lifespan
from django_lifespan_di.testing import override_providers
from docs.examples.workers import jobs, tasks
from docs.examples.workers.containers import Container, open_redis
from tests.support.redis import RedisServer, redis_server  # noqa: F401  (a fixture)
from tests.support.server import ROOT, free_port
from tests.support.tasks import django_process, migrate_and_enqueue, task_results, wait_until_done
from tests.support.worker import Worker

EXAMPLES = ROOT / "docs" / "examples" / "workers"
CONTAINER = "docs.examples.workers.containers.Container"
#: The worker processes serve the test project too (its views are checked at startup).
CONTAINERS = f"tests.project.containers.Container,{CONTAINER}"
TIMEOUT = 30.0


def procfile() -> dict[str, list[str]]:
    """The Procfile's process types and their command lines."""
    lines = (EXAMPLES / "Procfile").read_text(encoding="utf-8").splitlines()
    entries = (line.partition(": ") for line in lines)
    return {name: shlex.split(command) for name, _, command in entries}


def visits(server: RedisServer, page: str) -> int:
    with redis.Redis.from_url(server.url) as client:
        return int(client.get(f"visits:{page}") or 0)


def opened_and_closed(output: str) -> tuple[int, int]:
    """How often the process logged the start and the stop of the shared client."""
    started = re.findall(r"^Started Container\.redis in", output, re.MULTILINE)
    stopped = re.findall(r"^Stopped Container\.redis in", output, re.MULTILINE)
    return len(started), len(stopped)


def example_env(server: RedisServer) -> dict[str, str]:
    return {
        "LIFESPAN_DI_TEST_CONTAINERS": CONTAINERS,
        "LIFESPAN_DI_TEST_REDIS_URL": server.url,  # the broker, in the test settings
        "REDIS_URL": server.url,  # the shared client, in the example's container
    }


def test_the_procfile_runs_a_lifespan_in_every_process() -> None:
    assert procfile() == {
        "web": [
            *["uvicorn", "myproject.asgi:application"],
            *["--host", "0.0.0.0", "--port", "8000"],
        ],
        "worker": ["celery", "-A", "myproject", "worker", "--loglevel=INFO"],
        "tasks": ["python", "manage.py", "with_lifespan", "db_worker"],
    }


@pytest.mark.e2e
def test_the_celery_app_runs_the_task_in_a_worker_with_one_client(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    celery, dash_a, _, *worker_args = procfile()["worker"]
    command = [
        *(sys.executable, "-m", celery, dash_a, "docs.examples.workers.celery", *worker_args),
        # The example project's app has no installed app of its own to autodiscover.
        *("--include=docs.examples.workers.tasks", "--pool=solo", "--without-mingle"),
    ]
    producer = Celery("producer", set_as_current=False)
    producer.conf.update(broker_url=redis_server.url, result_backend=redis_server.url)
    with Worker(command, journal=tmp_path / "journal", env=example_env(redis_server)) as worker:
        record = producer.signature(tasks.record_visit.name, args=("home",))
        counts = [record.delay().get(timeout=TIMEOUT) for _ in range(2)]
    producer.close()
    assert worker.returncode == 0, worker.output
    assert counts == [1, 2]
    assert visits(redis_server, "home") == 2
    assert opened_and_closed(worker.output) == (1, 1), worker.output
    assert "Traceback" not in worker.output, worker.output


@pytest.fixture
def example_container(redis_server: RedisServer) -> Iterator[None]:  # noqa: F811
    """The example's container, its client on the test's Redis (before ``lifespan`` starts)."""
    client = providers.Resource(open_redis, redis_server.url)
    with (
        override_settings(LIFESPAN_DI={"CONTAINERS": [CONTAINER]}),
        override_providers(Container.redis, client),
    ):
        yield


@pytest.mark.usefixtures("example_container", "lifespan")
async def test_the_django_tasks_count_through_the_shared_client(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    # The immediate backend runs them here and now, as from an async view: the async task on
    # the lifespan's loop, the sync one in a thread that reaches it with run_in_lifespan_loop.
    visit = await jobs.record_visit.aenqueue("tasks")
    visit_sync = await jobs.record_visit_sync.aenqueue("tasks")
    # (django-stubs types an async task's return value as the coroutine it awaits)
    values: list[object] = [visit.return_value, visit_sync.return_value]
    assert values == [1, 2]
    assert visits(redis_server, "tasks") == 2


@pytest.mark.e2e
def test_the_procfile_db_worker_runs_the_django_tasks_with_one_client(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    database, env = tmp_path / "db.sqlite3", example_env(redis_server)
    migrate_and_enqueue(
        database,
        tmp_path / "setup",
        "from docs.examples.workers.jobs import record_visit, record_visit_sync; "
        "record_visit.enqueue('jobs'); record_visit_sync.enqueue('jobs')",
        env=env,
    )
    python, manage_py, *command = procfile()["tasks"]
    assert (python, manage_py) == ("python", "manage.py")
    with django_process(*command, database=database, journal=tmp_path / "j", env=env) as worker:
        wait_until_done(database, worker)  # then SIGTERM, as a process manager stops it
    assert worker.returncode == 0, worker.output
    assert sorted(value for _, value, _ in task_results(database).values()) == [1, 2]
    assert visits(redis_server, "jobs") == 2
    assert opened_and_closed(worker.output) == (1, 1), worker.output
    assert "Traceback" not in worker.output, worker.output


async def test_a_redis_that_is_down_fails_the_startup_naming_the_client() -> None:
    nobody_there = f"redis://127.0.0.1:{free_port()}/0"
    with (
        override_settings(LIFESPAN_DI={"CONTAINERS": [CONTAINER]}),
        override_providers(Container.redis, providers.Resource(open_redis, nobody_there)),
        pytest.raises(StartupError, match=r"^Container\.redis failed to start: ConnectionError"),
    ):
        async with lifespan():
            pass
