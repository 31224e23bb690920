"""The lifespan owns Django's database connections (``LIFESPAN_DI["DATABASES"]``), in-process,
against a real PostgreSQL server (``tests/support/postgres.py``): pools filled at startup,
closed at shutdown by the process itself, an unreachable database named, connections that
threads still hold handed back, a forked child that leaves its parent's connections alone."""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections, transaction
from django.test import override_settings
from psycopg_pool import ConnectionPool

from django_lifespan_di import LifespanThread, Provide, StartupError, inject, lifespan, resolve
from django_lifespan_di.databases import (
    PROBE_INTERVAL,
    database_pool,
    databases_container,
    open_database,
    ping_database,
)
from django_lifespan_di.health import readiness
from django_lifespan_di.registry import current_runtime
from tests.support.postgres import (
    PASSWORD,
    PostgresServer,
    database_alias,
    sessions,
)
from tests.support.server import free_port

POOL = {"min_size": 2, "max_size": 3}
PG_POOL = database_pool("pg")
#: This process's connections, so the tests of this module see only their own.
APPLICATION = f"lifespan-di-test-inprocess-{os.getpid()}"


def owning(*aliases: str) -> Any:
    return override_settings(LIFESPAN_DI={"DATABASES": list(aliases)})


def entry(server: PostgresServer, **options: Any) -> dict[str, Any]:
    return server.database_settings(application_name=APPLICATION, **options)


def open_here(server: PostgresServer) -> int:
    return server.open_connections(APPLICATION)


@pytest.fixture
def pooled(postgres_server: PostgresServer) -> Iterator[str]:
    with database_alias("pg", entry(postgres_server, pool=POOL)) as alias, owning(alias):
        yield alias


def test_the_pool_is_full_when_startup_completes_and_closed_by_shutdown(
    pooled: str,
    postgres_server: PostgresServer,
) -> None:
    mark = postgres_server.mark()
    with LifespanThread() as thread:
        assert open_here(postgres_server) == POOL["min_size"]
        pool = thread.state[pooled]
        assert isinstance(pool, ConnectionPool)
        closed_at_start = pool.closed
        assert resolve(database_pool(pooled)) is pool
        ping_database(pooled)
    assert not closed_at_start
    assert pool.closed
    assert postgres_server.wait_until_closed_by(APPLICATION) == 0
    opened, closed, dropped = sessions(postgres_server.log_since(mark), APPLICATION)
    # The probe's connection, then the pool's: every one closed with the protocol's goodbye.
    assert (opened, closed, dropped) == (1 + POOL["min_size"], 1 + POOL["min_size"], 0)


def test_a_view_gets_the_pool_through_its_marker(pooled: str) -> None:
    @inject
    def backend(pool: ConnectionPool = Provide[PG_POOL]) -> int:
        with pool.connection() as connection:
            row = connection.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        return int(row[0])

    with LifespanThread():
        assert backend() > 0


def test_connections_that_threads_still_hold_are_handed_back(
    pooled: str,
    postgres_server: PostgresServer,
    django_db_blocker: Any,
) -> None:
    """A thread that queried and lives on (a command's, a worker's) still holds a connection of
    the pool at shutdown: it goes back to the pool, which closes it."""
    queried, finish = threading.Event(), threading.Event()

    def query() -> None:
        with django_db_blocker.unblock(), connections[pooled].cursor() as cursor:
            cursor.execute("SELECT 1")
        queried.set()
        finish.wait(10)

    mark = postgres_server.mark()
    with LifespanThread():
        holder = threading.Thread(target=query)
        holder.start()
        assert queried.wait(10)
    finish.set()
    holder.join(10)
    assert postgres_server.wait_until_closed_by(APPLICATION) == 0
    assert sessions(postgres_server.log_since(mark), APPLICATION)[2] == 0


def test_a_database_that_is_down_fails_startup_naming_the_alias(
    postgres_server: PostgresServer,
) -> None:
    down = {**entry(postgres_server, pool=POOL), "PORT": str(free_port())}
    with database_alias("down", down), owning("down"), pytest.raises(StartupError) as failed:
        LifespanThread().start()
    message = str(failed.value)
    assert failed.value.culprit == "Databases.down"
    assert "database 'down' (PostgreSQL at 127.0.0.1:" in message
    assert "cannot be reached" in message
    assert "Connection refused" in message
    assert PASSWORD not in message


def test_a_deferred_database_is_waited_for_then_named_as_at_startup(
    postgres_server: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Deferred, the opening tries the database again and again for ``patience`` seconds (the
    end-to-end test brings it up meanwhile), then fails as a startup would."""
    down = {**entry(postgres_server, pool=POOL), "PORT": str(free_port())}
    with database_alias("late", down), pytest.raises(StartupError) as failed:
        next(open_database("late", patience=PROBE_INTERVAL * 2))
    assert "database 'late' (PostgreSQL at 127.0.0.1:" in str(failed.value)
    assert "cannot be reached" in str(failed.value)
    assert (
        f"Database 'late' cannot be reached yet: waiting up to {PROBE_INTERVAL * 2:g} s for it"
        in caplog.text
    )
    assert PASSWORD not in caplog.text + str(failed.value)


def test_a_deferred_pool_opens_after_startup(
    postgres_server: PostgresServer,
) -> None:
    async def run(alias: str) -> tuple[Any, ...]:
        async with lifespan() as state:
            runtime = current_runtime()
            (unit,) = runtime.deferred
            await runtime.deferred_settled()
            return unit, state, resolve(database_pool(alias)), await readiness()

    with (
        database_alias("deferred", entry(postgres_server, pool=POOL)) as alias,
        override_settings(LIFESPAN_DI={"DATABASES": [alias], "DEFERRED": [alias]}),
    ):
        unit, state, pool, report = asyncio.run(run(alias))
    assert (unit.name, unit.status) == ("Databases.deferred", "closed")
    assert state["deferred"] is pool
    assert isinstance(pool, ConnectionPool)
    assert pool.closed
    assert report.status == "pass"


async def test_the_pool_is_pinged_through_itself_for_readiness(
    pooled: str,
    postgres_server: PostgresServer,
) -> None:
    async with lifespan() as state:
        pool = state[pooled]
        asked = pool.get_stats().get("requests_num", 0)
        report = await readiness()
        pinged = pool.get_stats()["requests_num"] - asked
    (check,) = [c for c in report.checks if c.name == "Databases.pg"]
    assert check.ping is not None
    assert (report.status, check.ping.error, pinged) == ("pass", None, 1)


def test_the_password_never_shows_in_the_message(
    postgres_server: PostgresServer,
) -> None:
    """The server repeats what it was sent (a database name here); where that holds the
    password, the message blots it out."""
    wrong = {**entry(postgres_server, pool=POOL), "NAME": f"no-{PASSWORD}"}
    with database_alias("wrong", wrong), owning("wrong"), pytest.raises(StartupError) as failed:
        LifespanThread().start()
    assert PASSWORD not in str(failed.value)
    assert "database 'no-********'" in str(failed.value)
    assert 'database "no-********" does not exist' in str(failed.value)


def test_a_pool_that_cannot_fill_fails_startup_and_closes(
    postgres_server: PostgresServer,
) -> None:
    """More connections than the server allows: the probe passes, the pool does not fill."""
    greedy = entry(postgres_server, pool={"min_size": 200, "max_size": 200, "timeout": 1})
    with database_alias("greedy", greedy), owning("greedy"), pytest.raises(StartupError) as failed:
        LifespanThread().start()
    assert "did not fill to its min_size (200) within its timeout (1 s)" in str(failed.value)
    assert postgres_server.wait_until_closed_by(APPLICATION) == 0


def test_without_a_pool_it_checks_the_database_and_closes_what_threads_hold(
    postgres_server: PostgresServer,
    django_db_blocker: Any,
) -> None:
    persistent = {**entry(postgres_server), "CONN_MAX_AGE": 60}
    queried, finish = threading.Event(), threading.Event()

    def query() -> None:
        with django_db_blocker.unblock(), connections["persistent"].cursor() as cursor:
            cursor.execute("SELECT 1")
        queried.set()
        finish.wait(10)

    with database_alias("persistent", persistent), owning("persistent"):
        mark = postgres_server.mark()
        with LifespanThread() as thread:
            assert thread.state["persistent"] is None
            ping_database("persistent")
            holder = threading.Thread(target=query)
            holder.start()
            assert queried.wait(10)
        finish.set()
        holder.join(10)
    assert postgres_server.wait_until_closed_by(APPLICATION) == 0
    opened, closed, dropped = sessions(postgres_server.log_since(mark), APPLICATION)
    assert (opened, closed, dropped) == (3, 3, 0)  # the probe, the ping, the thread's


def test_a_connection_in_a_transaction_is_left_to_its_thread(
    postgres_server: PostgresServer,
    django_db_blocker: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its thread is not done with it: closing it under the transaction would break the work;
    the thread closes it when the transaction ends."""
    inside, finish = threading.Event(), threading.Event()

    def work() -> None:
        with django_db_blocker.unblock(), transaction.atomic(using="busy"):
            connections["busy"].cursor().execute("SELECT 1")
            inside.set()
            finish.wait(10)
        connections["busy"].close()

    no_password = {**entry(postgres_server, pool=POOL), "PASSWORD": ""}
    with database_alias("busy", entry(postgres_server, pool=POOL)), owning("busy"):
        with LifespanThread():
            worker = threading.Thread(target=work)
            worker.start()
            assert inside.wait(10)
        finish.set()
        worker.join(10)
    assert "in a transaction at shutdown: it is left open" in caplog.text
    assert postgres_server.wait_until_closed_by(APPLICATION) == 0
    # Without a password (trust, a .pgpass file): the message has nothing to blot out.
    with database_alias("nopass", no_password), owning("nopass"), pytest.raises(StartupError):
        LifespanThread().start()


def test_sqlite_is_not_probed(postgres_server: PostgresServer) -> None:
    with owning("default"), LifespanThread() as thread:
        assert thread.state["default"] is None
        ping_database("default")


def test_a_forked_child_opens_its_own_pool_and_leaves_its_parents_alone(
    pooled: str,
    postgres_server: PostgresServer,
) -> None:
    with LifespanThread() as thread:
        parent_pool = thread.state[pooled]
        with parent_pool.connection() as connection:
            parent_backends = {connection.execute("SELECT pg_backend_pid()").fetchone()[0]}
        read, write = os.pipe()
        with warnings.catch_warnings():  # Python 3.12+ warns of a fork with threads running
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # the child
            status = 1
            try:
                with LifespanThread() as own:
                    with own.state[pooled].connection() as connection:
                        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
                    os.write(write, str(backend).encode())
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        _, status = os.waitpid(child, 0)
        child_backend = int(os.read(read, 64) or 0)
        os.close(read)
        assert os.waitstatus_to_exitcode(status) == 0
        assert child_backend
        assert child_backend not in parent_backends
        # Every connection of the parent's pool still works: the child closed none of them.
        assert open_here(postgres_server) == POOL["min_size"]
        for _ in range(POOL["min_size"]):
            with parent_pool.connection() as connection:
                connection.execute("SELECT 1")
        assert open_here(postgres_server) == POOL["min_size"]


def test_one_container_class_per_set_of_aliases() -> None:
    assert databases_container(("pg",)) is databases_container(("pg",))
    assert databases_container(("pg", "default")).providers["pg"] is PG_POOL
    assert databases_container(("pg",)).providers["pg"] is PG_POOL
    assert databases_container(("pg",)).__qualname__ == "Databases"


def test_ping_raises_when_the_database_is_gone(
    postgres_server: PostgresServer,
) -> None:
    down = {**entry(postgres_server), "PORT": str(free_port())}
    with database_alias("gone", down), pytest.raises(psycopg.OperationalError):
        ping_database("gone", timeout=2)
