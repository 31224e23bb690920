"""The forecast view, tested with the pytest fixtures of django-lifespan-di."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from django.test import AsyncClient

from django_lifespan_di.pytest_plugin import Override
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import UnreachableWeatherClient, offline_weather_client


# --8<-- [start:before-startup]
@pytest.fixture
def offline_weather(override: Override) -> None:
    # Requested before `lifespan`, so the lifespan starts the offline client instead.
    override(Container.weather_client, offline_weather_client())


async def test_forecast(offline_weather: None, lifespan_client: AsyncClient) -> None:
    response = await lifespan_client.get("/forecast/prague/")
    assert response.status_code == 200
    assert response.json() == {"city": "prague", "temperature": 21}


async def test_upstream_outage_is_a_502(
    offline_weather: None, lifespan_client: AsyncClient
) -> None:
    response = await lifespan_client.get("/forecast/atlantis/")
    assert response.status_code == 502


# --8<-- [end:before-startup]


# --8<-- [start:state]
async def test_one_open_client_for_every_request(
    offline_weather: None, lifespan: dict[str, Any]
) -> None:
    client = lifespan["weather_client"]
    assert isinstance(client, httpx.AsyncClient)
    assert not client.is_closed


# --8<-- [end:state]


# --8<-- [start:while-running]
async def test_connection_error_is_a_502(lifespan_client: AsyncClient, override: Override) -> None:
    # The lifespan started the real client (creating it opens no connection); from here
    # on, every request gets the fake instead.
    override(Container.weather_client, UnreachableWeatherClient())
    response = await lifespan_client.get("/forecast/prague/")
    assert response.status_code == 502


# --8<-- [end:while-running]
