"""The examples of docs/guides/containers.md, started and stopped as the guide says."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from dependency_injector import containers, providers
from django.conf import settings
from django.test import override_settings

from django_lifespan_di import StartupError, lifespan, resolve
from django_lifespan_di.testing import override_providers
from docs.examples.containers import resource_styles
from docs.examples.containers import settings as example_settings
from docs.examples.containers.containers import Container


class FakeWeatherAPI:
    """The weather API, in process: records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url}")
        if request.method == "POST" and request.url.path == "/sessions":
            assert json.loads(request.content) == {"api_key": "dev-key"}
            return httpx.Response(201, json={"token": "t0k3n"})
        if request.method == "GET" and request.url.path.startswith("/forecast/"):
            assert request.headers["authorization"] == "Bearer t0k3n"
            return httpx.Response(200, json={"city": request.url.path.rsplit("/", 1)[1]})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(404)


@pytest.fixture
def weather_app() -> Iterator[None]:
    """The example's settings, with its AppConfig installed (so its ready() runs)."""
    installed = [*settings.INSTALLED_APPS, "docs.examples.containers.apps.WeatherConfig"]
    with (
        override_settings(
            LIFESPAN_DI=example_settings.LIFESPAN_DI, WEATHER=example_settings.WEATHER
        ),
        override_settings(INSTALLED_APPS=installed),  # after WEATHER: it runs ready()
    ):
        yield


@pytest.fixture
def weather_api() -> Iterator[FakeWeatherAPI]:
    """The real client class against the fake API, configured from Container.config."""
    api = FakeWeatherAPI()
    replacement = providers.Resource(
        httpx.AsyncClient,
        base_url=Container.config.weather.base_url,
        # The live container deep-copies plain arguments; providers.Object keeps this one.
        transport=providers.Object(httpx.MockTransport(api)),
    )
    with override_providers(Container.http_client, replacement):
        yield api


@pytest.mark.usefixtures("weather_app")
async def test_the_session_opens_after_the_client_and_closes_before_it(
    weather_api: FakeWeatherAPI,
) -> None:
    async with lifespan() as state:
        client: httpx.AsyncClient = state["http_client"]
        assert await state["session"].forecast("prague") == {"city": "prague"}
        assert state["session"].client is client
    assert weather_api.requests == [
        "POST https://api.weather.example/sessions",
        "GET https://api.weather.example/forecast/prague",
        "DELETE https://api.weather.example/sessions/t0k3n",  # sent through the open client
    ]
    assert client.is_closed


@pytest.mark.usefixtures("weather_app")
async def test_configuration_loaded_on_the_class_reaches_the_live_container() -> None:
    assert Container.config.weather.timeout() == 5
    async with override_providers(Container.session, "no session"), lifespan() as state:
        assert state["http_client"].base_url == "https://api.weather.example"
        assert state["http_client"].timeout == httpx.Timeout(5.0)


@pytest.mark.usefixtures("weather_app")
async def test_a_failed_startup_names_the_resource_and_closes_what_started(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refused = httpx.MockTransport(lambda request: httpx.Response(401))
    replacement = providers.Resource(
        httpx.AsyncClient, base_url="https://api.weather.example", transport=refused
    )
    with (
        override_providers(Container.http_client, replacement),
        caplog.at_level(logging.INFO, "django_lifespan_di"),
        pytest.raises(StartupError) as raised,
    ):
        async with lifespan():
            pass
    assert str(raised.value).startswith(
        "Container.session failed to start: HTTPStatusError: Client error '401 Unauthorized'"
    )
    assert raised.value.culprit == "Container.session"
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("Started Container.http_client in ")
    assert messages[1].startswith("Lifespan startup failed: Container.session failed to start")
    assert messages[2].startswith("Stopped Container.http_client in ")


@override_settings(
    LIFESPAN_DI={"CONTAINERS": ["docs.examples.containers.resource_styles.Container"]}
)
async def test_every_resource_style_starts_and_stops(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        async with lifespan() as state:
            # A nested container's resources start too, but only top-level ones are in the state.
            assert sorted(state) == ["audit", "executor", "logging"]
            database = resolve(resource_styles.Container.storage.database)
            async with database.execute("select 6 * 7") as cursor:
                assert await cursor.fetchone() == (42,)
            assert state["executor"].submit(sum, [1, 2]).result() == 3
            state["audit"].put_nowait("report 1 exported")
            assert state["logging"] is None
            assert logging.getLogger("reports").level == logging.INFO
            executor = state["executor"]
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("Started Container.storage.database in ") for m in messages)
    assert "audit: report 1 exported" in messages  # written before the queue was stopped
    with pytest.raises(ValueError, match="no active connection"):
        await database.execute("select 1")
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(sum, [1, 2])


class ReportsContainer(containers.DeclarativeContainer):
    """A second container that also calls its client ``http_client``."""

    http_client = providers.Resource(httpx.AsyncClient)


@override_settings(
    LIFESPAN_DI={
        "CONTAINERS": [
            "docs.examples.containers.containers.Container",
            "tests.test_docs_containers.ReportsContainer",
        ]
    }
)
async def test_two_resources_with_one_state_key_are_refused_before_anything_starts() -> None:
    with pytest.raises(StartupError) as raised:
        async with lifespan():
            pass
    assert str(raised.value) == (
        "Container.http_client and ReportsContainer.http_client both put 'http_client' into "
        "the lifespan state. Rename one of them: a key is never silently overwritten."
    )


@pytest.mark.usefixtures("weather_app")
async def test_the_whole_configuration_can_be_replaced_in_a_test() -> None:
    other = {"weather": {"base_url": "https://staging.weather.example", "timeout": 1}}
    async with (
        override_providers(Container.config, other),
        override_providers(Container.session, "no session"),
        lifespan() as state,
    ):
        assert state["http_client"].base_url == "https://staging.weather.example"


@pytest.mark.usefixtures("weather_app")
async def test_a_missing_option_of_a_strict_configuration_fails_the_startup() -> None:
    with (
        # A Provider replaces the whole configuration (a mapping would merge onto it).
        override_providers(Container.config, providers.Object({"weather": {"timeout": 1}})),
        pytest.raises(StartupError) as raised,
    ):
        async with lifespan():
            pass
    assert str(raised.value) == (
        "Container.http_client failed to start: Error: "
        'Undefined configuration option "config.weather.base_url"'
    )
