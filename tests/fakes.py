"""Fakes shared by the docs examples' tests."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from dependency_injector import providers


def http_client_against(
    api: Callable[[httpx.Request], httpx.Response], base_url: str
) -> providers.Resource[httpx.AsyncClient]:
    """A real ``httpx.AsyncClient`` resource whose requests ``api`` answers in process.

    The transport is wrapped in ``providers.Object``: a container deep-copies the plain
    arguments of its providers, and the test must see the requests of the live client.
    """
    return providers.Resource(
        httpx.AsyncClient,
        base_url=base_url,
        transport=providers.Object(httpx.MockTransport(api)),
    )
