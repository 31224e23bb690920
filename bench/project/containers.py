"""The live resources the benchmark views use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from dependency_injector import containers, providers

from bench.project.variant import UPSTREAM_URL


class LiveObject:
    """A stand-in for a client or pool opened at startup: what a view reads from it is cheap."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.payload = b"ok"


async def open_live_object(name: str) -> AsyncIterator[LiveObject]:
    """An async-generator resource, like most real ones (open, yield, close)."""
    yield LiveObject(name)


class Container(containers.DeclarativeContainer):
    first = providers.Resource(open_live_object, "first")
    second = providers.Resource(open_live_object, "second")
    third = providers.Resource(open_live_object, "third")
    #: The shared, pooled client of the pooling benchmark.
    http_client = providers.Resource(httpx.AsyncClient, base_url=UPSTREAM_URL)
