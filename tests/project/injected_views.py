"""Views of every kind that ``@inject`` supports, each using the shared resources."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, JsonResponse
from django.views import View
from ninja import NinjaAPI
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_lifespan_di import Provide, Provider, inject, run_in_lifespan_loop
from tests.project.containers import Container, Service, Tracked, describe


@inject
async def async_view(
    request: HttpRequest,
    name: str,
    cache: Annotated[Tracked, Provide["cache"]],
    client: Tracked = Provide[Container.http_client],
    greeting: str = Provide[Container.config.greeting],
) -> JsonResponse:
    return JsonResponse(
        {"name": name, "greeting": greeting, **describe(client=client, cache=cache)}
    )


@inject
async def reporter_view(
    request: HttpRequest, reporter: Tracked = Provide[Container.reporter]
) -> JsonResponse:
    """The resource the deferred tests defer (LIFESPAN_DI_TEST_DEFERRED)."""
    return JsonResponse(describe(reporter=reporter))


async def ping(client: Tracked) -> str:
    """An async-only call on a shared client, used from a sync view."""
    return f"pong from {client.name}"


@inject
def sync_view(
    request: HttpRequest,
    client: Tracked = Provide[Container.http_client],
    cache: Tracked = Provide[Container.cache],
) -> JsonResponse:
    return JsonResponse(
        {"ping": run_in_lifespan_loop(ping, client), **describe(client=client, cache=cache)}
    )


async def count_users(client: Tracked) -> int:
    """What a sync view hands to the lifespan's loop: async ORM work on a shared client's loop."""
    from django.contrib.auth.models import User

    count: int = await User.objects.acount()
    return count


@inject
def sync_orm_view(
    request: HttpRequest, client: Tracked = Provide[Container.http_client]
) -> JsonResponse:
    return JsonResponse({"users": run_in_lifespan_loop(count_users, client), **describe()})


@inject
def sync_orm_unit_of_work_view(
    request: HttpRequest, unit_of_work: Tracked = Provide[Container.orm_unit_of_work]
) -> JsonResponse:
    return JsonResponse(
        {"users": unit_of_work.dependencies["users"], **describe(unit_of_work=unit_of_work)}
    )


@inject
async def async_orm_view(
    request: HttpRequest, client: Tracked = Provide[Container.http_client]
) -> JsonResponse:
    return JsonResponse({"users": await count_users(client), **describe(client=client)})


@inject
def sync_factory_view(
    request: HttpRequest, service: Service = Provide[Container.service]
) -> JsonResponse:
    # The Factory depends on an async resource: resolved on the lifespan's loop.
    return JsonResponse(describe(client=service.client))


class AsyncClassView(View):
    @inject
    async def get(
        self, request: HttpRequest, client: Tracked = Provide[Container.http_client]
    ) -> JsonResponse:
        return JsonResponse(describe(client=client))


class SyncClassView(View):
    @inject
    def get(self, request: HttpRequest, cache: Tracked = Provide[Container.cache]) -> JsonResponse:
        return JsonResponse(describe(cache=cache))


@inject
async def unit_of_work_view(
    request: HttpRequest, unit_of_work: Tracked = Provide[Container.unit_of_work]
) -> JsonResponse:
    if "fail" in request.GET:
        raise ValueError("the view failed")
    client = unit_of_work.dependencies["client"]
    return JsonResponse(describe(unit_of_work=unit_of_work, client=client))


@inject
def sync_unit_of_work_view(
    request: HttpRequest, unit_of_work: Tracked = Provide[Container.unit_of_work]
) -> JsonResponse:
    return JsonResponse(describe(unit_of_work=unit_of_work))


@inject
async def provider_view(
    request: HttpRequest, make_service: Any = Provider[Container.service]
) -> JsonResponse:
    service = make_service()  # the live provider answers with a live object: no await
    return JsonResponse(describe(client=service.client))


@api_view(["GET"])
@inject
def drf_view(request: Request, client: Tracked = Provide[Container.http_client]) -> Response:
    return Response(describe(client=client))


class DrfClassView(APIView):  # type: ignore[misc]  # DRF ships no type hints
    @inject
    def get(self, request: Request, cache: Tracked = Provide[Container.cache]) -> Response:
        return Response(describe(cache=cache))


ninja_api = NinjaAPI(urls_namespace="injected")


@ninja_api.get("/items/{item_id}")
@inject
async def ninja_operation(
    request: HttpRequest, item_id: int, client: Tracked = Provide[Container.http_client]
) -> dict[str, Any]:
    return {"item_id": item_id, **describe(client=client)}
