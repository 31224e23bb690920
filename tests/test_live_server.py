"""pytest-django's ``live_server`` with the plugin's fixtures, through a real HTTP client.

Django's ``LiveServerThread`` serves a ``WSGIHandler()`` of its own, not ``WSGI_APPLICATION``,
each request in a new thread; with ``MEDIA_URL`` empty (the test settings) its
``_MediaFilesHandler`` claims every path and answers through its own handler. Nothing in it
starts a lifespan, so the test runs one: ``lifespan_thread`` in a sync test, whose loop
``LifespanStateMiddleware`` lends to each request thread for its async views. Under the async
``lifespan`` fixture the lifespan's loop is the test's own, which is never lent: an async view
gets ``EventLoopError``, every time, from ``request.state`` and from ``@inject`` alike.
"""

from __future__ import annotations

import httpx
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.test.testcases import _MediaFilesHandler

from django_lifespan_di import LifespanThread
from django_lifespan_di.runtime import OTHER_LOOP
from tests.support.server import ROOT

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.django_db(transaction=True)

VIEWS = ("/inject/sync/", "/inject/async/live/", "/state/", "/sync-state/", "/orm/")


def test_with_the_test_settings_the_media_files_handler_claims_every_path() -> None:
    # The case these tests cover: MEDIA_URL is empty, so every path is "under" it.
    assert settings.MEDIA_URL == "/"  # "" with the script prefix
    handler = _MediaFilesHandler(WSGIHandler())
    assert handler._should_handle("/inject/async/live/")  # type: ignore[attr-defined]


def test_sync_and_async_views_get_the_live_objects(
    lifespan_thread: LifespanThread, live_server: object
) -> None:
    with httpx.Client(base_url=str(live_server)) as client:
        responses = {path: client.get(path) for path in VIEWS}
    for path, response in responses.items():
        assert response.status_code == 200, (path, response.text)
    answers = {path: response.json() for path, response in responses.items()}
    live_client = lifespan_thread.state["http_client"]
    assert answers["/inject/sync/"]["client"]["serial"] == live_client.serial
    assert answers["/inject/async/live/"]["client"]["serial"] == live_client.serial
    assert answers["/inject/sync/"]["ping"] == "pong from http_client"  # on the thread's loop
    assert answers["/state/"]["client_id"] == id(live_client)
    assert answers["/sync-state/"]["keys"] == sorted(lifespan_thread.state)
    assert answers["/orm/"] == {
        "users": 0,
        "client": "http_client",
        "client_id": id(live_client),
        "cache": "cache",
        "pid": answers["/state/"]["pid"],
    }


async def test_under_the_async_lifespan_fixture_async_views_get_event_loop_error(
    lifespan: dict[str, object], live_server: object
) -> None:
    async with httpx.AsyncClient(base_url=str(live_server)) as client:
        reports = [(await client.get("/loop-check/")).json() for _ in range(4)]
        states = [(await client.get("/state/")).status_code for _ in range(4)]
    for report in reports:
        assert report["request.state"] == (
            f"EventLoopError: request.state['http_client'] cannot be used here. {OTHER_LOOP}"
        )
        assert report["inject"].startswith("EventLoopError: ")
        assert report["inject"].endswith(OTHER_LOOP)
    assert states == [500] * 4  # the same every time, never 200 now and then


SYNC_TEST_WITH_ASYNC_FIXTURE = """
import httpx
import pytest


@pytest.mark.django_db(transaction=True)
def test_sync(lifespan, live_server):
    httpx.get(live_server.url + "/state/")
"""


def test_the_async_lifespan_fixture_in_a_sync_test_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=SYNC_TEST_WITH_ASYNC_FIXTURE)
    pytester.makeini(
        f"[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\npythonpath = {ROOT}\n"
        "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*The `lifespan` fixture runs the lifespan on the test's event loop, and a sync "
            "test has none running*Use the `lifespan_thread` fixture in sync tests*"
        ]
    )


def test_the_sync_test_client_gets_them_too(lifespan_thread: LifespanThread) -> None:
    client = Client()
    for path in ("/inject/sync/", "/inject/async/client/", "/state/"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
    assert response.json()["client_id"] == id(lifespan_thread.state["http_client"])
