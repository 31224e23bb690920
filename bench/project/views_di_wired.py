"""(d) dependency-injector's own ``@inject``; works only once the module is wired."""

from __future__ import annotations

import warnings

from dependency_injector.wiring import DIWiringWarning, Provide, inject
from django.http import HttpRequest, HttpResponse

from bench.project.containers import Container, LiveObject
from bench.project.views_plain import RESPONSE


@inject
async def view(request: HttpRequest, first: LiveObject = Provide[Container.first]) -> HttpResponse:
    return HttpResponse(first.payload)


async def _micro_0(request: HttpRequest) -> HttpResponse:
    return RESPONSE


with warnings.catch_warnings():
    # "@inject is not required here": it is, to time what the wrapper alone costs.
    warnings.simplefilter("ignore", DIWiringWarning)
    micro_0 = inject(_micro_0)


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
