"""The demo's views: injection, a class-based view, request.state, and the status pages."""

from __future__ import annotations

import os

import httpx
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html, format_html_join
from django.views import View

from demo.containers import Container
from demo.store import VisitStore
from django_lifespan_di import (
    LifespanHttpRequest,
    LifespanNotRunning,
    Provide,
    inject,
    resource_status,
)
from django_lifespan_di.status import ResourceStatus

#: What the pages link to, with what each shows; "/" lists them.
PAGES = (
    ("/quote/", "an async view with @inject: the shared httpx client calls the upstream"),
    ("/visits/", "a class-based view with an @inject method: the SQLite visit log"),
    ("/state/", "a view reading request.state (the lifespan state; ids show the sharing)"),
    ("/status.json", "every resource's status as JSON (django_lifespan_di.resource_status)"),
    ("/ready/", "the readiness probe (django_lifespan_di.readiness_view): 200 or 503"),
)

NOT_RUNNING_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>django-lifespan-di demo</title>"
    "</head><body><h1>The lifespan is not running</h1><p>{}</p><p>Start the demo with "
    "<code>make demo</code>.</p></body></html>"
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
    """The home page: which resources are live and since when, and links to every page."""
    try:
        statuses = resource_status()
    except LifespanNotRunning as exc:
        # Served without the lifespan (runserver, uvicorn --lifespan off): say why, readably.
        return HttpResponse(format_html(NOT_RUNNING_PAGE, exc), status=503)
    rows = format_html_join(
        "\n",
        "<tr><td><code>{}</code></td><td>{}</td><td class='{}'>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>",
        (_row(s) for s in statuses),
    )
    links = format_html_join(
        "\n", "<li><a href='{}'>{}</a>: {}</li>", ((url, url, text) for url, text in PAGES)
    )
    page = format_html(
        "<!doctype html><html><head><meta charset='utf-8'><title>django-lifespan-di demo</title>"
        "<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;"
        "text-align:left}}.ready{{color:green}}.failed{{color:red}}</style></head><body>"
        "<h1>django-lifespan-di demo</h1><h2>Resources ({} of {} ready)</h2>"
        "<table><tr><th>name</th><th>kind</th><th>status</th><th>since (UTC)</th>"
        "<th>startup</th><th>error</th></tr>{}</table><h2>Pages</h2><ul>{}</ul></body></html>",
        sum(s.is_ready for s in statuses),
        len(statuses),
        rows,
        links,
    )
    return HttpResponse(page)


def _row(status: ResourceStatus) -> tuple[str, ...]:
    startup = "" if status.startup_ms is None else f"{status.startup_ms:.1f} ms"
    return (
        status.name,
        status.kind,
        status.status,
        status.status,
        status.since.strftime("%Y-%m-%d %H:%M:%S"),
        startup,
        status.error or "",
    )
