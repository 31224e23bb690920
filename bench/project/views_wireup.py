"""(e) wireup's Django integration (``wireup.integration.django.inject``), for bench/micro.py.

Three singletons, injected as ``Injected[...]`` into async views: the counterpart of the three
live resources of ``views_lifespan_di.micro_3``. wireup's ``@inject`` takes them from the
request's scoped container, which ``wireup_middleware`` opens for each request (the settings of
``bench/project/settings_micro.py`` install wireup's app).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from wireup import Injected, injectable
from wireup.integration.django import inject

from bench.project.views_plain import RESPONSE


class _LiveObject:
    payload = b"ok"


@injectable
class WireupFirst(_LiveObject):
    pass


@injectable
class WireupSecond(_LiveObject):
    pass


@injectable
class WireupThird(_LiveObject):
    pass


@inject
async def micro_1(request: HttpRequest, first: Injected[WireupFirst]) -> HttpResponse:
    return RESPONSE


@inject
async def micro_3(
    request: HttpRequest,
    first: Injected[WireupFirst],
    second: Injected[WireupSecond],
    third: Injected[WireupThird],
) -> HttpResponse:
    return RESPONSE


@inject
async def view(request: HttpRequest, first: Injected[WireupFirst]) -> HttpResponse:
    """Reads the injected object, as the other variants' ``view`` do (proof of injection)."""
    return HttpResponse(first.payload)
