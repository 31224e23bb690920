"""The forecast page through pytest-django's live_server, with the lifespan in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pytest_django.live_server_helper import LiveServer

from django_lifespan_di import LifespanThread
from django_lifespan_di.testing import override_providers
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import offline_weather_client


# --8<-- [start:live-server]
@pytest.fixture
def offline_weather() -> Iterator[None]:
    # Requested before `lifespan_thread`: the lifespan starts the offline client instead.
    with override_providers(Container.weather_client, offline_weather_client()):
        yield


@pytest.mark.django_db(transaction=True)  # live_server needs it
def test_forecast_page(
    offline_weather: None, lifespan_thread: LifespanThread, live_server: LiveServer
) -> None:
    response = httpx.get(f"{live_server.url}/forecast/prague/")
    assert response.status_code == 200
    assert response.json() == {"city": "prague", "temperature": 21}


# --8<-- [end:live-server]
