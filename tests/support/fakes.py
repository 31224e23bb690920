"""Fakes shared by the docs examples' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from dependency_injector import providers

from django_lifespan_di import lifespan
from django_lifespan_di.testing import override_providers


@asynccontextmanager
async def lifespan_against(
    client_provider: providers.Provider[Any],
    api: Callable[[httpx.Request], httpx.Response],
    base_url: str,
) -> AsyncIterator[None]:
    """The lifespan, with ``client_provider`` a real ``httpx.AsyncClient`` that ``api`` answers.

    The client class and its shutdown are the real ones; only the network is replaced. The
    transport is wrapped in ``providers.Object``: a container deep-copies the plain arguments
    of its providers, and the test must see the requests of the live client.
    """
    client = providers.Resource(
        httpx.AsyncClient,
        base_url=base_url,
        transport=providers.Object(httpx.MockTransport(api)),
    )
    with override_providers(client_provider, client):
        async with lifespan():
            yield
