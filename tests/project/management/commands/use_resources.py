"""A command that uses the shared resources through the lifespan, for tests."""

from __future__ import annotations

from typing import Any

from django_lifespan_di import Provide, get_container, inject
from django_lifespan_di.management import LifespanCommand
from tests.project.containers import Container, Tracked


@inject
async def describe_client(client: Tracked = Provide[Container.http_client]) -> str:
    return f"{client.name} closed={client.closed}"


class Command(LifespanCommand):
    help = "Print the shared client, found through @inject and through get_container()."

    async def handle_async(self, *args: Any, **options: Any) -> str | None:
        container = get_container(Container)
        cache = container.cache()
        self.stdout.write(f"injected: {await describe_client()}")
        self.stdout.write(f"container: {cache.name} closed={cache.closed}")
        return None
