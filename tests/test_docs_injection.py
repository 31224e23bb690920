"""The examples of docs/guides/injection.md, served by Django's test client."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest
from django.core.checks import run_checks
from django.http import StreamingHttpResponse
from django.test import AsyncClient, AsyncRequestFactory, Client, override_settings

from django_lifespan_di import LifespanNotRunning
from docs.examples.injection import views
from docs.examples.injection.containers import Container
from tests.support.fakes import lifespan_against

EXAMPLE_SETTINGS = override_settings(
    LIFESPAN_DI={"CONTAINERS": ["docs.examples.injection.containers.Container"]},
    ROOT_URLCONF="docs.examples.injection.urls",
)
pytestmark = pytest.mark.usefixtures("example_settings")


@pytest.fixture
def example_settings() -> Iterator[None]:
    with EXAMPLE_SETTINGS:
        yield


class FakePricingAPI:
    """The pricing API, in process: answers prices and stock, records events."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.events: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url}")
        if request.url.path == "/events":
            self.events.append(json.loads(request.content))
            return httpx.Response(202)
        kind, sku = request.url.path.strip("/").split("/")
        currency = request.url.params.get("currency", "USD")
        return httpx.Response(200, json={"sku": sku, kind: 9.5, "currency": currency})


@pytest.fixture
async def pricing_api() -> AsyncIterator[FakePricingAPI]:
    """The lifespan, running with the real client class against the fake API."""
    api = FakePricingAPI()
    async with lifespan_against(Container.http_client, api, "https://pricing.example"):
        yield api


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/prices/tea/", {"sku": "tea", "prices": 9.5, "currency": "EUR"}),
        ("/stock/tea/", {"sku": "tea", "stock": 9.5, "currency": "USD"}),
        ("/legacy/prices/tea/", {"sku": "tea", "prices": 9.5, "currency": "USD"}),
        ("/drf/prices/tea/", {"sku": "tea", "prices": 9.5, "currency": "USD"}),
        ("/api/prices/tea", {"sku": "tea", "prices": 9.5, "currency": "USD"}),
    ],
)
async def test_every_view_kind_calls_the_api_through_the_shared_client(
    pricing_api: FakePricingAPI, url: str, expected: dict[str, Any]
) -> None:
    response = await AsyncClient().get(url)
    assert response.status_code == 200, response.content
    assert response.json() == expected


async def test_the_outbox_is_sent_when_the_view_returns(pricing_api: FakePricingAPI) -> None:
    client = AsyncClient()
    first, second = await asyncio.gather(
        client.post("/orders/tea/", {"quantity": "2"}),
        client.post("/orders/cake/", {"quantity": "1"}),
    )
    assert (first.status_code, second.status_code) == (201, 201)
    # One outbox per request: two batches of one event each.
    assert sorted(pricing_api.events, key=str) == [
        [{"type": "order_placed", "sku": "cake", "quantity": 1}],
        [{"type": "order_placed", "sku": "tea", "quantity": 2}],
    ]


async def test_the_outbox_is_dropped_when_the_view_raises(pricing_api: FakePricingAPI) -> None:
    with pytest.raises(ValueError, match="invalid literal for int"):
        await AsyncClient().post("/orders/tea/", {"quantity": "two"})
    assert pricing_api.events == []


async def streamed_body(url: str, query: dict[str, list[str]]) -> AsyncGenerator[bytes, None]:
    """The body of the test client's streaming response, not consumed yet (django-stubs type the
    response as a class that no streaming response can be)."""
    response: Any = await AsyncClient().get(url, query)
    assert isinstance(response, StreamingHttpResponse)
    assert response.status_code == 200
    # An async body, which the test client wraps in an async generator that closes the response.
    return cast(AsyncGenerator[bytes, None], response.streaming_content)


async def test_a_streamed_body_keeps_its_outbox_until_the_last_line(
    pricing_api: FakePricingAPI,
) -> None:
    body = await streamed_body("/prices.csv", {"sku": ["tea", "cake"]})
    assert pricing_api.events == []  # the view returned; the body is not streamed yet
    assert b"".join([chunk async for chunk in body]) == b"tea,9.5\ncake,9.5\n"
    assert pricing_api.events == [[{"type": "prices_exported", "skus": ["tea", "cake"]}]]


async def test_a_stream_left_early_closes_its_outbox_without_sending(
    pricing_api: FakePricingAPI,
) -> None:
    body = await streamed_body("/prices.csv", {"sku": ["tea", "cake"]})
    assert await anext(body) == b"tea,9.5\n"
    await body.aclose()  # what Django's ASGI handler does when the client goes away
    assert pricing_api.events == []
    assert pricing_api.requests == ["GET https://pricing.example/prices/tea"]


async def test_explicit_arguments_win(pricing_api: FakePricingAPI) -> None:
    other = FakePricingAPI()
    async with httpx.AsyncClient(
        base_url="https://other.example", transport=httpx.MockTransport(other)
    ) as client:
        request = AsyncRequestFactory().get("/")
        response = await views.stock_view(request, "tea", client=client)
    assert response.status_code == 200
    assert other.requests == ["GET https://other.example/stock/tea"]
    assert pricing_api.requests == []


def test_the_injected_parameters_are_hidden_from_the_signature() -> None:
    assert list(inspect.signature(views.price_view).parameters) == ["request", "sku"]
    assert list(inspect.signature(views.OrderView.post).parameters) == ["self", "request", "sku"]


def test_the_example_passes_the_checks() -> None:
    about_the_example = [
        message
        for message in run_checks(tags=["urls"])
        if str(message.obj).startswith("docs.examples.injection.")
    ]
    assert about_the_example == []


def test_without_a_lifespan_the_error_names_the_view() -> None:
    with pytest.raises(LifespanNotRunning) as raised:
        Client(raise_request_exception=True).get("/prices/tea/")
    assert str(raised.value).startswith(
        "docs.examples.injection.views.price_view needs client, currency from the lifespan. "
        "The lifespan is not running."
    )
