"""The views, with dependency-injector's ``@inject`` (this module is wired in apps.py)."""

from __future__ import annotations

import httpx
from dependency_injector.wiring import Provide, inject
from django.http import HttpRequest, JsonResponse

from docs.examples.from_di.before.containers import Container
from docs.examples.from_di.before.services import SearchService


# --8<-- [start:index]
@inject
async def index(
    request: HttpRequest,
    search_service: SearchService = Provide[Container.search_service],
    default_query: str = Provide[Container.config.default_query],
) -> JsonResponse:
    query = request.GET.get("query", default_query)
    repositories = await search_service.search(query)
    return JsonResponse({"query": query, "repositories": repositories})


# --8<-- [end:index]


# --8<-- [start:upstream]
@inject
async def upstream(
    request: HttpRequest, client: httpx.AsyncClient = Provide[Container.http_client]
) -> JsonResponse:
    # The API the shared client calls, and the timeout it was configured with.
    return JsonResponse({"api_url": str(client.base_url), "timeout": client.timeout.read})


# --8<-- [end:upstream]
