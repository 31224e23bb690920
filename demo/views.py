"""The demo's views: injection, a class-based view, request.state, and the status pages."""

from __future__ import annotations

import os

import httpx
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View

from demo.containers import Container
from demo.store import Visit, VisitStore
from django_lifespan_di import (
    LifespanHttpRequest,
    LifespanNotRunning,
    Provide,
    inject,
    resource_status,
)
from django_lifespan_di.timeline import startup_timeline

#: What the pages link to, with what each shows; "/" lists them.
PAGES = (
    ("/quote/", "an async view with @inject: the shared httpx client calls the upstream"),
    ("/visits/", "a class-based view with an @inject method: the SQLite visit log"),
    ("/state/", "a view reading request.state (the lifespan state; ids show the sharing)"),
    ("/status.json", "every resource's status as JSON (django_lifespan_di.resource_status)"),
    ("/ready/", "the readiness probe (django_lifespan_di.readiness_view): 200 or 503"),
)


@inject
async def quote_view(
    request: HttpRequest,
    client: httpx.AsyncClient = Provide[Container.http_client],
    store: VisitStore = Provide[Container.store],
) -> JsonResponse:
    """Ask the upstream for a quote through the shared client; record the visit."""
    response = await client.get("/quote")
    response.raise_for_status()
    visits = await store.add(request.path)
    return JsonResponse(
        {"upstream": response.json(), "visits": visits, "client_id": id(client), "pid": os.getpid()}
    )


class VisitsView(View):
    """The visit log, newest first (``?limit=N``)."""

    @inject
    async def get(
        self, request: HttpRequest, store: VisitStore = Provide[Container.store]
    ) -> JsonResponse:
        limit = request.GET.get("limit", "10")
        if not limit.isdigit():
            return JsonResponse(
                {"error": f"?limit= takes a whole number, not {limit!r}"}, status=400
            )
        recent = await store.recent(int(limit))
        return JsonResponse(
            {
                "count": await store.count(),
                "recent": [{"path": v.path, "at": v.at} for v in recent],
                "store_id": id(store),
            }
        )


async def state_view(request: LifespanHttpRequest) -> JsonResponse:
    """The lifespan state as this request sees it: a shallow copy, so the objects are shared."""
    state = request.state
    return JsonResponse(
        {
            "keys": sorted(state),
            "upstream_url": state["upstream_url"],
            "client_id": id(state["http_client"]),
            "store_id": id(state["store"]),
            "pid": os.getpid(),
        }
    )


async def status_json_view(request: HttpRequest) -> JsonResponse:
    """Every resource and manager: status, since when, how long its start took."""
    return JsonResponse({"resources": [s.as_dict() for s in resource_status()]})


async def status_page_view(request: HttpRequest) -> HttpResponse:
    """The home page: each resource's state and timings, the last startup, links to every page.

    The timeline is the one the OpenTelemetry spans and the debug toolbar's panel are made of
    (``django_lifespan_di.timeline``): which resources opened in parallel, which waited.
    """
    try:
        statuses = resource_status()
    except LifespanNotRunning as exc:
        # Served without the lifespan (runserver, uvicorn --lifespan off): say why, readably.
        not_running = {"running": False, "reason": str(exc), "pages": PAGES}
        return render(request, "demo/status.html", not_running, status=503)
    context = {
        "running": True,
        "pid": os.getpid(),
        "statuses": statuses,
        "ready": sum(s.is_ready for s in statuses),
        "timeline": startup_timeline(),
        "visits": await recent_visits(),
        "pages": PAGES,
    }
    return render(request, "demo/status.html", context)


@inject
async def recent_visits(store: VisitStore = Provide[Container.store]) -> list[Visit]:
    """The last visits, for the home page: ``@inject`` serves any function, not only views."""
    return await store.recent(5)
