"""``python manage.py search QUERY``: the repositories the search API finds."""

from __future__ import annotations

import asyncio
from argparse import ArgumentParser
from typing import Any

from dependency_injector.wiring import Provide, inject
from django.core.management.base import BaseCommand

from docs.examples.from_di.before.containers import Container
from docs.examples.from_di.before.services import SearchService


# --8<-- [start:command]
class Command(BaseCommand):
    help = "Print the repositories the search API finds for QUERY."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("query")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in asyncio.run(search(options["query"])):
            self.stdout.write(name)


# --8<-- [end:command]


@inject
async def search(
    query: str, search_service: SearchService = Provide[Container.search_service]
) -> list[str]:
    return await search_service.search(query)
