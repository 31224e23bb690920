"""gunicorn's own workers (sync, gthread) serving the test project's ``wsgi.py``, which uses
``django_lifespan_di.wsgi.get_wsgi_application()``.

WSGI has no lifespan protocol: each worker process starts its lifespan (a ``LifespanThread``)
at its first request and stops it when it exits. What the tests check, per worker process:
every resource opened once and closed once (SIGTERM, or ``--max-requests`` recycling the
worker), sync and async views (Django's async ORM included) get that worker's objects, and a
failed startup answers 503 with the culprit in the log instead of serving without resources.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.journal import (
    assert_closed_once,
    assert_each_process_opened_all_and_closed_once,
    journal_by_pid,
)
from tests.support.server import Server
from tests.support.servers import GUNICORN_GTHREAD, GUNICORN_SYNC, ServerCase

pytestmark = pytest.mark.e2e

#: Each kind of view: sync and async @inject, request.state (async and sync), the async ORM.
VIEWS = ("/inject/sync/", "/inject/async/wsgi/", "/state/", "/sync-state/", "/orm/")


def get(server: Server, path: str) -> httpx.Response:
    # A fresh connection per request, so that any worker may take it; the timeout covers a
    # worker's boot on a busy machine.
    return httpx.get(server.url(path), headers={"Connection": "close"}, timeout=30.0)


def opened_pids(server: Server) -> set[int]:
    return {pid for pid, event in server.journal_events() if event == "open reporter"}


def until_every_worker_opened(server: Server, workers: int) -> None:
    """Send bursts of concurrent slow requests until each worker has started its lifespan.

    A sync worker serves one request at a time, so a burst reaches every idle worker; gthread
    workers usually share one burst too, the bound covers the rest.
    """
    deadline = time.monotonic() + 15
    with ThreadPoolExecutor(8) as pool:
        while len(opened_pids(server)) < workers:
            assert time.monotonic() < deadline, (
                f"not every worker started: {server.journal_events()}"
            )
            responses = list(pool.map(lambda _: get(server, "/slow/?seconds=0.3"), range(8)))
            assert {r.status_code for r in responses} == {200}, [r.text for r in responses]


def client_of(answer: dict[str, Any]) -> Any:
    """What identifies the worker's shared client in a view's answer."""
    return answer["client"]["serial"] if isinstance(answer["client"], dict) else answer["client_id"]


@pytest.mark.parametrize("case", [GUNICORN_SYNC, GUNICORN_GTHREAD], ids=lambda case: case.id)
def test_each_worker_serves_every_view_kind_and_closes_once(
    case: ServerCase, tmp_path: Path, migrated_database: dict[str, str]
) -> None:
    with case.serve(tmp_path / "journal", env=migrated_database) as server:
        until_every_worker_opened(server, case.workers)
        responses = {path: [get(server, path) for _ in range(4)] for path in VIEWS}
    for path, answered in responses.items():
        assert [r.status_code for r in answered] == [200] * 4, (path, [r.text for r in answered])
    assert server.returncode == case.sigterm_exit, server.output
    by_pid = assert_each_process_opened_all_and_closed_once(server, case.workers)
    answers = [r.json() for answered in responses.values() for r in answered]
    assert {answer["pid"] for answer in answers} <= set(by_pid)
    # In each worker, injected and request.state views alike get the one client it opened.
    injected: dict[int, set[Any]] = {}
    from_state: dict[int, set[Any]] = {}
    for path, answered in responses.items():
        for answer in (r.json() for r in answered):
            if "client" in answer:
                by = injected if path.startswith("/inject/") else from_state
                by.setdefault(answer["pid"], set()).add(client_of(answer))
    assert all(len(clients) == 1 for clients in (*injected.values(), *from_state.values()))
    assert {r.json()["ping"] for r in responses["/inject/sync/"]} == {"pong from http_client"}
    assert {r.json()["users"] for r in responses["/orm/"]} == {0}
    assert server.output.count("Lifespan shut down") == case.workers, server.output
    assert "Traceback" not in server.output, server.output


def test_a_worker_recycled_by_max_requests_closes_its_resources_once(tmp_path: Path) -> None:
    server = GUNICORN_SYNC.serve(
        tmp_path / "journal", ("--workers", "1", "--max-requests", "2"), expect_ready=False
    )
    with server:
        server.wait_listening()  # no readiness probe: every request counts
        # Waits in the listen queue while the next worker boots.
        pids = [get(server, "/state/").json()["pid"] for _ in range(3)]
    assert server.returncode == 0, server.output
    first, second = dict.fromkeys(pids)
    assert pids == [first, first, second], pids  # recycled after its second request
    by_pid = assert_each_process_opened_all_and_closed_once(server, 2)
    assert list(by_pid) == [first, second], by_pid
    # The recycled worker had closed everything before its successor opened anything.
    journal = server.journal_events()
    last_close = max(i for i, (pid, _) in enumerate(journal) if pid == first)
    first_open = min(i for i, (pid, _) in enumerate(journal) if pid == second)
    assert last_close < first_open, journal
    assert server.output.count("Autorestarting worker after current request") == 1, server.output


@pytest.mark.parametrize("case", [GUNICORN_SYNC, GUNICORN_GTHREAD], ids=lambda case: case.id)
def test_a_failed_startup_answers_503_and_names_the_culprit(
    case: ServerCase, tmp_path: Path
) -> None:
    with case.serve(
        tmp_path / "journal",
        ("--workers", "1"),
        env={"LIFESPAN_DI_TEST_FAIL_START": "http_client"},
    ) as server:
        answers = [get(server, path) for path in ("/state/", "/inject/sync/", "/ready/")]
    assert [r.status_code for r in answers] == [503, 503, 503]
    assert "the lifespan of this server process failed to start" in answers[0].text
    assert server.returncode == 0, server.output
    assert "Container.http_client failed to start: ConnectionRefusedError" in server.output
    (events,) = journal_by_pid(server).values()
    # Started once, not retried by later requests; what had started was closed.
    assert events.count("open http_client") == 1, events
    assert "open reporter" not in events
    assert_closed_once(events, failed="http_client")
