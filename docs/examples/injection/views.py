"""Views of every kind, each given the shared pricing client by @inject."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.views import View

from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from docs.examples.injection.containers import Container, Event


# --8<-- [start:async-view]
@inject
async def price_view(
    request: HttpRequest,
    sku: str,
    client: Annotated[httpx.AsyncClient, Provide[Container.http_client]],
    currency: Annotated[str, Provide[Container.config.currency]],
) -> JsonResponse:
    response = await client.get(f"/prices/{sku}", params={"currency": currency})
    response.raise_for_status()
    return JsonResponse(response.json())


# --8<-- [end:async-view]


# --8<-- [start:default-marker]
@inject
async def stock_view(
    request: HttpRequest, sku: str, client: httpx.AsyncClient = Provide[Container.http_client]
) -> JsonResponse:
    response = await client.get(f"/stock/{sku}")
    response.raise_for_status()
    return JsonResponse(response.json())


# --8<-- [end:default-marker]


# --8<-- [start:sync-view]
@inject
def legacy_price_view(
    request: HttpRequest, sku: str, client: httpx.AsyncClient = Provide["http_client"]
) -> JsonResponse:
    # A sync view runs in a worker thread; the client belongs to the server's event loop.
    response = run_in_lifespan_loop(client.get, f"/prices/{sku}")
    response.raise_for_status()
    return JsonResponse(response.json())


# --8<-- [end:sync-view]


# --8<-- [start:class-view]
class OrderView(View):
    @inject
    async def post(
        self,
        request: HttpRequest,
        sku: str,
        outbox: Annotated[list[Event], Provide[Container.outbox]],
    ) -> JsonResponse:
        quantity = int(request.POST["quantity"])  # a ValueError here: nothing is sent
        order: dict[str, Any] = {"sku": sku, "quantity": quantity}
        outbox.append({"type": "order_placed", **order})
        return JsonResponse(order, status=201)


# --8<-- [end:class-view]


# --8<-- [start:streaming]
@inject
async def price_lines(
    skus: list[str],
    *,  # the markers as defaults: the view's call `price_lines(skus)` type-checks
    client: httpx.AsyncClient = Provide[Container.http_client],
    outbox: list[Event] = Provide[Container.outbox],
) -> AsyncIterator[str]:
    for sku in skus:
        response = await client.get(f"/prices/{sku}")
        response.raise_for_status()
        yield f"{sku},{response.json()['prices']}\n"
    outbox.append({"type": "prices_exported", "skus": skus})  # sent after the last line


async def price_list_view(request: HttpRequest) -> StreamingHttpResponse:
    # The view returns at once; the outbox lives until the body is streamed or closed.
    lines = price_lines(request.GET.getlist("sku"))
    return StreamingHttpResponse(lines, content_type="text/csv")


# --8<-- [end:streaming]
