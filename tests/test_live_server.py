"""pytest-django's ``live_server`` with the plugin's fixtures, through a real HTTP client.

Django's ``LiveServerThread`` serves a ``WSGIHandler()`` of its own, not ``WSGI_APPLICATION``,
each request in a new thread; with ``MEDIA_URL`` empty (the test settings) its
``_MediaFilesHandler`` claims every path and answers through its own handler. Nothing in it
starts a lifespan, so the test runs one: ``lifespan_thread`` (in a sync or an async test), or
``LifespanTestMixin`` on a ``LiveServerTestCase``, whose loop ``LifespanStateMiddleware`` lends
to each request thread for its async views. The async ``lifespan`` fixture runs the lifespan on
the test's own loop, which is never lent: with ``live_server`` it is refused before the test
starts, rather than every async view getting ``EventLoopError``.
"""

from __future__ import annotations

import httpx
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, LiveServerTestCase
from django.test.testcases import _MediaFilesHandler

from django_lifespan_di import LifespanThread
from django_lifespan_di.testing import LifespanTestMixin
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


class MixinLiveServerTests(LifespanTestMixin, LiveServerTestCase):
    """Django's own live server, under Django's own test case: the mixin's LifespanThread
    around the sync test method serves the server's request threads."""

    def test_sync_and_async_views_get_the_live_objects(self) -> None:
        with httpx.Client(base_url=self.live_server_url) as client:
            responses = {path: client.get(path) for path in VIEWS}
        for path, response in responses.items():
            assert response.status_code == 200, (path, response.text)
        live = self.lifespan_state["http_client"]
        assert responses["/inject/async/live/"].json()["client"]["serial"] == live.serial
        assert responses["/state/"].json()["client_id"] == id(live)


async def test_an_async_test_with_lifespan_thread_gets_the_live_objects_too(
    lifespan_thread: LifespanThread, live_server: object
) -> None:
    # The fix that the refusal below names: the thread's loop is shared, the test's is not.
    async with httpx.AsyncClient(base_url=str(live_server)) as client:
        reports = [(await client.get("/loop-check/")).json() for _ in range(4)]
        states = [(await client.get("/state/")).json() for _ in range(4)]
    assert reports == [{"request.state": "ok http_client", "inject": "ok http_client"}] * 4
    live = id(lifespan_thread.state["http_client"])
    assert [state["client_id"] for state in states] == [live] * 4


ASYNC_TESTS_WITH_LOOP_FIXTURES = """
import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def test_lifespan(lifespan, live_server):
    raise AssertionError("the test ran")


async def test_lifespan_client(lifespan_client, live_server):
    raise AssertionError("the test ran")


@pytest.fixture
def page(live_server):
    return live_server.url


async def test_live_server_through_a_fixture(page, lifespan):
    raise AssertionError("the test ran")


async def test_lifespan_session(lifespan_session, live_server):
    raise AssertionError("the test ran")
"""


def inner_session(pytester: pytest.Pytester) -> None:
    """A user's project: this suite's settings, the plugins as installed."""
    pytester.makeini(
        f"[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\npythonpath = {ROOT}\n"
        "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )


def test_live_server_with_a_lifespan_on_the_tests_loop_is_refused_at_set_up(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_inner=ASYNC_TESTS_WITH_LOOP_FIXTURES)
    inner_session(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    result.assert_outcomes(errors=4)  # at set-up: no test body ran, no request was sent
    result.stdout.no_fnmatch_line("*the test ran*")
    # Each names the fixture its test asked for, in the order the tests ran.
    result.stdout.fnmatch_lines(
        [
            f"*pytest-django's `live_server` serves each request in a thread of its own, and "
            f"the `{fixture}` fixture runs the lifespan on the test's event loop*Use the "
            f"`lifespan_thread` fixture instead of `{fixture}`*"
            for fixture in ("lifespan", "lifespan_client", "lifespan", "lifespan_session")
        ]
    )


SYNC_TEST_WITH_ASYNC_FIXTURE = """
from django.test import Client, LiveServerTestCase


def test_sync(lifespan):
    Client().get("/state/")
"""


def test_the_async_lifespan_fixture_in_a_sync_test_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=SYNC_TEST_WITH_ASYNC_FIXTURE)
    inner_session(pytester)
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
