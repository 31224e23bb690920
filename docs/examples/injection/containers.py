"""The shop's container: a shared client for the pricing API, and a per-request outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from dependency_injector import containers, providers

from django_lifespan_di import RequestResource

Event = dict[str, Any]


# --8<-- [start:outbox]
async def open_outbox(client: httpx.AsyncClient) -> AsyncIterator[list[Event]]:
    """Events the view records, sent in one batch only if the view returns."""
    events: list[Event] = []
    yield events
    # An exception from the view is raised at the yield: this line is not reached.
    if events:
        response = await client.post("/events", json=events)
        response.raise_for_status()


# --8<-- [end:outbox]


# --8<-- [start:container]
class Container(containers.DeclarativeContainer):
    config = providers.Configuration(default={"currency": "EUR"})
    http_client = providers.Resource(httpx.AsyncClient, base_url="https://pricing.example")
    # Opened for each request that injects it, closed when the view returns or raises.
    outbox = RequestResource(open_outbox, client=http_client)


# --8<-- [end:container]
