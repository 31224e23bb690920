"""The demo's pings: the shared upstream client and the visit store, as the views use them."""

from __future__ import annotations

import httpx

from demo.store import VisitStore


async def ping_upstream(client: httpx.AsyncClient) -> None:
    (await client.get("/quote")).raise_for_status()


async def ping_store(store: VisitStore) -> None:
    await store.count()
