"""daphne, which never sends the ASGI lifespan: the package runs it on daphne's Twisted reactor.

What the tests check: the resources start once, as the reactor starts and before the first
request is served (requests that arrive meanwhile wait for that one startup); sync and async
views, ``request.state`` and the async ORM get the live objects; SIGTERM and SIGINT close every
resource once; a failed startup closes what had started, names the culprit in the log, and
every request is answered 503.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.journal import RESOURCES, assert_closed_once, journal_by_pid
from tests.support.server import Server
from tests.support.servers import DAPHNE, RUNSERVER
from tests.support.websocket import websocket_refusal

pytestmark = pytest.mark.e2e

VIEWS = ("/inject/sync/", "/inject/async/daphne/", "/state/", "/sync-state/", "/orm/")


def assert_opened_and_closed_once(server: Server) -> list[str]:
    by_pid = journal_by_pid(server)
    assert server.process is not None
    assert list(by_pid) == [server.process.pid], by_pid
    events = by_pid[server.process.pid]
    assert sorted(e for e in events if e.startswith("open ")) == [
        f"open {name}" for name in RESOURCES
    ], events
    assert_closed_once(events)
    return events


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_daphne_runs_the_lifespan_and_closes_it_once(
    stop_signal: signal.Signals, tmp_path: Path, migrated_database: dict[str, str]
) -> None:
    server = DAPHNE.serve(
        tmp_path / "journal",
        env=migrated_database,
        stop_signal=stop_signal,
        ready_path="/slow/?seconds=0",  # journals "slow request started": the first request
    )
    with server:
        responses = {path: httpx.get(server.url(path)) for path in VIEWS}
    for path, response in responses.items():
        assert response.status_code == 200, (path, response.text)
    assert server.returncode == DAPHNE.sigterm_exit, server.output
    events = assert_opened_and_closed_once(server)
    # Every resource had started before the first request was served.
    assert events.index("slow request started") > max(
        events.index(f"open {name}") for name in RESOURCES
    ), events
    answers = {path: response.json() for path, response in responses.items()}
    assert answers["/inject/sync/"]["ping"] == "pong from http_client"
    serials = {answers[p]["client"]["serial"] for p in ("/inject/sync/", "/inject/async/daphne/")}
    assert len(serials) == 1, answers
    assert answers["/state/"]["client_id"] == answers["/orm/"]["client_id"]
    assert answers["/orm/"]["users"] == 0
    # daphne's own logging configuration repeats each line with a timestamp.
    lines = server.output.splitlines()
    assert sum(line.startswith("Lifespan shut down (pid ") for line in lines) == 1, server.output
    assert "Traceback" not in server.output, server.output
    assert "The lifespan did not run" not in server.output


def test_first_requests_wait_for_the_one_startup(tmp_path: Path) -> None:
    server = DAPHNE.serve(
        tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_SLOW_START": "database"},  # startup takes half a second
        expect_ready=False,
    )
    with server:
        server.wait_listening()
        with ThreadPoolExecutor(6) as pool:
            responses = list(pool.map(lambda _: httpx.get(server.url("/state/")), range(6)))
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.json()["client_id"] for r in responses}) == 1
    assert server.returncode == 0, server.output
    assert_opened_and_closed_once(server)


def test_a_failed_startup_answers_503_and_names_the_culprit(tmp_path: Path) -> None:
    server = DAPHNE.serve(tmp_path / "journal", env={"LIFESPAN_DI_TEST_FAIL_START": "http_client"})
    with server:
        answers = [httpx.get(server.url(path)) for path in ("/state/", "/inject/async/x/")]
        # A websocket is refused too: closed before it is accepted, which daphne answers 403.
        websocket = websocket_refusal(server.port, "/ws/state/")
    assert [r.status_code for r in answers] == [503, 503]
    assert "the lifespan of this server process failed to start" in answers[0].text
    assert websocket == 403
    assert server.returncode == 0, server.output
    assert "Container.http_client failed to start: ConnectionRefusedError" in server.output
    assert "every request is answered 503" in server.output
    (events,) = journal_by_pid(server).values()
    assert events.count("open http_client") == 1, events
    assert "open reporter" not in events
    assert_closed_once(events, failed="http_client")


def test_a_failed_shutdown_is_logged_naming_the_resource(tmp_path: Path) -> None:
    server = DAPHNE.serve(tmp_path / "journal", env={"LIFESPAN_DI_TEST_FAIL_STOP": "cache"})
    with server:
        assert httpx.get(server.url("/state/")).status_code == 200
    assert server.returncode == DAPHNE.sigterm_exit, server.output
    (events,) = journal_by_pid(server).values()
    assert_closed_once(events)  # every other shutdown still ran
    failed = server.output.index("The lifespan's shutdown failed")
    assert (
        "ShutdownError: 1 shutdown(s) failed (all others completed):\n"
        "  Container.cache: RuntimeError: cache failed to close (test fault)"
    ) in server.output[failed:], server.output


def test_every_application_in_the_process_shares_the_one_lifespan(tmp_path: Path) -> None:
    # Two from get_asgi_application(), mounted by path: both wait for the reactor's one startup.
    server = Server("daphne", app="tests.project.mounted_asgi:application", journal=tmp_path / "j")
    with server:
        injected = httpx.get(server.url("/inject/sync/"))
        state = httpx.get(server.url("/state/"))
    assert injected.status_code == state.status_code == 200, (injected.text, state.text)
    assert injected.json()["client"]["id"] == state.json()["client_id"]
    assert server.returncode == DAPHNE.sigterm_exit, server.output
    assert_opened_and_closed_once(server)


def test_an_exit_while_a_close_blocks_the_loop_is_bounded_and_logged(tmp_path: Path) -> None:
    # runserver with daphne and its autoreloader runs the reactor in a thread of the serving
    # process, whose main thread the reloader keeps: when that process exits (here SIGTERM to
    # it alone), the lifespan is stopped on the way out, and waited for within a bound.
    env = {
        "LIFESPAN_DI_TEST_APPS_FIRST": "django_lifespan_di,daphne",
        "LIFESPAN_DI_TEST_BLOCK_STOP": "reporter",
        "LIFESPAN_DI_TEST_SHUTDOWN_TIMEOUT": "0.1",
    }
    with RUNSERVER.serve(tmp_path / "journal", env=env) as server:
        child = httpx.get(server.url("/state/")).json()["pid"]
        os.kill(child, signal.SIGTERM)
        server.wait_exit()
    assert server.returncode == 0, server.output  # the child's exit code, passed on
    # SHUTDOWN_TIMEOUT + 2 * GRACE_SECONDS + 5 s.
    assert "The lifespan did not stop within 7.1 s at interpreter exit" in server.output
    (events,) = journal_by_pid(server).values()
    assert "close reporter" not in events, events
