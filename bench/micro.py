"""Decorator cost: ns per awaited call of a view with 0, 1 and 3 injected live objects.

Inside a running ``lifespan()``, each view is awaited directly with a real ``HttpRequest`` from
``RequestFactory``: the plain function, ``django_lifespan_di.inject``, dependency-injector's own
``@inject`` (the live container wired to its module) and wireup's Django ``@inject`` (three
singletons, inside the request scope that ``wireup_middleware`` opens). The views return a
prebuilt response, so what differs between them is the injection alone. Runs are interleaved
and the best run of each view is kept (the least disturbed by the other processes on the
machine: many short runs find more of its quiet moments than a few long ones). One process
per run, its JSON on the last line::

    python -m bench.micro --calls 2000 --repeat 120

``--traced`` sets OpenTelemetry's SDK tracer provider (spans kept in memory) before the
lifespan starts, so that its startup is traced; ``--views`` times a subset. ``make bench``'s
``telemetry`` phase runs both, to show that tracing costs nothing per call::

    python -m bench.micro --views plain,lifespan_di_3,lifespan_di_middleware --traced

``floor`` is the least any injecting decorator does: one more async wrapper, one dict merge.
The ``step_*`` wrappers rebuild ``@inject``'s per-call path (``django_lifespan_di/injection.py``,
``async_call``) one guard at a time on top of the floor, reading the same runtime objects: the
difference between two neighbours is what that guard costs. They are the decorator's profile
(a sampling profiler cannot resolve a few tens of nanoseconds) and follow ``injection.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse

View = Callable[[HttpRequest], Awaitable[HttpResponse]]
#: Views that take tens of microseconds a call run this fraction of the calls.
SLOW = ("di_wired_0", "di_wired_1", "di_wired_3")
SLOW_FRACTION = 20


def floor(function: Callable[..., Awaitable[HttpResponse]], values: dict[str, Any]) -> View:
    """One more async wrapper and one dict merge: the floor of any injecting decorator."""

    async def call(*args: Any, **kwargs: Any) -> HttpResponse:
        return await function(*args, **values)

    return call


def steps(function: Callable[..., Awaitable[HttpResponse]], spec: Any) -> dict[str, View]:
    """``@inject``'s per-call path rebuilt guard by guard on top of the floor (see above)."""
    from django_lifespan_di import _internals

    thread_loop_mark = _internals.thread_loop_mark

    async def published(*args: Any, **kwargs: Any) -> HttpResponse:
        ready = spec.published
        if ready is not None:
            return await function(*args, **ready[1])
        raise AssertionError("nothing published")

    async def loop_thread(*args: Any, **kwargs: Any) -> HttpResponse:
        ready = spec.published
        if ready is not None and thread_loop_mark() == ready[0]:
            runtime = ready[2]  # noqa: F841  (as @inject keeps it for shutdown)
            return await function(*args, **ready[1])
        raise AssertionError("not on the lifespan's loop")

    return {"step_published": published, "step_loop_thread": loop_thread}


async def time_calls(view: View, request: HttpRequest, number: int) -> float:
    """Nanoseconds per call over ``number`` awaited calls."""
    begun = time.perf_counter_ns()
    for _ in range(number):
        await view(request)
    return (time.perf_counter_ns() - begun) / number


def set_tracer_provider() -> Callable[[], list[str]]:
    """OpenTelemetry's SDK as an application sets it up, spans kept in memory: the names of the
    spans exported so far, when called."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return lambda: [span.name for span in exporter.get_finished_spans()]


async def decorator_costs(number: int, repeat: int, only: Sequence[str] = ()) -> dict[str, float]:
    """Best ns per call of each view (of ``only``, if given) over ``repeat`` interleaved runs."""
    from django.test import RequestFactory
    from wireup.integration.django import wireup_middleware

    from bench.project import views_di_wired, views_lifespan_di, views_plain, views_wireup
    from bench.project.containers import Container
    from django_lifespan_di import get_container, lifespan
    from django_lifespan_di.middleware import LifespanStateMiddleware

    async def three(
        request: HttpRequest, first: Any = None, second: Any = None, third: Any = None
    ) -> HttpResponse:
        """What ``views_lifespan_di.micro_3`` is without ``@inject``."""
        return views_plain.RESPONSE

    request = RequestFactory().get("/")
    best: dict[str, float] = {}
    async with lifespan():
        live = get_container(Container)
        live.wire(modules=[views_di_wired])
        try:
            # Every server view reads the injected object: proof that injection really happens
            # (an unwired stock view would get the Provide marker and fail here).
            for module in (views_lifespan_di, views_di_wired):
                response = await module.view(request)
                assert response.content == b"ok", (module.__name__, response.content)
            await views_lifespan_di.micro_3(request)  # its plan is made on the first call
            spec = views_lifespan_di.micro_3.__lifespan_di_spec__  # type: ignore[attr-defined]
            assert spec.published is not None, "the runtime published nothing for micro_3"
            ready = spec.published[1]
            views: dict[str, View] = {
                "plain": views_plain.micro_0,
                "floor": floor(three, ready),
                **steps(three, spec),
                "lifespan_di_0": views_lifespan_di.micro_0,
                "lifespan_di_1": views_lifespan_di.micro_1,
                "lifespan_di_3": views_lifespan_di.micro_3,
                "lifespan_di_middleware": LifespanStateMiddleware(views_plain.micro_0),  # type: ignore[dict-item]
                "lifespan_di_middleware_read": LifespanStateMiddleware(
                    views_lifespan_di.micro_state_read
                ),  # type: ignore[dict-item]
                "wireup_1": views_wireup.micro_1,
                "wireup_3": views_wireup.micro_3,
                "wireup_middleware": wireup_middleware(views_plain.micro_0),  # type: ignore[arg-type,dict-item]
                "di_wired_0": views_di_wired.micro_0,
                "di_wired_1": views_di_wired.micro_1,
                "di_wired_3": views_di_wired.micro_3,
            }
            if only:
                views = {name: views[name] for name in only}
            best = dict.fromkeys(views, float("inf"))

            async def interleaved(request: HttpRequest) -> HttpResponse:
                """The timed runs, inside the request scope that wireup's middleware opens."""
                response: HttpResponse = await views_wireup.view(request)
                assert response.content == b"ok", ("views_wireup", response.content)
                for _ in range(repeat):
                    for name, view in views.items():
                        calls = max(number // SLOW_FRACTION, 100) if name in SLOW else number
                        best[name] = min(best[name], await time_calls(view, request, calls))
                return response

            # wireup types its middleware for sync views only; it serves async ones too.
            await wireup_middleware(interleaved)(request)  # type: ignore[arg-type,misc]
        finally:
            live.unwire()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=120)
    parser.add_argument("--views", default="", help="a comma-separated subset of the views")
    parser.add_argument("--traced", action="store_true", help="set a tracer provider first")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings_micro")
    import django

    django.setup()
    import uvloop

    spans = set_tracer_provider() if args.traced else list
    only = [name for name in args.views.split(",") if name]
    # The same measurements on asyncio's loop and on uvloop's (what `uvicorn[standard]` runs),
    # one after the other in one process.
    costs = asyncio.run(decorator_costs(args.calls, args.repeat, only))
    uvloop_costs: dict[str, float] = {}
    if not args.traced:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            uvloop_costs = runner.run(decorator_costs(args.calls, args.repeat, only))
    # Proof that the traced run traced its lifespan (and the other did not).
    traced = {"lifespan.startup", "lifespan.shutdown"} <= set(spans())
    assert traced == args.traced, spans()
    results = {"ns_per_call": costs, "calls": args.calls, "repeat": args.repeat}
    if uvloop_costs:
        results["uvloop_ns_per_call"] = uvloop_costs
    print(json.dumps(results))


if __name__ == "__main__":
    main()
