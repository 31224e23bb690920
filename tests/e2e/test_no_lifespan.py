"""No lifespan: a warning and a clear error at first use, nothing opened.

``manage.py runserver`` serving a ``wsgi.py`` built with Django's own
``get_wsgi_application()``, a bare request through Django's WSGI handler and ``uvicorn
--lifespan off`` never start the resources. The package must say so (a warning at the first
use of a resource; runserver's system checks print W203 before it serves) and every use must
raise ``LifespanNotRunning`` naming the fix, without creating a resource behind the user's back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import httpx
import pytest
from django.core.wsgi import get_wsgi_application

from django_lifespan_di import registry
from tests.project import journal
from tests.support.servers import NO_LIFESPAN_SERVERS, RUNSERVER_DJANGO_WSGI, ServerCase

pytestmark = pytest.mark.e2e

WARNING = "The lifespan did not run: no resource was started and request.state is empty"
FIX = "django_lifespan_di.asgi.get_asgi_application()"
WSGI_FIX = "django_lifespan_di.wsgi.get_wsgi_application()"


def assert_first_use_explains(report: dict[str, str], *, wsgi: bool) -> None:
    """Both ways to reach a resource raised LifespanNotRunning with the cause and the fix."""
    state, container = report["request.state"], report["get_container"]
    assert state.startswith("LifespanNotRunning: request.state['http_client']: "), report
    assert container.startswith("LifespanNotRunning: The lifespan is not running."), report
    assert FIX in container, report
    if wsgi:
        assert "this request came through WSGI" in state, report
        assert WSGI_FIX in state, report
        assert WSGI_FIX in container, report
    else:
        assert FIX in state, report
        assert "uvicorn --lifespan off" in state, report


@pytest.mark.parametrize("case", NO_LIFESPAN_SERVERS, ids=lambda case: case.id)
def test_server_without_lifespan_warns_and_refuses_at_first_use(
    case: ServerCase, tmp_path: Path
) -> None:
    server = case.serve(tmp_path / "journal", ready_path="/first-use/")
    with server:
        report = httpx.get(server.url("/first-use/")).json()
        unserved = httpx.get(server.url("/state/"))
    assert_first_use_explains(report, wsgi=case is RUNSERVER_DJANGO_WSGI)
    assert unserved.status_code == 500
    assert server.returncode == case.sigterm_exit, server.output
    assert server.journal_events() == [], "a resource was created without a lifespan"
    assert WARNING in server.output
    if case is RUNSERVER_DJANGO_WSGI:
        checks = server.output.index("django_lifespan_di.W203")
        # "Starting development server at", or from Django 6 "Starting WSGI development server at"
        assert checks < server.output.index("development server at"), server.output


def wsgi_get(path: str) -> tuple[str, bytes]:
    """One request through Django's WSGI handler, as a WSGI server would send it."""
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status: list[str] = []

    # The signature of wsgiref.types.StartResponse, which type checkers hold Django to on 3.11+.
    def start_response(
        line: str, headers: list[tuple[str, str]], exc_info: object = None, /
    ) -> Callable[[bytes], object]:
        status.append(line)
        return lambda data: None  # the WSGI write() callable, which Django never calls

    body: Iterable[bytes] = get_wsgi_application()(environ, start_response)
    return status[0], b"".join(body)


# Django's own WSGI handler checks the database connections at each request (request_started's
# close_old_connections), and a test that used the in-memory test database leaves its
# connection open for the session: allow access, as a project's WSGI server would have it.
@pytest.mark.django_db
def test_wsgi_request_warns_once_and_refuses_at_first_use(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The warning is once per process; another test in this process may have used it up.
    monkeypatch.setattr(registry, "_warned_not_running", False)
    with caplog.at_level(logging.WARNING, logger="django_lifespan_di"):
        status, body = wsgi_get("/first-use/")
        unserved, _ = wsgi_get("/state/")
    assert status.startswith("200")
    assert_first_use_explains(json.loads(body), wsgi=True)
    assert unserved.startswith("500")
    warnings = [r for r in caplog.records if r.name == "django_lifespan_di"]
    assert [r.getMessage().startswith(WARNING) for r in warnings] == [True]
    assert journal.EVENTS == [], "a resource was created without a lifespan"
