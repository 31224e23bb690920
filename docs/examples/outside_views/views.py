"""Views that use the lifespan's objects without @inject."""

from __future__ import annotations

from typing import Any

import httpx
from django.http import HttpRequest, JsonResponse

from docs.examples.outside_views.services import current_price, order_placed


async def price_view(request: HttpRequest, sku: str) -> JsonResponse:
    return JsonResponse({"sku": sku, "price": await current_price(sku)})


# --8<-- [start:sync-view]
def place_order_view(request: HttpRequest, sku: str) -> JsonResponse:
    quantity = int(request.POST["quantity"])
    order_placed.send(sender=None, sku=sku, quantity=quantity)
    return JsonResponse({"sku": sku, "quantity": quantity}, status=201)


# --8<-- [end:sync-view]


# --8<-- [start:state]
async def pricing_health_view(request: HttpRequest) -> JsonResponse:
    # Set by LifespanStateMiddleware; django-stubs does not know the attribute.
    state: dict[str, Any] = request.state  # type: ignore[attr-defined]
    client: httpx.AsyncClient = state["http_client"]
    return JsonResponse({"base_url": str(client.base_url), "open": not client.is_closed})


# --8<-- [end:state]
