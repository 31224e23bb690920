"""Channels' ``WebsocketCommunicator`` inside the ``lifespan`` fixture, and ``with_lifespan_state``.

The communicator calls the application directly: no server, so no lifespan of its own and no
``scope["state"]``. Inside the fixture, consumers with ``@inject`` get the live objects as they
are; consumers that read ``self.scope["state"]`` need the state put into the scope, which
``with_lifespan_state`` does, as ASGI servers do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from django_lifespan_di import LifespanNotRunning
from django_lifespan_di.testing import with_lifespan_state
from tests.project.channels_asgi import application

# Channels' consumers close old database connections when a connection opens (and pytest-django
# refuses that outside a database test once an earlier test has used the database).
pytestmark = pytest.mark.django_db


async def exchange(communicator: WebsocketCommunicator, text: str) -> dict[str, Any]:
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=text)
    reply: dict[str, Any] = json.loads(await communicator.receive_from())
    await communicator.disconnect()
    return reply


async def test_a_consumer_reading_scope_state_gets_the_live_objects(
    lifespan: dict[str, Any],
) -> None:
    communicator = WebsocketCommunicator(with_lifespan_state(application), "/ws/state/")
    reply = await exchange(communicator, "?")
    assert reply["keys"] == sorted(lifespan)
    assert reply["client"]["serial"] == lifespan["http_client"].serial


async def test_each_connection_gets_its_own_copy_of_the_state(lifespan: dict[str, Any]) -> None:
    scopes: list[dict[str, Any]] = []

    async def keep_scope(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope)
        scope["state"]["added by a consumer"] = True
        await receive()
        await send({"type": "websocket.accept"})

    for _ in range(2):
        communicator = WebsocketCommunicator(with_lifespan_state(keep_scope), "/")
        assert (await communicator.connect())[0]
        await communicator.disconnect()
    first, second = (scope["state"] for scope in scopes)
    assert first is not second
    assert first["http_client"] is second["http_client"] is lifespan["http_client"]
    assert "added by a consumer" not in lifespan


async def test_an_injected_consumer_needs_no_wrapper(lifespan: dict[str, Any]) -> None:
    communicator = WebsocketCommunicator(application, "/ws/injected/")
    reply = await exchange(communicator, "hello")
    assert reply["echo"] == "hello"
    assert reply["client"]["serial"] == lifespan["http_client"].serial
    assert reply["cache"]["serial"] == lifespan["cache"].serial


async def test_without_it_the_communicator_gives_no_state(lifespan: dict[str, Any]) -> None:
    communicator = WebsocketCommunicator(application, "/ws/state/")
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="?")
    with pytest.raises(KeyError, match="state"):
        await communicator.receive_from()


async def test_without_a_lifespan_it_says_so() -> None:
    communicator = WebsocketCommunicator(with_lifespan_state(application), "/ws/state/")
    with pytest.raises(LifespanNotRunning, match="The lifespan is not running"):
        await communicator.connect()


async def test_a_scope_that_has_a_state_and_the_lifespan_scope_are_left_alone() -> None:
    # No lifespan needed: a real server's state is used as it is, and the lifespan protocol
    # passes through to the application.
    seen: list[dict[str, Any]] = []

    async def record(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    async def nothing(*args: Any) -> Any:
        return None

    wrapped = with_lifespan_state(record)
    server_state = {"from": "a real server"}
    await wrapped({"type": "websocket", "state": server_state}, nothing, nothing)
    await wrapped({"type": "lifespan"}, nothing, nothing)
    assert seen[0]["state"] is server_state
    assert "state" not in seen[1]
