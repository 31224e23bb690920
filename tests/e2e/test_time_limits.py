"""The servers' own clocks: a startup a server cuts short is said out loud, and what is said
before a kill is said.

Each server here limits how long the lifespan's startup may take, whatever
``LIFESPAN_DI["STARTUP_TIMEOUT"]`` says: gunicorn's ASGI worker cancels it at 30 s (hard-coded),
hypercorn at its ``startup_timeout``, uvicorn ``--workers N`` kills a restarted worker that is
not ready within ``--timeout-worker-healthcheck``. The test resources hang or open slowly on
request (``LIFESPAN_DI_TEST_HANG_START``, ``..._SLOW_START`` with ``..._SLOW_START_SECONDS``).
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.journal import RESOURCES, assert_closed_once, journal_by_pid
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

#: What a startup cut short while ``http_client`` opens had opened, and closed again.
OPENED_BEFORE_HTTP_CLIENT = ("Container.database", "Container.cache")


def assert_cut_short_reported(output: str, limit: float) -> None:
    """The log says the server cancelled the startup, when (about the server's ``limit``), what
    was still opening and what had opened (closed again), and the progress line that came
    before."""
    after = re.search(r"The server cancelled the lifespan's startup after ([0-9.]+) s", output)
    assert after is not None, output
    # The lifespan's clock starts when the startup message reaches it, a moment after the
    # server's own: more than a tenth of a second on a loaded machine.
    assert limit - 1 < float(after[1]) < limit + 1, output
    assert "still opening: Container.http_client (for " in output, output
    opened = output.split("opened, and closed again: ", 1)[1].split(". ", 1)[0]
    assert sorted(opened.split(", ")) == sorted(OPENED_BEFORE_HTTP_CLIENT), output
    assert "Lifespan startup has run for 1 s: still opening: Container.http_client" in output


def test_gunicorn_asgi_cancelling_a_slow_startup_is_reported_and_named(tmp_path: Path) -> None:
    """gunicorn -k asgi gives a startup 30 s; under its default --asgi-lifespan auto the worker
    then serves without the lifespan, and what it says about it must be true."""
    server = Server(
        "gunicorn-asgi",
        "--no-control-socket",
        journal=tmp_path / "journal",
        # Longer than gunicorn's 30 s: gunicorn's clock runs out first.
        env={
            "LIFESPAN_DI_TEST_HANG_START": "http_client",
            "LIFESPAN_DI_TEST_STARTUP_TIMEOUT": "60",
        },
        expect_ready=False,
    )
    server.start().wait_for_journal("close database", timeout=45)
    server.wait_listening()
    ready = httpx.get(server.url("/ready/"), timeout=5)
    assert ready.status_code == 503
    assert ready.json()["reason"] == "the lifespan is not running"
    assert httpx.get(server.url("/state/"), timeout=5).status_code == 500
    assert server.stop() == 0, server.output
    assert_cut_short_reported(server.output, 30)
    # The first request's warning gives the same cause, not a server that runs no lifespan.
    assert "Cause: The lifespan is not running. The server cancelled" in server.output
    [events] = journal_by_pid(server).values()
    assert_closed_once(events, failed="http_client")


def test_hypercorn_startup_timeout_is_reported_and_named(tmp_path: Path) -> None:
    config = tmp_path / "hypercorn.toml"
    config.write_text("startup_timeout = 3\n", encoding="utf-8")
    server = Server(
        "hypercorn",
        "--config",
        str(config),
        journal=tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_HANG_START": "http_client"},
        expect_ready=False,
    )
    server.start().wait_exit()
    assert_cut_short_reported(server.output, 3)
    assert "LifespanTimeoutError" in server.output  # hypercorn's own word for it
    [events] = journal_by_pid(server).values()
    assert_closed_once(events, failed="http_client")


def test_uvicorn_killing_a_restarted_worker_mid_startup_leaves_a_line(tmp_path: Path) -> None:
    """SIGHUP restarts uvicorn's workers one by one; a new worker not ready within
    --timeout-worker-healthcheck is SIGKILLed, with no chance to say anything: what it was
    waiting on was said before."""
    slow_from_now = tmp_path / "slow"
    server = Server(
        "uvicorn",
        "--workers",
        "2",
        # uvicorn's clock starts at the spawn: a spawned worker imports the project first,
        # which takes seconds on a loaded machine. Its default is 5 s.
        "--timeout-worker-healthcheck",
        "10",
        journal=tmp_path / "journal",
        env={
            # Only the workers the restart starts are slow.
            "LIFESPAN_DI_TEST_SLOW_START": "http_client",
            "LIFESPAN_DI_TEST_SLOW_START_AFTER": str(slow_from_now),
            "LIFESPAN_DI_TEST_SLOW_START_SECONDS": "60",
            "LIFESPAN_DI_TEST_STARTUP_TIMEOUT": "90",
        },
    )
    server.start().wait_for_journal("open reporter", count=2)
    first = set(journal_by_pid(server))
    slow_from_now.touch()
    server.send(signal.SIGHUP)
    server.wait_for_journal("open http_client", count=3, timeout=15)
    [restarted] = set(journal_by_pid(server)) - first
    wait_until(lambda: not Path(f"/proc/{restarted}").exists(), timeout=15)
    assert server.stop() == 0, server.output
    assert f"New child process [{restarted}] was not ready in time" in server.output
    # The killed worker said what it waited on before the kill, and nothing after it.
    line = "Lifespan startup has run for 1 s: still opening: Container.http_client"
    assert server.output.count(line) == 1, server.output
    by_pid = journal_by_pid(server)
    assert "close database" not in by_pid[restarted], by_pid  # SIGKILL: no shutdown at all
    for pid in first:
        assert_closed_once(by_pid[pid])


def test_a_deferred_resource_opens_after_the_server_is_up(tmp_path: Path) -> None:
    """The server serves before the deferred resource has opened: what needs it answers 503
    naming it, the rest serves; once open, it serves too, and shutdown closes it in order."""
    server = Server(
        "uvicorn",
        journal=tmp_path / "journal",
        env={
            "LIFESPAN_DI_TEST_DEFERRED": "tests.project.containers.Container.reporter",
            "LIFESPAN_DI_TEST_SLOW_START": "reporter",
            "LIFESPAN_DI_TEST_SLOW_START_SECONDS": "8",
        },
    )
    with server:
        assert httpx.get(server.url("/state/")).status_code == 200
        refused = httpx.get(server.url("/inject/reporter/"))
        assert refused.status_code == 503
        assert "Container.reporter is not ready yet" in refused.text
        ready = httpx.get(server.url("/ready/"))
        assert ready.status_code == 503
        assert "Container.reporter (starting)" in ready.json()["reason"]
        wait_until(lambda: httpx.get(server.url("/ready/")).status_code == 200, timeout=20)
        assert httpx.get(server.url("/inject/reporter/")).json()["reporter"]["name"] == "reporter"
    [events] = journal_by_pid(server).values()
    assert sorted(e for e in events if e.startswith("open ")) == [
        f"open {name}" for name in RESOURCES
    ]
    assert_closed_once(events)  # the deferred one first: it depends on the others
    assert events.index("close reporter") < events.index("close http_client")


def test_shutdown_cancels_a_deferred_opening_and_closes_the_rest_once(tmp_path: Path) -> None:
    server = Server(
        "uvicorn",
        journal=tmp_path / "journal",
        env={
            "LIFESPAN_DI_TEST_DEFERRED": "tests.project.containers.Container.reporter",
            "LIFESPAN_DI_TEST_HANG_START": "reporter",
        },
    )
    with server:
        server.wait_for_journal("open reporter")
    [events] = journal_by_pid(server).values()
    assert_closed_once(events, failed="reporter")
    assert "their opening is cancelled: Container.reporter" in server.output
    assert "Traceback" not in server.output, server.output
