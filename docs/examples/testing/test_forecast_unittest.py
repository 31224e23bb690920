"""The forecast view, tested with unittest / Django's test cases (``manage.py test``)."""

from __future__ import annotations

from contextlib import ExitStack

from django.test import SimpleTestCase

from django_lifespan_di.testing import LifespanTestMixin, override_providers
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import UnreachableWeatherClient, offline_weather_client


class ForecastTests(LifespanTestMixin, SimpleTestCase):
    def setUp(self) -> None:
        # setUp runs before the lifespan starts: the lifespan opens the offline client.
        overrides = ExitStack()
        self.addCleanup(overrides.close)
        overrides.enter_context(
            override_providers(Container.weather_client, offline_weather_client())
        )

    async def test_forecast(self) -> None:
        response = await self.async_client.get("/forecast/prague/")
        assert response.json() == {"city": "prague", "temperature": 21}

    async def test_the_lifespan_state(self) -> None:
        assert not self.lifespan_state["weather_client"].is_closed

    def test_forecast_page(self) -> None:
        # A sync test: the sync Client, the async view served on the lifespan's loop.
        response = self.client.get("/forecast/prague/")
        assert response.json() == {"city": "prague", "temperature": 21}

    def test_upstream_outage(self) -> None:
        # An override while the lifespan runs reaches the next request.
        with override_providers(Container.weather_client, UnreachableWeatherClient()):
            response = self.client.get("/forecast/prague/")
        assert response.status_code == 502
        assert self.client.get("/forecast/prague/").status_code == 200
