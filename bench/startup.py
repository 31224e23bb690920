"""Startup and shutdown through ``lifespan()``: concurrent where the dependencies allow, in
order where they do not, and in time linear in the number and the depth of the resources.

- ``INDEPENDENT`` resources that each take ``SLEEP`` s to start, and a chain of three that
  depend on each other (each records when it began and was ready: the order is checked);
- ``INDEPENDENT`` resources that each take ``SLEEP`` s to shut down (nothing depends on any);
- chains of ``CHAIN_LENGTHS`` resources (each depends on the one before it) and as many
  independent ones, opening and closing at once: what is left is the engine's own time (the
  best of the runs; the sleeping resources give medians).

One process per run, its JSON on the last line::

    python -m bench.startup --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

from dependency_injector import containers, providers

SLEEP = 0.1
INDEPENDENT = 10
CHAIN_LENGTHS = (250, 500, 1000)

#: name -> (started, ready), perf_counter seconds, of the last startup.
timeline: dict[str, tuple[float, float]] = {}


async def sleeping_resource(name: str, **after: Any) -> AsyncIterator[str]:
    """Takes SLEEP seconds to start; ``after`` are the resources it depends on."""
    begun = time.perf_counter()
    await asyncio.sleep(SLEEP)
    timeline[name] = (begun, time.perf_counter())
    yield name


async def slow_to_close(name: str) -> AsyncIterator[str]:
    """Opens at once, takes SLEEP seconds to shut down."""
    yield name
    await asyncio.sleep(SLEEP)


async def link(name: str, after: Any = None) -> AsyncIterator[str]:
    """Opens and closes at once; ``after`` is the resource it depends on."""
    yield name


def _container(name: str, resources: dict[str, providers.Provider[Any]]) -> type[Any]:
    return type(name, (containers.DeclarativeContainer,), resources)


def chain_container(length: int) -> type[Any]:
    resources: dict[str, providers.Provider[Any]] = {}
    previous: providers.Provider[Any] | None = None
    for index in range(length):
        previous = resources[f"r{index}"] = providers.Resource(link, f"r{index}", after=previous)
    return _container(f"Chain{length}", resources)


Independent = _container(
    "Independent",
    {f"r{i}": providers.Resource(sleeping_resource, f"r{i}") for i in range(INDEPENDENT)},
)
IndependentShutdowns = _container(
    "IndependentShutdowns",
    {f"r{i}": providers.Resource(slow_to_close, f"r{i}") for i in range(INDEPENDENT)},
)


class Chain(containers.DeclarativeContainer):
    first = providers.Resource(sleeping_resource, "first")
    second = providers.Resource(sleeping_resource, "second", after=first)
    third = providers.Resource(sleeping_resource, "third", after=second)


#: Chain250, Chain500, Chain1000 and Flat250, ...: dotted paths for LIFESPAN_DI["CONTAINERS"].
for _length in CHAIN_LENGTHS:
    globals()[f"Chain{_length}"] = chain_container(_length)
    globals()[f"Flat{_length}"] = _container(
        f"Flat{_length}", {f"r{i}": providers.Resource(link, f"r{i}") for i in range(_length)}
    )


async def time_lifespan(container: str) -> tuple[float, float]:
    """Seconds from entering ``lifespan()`` to the state (container instances and the graph
    built, everything open), and from leaving it until everything is closed."""
    from django.test import override_settings

    from django_lifespan_di import lifespan

    timeline.clear()
    with override_settings(LIFESPAN_DI={"CONTAINERS": [f"{__name__}.{container}"]}):
        begun = time.perf_counter()
        async with lifespan():
            started = time.perf_counter()
        return started - begun, time.perf_counter() - started


def chain_in_order() -> bool:
    """Whether each chained resource began only after the one it depends on was ready."""
    first, second, third = (timeline[name] for name in ("first", "second", "third"))
    return first[1] <= second[0] and second[1] <= third[0]


async def median_times(container: str, runs: int) -> tuple[float, float]:
    """Median startup and shutdown ms of ``container`` over ``runs`` runs."""
    times = [await time_lifespan(container) for _ in range(runs)]
    return (
        statistics.median(start for start, _ in times) * 1000,
        statistics.median(stop for _, stop in times) * 1000,
    )


async def best_times(container: str, runs: int) -> tuple[float, float]:
    """Best startup and shutdown ms of ``container`` over ``runs`` runs: the engine's own time
    is CPU work, which the other processes of a shared machine only ever lengthen."""
    times = [await time_lifespan(container) for _ in range(runs)]
    return min(start for start, _ in times) * 1000, min(stop for _, stop in times) * 1000


async def startup_times(runs: int) -> dict[str, Any]:
    independent, _ = await median_times("Independent", runs)
    chain, in_order = [], []
    for _ in range(runs):
        chain.append((await time_lifespan("Chain"))[0])
        in_order.append(chain_in_order())
    _, shutdowns = await median_times("IndependentShutdowns", runs)
    scaling: dict[str, dict[str, float]] = {}
    for length in CHAIN_LENGTHS:
        for shape in ("Chain", "Flat"):
            start, stop = await best_times(f"{shape}{length}", runs)
            scaling[f"{shape.lower()}_{length}"] = {"start_ms": start, "stop_ms": stop}
    return {
        "independent_resources": INDEPENDENT,
        "chain_length": 3,
        "sleep_ms": SLEEP * 1000,
        "independent_ms": independent,
        "chain_ms": statistics.median(chain) * 1000,
        "chain_in_order": all(in_order),
        "independent_shutdown_ms": shutdowns,
        "scaling": scaling,
        "chain_lengths": list(CHAIN_LENGTHS),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    import django

    django.setup()
    print(json.dumps(asyncio.run(startup_times(args.runs))))


if __name__ == "__main__":
    main()
