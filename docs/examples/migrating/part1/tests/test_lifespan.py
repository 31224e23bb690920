"""Tests that run the lifespan themselves: over the ASGI protocol, and after shutdown."""

# --8<-- [start:imports]
from __future__ import annotations

import logging
from http import HTTPStatus

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import AsyncClient

from django_lifespan_di import LifespanNotRunning, lifespan
from docs.examples.migrating.part1.asgi import application

# --8<-- [end:imports]


# --8<-- [start:communicator]
@pytest.mark.asyncio
async def test_the_application_answers_the_lifespan_protocol() -> None:
    communicator = ApplicationCommunicator(application, {"type": "lifespan", "state": {}})
    await communicator.send_input({"type": "lifespan.startup"})
    assert await communicator.receive_output(timeout=3) == {"type": "lifespan.startup.complete"}

    # The plain AsyncClient: the lifespan runs in this test's event loop, no state to pass.
    response = await AsyncClient().get("/client-from-scope-state")
    assert response.status_code == HTTPStatus.OK

    await communicator.send_input({"type": "lifespan.shutdown"})
    assert await communicator.receive_output(timeout=3) == {"type": "lifespan.shutdown.complete"}


# --8<-- [end:communicator]


# --8<-- [start:after-shutdown]
@pytest.mark.asyncio
async def test_after_shutdown() -> None:
    async with lifespan() as state:
        client = state["httpx_client_from_user"]
        response = await AsyncClient().get("/client-from-scope-state")
        assert response.status_code == HTTPStatus.OK
    assert client.is_closed

    # request.state is empty once the lifespan is over: the lookup raises LifespanNotRunning,
    # which the test client re-raises, and a server answers with a 500.
    with pytest.raises(LifespanNotRunning):
        await AsyncClient().get("/client-from-scope-state")
    response = await AsyncClient(raise_request_exception=False).get("/client-from-scope-state")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR

    # The AppConfig still holds its client, closed, as it did with django-asgi-lifespan.
    response = await AsyncClient().get("/client-from-app-config")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "HTTPX Client from app config is closed" in response.content.decode()


# --8<-- [end:after-shutdown]


@pytest.mark.asyncio
async def test_the_manager_registered_twice_is_entered_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        async with lifespan():
            pass
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("Lifespan: Initializing HTTPX client.") == 1
    assert messages.count("Lifespan: Closed HTTPX client.") == 1
    assert "Library: starting." in messages
    assert "Library: stopped." in messages
