"""Startup through ``lifespan()``: independent resources start together, dependent ones in order.

Every resource sleeps ``SLEEP`` seconds while starting and records when it began and finished.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

from dependency_injector import containers, providers
from django.test import override_settings

from django_lifespan_di import lifespan

SLEEP = 0.1
INDEPENDENT = 10

#: name -> (started, ready), perf_counter seconds, of the last startup.
timeline: dict[str, tuple[float, float]] = {}


async def sleeping_resource(name: str, **after: Any) -> AsyncIterator[str]:
    """Takes SLEEP seconds to start; ``after`` are the resources it depends on."""
    begun = time.perf_counter()
    await asyncio.sleep(SLEEP)
    timeline[name] = (begun, time.perf_counter())
    yield name


Independent: type[containers.DeclarativeContainer] = type(
    "Independent",
    (containers.DeclarativeContainer,),
    {f"r{i}": providers.Resource(sleeping_resource, f"r{i}") for i in range(INDEPENDENT)},
)


class Chain(containers.DeclarativeContainer):
    first = providers.Resource(sleeping_resource, "first")
    second = providers.Resource(sleeping_resource, "second", after=first)
    third = providers.Resource(sleeping_resource, "third", after=second)


async def time_startup(container: str) -> float:
    """Seconds from entering ``lifespan()`` to the state being ready, with only ``container``."""
    timeline.clear()
    with override_settings(LIFESPAN_DI={"CONTAINERS": [container]}):
        begun = time.perf_counter()
        async with lifespan():
            return time.perf_counter() - begun


def chain_in_order() -> bool:
    """Whether each chained resource began only after the one it depends on was ready."""
    first, second, third = (timeline[name] for name in ("first", "second", "third"))
    return first[1] <= second[0] and second[1] <= third[0]


async def startup_times(runs: int) -> dict[str, Any]:
    """Median startup of the independent set and of the chain, and whether the order held."""
    independent = [await time_startup(f"{__name__}.Independent") for _ in range(runs)]
    chain, in_order = [], []
    for _ in range(runs):
        chain.append(await time_startup(f"{__name__}.Chain"))
        in_order.append(chain_in_order())
    return {
        "independent_resources": INDEPENDENT,
        "chain_length": 3,
        "sleep_ms": SLEEP * 1000,
        "independent_ms": statistics.median(independent) * 1000,
        "chain_ms": statistics.median(chain) * 1000,
        "chain_in_order": all(in_order),
        "runs": runs,
    }
