"""The examples of docs/guides/outside-views.md: services, signal receivers, request.state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from dependency_injector import containers, providers
from django.http import HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from django_lifespan_di import (
    ConfigurationError,
    LifespanNotRunning,
    StateKeyError,
    get_container,
    resolve,
    run_in_lifespan_loop,
)
from docs.examples.injection.containers import Container
from docs.examples.outside_views.services import current_price, order_placed
from tests.support.fakes import lifespan_against

pytestmark = pytest.mark.usefixtures("example_settings")


@pytest.fixture
def example_settings() -> Iterator[None]:
    with override_settings(
        LIFESPAN_DI={"CONTAINERS": ["docs.examples.injection.containers.Container"]},
        ROOT_URLCONF="docs.examples.outside_views.urls",
    ):
        yield


class FakePricingAPI:
    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/warehouse/orders":
            self.orders.append(json.loads(request.content))
            return httpx.Response(201)
        return httpx.Response(200, json={"price": 9.5})


@pytest.fixture
async def pricing_api() -> AsyncIterator[FakePricingAPI]:
    api = FakePricingAPI()
    async with lifespan_against(Container.http_client, api, "https://pricing.example"):
        yield api


async def test_a_service_uses_the_live_client(pricing_api: FakePricingAPI) -> None:
    assert await current_price("tea") == 9.5
    response = await AsyncClient().get("/prices/tea/")
    assert response.json() == {"sku": "tea", "price": 9.5}


async def test_a_receiver_in_a_sync_view_runs_the_request_on_the_lifespan_loop(
    pricing_api: FakePricingAPI,
) -> None:
    response = await AsyncClient().post("/orders/tea/", {"quantity": "3"})
    assert response.status_code == 201
    assert pricing_api.orders == [{"sku": "tea", "quantity": 3}]


async def test_sending_the_signal_on_the_loop_itself_is_refused(
    pricing_api: FakePricingAPI,
) -> None:
    with pytest.raises(RuntimeError, match="runs on that loop itself and would block it"):
        order_placed.send(sender=None, sku="tea", quantity=1)
    await sync_to_async(order_placed.send)(sender=None, sku="tea", quantity=1)
    assert pricing_api.orders == [{"sku": "tea", "quantity": 1}]


async def test_request_state_holds_the_same_client(pricing_api: FakePricingAPI) -> None:
    response = await AsyncClient().get("/health/pricing/")
    assert response.json() == {"base_url": "https://pricing.example", "open": True}


async def test_get_container_gives_the_live_container(pricing_api: FakePricingAPI) -> None:
    container = get_container(Container)
    client = resolve(Container.http_client)
    assert container.http_client() is client  # the live provider answers with the object
    assert container.config() == {"currency": "EUR"}


async def test_a_missing_state_key_lists_the_keys(pricing_api: FakePricingAPI) -> None:
    client = AsyncClient(raise_request_exception=True)
    with override_settings(ROOT_URLCONF=__name__), pytest.raises(StateKeyError) as raised:
        await client.get("/typo/")
    assert str(raised.value).startswith(
        "request.state has no 'http_clinet'; the lifespan state holds: 'http_client'."
    )


async def typo_view(request: Any) -> HttpResponse:
    return HttpResponse(request.state["http_clinet"])


urlpatterns = [path("typo/", typo_view)]


class Unconfigured(containers.DeclarativeContainer):
    http_client = providers.Resource(httpx.AsyncClient)


async def test_a_container_that_is_not_configured_is_named(pricing_api: FakePricingAPI) -> None:
    with pytest.raises(ConfigurationError) as raised:
        get_container(Unconfigured)
    assert str(raised.value) == (
        "tests.test_docs_outside_views.Unconfigured is not one of the containers the lifespan "
        'runs (configured: Container). Add its dotted path to LIFESPAN_DI["CONTAINERS"].'
    )


def test_without_a_lifespan_every_way_in_says_so() -> None:
    for attempt in (
        lambda: get_container(Container),
        lambda: resolve(Container.http_client),
        lambda: run_in_lifespan_loop(current_price, "tea"),
    ):
        with pytest.raises(LifespanNotRunning, match=r"^The lifespan is not running\. The usual"):
            attempt()
    with pytest.raises(LifespanNotRunning) as raised:
        Client(raise_request_exception=True).get("/health/pricing/")
    assert str(raised.value).startswith(
        "request.state['http_client']: this request came through WSGI (manage.py runserver, "
        "a WSGI server, or Django's sync test Client) and no lifespan runs in this process."
    )
