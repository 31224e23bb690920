"""@inject under django-ninja and Django REST framework."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from ninja import NinjaAPI
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from docs.examples.injection.containers import Container

# --8<-- [start:ninja]
api = NinjaAPI(urls_namespace="pricing")


@api.get("/prices/{sku}")
@inject  # below the route decorator: ninja reads the signature @inject leaves visible
async def get_price(
    request: Any, sku: str, client: Annotated[httpx.AsyncClient, Provide[Container.http_client]]
) -> dict[str, Any]:
    response = await client.get(f"/prices/{sku}")
    response.raise_for_status()
    price: dict[str, Any] = response.json()
    return price


# --8<-- [end:ninja]


# --8<-- [start:drf]
@api_view(["GET"])  # type: ignore[untyped-decorator]  # DRF ships no type hints
@inject
def drf_price_view(
    request: Request, sku: str, client: Annotated[httpx.AsyncClient, Provide[Container.http_client]]
) -> Response:
    response = run_in_lifespan_loop(client.get, f"/prices/{sku}")
    response.raise_for_status()
    return Response(response.json())


# --8<-- [end:drf]
