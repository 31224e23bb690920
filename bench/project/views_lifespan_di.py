"""(b) This package: ``@inject`` gives the view the live object the lifespan started."""

from __future__ import annotations

import ssl

import httpx
from django.http import HttpRequest, HttpResponse

from bench.project.containers import Container, LiveObject
from bench.project.variant import UPSTREAM_URL
from bench.project.views_plain import RESPONSE
from django_lifespan_di import Provide, inject


@inject
async def view(request: HttpRequest, first: LiveObject = Provide[Container.first]) -> HttpResponse:
    return HttpResponse(first.payload)


@inject
def sync_view(request: HttpRequest, first: LiveObject = Provide[Container.first]) -> HttpResponse:
    """The sync view of the WSGI benchmark: a live object, as ``view`` gets."""
    return HttpResponse(first.payload)


@inject
async def pooled_view(
    request: HttpRequest, client: httpx.AsyncClient = Provide[Container.http_client]
) -> HttpResponse:
    """Calls the upstream through the shared client: its connections are kept alive."""
    upstream = await client.get("/")
    return HttpResponse(upstream.content)


async def unpooled_view(request: HttpRequest) -> HttpResponse:
    """Calls the upstream through a client of its own: a new client and connection each time.

    Building the client includes building its TLS context (loading the CA bundle), even for a
    plain-HTTP upstream: that is what ``async with httpx.AsyncClient()`` in a view costs.
    """
    async with httpx.AsyncClient(base_url=UPSTREAM_URL) as client:
        upstream = await client.get("/")
    return HttpResponse(upstream.content)


#: Shared by every client of ``unpooled_shared_tls_view``, so it pays for the connection alone.
SHARED_TLS = ssl.create_default_context()


async def unpooled_shared_tls_view(request: HttpRequest) -> HttpResponse:
    """A new client per request, but with a TLS context built once: a new connection each time."""
    async with httpx.AsyncClient(base_url=UPSTREAM_URL, verify=SHARED_TLS) as client:
        upstream = await client.get("/")
    return HttpResponse(upstream.content)


@inject
async def micro_0(request: HttpRequest) -> HttpResponse:
    return RESPONSE


@inject
async def micro_1(
    request: HttpRequest, first: LiveObject = Provide[Container.first]
) -> HttpResponse:
    return RESPONSE


@inject
async def micro_3(
    request: HttpRequest,
    first: LiveObject = Provide[Container.first],
    second: LiveObject = Provide[Container.second],
    third: LiveObject = Provide[Container.third],
) -> HttpResponse:
    return RESPONSE


async def micro_state_read(request: HttpRequest) -> HttpResponse:
    """Reads one object from ``request.state``: the view behind the middleware whose copy is
    made at that read (``micro.py``'s ``lifespan_di_middleware_read``)."""
    request.state["first"]  # type: ignore[attr-defined]  # the read is the point
    return RESPONSE
