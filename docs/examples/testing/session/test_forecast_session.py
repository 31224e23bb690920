"""The forecast view, tested with one lifespan for the whole session."""

from __future__ import annotations

from typing import Any

from django.test import AsyncClient

from django_lifespan_di.pytest_plugin import Override
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import UnreachableWeatherClient


async def test_forecast(lifespan_session: dict[str, Any]) -> None:
    response = await AsyncClient().get("/forecast/prague/")
    assert response.status_code == 200
    assert response.json() == {"city": "prague", "temperature": 21}


async def test_connection_error_is_a_502(
    lifespan_session: dict[str, Any], override: Override
) -> None:
    # Overrides the running session's container until this test ends.
    override(Container.weather_client, UnreachableWeatherClient())
    response = await AsyncClient().get("/forecast/prague/")
    assert response.status_code == 502


async def test_the_next_test_has_the_offline_client_again(
    lifespan_session: dict[str, Any],
) -> None:
    response = await AsyncClient().get("/forecast/prague/")
    assert response.status_code == 200
