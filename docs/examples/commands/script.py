"""A standalone script (or an async worker's entry point): one lifespan around its loop."""

from __future__ import annotations

import asyncio
import os
import sys

import django

from django_lifespan_di import lifespan
from docs.examples.commands.stock import fetch_stock


async def main(skus: list[str]) -> None:
    # Everything opens here, on the loop that asyncio.run() created, and closes on the way out.
    async with lifespan():
        for sku in skus:
            print(f"{sku}: {await fetch_stock(sku)}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")
    django.setup()
    asyncio.run(main(sys.argv[1:]))
