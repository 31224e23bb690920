"""The "after" examples of docs/migrating.md: each step of the migration keeps the views working."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from dependency_injector import providers
from django.test import AsyncClient, override_settings

from django_lifespan_di import StartupError, lifespan
from django_lifespan_di.managers import unregister_lifespan_manager
from django_lifespan_di.testing import override_providers
from docs.examples.migrating import after_apps
from docs.examples.migrating.containers import Container
from docs.examples.migrating.context import httpx_lifespan_manager

CONTAINER = "docs.examples.migrating.containers.Container"


def weather_api(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"temperature": 21})


@pytest.fixture
def registered_manager() -> Iterator[None]:
    """Step 1: the app's ready() registers the django-asgi-lifespan manager with this package."""
    after_apps.WeatherConfig("docs.examples.migrating", after_apps).ready()
    yield
    unregister_lifespan_manager(httpx_lifespan_manager)


@pytest.fixture
def offline_client() -> Iterator[None]:
    """Steps 3 and 4: the provider, replaced by an in-process weather service."""
    offline = providers.Resource(
        httpx.AsyncClient,
        base_url="https://weather.test",
        transport=httpx.MockTransport(weather_api),
    )
    with (
        override_settings(LIFESPAN_DI={"CONTAINERS": [CONTAINER]}),
        override_providers(Container.weather_client, offline),
    ):
        yield


@override_settings(LIFESPAN_DI={"CONTAINERS": []})
async def test_the_registered_manager_runs_in_the_lifespan(registered_manager: None) -> None:
    async with lifespan() as state:
        client = state["weather_client"]
        assert isinstance(client, httpx.AsyncClient)
        assert not client.is_closed
    assert client.is_closed


@override_settings(ROOT_URLCONF="docs.examples.migrating.urls")
@pytest.mark.parametrize("prefix", ["state", "injected"])
async def test_views_get_the_provider_s_client(offline_client: None, prefix: str) -> None:
    async with lifespan():
        response = await AsyncClient().get(f"/{prefix}/forecast/prague/")
    assert response.json() == {"city": "prague", "temperature": 21}


async def test_keeping_the_manager_next_to_the_provider_is_refused(
    registered_manager: None, offline_client: None
) -> None:
    with pytest.raises(StartupError, match="both put 'weather_client' into the lifespan state"):
        async with lifespan():
            pass
