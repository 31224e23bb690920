"""``LifespanApplication`` driven over the ASGI protocol, as a server drives it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref import testing as asgiref_testing
from django.core.handlers.asgi import ASGIHandler

from django_lifespan_di import LifespanError, ShutdownError, StartupError
from django_lifespan_di.asgi import LifespanApplication, Message, Scope, get_asgi_application
from tests.project import journal
from tests.support.engine import journaled

# asgiref.testing has no type annotations, which mypy --strict refuses to call.
ApplicationCommunicator: Any = asgiref_testing.ApplicationCommunicator

RESOURCES = {"cache", "database", "http_client", "reporter"}
#: Bounds each wait for a message; startup and shutdown here take milliseconds.
RECEIVE_TIMEOUT = 10.0


def lifespan_scope(**extra: Any) -> Scope:
    return {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, **extra}


def http_scope(path: str, state: dict[str, Any]) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state),  # what servers do: a shallow copy per request
    }


async def start(communicator: Any) -> Message:
    await communicator.send_input({"type": "lifespan.startup"})
    message: Message = await communicator.receive_output(RECEIVE_TIMEOUT)
    return message


async def stop(communicator: Any) -> Message:
    await communicator.send_input({"type": "lifespan.shutdown"})
    message: Message = await communicator.receive_output(RECEIVE_TIMEOUT)
    return message


def test_get_asgi_application_returns_the_lifespan_application() -> None:
    application = get_asgi_application()
    assert isinstance(application, LifespanApplication)
    assert isinstance(application.django_app, ASGIHandler)


async def test_startup_completes_and_fills_the_scope_state() -> None:
    scope = lifespan_scope(state={})
    communicator = ApplicationCommunicator(get_asgi_application(), scope)

    assert await start(communicator) == {"type": "lifespan.startup.complete"}
    state = scope["state"]
    assert set(state) == RESOURCES
    assert state["http_client"].name == "http_client"
    assert not state["http_client"].closed

    assert await stop(communicator) == {"type": "lifespan.shutdown.complete"}
    await communicator.wait(RECEIVE_TIMEOUT)
    assert state["http_client"].closed
    assert sorted(journaled("close")) == sorted(RESOURCES)


async def test_a_scope_without_state_or_asgi_keys_is_served() -> None:
    communicator = ApplicationCommunicator(get_asgi_application(), {"type": "lifespan"})
    assert await start(communicator) == {"type": "lifespan.startup.complete"}
    assert await stop(communicator) == {"type": "lifespan.shutdown.complete"}
    await communicator.wait(RECEIVE_TIMEOUT)
    assert sorted(journaled("close")) == sorted(RESOURCES)


async def test_a_failed_startup_is_reported_with_its_culprit_and_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "reporter")
    communicator = ApplicationCommunicator(get_asgi_application(), lifespan_scope(state={}))
    await communicator.send_input({"type": "lifespan.startup"})

    # After sending the message, the application raises: the spec lets a server go on serving
    # when an application merely raises, so the message is what stops it.
    with pytest.raises(StartupError, match=r"^Container\.reporter failed to start"):
        await communicator.wait(RECEIVE_TIMEOUT)

    message = communicator.output_queue.get_nowait()
    assert message["type"] == "lifespan.startup.failed"
    assert message["message"].startswith("Traceback (most recent call last):")
    assert "ConnectionRefusedError: reporter cannot connect (test fault)" in message["message"]
    assert (
        message["message"]
        .rstrip()
        .endswith(
            "django_lifespan_di.exceptions.StartupError: Container.reporter failed to start: "
            "ConnectionRefusedError: reporter cannot connect (test fault)"
        )
    )
    assert communicator.output_queue.empty()


async def test_a_failed_startup_is_reported_only_once_what_started_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server that records what the journal held when each message arrived.
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "reporter")
    received: list[tuple[str, list[str]]] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        received.append((message["type"], list(journal.EVENTS)))

    with pytest.raises(StartupError):
        await get_asgi_application()(lifespan_scope(state={}), receive, send)

    ((message_type, events_then),) = received
    assert message_type == "lifespan.startup.failed"
    closed_then = {event.split(" ", 1)[1] for event in events_then if event.startswith("close")}
    assert closed_then == {"cache", "database", "http_client"}


async def test_a_failed_shutdown_is_reported_naming_the_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_STOP", "cache")
    communicator = ApplicationCommunicator(get_asgi_application(), lifespan_scope(state={}))
    assert await start(communicator) == {"type": "lifespan.startup.complete"}
    await communicator.send_input({"type": "lifespan.shutdown"})

    with pytest.raises(ShutdownError) as caught:
        await communicator.wait(RECEIVE_TIMEOUT)

    assert [name for name, _ in caught.value.failures] == ["Container.cache"]
    message = communicator.output_queue.get_nowait()
    assert message["type"] == "lifespan.shutdown.failed"
    assert (
        "Container.cache: RuntimeError: cache failed to close (test fault)" in (message["message"])
    )
    assert sorted(journaled("close")) == sorted(RESOURCES)


async def test_http_goes_to_django_and_sees_the_lifespan_objects() -> None:
    application = get_asgi_application()
    lifespan_state: dict[str, Any] = {}
    lifespan = ApplicationCommunicator(application, lifespan_scope(state=lifespan_state))
    assert await start(lifespan) == {"type": "lifespan.startup.complete"}

    request = ApplicationCommunicator(application, http_scope("/state/", lifespan_state))
    await request.send_input({"type": "http.request", "body": b"", "more_body": False})
    response_start = await request.receive_output(RECEIVE_TIMEOUT)
    response_body = await request.receive_output(RECEIVE_TIMEOUT)
    await request.wait(RECEIVE_TIMEOUT)

    assert response_start["type"] == "http.response.start"
    assert response_start["status"] == 200
    headers = {name.lower(): value for name, value in response_start["headers"]}
    assert headers[b"content-type"] == b"application/json"
    body = json.loads(response_body["body"])
    assert body["client_id"] == id(lifespan_state["http_client"])
    assert body["keys"] == sorted(RESOURCES)

    assert await stop(lifespan) == {"type": "lifespan.shutdown.complete"}
    await lifespan.wait(RECEIVE_TIMEOUT)


async def test_a_websocket_gets_djangos_own_behaviour() -> None:
    scope: Scope = {"type": "websocket", "path": "/ws/", "headers": [], "query_string": b""}

    async def error_of(application: Any) -> BaseException:
        communicator = ApplicationCommunicator(application, dict(scope))
        await communicator.send_input({"type": "websocket.connect"})
        with pytest.raises(Exception) as caught:  # noqa: PT011 (compared below)
            await communicator.wait(RECEIVE_TIMEOUT)
        return caught.value

    django_error = await error_of(ASGIHandler())
    our_error = await error_of(get_asgi_application())
    assert type(our_error) is type(django_error) is ValueError
    assert str(our_error) == str(django_error)
    assert "not websocket" in str(our_error)


# -- messages out of order -------------------------------------------------------------------


async def test_a_shutdown_sent_first_fails_the_startup_and_opens_nothing() -> None:
    communicator = ApplicationCommunicator(get_asgi_application(), lifespan_scope())
    message = await stop(communicator)
    assert message["type"] == "lifespan.startup.failed"
    assert (
        "The server sent 'lifespan.shutdown' where the ASGI lifespan protocol has "
        "'lifespan.startup'; nothing was left open." in message["message"]
    )
    assert journal.EVENTS == []
    with pytest.raises(LifespanError):
        await communicator.wait(RECEIVE_TIMEOUT)


async def test_a_second_startup_fails_the_shutdown_and_closes_everything() -> None:
    communicator = ApplicationCommunicator(get_asgi_application(), lifespan_scope())
    assert await start(communicator) == {"type": "lifespan.startup.complete"}
    message = await start(communicator)
    assert message["type"] == "lifespan.shutdown.failed"
    assert (
        "The server sent 'lifespan.startup' where the ASGI lifespan protocol has "
        in (message["message"])
    )
    assert set(journaled("close")) == RESOURCES
    with pytest.raises(LifespanError):
        await communicator.wait(RECEIVE_TIMEOUT)
