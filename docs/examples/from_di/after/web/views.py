"""The views: ``index`` keeps dependency-injector's ``@inject`` (this module is still wired in
apps.py); ``upstream`` has this package's, which needs no wiring."""

from __future__ import annotations

from typing import Annotated

import httpx
from dependency_injector.wiring import Provide, inject
from django.http import HttpRequest, JsonResponse

import django_lifespan_di
from docs.examples.from_di.after.containers import Container
from docs.examples.from_di.after.services import SearchService


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
@django_lifespan_di.inject
async def upstream(
    request: HttpRequest, client: Annotated[httpx.AsyncClient, Provide[Container.http_client]]
) -> JsonResponse:
    # The API the shared client calls, and the timeout it was configured with.
    return JsonResponse({"api_url": str(client.base_url), "timeout": client.timeout.read})


# --8<-- [end:upstream]
