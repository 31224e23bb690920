"""Each ping gets the live client the views use, on the loop it belongs to, and raises when the
service does not answer."""

from __future__ import annotations

import httpx


async def ping_payments(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    response.raise_for_status()


async def ping_search(client: httpx.AsyncClient) -> None:
    (await client.get("/")).raise_for_status()
