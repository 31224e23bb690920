"""A URLconf whose patterns would fill an injected parameter: one positionally, one by name."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path

from django_lifespan_di import Provide, inject
from tests.project.containers import Container


@inject
async def report_view(
    request: HttpRequest, upstream: str = Provide[Container.config.greeting]
) -> JsonResponse:
    return JsonResponse({"upstream": upstream})


urlpatterns = [
    re_path(r"^report/(.+)/$", report_view),
    path("named/<str:upstream>/", report_view),
]
