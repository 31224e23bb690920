"""The WSGI application in-process: the lifespan starts in the serving process before its first
request, each request thread serves its loop, a failed startup answers 503 for good.

(Real WSGI servers and runserver: ``tests/e2e/``.)"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from django_lifespan_di.registry import UNAVAILABLE
from django_lifespan_di.thread import forget_process_lifespan, start_process_lifespan
from django_lifespan_di.wsgi import LifespanWSGIApplication, get_wsgi_application
from tests.project import journal

# Django's request cycle closes old database connections around each request.
pytestmark = pytest.mark.django_db


@pytest.fixture
def application() -> Iterator[LifespanWSGIApplication]:
    yield get_wsgi_application()
    forget_process_lifespan()


def get(application: LifespanWSGIApplication, path: str) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body = b"".join(application(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body


def test_the_first_request_starts_the_lifespan_and_every_view_kind_gets_its_objects(
    application: LifespanWSGIApplication,
) -> None:
    assert journal.EVENTS == []  # nothing opens before a request needs it
    results: dict[str, Any] = {}

    def serve(path: str) -> None:  # each in a server thread of its own
        results[path] = get(application, path)

    threads = [threading.Thread(target=serve, args=(p,)) for p in ("/inject/sync/", "/state/")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    async_status, async_body = get(application, "/inject/async/bob/")
    assert [status for status, _ in results.values()] == ["200 OK", "200 OK"]
    assert async_status == "200 OK"
    shared = start_process_lifespan().state["http_client"]
    assert json.loads(async_body)["client"]["id"] == id(shared)
    assert json.loads(results["/inject/sync/"][1])["client"]["id"] == id(shared)
    assert [e for e in journal.EVENTS if e.startswith("open")].count("open http_client") == 1


def test_a_failed_startup_answers_503_without_details_and_is_not_retried(
    application: LifespanWSGIApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "http_client")
    assert get(application, "/state/") == ("503 Service Unavailable", UNAVAILABLE)
    attempts = journal.EVENTS.count("open http_client")
    assert get(application, "/state/") == ("503 Service Unavailable", UNAVAILABLE)
    assert journal.EVENTS.count("open http_client") == attempts  # not retried
    assert b"cannot connect" not in UNAVAILABLE
