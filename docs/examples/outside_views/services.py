"""Code that is not a view: a service function and a signal receiver, using the live client."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal, receiver

from django_lifespan_di import resolve, run_in_lifespan_loop
from docs.examples.injection.containers import Container


# --8<-- [start:service]
async def current_price(sku: str) -> float:
    client = resolve(Container.http_client)  # the live httpx.AsyncClient, typed for mypy
    response = await client.get(f"/prices/{sku}")
    response.raise_for_status()
    price: float = response.json()["price"]
    return price


# --8<-- [end:service]


# --8<-- [start:receiver]
order_placed = Signal()


@receiver(order_placed)
def notify_warehouse(sender: object, sku: str, quantity: int, **kwargs: Any) -> None:
    # Runs in the thread that sent the signal: in a sync view, a worker thread with no event
    # loop. The client belongs to the lifespan's loop, so the request is run there.
    client = resolve(Container.http_client)
    response = run_in_lifespan_loop(
        client.post, "/warehouse/orders", json={"sku": sku, "quantity": quantity}
    )
    response.raise_for_status()


# --8<-- [end:receiver]
