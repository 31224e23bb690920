"""The forecast view, tested with unittest / Django's test cases."""

from __future__ import annotations

from contextlib import ExitStack

from django.test import SimpleTestCase

from django_lifespan_di.testing import LifespanTestMixin, override_providers
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import offline_weather_client


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
