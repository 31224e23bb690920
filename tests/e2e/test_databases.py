"""The lifespan owns the test project's PostgreSQL pool (alias ``pg``) in every kind of process:
real servers and workers against a real PostgreSQL server (``tests/support/postgres.py``).

Each process's connections carry its pid in their ``application_name``; ``pg_stat_activity``
says what is open now, the server's log (``debug1``, every connection and disconnection) what
was opened and closed, and whether the client said goodbye: a process that dies with its
connections open leaves ``unexpected EOF on client connection`` there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from celery import Celery

from tests.support.postgres import (
    PASSWORD,
    PostgresServer,
    application_name,
    own_postgres_server,  # noqa: F401  (a fixture)
    sessions,
)
from tests.support.redis import RedisServer, redis_server  # noqa: F401  (a fixture)
from tests.support.server import ROOT, WSGI_APP, Server, free_port
from tests.support.servers import DAPHNE, GRANIAN, HYPERCORN, ServerCase
from tests.support.tasks import django_process, migrate_and_enqueue, wait_until_done
from tests.support.worker import Worker

pytestmark = pytest.mark.e2e

#: The test project's pool (tests/settings.py reads it): two connections at startup.
MIN_SIZE = 2
POOL = f'{{"min_size": {MIN_SIZE}, "max_size": 4}}'
#: Every process opens one connection more than its pool: the probe that names the cause of a
#: database that cannot be reached, closed at once.
OPENED_PER_PROCESS = MIN_SIZE + 1


def wait_for_pools(postgres: PostgresServer, processes: int, timeout: float = 20.0) -> set[int]:
    """Wait until ``processes`` processes of the test project hold a full pool; their pids."""
    deadline = time.monotonic() + timeout
    while True:
        full = {
            int(name.rsplit("-", 1)[1])
            for name, count in postgres.applications().items()
            if count >= MIN_SIZE
        }
        if len(full) >= processes or time.monotonic() > deadline:
            return full
        time.sleep(0.05)


def assert_closed_by_themselves(postgres: PostgresServer, mark: int, pids: set[int]) -> None:
    """Every connection each of ``pids`` opened is closed, each with the client's goodbye."""
    for pid in pids:
        assert postgres.wait_until_closed_by(application_name(pid)) == 0, pid
    log = postgres.log_since(mark)
    for pid in pids:
        assert sessions(log, application_name(pid)) == (OPENED_PER_PROCESS,) * 2 + (0,), (
            pid,
            log,
        )


def test_uvicorn_serves_with_a_full_pool_and_closes_it_at_sigterm(
    postgres_server: PostgresServer,
) -> None:
    mark = postgres_server.mark()
    server = Server("uvicorn", env=postgres_server.environment(POOL), expect_ready=False)
    with server:
        server.wait_listening()  # uvicorn listens once its lifespan has started
        assert server.process is not None
        pid = server.process.pid
        assert postgres_server.open_connections(application_name(pid)) == MIN_SIZE
        answer = httpx.get(server.url("/database/"), timeout=10).json()
        assert answer["pid"] == pid
    assert server.returncode in (0, -15), server.output
    assert_closed_by_themselves(postgres_server, mark, {pid})


def test_gunicorn_asgi_worker_opens_its_pool_before_serving_and_closes_it(
    postgres_server: PostgresServer,
) -> None:
    mark = postgres_server.mark()
    server = Server("gunicorn", env=postgres_server.environment(POOL), expect_ready=False)
    with server:
        (worker,) = wait_for_pools(postgres_server, 1)  # no request sent yet
        answer = httpx.get(server.url("/database/"), timeout=10).json()
        assert answer["pid"] == worker
    assert server.returncode == 0, server.output
    assert_closed_by_themselves(postgres_server, mark, {worker})


@pytest.mark.parametrize("case", [HYPERCORN, GRANIAN, DAPHNE], ids=lambda case: case.id)
def test_each_other_asgi_server_opens_its_pool_before_serving_and_closes_it(
    case: ServerCase, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """hypercorn and granian send the ASGI lifespan (granian from each of its worker
    processes); daphne sends none, and the lifespan runs on its reactor: every serving
    process's pool is full before the first answer, and closed by that process at SIGTERM."""
    mark = postgres_server.mark()
    server = case.serve(
        tmp_path / "journal", env=postgres_server.environment(POOL), expect_ready=False
    )
    with server:
        server.wait_listening()
        # One pool per serving process (granian runs two).
        workers = wait_for_pools(postgres_server, case.workers)
        assert len(workers) == case.workers, workers
        answer = httpx.get(server.url("/database/"), timeout=10).json()
        assert answer["pid"] in workers
    assert server.returncode == case.sigterm_exit, server.output
    assert_closed_by_themselves(postgres_server, mark, workers)


def test_db_worker_opens_its_pool_and_closes_it_at_sigterm(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """django-tasks-db's worker under ``with_lifespan``: the pool is full while it polls for
    tasks (its queue is a SQLite file), and closed by the worker itself on SIGTERM."""
    database = tmp_path / "db.sqlite3"
    enqueue = "from tests.project.tasks import sync_task; sync_task.enqueue()"
    migrate_and_enqueue(database, tmp_path / "setup", enqueue)
    mark = postgres_server.mark()
    command = ("with_lifespan", "db_worker", "--no-startup-delay", "--interval", "0.1")
    journal, env = tmp_path / "journal", postgres_server.environment(POOL)
    with django_process(*command, database=database, journal=journal, env=env) as worker:
        (pid,) = wait_for_pools(postgres_server, 1)
        assert worker.process is not None
        assert pid == worker.process.pid
        # The task done: the worker is in its loop, its own SIGTERM handler installed.
        wait_until_done(database, worker)
    assert worker.returncode == 0, worker.output
    assert_closed_by_themselves(postgres_server, mark, {pid})


def test_gunicorn_sync_worker_recycled_closes_its_pool_before_its_replacement_opens(
    postgres_server: PostgresServer,
) -> None:
    """WSGI has no startup: the pool fills before the first request is answered; a worker that
    ``--max-requests`` retires closes it on its way out, before gunicorn starts another."""
    mark = postgres_server.mark()
    server = Server(
        "gunicorn-wsgi",
        "--workers=1",
        "--max-requests=2",
        app=WSGI_APP,
        env=postgres_server.environment(POOL),
        expect_ready=False,
    )
    with server:
        server.wait_listening()
        httpx.get(server.url("/database/"), timeout=10).raise_for_status()
        first = httpx.get(server.url("/database/"), timeout=10).json()["pid"]
        assert postgres_server.wait_until_closed_by(application_name(first)) == 0
        second = httpx.get(server.url("/database/"), timeout=10).json()["pid"]
        assert second != first
        assert postgres_server.open_connections(application_name(second)) == MIN_SIZE
    assert server.returncode == 0, server.output
    assert_closed_by_themselves(postgres_server, mark, {first, second})
    log = postgres_server.log_since(mark)
    last_close = max(
        m.start() for m in re.finditer(rf"app={application_name(first)}: LOG:  disconnection", log)
    )
    first_open = log.index(f"application_name={application_name(second)}")
    assert last_close < first_open


def warmed_backends(postgres: PostgresServer, pids: set[int]) -> set[int]:
    """The PostgreSQL backends (server pids) of the connections ``pids`` hold now."""
    with postgres.connect() as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)",
            [[application_name(pid) for pid in pids]],
        ).fetchall()
    return {int(row[0]) for row in rows}


@pytest.mark.parametrize("reuse", [None, "1000"], ids=["celery-defaults", "db-reuse-max"])
def test_celery_prefork_children_each_own_a_pool(
    tmp_path: Path,
    postgres_server: PostgresServer,
    redis_server: RedisServer,  # noqa: F811
    reuse: str | None,
) -> None:
    """Each child's pool is full before its first task, and whatever it has is closed at the
    end. Celery's Django fixup closes a prefork child's pools before and after each task
    (``close_pool()``; Django makes a new one at the next query): with its defaults the pool
    the lifespan warmed is gone at the first task, and each task fills a pool of its own;
    ``CELERY_DB_REUSE_MAX`` spaces those closes out, so the warmed connections serve the
    tasks."""
    mark = postgres_server.mark()
    reusing = {"LIFESPAN_DI_TEST_DB_REUSE_MAX": reuse} if reuse else {}
    worker = Worker(
        [
            *(sys.executable, "-m", "celery", "-A", "tests.project.celery_app", "worker"),
            *("--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"),
            *("--pool=prefork", "--concurrency=2"),
        ],
        journal=tmp_path / "journal",
        env={
            "LIFESPAN_DI_TEST_REDIS_URL": redis_server.url,
            **postgres_server.environment(POOL),
            **reusing,
        },
    )
    producer = Celery("tests.e2e.databases", set_as_current=False)
    producer.conf.update(broker_url=redis_server.url, result_backend=redis_server.url)
    try:
        with worker:
            children = wait_for_pools(postgres_server, 2)  # at worker_process_init, no task yet
            if len(children) != 2:
                worker.stop()
                raise AssertionError(worker.output + str(postgres_server.applications()))
            warmed = warmed_backends(postgres_server, children)
            served = set()
            for _ in range(3):
                answer = producer.signature("tests.project.celery_app.database_backend").delay()
                result = answer.get(timeout=20)
                assert result["pid"] in children
                served.add(result["backend"])
            still_warm = warmed & warmed_backends(postgres_server, children)
    finally:
        producer.close()
    assert worker.returncode == 0, worker.output
    assert worker.process is not None
    assert worker.process.pid not in children
    assert len(warmed) == 2 * MIN_SIZE
    # The main process said what the defaults would do, once, as it started.
    assert worker.output.count("Set CELERY_DB_REUSE_MAX") == (0 if reuse else 1), worker.output
    if reuse:  # the pools the lifespan opened served every task
        assert served <= warmed
        assert still_warm == warmed
        assert_closed_by_themselves(postgres_server, mark, children)
        return
    assert not served & warmed  # closed at the first task's task_prerun
    for pid in children:
        assert postgres_server.wait_until_closed_by(application_name(pid)) == 0, pid
    log = postgres_server.log_since(mark)
    for pid in children:
        opened, closed, dropped = sessions(log, application_name(pid))
        assert opened >= OPENED_PER_PROCESS, (pid, log)
        assert (closed, dropped) == (opened, 0), (pid, log)


def test_runserver_each_serving_child_owns_a_pool_across_an_autoreload(
    tmp_path: Path,
    postgres_server: PostgresServer,
) -> None:
    """The serving child opens its pool before it serves; an autoreload ends that child, which
    closes its pool before the next child opens one."""
    watched = tmp_path / "watched_database_probe.py"
    watched.write_text("# touched by the test to make runserver reload\n")
    env = {
        **postgres_server.environment(POOL),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
        "LIFESPAN_DI_TEST_WATCHED_MODULE": "watched_database_probe",
    }
    mark = postgres_server.mark()
    with Server("runserver", env=env, ready_path="/database/") as server:
        before = httpx.get(server.url("/database/"), timeout=10).json()["pid"]
        # The reloader sees a change only against a snapshot of its own, which it may take
        # after the server serves: move the mtime on until the old child has closed its pool.
        later, deadline = time.time() + 10, time.monotonic() + 20
        while postgres_server.open_connections(application_name(before)):
            assert time.monotonic() < deadline, f"no reload\n{server.output}"
            later += 1
            os.utime(watched, (later, later))
            time.sleep(0.5)
        (after,) = wait_for_pools(postgres_server, 1) - {before}
        server.wait_ready()
        assert httpx.get(server.url("/database/"), timeout=10).json()["pid"] == after
    assert_closed_by_themselves(postgres_server, mark, {before, after})
    log = postgres_server.log_since(mark)
    last_close = log.rindex(f"app={application_name(before)}: LOG:  disconnection")
    assert last_close < log.index(f"application_name={application_name(after)}")


def test_with_lifespan_a_command_closes_its_pool(
    postgres_server: PostgresServer,
) -> None:
    mark = postgres_server.mark()
    done = subprocess.run(
        [sys.executable, "-m", "django", "with_lifespan", "query_database"],
        cwd=ROOT,
        env=command_environment(postgres_server.environment(POOL)),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split("pid=")[1].split()[0])
    assert_closed_by_themselves(postgres_server, mark, {pid})


def test_a_database_that_is_down_stops_uvicorn_naming_it(
    postgres_server: PostgresServer,
) -> None:
    env = {**postgres_server.environment(POOL), "LIFESPAN_DI_TEST_POSTGRES_PORT": str(free_port())}
    server = Server("uvicorn", env=env, expect_ready=False)
    with server:
        assert server.wait_exit() == 3
    assert "Databases.pg failed to start: database 'pg' (PostgreSQL at 127.0.0.1:" in server.output
    assert "cannot be reached" in server.output
    assert PASSWORD not in server.output


def readyz(server: Server) -> httpx.Response:
    return httpx.get(server.url("/health/readyz/"), timeout=10)


def wait_for_readyz(server: Server, status: int, timeout: float = 60.0) -> httpx.Response:
    """The first readiness answer with ``status``. A pool that lost its connections makes new
    ones with psycopg_pool's backoff (1 s, then twice as long each time): seconds, not at once."""
    deadline = time.monotonic() + timeout
    while (answer := readyz(server)).status_code != status:
        assert time.monotonic() < deadline, (answer.text, server.output)
        time.sleep(0.2)
    return answer


#: Pings answer from results at most this old: an outage shows at the next probe.
FRESH_PINGS = {"LIFESPAN_DI_TEST_PING_MAX_AGE": "0.1"}


def test_a_database_outage_turns_readiness_to_503_and_back(
    own_postgres_server: PostgresServer,  # noqa: F811
) -> None:
    """Nobody registers a ping: the pool the lifespan owns is pinged like any resource."""
    postgres = own_postgres_server
    server = Server("uvicorn", env={**postgres.environment(POOL), **FRESH_PINGS})
    with server:
        assert server.process is not None
        pid = server.process.pid
        assert readyz(server).status_code == 200
        postgres.pause()
        down = wait_for_readyz(server, 503)
        assert "Databases.pg (ping failed: " in down.json()["output"]
        assert PASSWORD not in down.text
        assert httpx.get(server.url("/health/livez/"), timeout=10).status_code == 200
        postgres.resume()
        mark = postgres.mark()
        wait_for_readyz(server, 200)
        assert httpx.get(server.url("/database/pool/"), timeout=10).json()["pid"] == pid
    assert server.returncode in (0, -15), server.output
    assert postgres.wait_until_closed_by(application_name(pid)) == 0
    assert sessions(postgres.log_since(mark), application_name(pid))[2] == 0
    assert PASSWORD not in server.output


def test_a_deferred_database_that_is_down_at_start_is_waited_for(
    own_postgres_server: PostgresServer,  # noqa: F811
) -> None:
    """``DEFERRED: ["pg"]``: the server serves without the database; readiness and the views
    that use the pool answer 503 until it is up and the pool has opened."""
    postgres = own_postgres_server
    postgres.pause()
    env = {
        **postgres.environment(POOL),
        **FRESH_PINGS,
        "LIFESPAN_DI_TEST_DEFERRED": "pg",
        "LIFESPAN_DI_TEST_STARTUP_TIMEOUT": "60",  # how long the deferred pool waits
    }
    server = Server("uvicorn", env=env, ready_path="/health/livez/")
    with server:
        assert server.process is not None
        pid = server.process.pid
        not_ready = readyz(server)
        assert not_ready.status_code == 503
        assert "Databases.pg (starting)" in not_ready.json()["output"]
        refused = httpx.get(server.url("/database/pool/"), timeout=10)
        assert refused.status_code == 503
        assert "Databases.pg is not ready yet (a deferred resource" in refused.text
        mark = postgres.mark()
        postgres.resume()
        wait_for_readyz(server, 200)
        assert postgres.open_connections(application_name(pid)) == MIN_SIZE
        assert httpx.get(server.url("/database/pool/"), timeout=10).json()["pid"] == pid
    assert server.returncode in (0, -15), server.output
    assert "Database 'pg' cannot be reached yet: waiting up to 60 s for it" in server.output
    assert PASSWORD not in server.output
    assert_closed_by_themselves(postgres, mark, {pid})


def command_environment(extra: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        **extra,
    }
