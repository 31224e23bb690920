"""``python demo/manage.py demo_quotes``: the container's resources, outside any server."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import httpx

from demo.containers import Container
from demo.store import VisitStore
from django_lifespan_di import Provide, inject
from django_lifespan_di.management import LifespanCommand


@inject
async def fetch_quote(
    client: httpx.AsyncClient = Provide[Container.http_client],
    store: VisitStore = Provide[Container.store],
) -> str:
    response = await client.get("/quote")
    response.raise_for_status()
    await store.add("manage.py demo_quotes")
    quote: str = response.json()["quote"]
    return quote


class Command(LifespanCommand):
    help = (
        "Fetch quotes from the demo upstream through the shared client and log them in the "
        "visit store; the lifespan opens and closes every resource around the command."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=int, default=3, help="how many quotes (default 3)")

    async def handle_async(self, *args: Any, **options: Any) -> str | None:
        for _ in range(options["count"]):
            self.stdout.write(await fetch_quote())
        return None
