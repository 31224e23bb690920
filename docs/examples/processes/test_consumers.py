"""The consumers, tested with Channels' WebsocketCommunicator inside the `lifespan` fixture."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from django_lifespan_di.pytest_plugin import Override
from django_lifespan_di.testing import with_lifespan_state
from docs.examples.processes.asgi import application
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import offline_weather_client


@pytest.fixture
def offline_weather(override: Override) -> None:
    override(Container.weather_client, offline_weather_client())


# --8<-- [start:communicator]
async def test_forecast_over_a_websocket(offline_weather: None, lifespan: object) -> None:
    # @inject gives the consumer the lifespan's client: the communicator needs nothing more.
    communicator = WebsocketCommunicator(application, "/ws/forecast/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"city": "prague"})
    assert await communicator.receive_json_from() == {"city": "prague", "temperature": 21}
    await communicator.disconnect()


async def test_forecast_from_the_scope_state(offline_weather: None, lifespan: object) -> None:
    # The communicator is no server: with_lifespan_state puts the state into the scope.
    communicator = WebsocketCommunicator(with_lifespan_state(application), "/ws/state-forecast/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"city": "oslo"})
    assert await communicator.receive_json_from() == {"city": "oslo", "temperature": 21}
    await communicator.disconnect()


# --8<-- [end:communicator]
