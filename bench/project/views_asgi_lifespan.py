"""(c) django-asgi-lifespan: its middleware copies the scope's state to ``request.state``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from django.http import HttpRequest, HttpResponse

from bench.project.containers import LiveObject, open_live_object


@asynccontextmanager
async def lifespan_manager() -> AsyncIterator[dict[str, LiveObject]]:
    """Registered with django-asgi-lifespan in ``asgi.py``: the same resource as (b) and (d)."""
    async with asynccontextmanager(open_live_object)("first") as first:
        yield {"first": first}


async def view(request: HttpRequest) -> HttpResponse:
    first: LiveObject = request.state["first"]  # type: ignore[attr-defined]
    return HttpResponse(first.payload)
