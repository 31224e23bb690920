"""``LifespanStateMiddleware`` and ``request.state`` (``middleware.py``, ``state.py``)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings

from django_lifespan_di import (
    EventLoopError,
    LifespanNotRunning,
    LifespanThread,
    ShutdownError,
    StateKeyError,
    lifespan,
    registry,
)
from django_lifespan_di import middleware as middleware_module
from django_lifespan_di.middleware import (
    MIDDLEWARE_PATH,
    LifespanStateMiddleware,
    MissingLifespanState,
    request_state,
)
from django_lifespan_di.registry import NOT_RUNNING_CAUSES, current_runtime
from django_lifespan_di.thread import forget_process_lifespan, use_process_lifespan
from tests.project import journal

RESOURCES = ["cache", "database", "http_client", "reporter"]

engine_urls = override_settings(ROOT_URLCONF="tests.support.engine_urls")


@pytest.fixture
def warned_not_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget whether this process has already warned that no lifespan runs."""
    monkeypatch.setattr(registry, "_warned_not_running", False)


# -- with the lifespan running ----------------------------------------------------------------


async def test_the_async_chain_sees_the_lifespan_state(
    lifespan: dict[str, Any], lifespan_client: AsyncClient
) -> None:
    body = (await lifespan_client.get("/state/")).json()
    assert body["keys"] == RESOURCES
    assert body["client_id"] == id(lifespan["http_client"])


async def test_the_sync_chain_sees_the_lifespan_state(lifespan: dict[str, Any]) -> None:
    # The sync Client runs Django's sync middleware chain; in a worker thread, like a sync
    # view under an ASGI server.
    response = await sync_to_async(Client().get)("/sync-state/")
    assert response.json() == {"keys": RESOURCES, "cache": "cache", "pid": os.getpid()}


@engine_urls
async def test_request_state_is_a_shallow_copy_per_request(
    lifespan: dict[str, Any], lifespan_client: AsyncClient
) -> None:
    first = (await lifespan_client.get("/scratch/")).json()
    second = (await lifespan_client.get("/scratch/")).json()
    assert first["had_scratch"] is second["had_scratch"] is False
    expected_ids = {key: id(value) for key, value in lifespan.items()}
    assert first["ids"] == second["ids"] == expected_ids
    assert "scratch" not in lifespan


@engine_urls
async def test_a_missing_key_lists_the_keys_there_are(lifespan_client: AsyncClient) -> None:
    with pytest.raises(StateKeyError) as caught:
        await lifespan_client.get("/missing/")
    assert str(caught.value) == (
        "request.state has no 'no_such_key'; the lifespan state holds: 'cache', 'database', "
        "'http_client', 'reporter'. A Resource is stored under its attribute name in the "
        "container, a lifespan manager's keys under the names it yields."
    )
    assert isinstance(caught.value, KeyError)


async def test_get_gives_a_default_for_a_missing_key_and_keeps_the_guards(
    lifespan: dict[str, Any],
) -> None:
    state = request_state(RequestFactory().get("/"))[0]
    assert state.get("http_client") is lifespan["http_client"]
    assert state.get("no_such_key") is None
    assert state.get("no_such_key", "fallback") == "fallback"

    def on_another_loop() -> None:
        async def read() -> None:
            state.get("http_client")

        asyncio.run(read())

    with pytest.raises(EventLoopError, match=r"request.state\['http_client'\] cannot be used"):
        await asyncio.to_thread(on_another_loop)


async def slow_request_in_flight(client: AsyncClient, seconds: float) -> asyncio.Task[Any]:
    """A request to the slow view (it holds request.state), once the view runs."""
    request = asyncio.create_task(client.get(f"/slow/?seconds={seconds}"))
    while "slow request started" not in journal.EVENTS:  # noqa: ASYNC110  (a plain list)
        await asyncio.sleep(0.01)
    return request


async def test_shutdown_waits_for_the_requests_the_middleware_serves() -> None:
    async with lifespan():
        request = await slow_request_in_flight(AsyncClient(), 0.3)
    assert request.done()
    assert (await request).json()["closed"] is False
    used = journal.EVENTS.index("slow request used http_client closed=False")
    assert used < journal.EVENTS.index("close http_client"), journal.EVENTS


async def test_a_request_that_outlasts_the_shutdown_timeout_is_named() -> None:
    with (
        override_settings(LIFESPAN_DI={**settings.LIFESPAN_DI, "SHUTDOWN_TIMEOUT": 0.2}),
        pytest.raises(ShutdownError) as caught,
    ):
        async with lifespan():
            request = await slow_request_in_flight(AsyncClient(), 1.0)
    assert (await request).json()["closed"] is True  # closed under it, as the error says
    [(name, error)] = caught.value.failures
    assert name == "a request served with LifespanStateMiddleware"
    assert str(error) == (
        "the in-flight call a request served with LifespanStateMiddleware did not finish "
        "within LIFESPAN_DI['SHUTDOWN_TIMEOUT'] = 0.2 s; the resources were closed under it"
    )


# -- without a lifespan -----------------------------------------------------------------------


@engine_urls
async def test_without_a_lifespan_request_state_is_empty() -> None:
    assert (await AsyncClient().get("/scratch/")).json() == {"had_scratch": False, "ids": {}}


async def test_without_a_lifespan_a_lookup_says_why(
    warned_not_running: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = AsyncClient()
    for _ in range(2):
        with pytest.raises(LifespanNotRunning) as caught:
            await client.get("/state/")
        assert str(caught.value) == (
            f"request.state['http_client']: The lifespan is not running. {NOT_RUNNING_CAUSES}"
        )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "The lifespan did not run: no resource was started and request.state is empty, so "
        "every use of a resource raises LifespanNotRunning. Cause: The lifespan is not running. "
        + NOT_RUNNING_CAUSES
    ]


def test_a_wsgi_request_without_a_lifespan_names_wsgi(
    warned_not_running: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    for _ in range(2):
        with pytest.raises(LifespanNotRunning, match=r"^request\.state\['cache'\]: this request"):
            client.get("/sync-state/")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].endswith(f"Cause: {middleware_module.WSGI_REASON}")
    # Both kinds of test are told their fix: pytest's fixture and unittest's mixin.
    assert "`lifespan_thread` fixture" in warnings[0]
    assert "django_lifespan_di.testing.LifespanTestMixin" in warnings[0]


def test_without_a_lifespan_a_get_with_a_default_returns_it_and_warns_once(
    warned_not_running: None, caplog: pytest.LogCaptureFixture
) -> None:
    state = MissingLifespanState("the reason")
    assert state.get("http_client") is None
    assert state.get("http_client", "fallback") == "fallback"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].endswith("Cause: the reason")


@engine_urls
def test_without_a_lifespan_requests_that_use_no_resource_log_nothing(
    warned_not_running: None, caplog: pytest.LogCaptureFixture
) -> None:
    # A test suite's plain views, through both test clients, with the app installed: nothing
    # asked for the lifespan, so nothing is said about it.
    assert Client().get("/scratch/").json() == {"had_scratch": False, "ids": {}}
    assert async_to_sync(AsyncClient().get)("/scratch/").json()["ids"] == {}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


# -- the middleware itself --------------------------------------------------------------------


def test_the_middleware_is_natively_async_in_an_async_chain() -> None:
    async def async_get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    def sync_get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert iscoroutinefunction(LifespanStateMiddleware(async_get_response))
    assert not iscoroutinefunction(LifespanStateMiddleware(sync_get_response))
    assert LifespanStateMiddleware.sync_capable
    assert LifespanStateMiddleware.async_capable


# -- without the middleware -------------------------------------------------------------------


def reads_state_middleware(get_response: Any) -> Any:
    """A project middleware that reads ``request.state`` (must come after ours: W202)."""

    def middleware(request: HttpRequest) -> Any:
        request.state  # type: ignore[attr-defined]  # noqa: B018  (the read is the point)
        return get_response(request)

    return middleware


@override_settings(MIDDLEWARE=[])
def test_without_the_middleware_request_state_says_what_to_add() -> None:
    with pytest.raises(AttributeError) as raised:
        Client().get("/sync-state/")
    message = str(raised.value)
    assert message.startswith(f"request.state is not set: {MIDDLEWARE_PATH} is not in")
    assert f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE" in message


@override_settings(MIDDLEWARE=[])
async def test_without_the_middleware_an_async_view_gets_the_same_message() -> None:
    with pytest.raises(AttributeError, match=f"Add '{MIDDLEWARE_PATH}' to MIDDLEWARE"):
        await AsyncClient().get("/state/")


@override_settings(MIDDLEWARE=[f"{__name__}.reads_state_middleware", MIDDLEWARE_PATH])
def test_reading_request_state_before_the_middleware_ran_says_to_move_it() -> None:
    with pytest.raises(AttributeError) as raised:
        Client().get("/sync-state/")
    assert f"move {MIDDLEWARE_PATH!r} above that code" in str(raised.value)


def test_a_request_the_middleware_has_not_seen_has_no_state() -> None:
    request = HttpRequest()
    assert not hasattr(request, "state")  # as without this package: getattr defaults work
    assert getattr(request, "state", None) is None
    request.state = {"set": "by the middleware"}  # type: ignore[attr-defined]
    assert request.state == {"set": "by the middleware"}  # type: ignore[attr-defined]


def test_request_state_on_another_event_loop_says_so_like_inject() -> None:
    # What pytest-django's live_server does with the async `lifespan` fixture: the view runs on
    # a loop of its own (async_to_sync in the server's thread), not the lifespan's.
    async def lifespan_then_elsewhere() -> str:
        async with lifespan():
            state = request_state(RequestFactory().get("/"))[0]
            state_on_loop = state["http_client"]
            assert state_on_loop.name == "http_client"

            def elsewhere() -> str:
                async def read() -> str:
                    try:
                        state["http_client"]
                    except EventLoopError as exc:
                        return str(exc)
                    return "handed out"

                return asyncio.run(read())

            return await asyncio.to_thread(elsewhere)

    message = asyncio.run(lifespan_then_elsewhere())
    assert message.startswith("request.state['http_client'] cannot be used here. The lifespan")
    assert "run_in_lifespan_loop()" in message


# -- a streaming body is in flight until it ends -----------------------------------------------


def streaming_view(is_async: bool) -> Any:
    """A view whose body (sent after the view returned) uses the lifespan's client."""

    def view(request: HttpRequest) -> StreamingHttpResponse:
        client = request.state["http_client"]  # type: ignore[attr-defined]

        async def events() -> AsyncIterator[bytes]:
            for _ in range(3):
                await asyncio.sleep(0.05)
                yield f"closed={client.closed}\n".encode()

        def sync_events() -> Iterator[bytes]:
            for _ in range(3):
                time.sleep(0.05)
                yield f"closed={client.closed}\n".encode()

        return StreamingHttpResponse(events() if is_async else sync_events())

    return view


@pytest.mark.parametrize("is_async", [True, False])
async def test_shutdown_waits_for_a_streaming_body_to_end(is_async: bool) -> None:
    request = RequestFactory().get("/events/")
    middleware = LifespanStateMiddleware(sync_to_async(streaming_view(is_async)))
    async with lifespan():
        response = await middleware(request)  # type: ignore[misc]
        assert isinstance(response, StreamingHttpResponse)
        consumed = asyncio.ensure_future(read_body(response))
        await asyncio.sleep(0.01)  # the view returned; its body is being sent
    assert consumed.done()  # the lifespan closed after the body ended
    assert (await consumed) == b"closed=False\n" * 3


async def read_body(response: StreamingHttpResponse) -> bytes:
    if response.is_async:
        return b"".join([part async for part in response])
    return await sync_to_async(lambda: b"".join(response))()


@pytest.mark.django_db  # closing a response sends request_finished, which closes connections
async def test_a_streaming_body_closed_early_is_no_longer_in_flight() -> None:
    request = RequestFactory().get("/events/")
    middleware = LifespanStateMiddleware(sync_to_async(streaming_view(True)))
    async with lifespan():
        response = await middleware(request)  # type: ignore[misc]
        content: Any = aiter(response)
        await anext(content)
        await content.aclose()  # the client went away: the server stops reading the body
        assert current_runtime().in_flight() == ["the streaming body of StreamingHttpResponse"]
        await sync_to_async(response.close)()  # and closes the response
        assert current_runtime().in_flight() == []


def test_a_streaming_body_without_a_lifespan_is_left_as_it_is() -> None:
    response = StreamingHttpResponse(iter([b"a", b"b"]))
    middleware = LifespanStateMiddleware(lambda request: response)
    served = middleware(RequestFactory().get("/events/"))
    assert served is response
    assert b"".join(response) == b"ab"


def test_a_wsgi_threads_streaming_bodies_are_in_flight_on_either_path() -> None:
    # A WSGI request thread, routed to the process lifespan's loop: the first request finds the
    # run, the next takes the per-request path; each body is in flight until it is read.
    middleware = LifespanStateMiddleware(streaming_view(False))
    seen: dict[str, Any] = {}

    def serve() -> None:
        use_process_lifespan()
        first, second = (middleware(RequestFactory().get("/events/")) for _ in range(2))
        seen["first body"] = b"".join(first)  # type: ignore[arg-type]
        seen["in flight"] = current_runtime().in_flight()  # the second's body, not yet read
        seen["second body"] = b"".join(second)  # type: ignore[arg-type]
        seen["after"] = current_runtime().in_flight()

    thread = threading.Thread(target=serve)
    try:
        thread.start()
        thread.join()
    finally:
        forget_process_lifespan()
    assert seen["first body"] == seen["second body"] == b"closed=False\n" * 3
    assert seen["in flight"] == ["the streaming body of StreamingHttpResponse"]
    assert seen["after"] == []


# -- the per-request path: the process's only run ---------------------------------------------


def test_each_of_two_lifespans_gives_its_own_requests_its_own_state() -> None:
    """The per-request path serves the process's only run; a second run ends it, so each
    loop's requests get the state of the lifespan that loop runs."""

    async def state_of_a_request() -> Any:
        request = RequestFactory().get("/")
        middleware = LifespanStateMiddleware(sync_to_async(lambda request: HttpResponse()))
        await middleware(request)  # type: ignore[misc]
        return request.state["http_client"]  # type: ignore[attr-defined]

    def on(thread: LifespanThread) -> Any:
        return asyncio.run_coroutine_threadsafe(state_of_a_request(), thread.loop).result(5)

    with LifespanThread() as first:
        assert on(first) is first.state["http_client"]
        assert on(first) is first.state["http_client"]  # the per-request path
        with LifespanThread() as second:
            assert on(second) is second.state["http_client"]
            assert on(first) is first.state["http_client"]


async def test_on_the_per_request_path_the_state_is_copied_at_its_first_read() -> None:
    """A view that never reads ``request.state`` (an ``@inject`` view) pays no copy; the first
    read makes the request's own copy, which later reads and writes use."""

    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    middleware = LifespanStateMiddleware(view)
    async with lifespan() as state:
        await middleware(RequestFactory().get("/"))  # type: ignore[misc]  # finds the run
        request = RequestFactory().get("/")
        await middleware(request)  # type: ignore[misc]
        assert "state" not in vars(request)
        copy = request.state  # type: ignore[attr-defined]
        assert vars(request)["state"] is copy is request.state  # type: ignore[attr-defined]
        assert copy == state
        assert copy is not state
        assert copy["http_client"] is state["http_client"]
        copy["scratch"] = 1
        assert "scratch" not in state
    with pytest.raises(LifespanNotRunning, match="the lifespan is shut down"):
        copy["http_client"]  # the copy keeps the guards of the run it was made from


async def test_where_something_else_defines_http_request_state_every_request_gets_a_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``HttpRequest.state`` defined by another package is left alone (no state made at its
    first read): the middleware copies the state for every request, as without the per-request
    path."""

    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    monkeypatch.setattr(HttpRequest, "state", "another package's")
    middleware_module.explain_missing_state()
    try:
        assert HttpRequest.state == "another package's"  # type: ignore[attr-defined]
        middleware = LifespanStateMiddleware(view)
        async with lifespan() as state:
            requests = [RequestFactory().get("/") for _ in range(2)]
            for request in requests:
                await middleware(request)  # type: ignore[misc]
                assert vars(request)["state"] == state
            assert middleware_module._sole_runtime is None
    finally:
        monkeypatch.undo()
        middleware_module.explain_missing_state()
    assert middleware_module._state_made_on_read
