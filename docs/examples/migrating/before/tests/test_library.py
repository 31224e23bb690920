"""The before project's tests, as django-asgi-lifespan's own: the test drives the lifespan."""

# --8<-- [start:imports]
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import pytest
import pytest_asyncio
from asgiref.testing import ApplicationCommunicator
from django_asgi_lifespan.handler import LifespanASGIHandler
from django_asgi_lifespan.testing import LifespanAwareAsyncClient

# --8<-- [end:imports]


# --8<-- [start:fixtures]
@pytest.fixture
def scope_state() -> dict[str, Any]:
    return {}


@pytest.fixture
def async_client(scope_state: dict[str, Any]) -> LifespanAwareAsyncClient:
    return LifespanAwareAsyncClient(state=scope_state)


@pytest_asyncio.fixture
async def communicator(
    application: LifespanASGIHandler, scope_state: dict[str, Any]
) -> ApplicationCommunicator:
    return ApplicationCommunicator(
        application=application, scope={"type": "lifespan", "state": scope_state}
    )


# --8<-- [end:fixtures]


# --8<-- [start:tests]
@pytest.mark.asyncio
async def test_integration_with_scope_state(
    communicator: ApplicationCommunicator, async_client: LifespanAwareAsyncClient
) -> None:
    await communicator.send_input({"type": "lifespan.startup"})
    assert await communicator.receive_output(timeout=3) == {"type": "lifespan.startup.complete"}

    response = await async_client.get("/client-from-scope-state")
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().startswith("OK state")

    await communicator.send_input({"type": "lifespan.shutdown"})
    assert await communicator.receive_output(timeout=3) == {"type": "lifespan.shutdown.complete"}

    response = await async_client.get("/client-from-scope-state")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "HTTPX Client from state is closed" in response.content.decode()


# --8<-- [end:tests]


@pytest.mark.asyncio
async def test_integration_with_app_config(
    communicator: ApplicationCommunicator, async_client: LifespanAwareAsyncClient
) -> None:
    await communicator.send_input({"type": "lifespan.startup"})
    assert await communicator.receive_output(timeout=3) == {"type": "lifespan.startup.complete"}

    response = await async_client.get("/client-from-app-config")
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().startswith("OK app config")

    await communicator.send_input({"type": "lifespan.shutdown"})
    assert await communicator.receive_output(timeout=3) == {"type": "lifespan.shutdown.complete"}

    response = await async_client.get("/client-from-app-config")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "HTTPX Client from app config is closed" in response.content.decode()


@pytest.mark.asyncio
async def test_the_manager_registered_twice_is_entered_twice(
    communicator: ApplicationCommunicator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await communicator.send_input({"type": "lifespan.startup"})
        assert await communicator.receive_output(timeout=3) == {"type": "lifespan.startup.complete"}
        await communicator.send_input({"type": "lifespan.shutdown"})
        assert await communicator.receive_output(timeout=3) == {
            "type": "lifespan.shutdown.complete"
        }
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("Lifespan: Initializing HTTPX client.") == 2
    assert messages.count("Lifespan: Closed HTTPX client.") == 2
    assert "Library: starting." in messages
    assert "Library: stopped." in messages
