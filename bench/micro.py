"""Decorator cost: ns per awaited call of a view with 0, 1 and 3 injected live resources.

Inside a running ``lifespan()``, each view is awaited directly with a real ``HttpRequest`` from
``RequestFactory``: the plain function, ``django_lifespan_di.inject`` and dependency-injector's
own ``@inject`` (the live container wired to its module). The views return a prebuilt response,
so what differs between them is the injection alone. Runs are interleaved and the best run of
each view is kept (the least disturbed by the other processes on the machine).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from bench.project import views_di_wired, views_lifespan_di, views_plain
from bench.project.containers import Container
from django_lifespan_di import get_container, lifespan
from django_lifespan_di.middleware import LifespanStateMiddleware

View = Callable[[HttpRequest], Awaitable[HttpResponse]]

#: Name in the results -> view. ``lifespan_di_0`` is the plain function itself: ``inject``
#: returns a view without markers unchanged. ``lifespan_di_middleware`` is the plain function
#: behind ``LifespanStateMiddleware``: what setting ``request.state`` costs per request.
VIEWS: dict[str, View] = {
    "plain": views_plain.micro_0,
    "lifespan_di_0": views_lifespan_di.micro_0,
    "lifespan_di_1": views_lifespan_di.micro_1,
    "lifespan_di_3": views_lifespan_di.micro_3,
    "lifespan_di_middleware": LifespanStateMiddleware(views_plain.micro_0),  # type: ignore[dict-item]
    "di_wired_0": views_di_wired.micro_0,
    "di_wired_1": views_di_wired.micro_1,
    "di_wired_3": views_di_wired.micro_3,
}


async def time_calls(view: View, request: HttpRequest, number: int) -> float:
    """Nanoseconds per call over ``number`` awaited calls."""
    begun = time.perf_counter_ns()
    for _ in range(number):
        await view(request)
    return (time.perf_counter_ns() - begun) / number


async def decorator_costs(number: int, repeat: int) -> dict[str, float]:
    """Best ns per call of each view in ``VIEWS`` over ``repeat`` interleaved runs."""
    request = RequestFactory().get("/")
    best = dict.fromkeys(VIEWS, float("inf"))
    async with lifespan():
        live = get_container(Container)
        live.wire(modules=[views_di_wired])
        try:
            # Both server views read the injected object: proof that injection really happens
            # (an unwired stock view would get the Provide marker and fail here).
            for module in (views_lifespan_di, views_di_wired):
                response = await module.view(request)
                assert response.content == b"ok", (module.__name__, response.content)
            for _ in range(repeat):
                for name, view in VIEWS.items():
                    best[name] = min(best[name], await time_calls(view, request, number))
        finally:
            live.unwire()
    return best
