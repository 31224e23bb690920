"""The library's views after Part 2: the client from request.state is injected."""

# --8<-- [start:imports]
from __future__ import annotations

from http import HTTPStatus
from typing import cast

import httpx
from django.apps import apps
from django.http import HttpRequest, HttpResponse

from django_lifespan_di import Provide, inject

from .apps import LibraryConfig
from .containers import Container

# --8<-- [end:imports]


async def app_config_view(request: HttpRequest) -> HttpResponse:
    httpx_client = cast(LibraryConfig, apps.get_app_config("library")).httpx_client
    if httpx_client.is_closed:
        return HttpResponse(
            "HTTPX Client from app config is closed",
            status=HTTPStatus.INTERNAL_SERVER_ERROR,
            content_type="text/plain",
        )
    return HttpResponse(
        f"OK app config; ID of client: {id(httpx_client)}", content_type="text/plain"
    )


# --8<-- [start:state-view]
@inject
async def scope_state_view(
    request: HttpRequest,
    httpx_client: httpx.AsyncClient = Provide[Container.httpx_client_from_user],
) -> HttpResponse:
    if httpx_client.is_closed:
        return HttpResponse(
            "HTTPX Client from state is closed",
            status=HTTPStatus.INTERNAL_SERVER_ERROR,
            content_type="text/plain",
        )
    return HttpResponse(f"OK state; ID of client: {id(httpx_client)}", content_type="text/plain")


# --8<-- [end:state-view]
