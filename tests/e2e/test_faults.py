"""The bad day, through real servers: failed, hung and interrupted startups and shutdowns.

Faults come from the test container (``LIFESPAN_DI_TEST_FAIL_START`` / ``HANG_START`` /
``FAIL_STOP`` / ``HANG_STOP`` name resources); the journal says, per worker process, what each
resource did. After every fault, whatever opened has closed exactly once.
"""

from __future__ import annotations

import contextlib
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.journal import assert_closed_once, journal_by_pid
from tests.support.server import Server
from tests.support.servers import GRANIAN, LIFESPAN_SERVERS, ServerCase

pytestmark = pytest.mark.e2e

#: What never starts when a resource fails: the resources that depend on it.
DEPENDENTS = {
    "database": {"http_client", "reporter"},
    "http_client": {"reporter"},
    "reporter": set(),
}


def assert_rolled_back(server: Server, failed: str) -> None:
    """In every worker: ``failed`` opened, its dependents never did, the rest closed once."""
    by_pid = journal_by_pid(server)
    assert by_pid, server.output
    for events in by_pid.values():
        assert f"open {failed}" in events, events
        assert not {f"open {name}" for name in DEPENDENTS[failed]} & set(events), events
        assert_closed_once(events, failed=failed)


STARTUP_FAILURES = [
    # first, middle and last in dependency order, on one server ...
    *[(GRANIAN, name) for name in ("database", "http_client", "reporter")],
    # ... and the middle one on every other server (each exits its own way)
    *[(case, "http_client") for case in LIFESPAN_SERVERS if case is not GRANIAN],
]


@pytest.mark.parametrize(
    ("case", "failing"),
    STARTUP_FAILURES,
    ids=[f"{case.id}-{name}" for case, name in STARTUP_FAILURES],
)
def test_startup_failure_closes_what_started_and_stops_the_server(
    case: ServerCase, failing: str, tmp_path: Path
) -> None:
    server = case.serve(
        tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_FAIL_START": failing},
        expect_ready=False,
    )
    assert server.start().wait_exit() in case.startup_failed_exits, server.output
    assert_rolled_back(server, failing)
    assert f"Container.{failing} failed to start: ConnectionRefusedError" in server.output


def test_startup_hanging_past_the_timeout_is_cancelled_and_named(tmp_path: Path) -> None:
    server = GRANIAN.serve(
        tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_HANG_START": "reporter", "LIFESPAN_DI_TEST_STARTUP_TIMEOUT": "1"},
        expect_ready=False,
    )
    assert server.start().wait_exit() in GRANIAN.startup_failed_exits, server.output
    assert_rolled_back(server, "reporter")
    assert "STARTUP_TIMEOUT'] = 1 s; still starting: Container.reporter" in server.output


@pytest.mark.parametrize(
    ("server_name", "stop_signal", "exit_code"),
    [
        ("uvicorn", signal.SIGTERM, 3),
        ("hypercorn", signal.SIGINT, 0),
        ("granian", signal.SIGTERM, 0),
    ],
    ids=["uvicorn-SIGTERM", "hypercorn-SIGINT", "granian-SIGTERM"],
)
def test_signal_during_startup_stops_cleanly_once_startup_gives_up(
    server_name: str, stop_signal: signal.Signals, exit_code: int, tmp_path: Path
) -> None:
    """No server hands the signal to a running startup: it waits for STARTUP_TIMEOUT."""
    server = Server(
        server_name,
        journal=tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_HANG_START": "http_client", "LIFESPAN_DI_TEST_STARTUP_TIMEOUT": "2"},
        stop_signal=stop_signal,
        expect_ready=False,
    )
    server.start().wait_for_journal("open http_client")
    assert server.stop() == exit_code, server.output
    assert_rolled_back(server, "http_client")
    assert "still starting: Container.http_client" in server.output


def test_failed_and_hung_shutdowns_do_not_keep_the_others_open(tmp_path: Path) -> None:
    faults = {
        "LIFESPAN_DI_TEST_FAIL_STOP": "http_client",
        "LIFESPAN_DI_TEST_HANG_STOP": "reporter",
        "LIFESPAN_DI_TEST_SHUTDOWN_TIMEOUT": "1",
    }
    with Server("uvicorn", journal=tmp_path / "journal", env=faults) as server:
        pass
    [events] = journal_by_pid(server).values()
    assert_closed_once(events)
    # The two healthy resources finished closing (the journal line comes before a fault).
    assert "Stopped Container.database" in server.output
    assert "Stopped Container.cache" in server.output
    assert "2 shutdown(s) failed (all others completed)" in server.output
    assert "Container.reporter: TimeoutError: Container.reporter did not shut down" in server.output
    assert "Container.http_client: RuntimeError: http_client failed to close" in server.output


def test_in_flight_requests_finish_before_resources_close(tmp_path: Path) -> None:
    server = Server(
        "uvicorn", "--timeout-graceful-shutdown", "15", journal=tmp_path / "journal"
    ).start()
    with ThreadPoolExecutor(3) as pool:
        url = server.url("/slow/?seconds=1.5")
        in_flight = [pool.submit(httpx.get, url, timeout=20) for _ in range(3)]
        server.wait_for_journal("slow request started", count=3)
        server.stop()  # one SIGTERM; uvicorn waits for the requests, then runs the shutdown
        answers = [future.result() for future in in_flight]
    assert [a.status_code for a in answers] == [200, 200, 200], server.output
    assert [a.json()["closed"] for a in answers] == [False, False, False]
    events = [event for _, event in server.journal_events()]
    used = [i for i, e in enumerate(events) if e.startswith("slow request used http_client")]
    assert len(used) == 3, events
    assert max(used) < events.index("close http_client"), events
    assert_closed_once(events)


@pytest.mark.parametrize("view", ["slow-unit-of-work", "slow-sync-unit-of-work"])
def test_shutdown_drains_the_calls_in_flight_before_closing_what_they_use(
    tmp_path: Path, view: str
) -> None:
    # uvicorn gives the requests 1 s, cancels them, then runs the lifespan shutdown at once:
    # the shutdown waits for the injected calls to unwind (async) or finish (sync: a thread
    # cannot be cancelled), so their per-request cleanups run on open shared resources.
    kind = "async" if view == "slow-unit-of-work" else "sync"
    server = Server(
        "uvicorn", "--timeout-graceful-shutdown", "1", journal=tmp_path / "journal"
    ).start()
    with ThreadPoolExecutor(1) as pool:
        request = pool.submit(httpx.get, server.url(f"/{view}/?seconds=3"), timeout=20)
        server.wait_for_journal(f"slow {kind} view started")
        server.stop()
        with contextlib.suppress(httpx.HTTPError):
            request.result()  # the async one is cut (cancelled), the sync one may answer
    events = [event for _, event in server.journal_events()]
    unit = "unit_of_work" if kind == "async" else "sync_unit_of_work"
    assert f"slow {kind} view ended: http_client closed=False" in events, events
    assert events.count(f"open {unit}") == events.count(f"close {unit}") == 1, events
    assert events.index(f"close {unit}") < events.index("close http_client"), events
    assert_closed_once(events)
