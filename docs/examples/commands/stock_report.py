"""``python manage.py stock_report SKU [SKU ...]``: in an app's management/commands/."""

from __future__ import annotations

import asyncio
from argparse import ArgumentParser
from typing import Any

from django_lifespan_di.management import LifespanCommand
from docs.examples.commands.stock import fetch_stock


class Command(LifespanCommand):
    help = "Print the stock of each SKU, fetched concurrently over the shared client."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("skus", nargs="+", metavar="SKU")

    async def handle_async(self, *args: Any, **options: Any) -> None:
        skus: list[str] = options["skus"]
        quantities = await asyncio.gather(*(fetch_stock(sku) for sku in skus))
        for sku, quantity in zip(skus, quantities, strict=True):
            self.stdout.write(f"{sku}: {quantity}")
