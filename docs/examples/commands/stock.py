"""Code that needs the shared client, called from views, commands, scripts and workers alike."""

from __future__ import annotations

import httpx

from django_lifespan_di import Provide, inject
from docs.examples.commands.containers import Container


@inject
async def fetch_stock(
    sku: str, client: httpx.AsyncClient = Provide[Container.inventory_client]
) -> int:
    response = await client.get(f"/stock/{sku}")
    response.raise_for_status()
    quantity: int = response.json()["quantity"]
    return quantity
