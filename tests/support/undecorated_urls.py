"""URLs of the E105 check tests: views that declare markers but that nothing injects.

Each would answer 500 with ``AttributeError: 'Provide' object has no attribute ...``: Django
passes the marker object itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject as dependency_injector_inject
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views import View
from django.views.decorators.http import require_GET
from ninja import NinjaAPI
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from django_lifespan_di import Provide, Provider, inject
from tests.project.containers import Container, Tracked


async def forgot_inject(
    request: HttpRequest, client: Tracked = Provide[Container.http_client]
) -> JsonResponse:
    return JsonResponse({"client": client.name})


@require_GET  # a Django decorator above, which copies the signature: still found
def forgot_inject_annotated(
    request: HttpRequest,
    cache: Annotated[Tracked, Provide[Container.cache]],
    make_service: Annotated[object, Provider[Container.service]],
) -> HttpResponse:
    return HttpResponse(cache.name)


class ForgotInjectClassView(View):
    async def get(
        self, request: HttpRequest, client: Tracked = Provide[Container.http_client]
    ) -> JsonResponse:
        return JsonResponse({"client": client.name})


@api_view(["GET"])
def forgot_inject_drf(request: Request, cache: Tracked = Provide[Container.cache]) -> Response:
    return Response({"cache": cache.name})


ninja_api = NinjaAPI(urls_namespace="undecorated")


@ninja_api.get("/items")
def forgot_inject_ninja(request: HttpRequest, client: Any = Provide[Container.http_client]):
    return {"client": client.name}


@dependency_injector_inject
async def dependency_injector_view(
    request: HttpRequest, client: Tracked = Provide[Container.http_client]
) -> JsonResponse:
    return JsonResponse({"client": client.name})


@inject
async def injected(request: HttpRequest, client: Tracked = Provide[Container.http_client]):
    return JsonResponse({"client": client.name})


@require_GET  # above @inject, as usual: the marker of django_lifespan_di's @inject is copied
@inject
def injected_below_a_decorator(
    request: HttpRequest, cache: Tracked = Provide[Container.cache]
) -> HttpResponse:
    return HttpResponse(cache.name)


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("no markers")


urlpatterns = [
    path("forgot/", forgot_inject),
    path("forgot-again/", forgot_inject),  # routed twice, reported once
    path("forgot-annotated/", forgot_inject_annotated),
    path("forgot-class/", ForgotInjectClassView.as_view()),
    path("forgot-drf/", forgot_inject_drf),
    path("ninja/", ninja_api.urls),
    path("dependency-injector/", dependency_injector_view),
    path("injected/", injected),
    path("injected-below/", injected_below_a_decorator),
    path("plain/", plain),
]
