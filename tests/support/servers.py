"""Every server the end-to-end tests run the test project under, and what each was measured to
do: the source of the table in ``docs/servers.md``.

Each fact of a case is asserted by a test that runs the server (``tests/e2e/test_servers.py``,
``test_faults.py``, ``test_wsgi.py``, ``test_runserver.py``, ``test_daphne.py`` and
``test_no_lifespan.py``), and ``test_docs_table_is_current`` fails when the page and the cases
disagree. The versions on the page are the locked ones (``VERSIONS_LOCK``), never what the
package index serves today. ``make upgrade`` rewrites the page after recompiling the locks::

    python -m tests.support.servers
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.locks import VERSIONS_LOCK, locked_versions
from tests.support.server import ASGI_APP, ROOT, WSGI_APP, Server

DOCS_PAGE = ROOT / "docs" / "servers.md"
TABLE_START = "<!-- servers-table: start (python -m tests.support.servers) -->"
TABLE_END = "<!-- servers-table: end -->"


@dataclass(frozen=True)
class ServerCase:
    """One way to serve the test project, and what it was measured to do."""

    label: str
    server: str  # the name tests.support.server.Server knows
    args: tuple[str, ...]
    distribution: str
    #: Lifespans run: one per worker process (0: the server sends no lifespan).
    workers: int
    #: Exit code after SIGTERM to the server's main process.
    sigterm_exit: int
    #: Exit codes seen after a resource fails to start (``lifespan.startup.failed``).
    startup_failed_exits: tuple[int, ...]
    notes: str
    #: What it serves (``tests.support.server`` names): an ASGI or a WSGI application.
    app: str = ASGI_APP
    #: How the lifespan runs where the server sends no ASGI lifespan (the table's words).
    lifespans: str | None = None
    #: After a failed startup the process keeps serving, and answers every request with 503.
    serves_503_after_failed_startup: bool = False
    #: Environment variables of the test settings (``tests/settings.py``) it needs.
    env: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return self.label.replace(" ", "")

    def serve(self, journal: Path, extra_args: tuple[str, ...] = (), **kwargs: Any) -> Server:
        """The (not yet started) server of this case, journalling to ``journal``."""
        env = {**dict(self.env), **kwargs.pop("env", {})}
        return Server(
            self.server, *self.args, *extra_args, app=self.app, journal=journal, env=env, **kwargs
        )


UVICORN = ServerCase(
    "uvicorn",
    "uvicorn",
    (),
    "uvicorn",
    workers=1,
    sigterm_exit=-15,
    startup_failed_exits=(3,),
    notes="One process, the quick start's command. Killed by the SIGTERM it re-raises after a "
    "clean shutdown: a shell reports 143.",
)
UVICORN_WORKERS = ServerCase(
    "uvicorn --workers 2",
    "uvicorn",
    ("--workers", "2"),
    "uvicorn",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(0,),
    notes="Exit 0 even after a failed startup (1 worker: 3), so check the log. Runs uvloop's "
    "loop and httptools where installed (`uvicorn[standard]`), as tested.",
)
UVICORN_ASYNCIO = ServerCase(
    "uvicorn --workers 2 --loop asyncio --http h11",
    "uvicorn",
    ("--workers", "2", "--loop", "asyncio", "--http", "h11"),
    "uvicorn",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(0,),
    notes="asyncio's own loop and h11: what uvicorn runs without `[standard]`.",
)
GUNICORN = ServerCase(
    "gunicorn -k uvicorn.workers.UvicornWorker -w 2",
    "gunicorn",
    ("--workers", "2", "--no-control-socket"),
    "gunicorn",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(3, 1),
    notes="A worker that fails to start stops the master ('Worker failed to boot'): exit 3, "
    "or 1 when the other worker fails while the master halts (a race in gunicorn).",
)
GUNICORN_ASGI = ServerCase(
    "gunicorn -k asgi -w 2 --asgi-lifespan on",
    "gunicorn-asgi",
    ("--workers", "2", "--no-control-socket", "--asgi-lifespan", "on"),
    "gunicorn",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(3, 1),
    notes="gunicorn's native ASGI worker; a failed startup exits 3 (or 1: the arbiter's race "
    "above). Startup and shutdown are each cut at 30 s "
    "(hard-coded); with the default --asgi-lifespan auto a startup cut short or failed is "
    "logged at DEBUG and the worker serves without resources, so set on. SIGINT and SIGQUIT "
    "skip lifespan.shutdown: the package closes everything on the cancellation instead.",
)
HYPERCORN = ServerCase(
    "hypercorn",
    "hypercorn",
    (),
    "hypercorn",
    workers=1,
    sigterm_exit=0,
    startup_failed_exits=(0,),
    notes="A master and one worker process. Send SIGTERM to the master only: a signal to the "
    "whole process group can kill the worker before its lifespan shutdown. Exit 0 even after "
    "a failed startup (hypercorn #269), so check the log.",
)
GRANIAN = ServerCase(
    "granian --interface asgi --workers 2",
    "granian",
    ("--workers", "2"),
    "granian",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(1,),
    notes="Empties the lifespan state before lifespan.shutdown; the package keeps its own "
    "references, so everything still closes.",
)
LIFESPAN_SERVERS = (
    UVICORN,
    UVICORN_WORKERS,
    UVICORN_ASYNCIO,
    GUNICORN,
    GUNICORN_ASGI,
    HYPERCORN,
    GRANIAN,
)

# Servers that send no ASGI lifespan, where the package runs it in each serving process
# (tested in tests/e2e/test_wsgi.py, test_runserver.py and test_daphne.py).
WSGI_LIFESPANS = (
    "one per worker process, started at its first request ({workers} tested), every resource "
    "closed once on SIGTERM"
)
GUNICORN_SYNC = ServerCase(
    "gunicorn -w 2 (sync workers, WSGI)",
    "gunicorn-wsgi",
    ("--workers", "2", "--no-control-socket"),
    "gunicorn",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(),
    notes="wsgi.py from django_lifespan_di.wsgi.get_wsgi_application(). A worker recycled by "
    "--max-requests closes its resources once; its successor opens its own.",
    app=WSGI_APP,
    lifespans=WSGI_LIFESPANS,
    serves_503_after_failed_startup=True,
)
GUNICORN_GTHREAD = ServerCase(
    "gunicorn -k gthread --threads 4 -w 2 (WSGI)",
    "gunicorn-wsgi",
    ("--worker-class", "gthread", "--threads", "4", "--workers", "2", "--no-control-socket"),
    "gunicorn",
    workers=2,
    sigterm_exit=0,
    startup_failed_exits=(),
    notes="Every request thread runs its async views on its worker's lifespan loop, the async "
    "ORM included.",
    app=WSGI_APP,
    lifespans=WSGI_LIFESPANS,
    serves_503_after_failed_startup=True,
)
RUNSERVER = ServerCase(
    "manage.py runserver",
    "runserver",
    (),
    "django",
    workers=1,
    sigterm_exit=0,
    startup_failed_exits=(),
    notes="This package's runserver (list django_lifespan_di above django.contrib.staticfiles "
    "and daphne, check W205): Ctrl-C waits for a shutdown longer than the 0.25 s Django's "
    "autoreloader allows; SIGTERM closes everything once too. Also with --noreload, and with "
    "daphne installed (ASGI).",
    app=WSGI_APP,
    lifespans="one in the serving process (the autoreloader's child), started when it is ready "
    "and again after each autoreload; every resource closed once on Ctrl-C",
    serves_503_after_failed_startup=True,
)
DAPHNE = ServerCase(
    "daphne",
    "daphne",
    (),
    "daphne",
    workers=1,
    sigterm_exit=0,
    startup_failed_exits=(),
    notes="Sends no lifespan: the package runs it on daphne's Twisted reactor, and the first "
    "requests wait for its startup.",
    lifespans="one per process, started on daphne's reactor when it starts, every resource "
    "closed once on SIGTERM and SIGINT",
    serves_503_after_failed_startup=True,
)
PROCESS_LIFESPAN_SERVERS = (GUNICORN_SYNC, GUNICORN_GTHREAD, RUNSERVER, DAPHNE)

# Servers that never run the lifespan (tested in tests/e2e/test_no_lifespan.py).
RUNSERVER_DJANGO_WSGI = ServerCase(
    "manage.py runserver with Django's wsgi.py",
    "runserver",
    ("--noreload",),
    "django",
    workers=0,
    sigterm_exit=0,
    startup_failed_exits=(),
    notes="WSGI_APPLICATION from django.core.wsgi.get_wsgi_application(). Its system checks "
    "print django_lifespan_di.W203 at startup.",
    env=(("LIFESPAN_DI_TEST_WSGI_APPLICATION", "tests.project.plain_wsgi.application"),),
)
UVICORN_NO_LIFESPAN = ServerCase(
    "uvicorn --lifespan off",
    "uvicorn",
    ("--lifespan", "off"),
    "uvicorn",
    workers=0,
    sigterm_exit=-15,
    startup_failed_exits=(),
    notes="Requests still get an empty scope['state'].",
)
NO_LIFESPAN_SERVERS = (RUNSERVER_DJANGO_WSGI, UVICORN_NO_LIFESPAN)


def render_table() -> str:
    """The table of ``docs/servers.md``, from the cases the tests assert."""

    def codes(values: tuple[int, ...]) -> str:
        return " or ".join(f"`{value}`" for value in values) or "—"

    versions = locked_versions(VERSIONS_LOCK)
    rows = [
        "| Server | Version | Lifespans | Exit on SIGTERM | Exit after a failed startup | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for case in (*LIFESPAN_SERVERS, *PROCESS_LIFESPAN_SERVERS, *NO_LIFESPAN_SERVERS):
        if case.lifespans is not None:
            lifespans = case.lifespans.format(workers=case.workers)
        elif case.workers:
            lifespans = (
                f"one per worker ({case.workers} tested), every resource closed once on SIGTERM"
            )
        else:
            lifespans = "none: warns at the first request; resources raise LifespanNotRunning"
        failed = (
            "keeps serving: every request answers 503"
            if case.serves_503_after_failed_startup
            else codes(case.startup_failed_exits)
        )
        rows.append(
            f"| `{case.label}` | {case.distribution} {versions[case.distribution]} | "
            f"{lifespans} | {codes((case.sigterm_exit,))} | {failed} | {case.notes} |"
        )
    return "\n".join(rows)


def split_page() -> tuple[str, str, str]:
    """``docs/servers.md`` as (text before the table, the table, text after it)."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    assert text.count(TABLE_START) == text.count(TABLE_END) == 1, (
        f"{DOCS_PAGE} must hold the markers {TABLE_START!r} and {TABLE_END!r} once each"
    )
    before, rest = text.split(TABLE_START)
    table, after = rest.split(TABLE_END)
    return before, table.strip(), after


def write_docs_table() -> None:
    """Replace the table in ``docs/servers.md`` with :func:`render_table`."""
    before, _, after = split_page()
    page = f"{before}{TABLE_START}\n{render_table()}\n{TABLE_END}{after}"
    DOCS_PAGE.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    write_docs_table()
    sys.stdout.write(f"wrote {DOCS_PAGE}\n")
