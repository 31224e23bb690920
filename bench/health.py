"""The health probes: ``readyz`` answered from the pings' cache, and pings that run concurrently.

- ``RESOURCES`` resources, each with a ping: once the cache is warm, the median time Django takes
  to answer ``readyz`` in-process (the whole request path, middleware and view, no network):
  what the server spends on each probe;
- ``RESOURCES`` pings that take ``SLEEP`` s each: the time of the first probe, which waits for
  all of them (concurrent: about ``SLEEP``, not ``RESOURCES * SLEEP``).

One process per run, its JSON on the last line::

    python -m bench.health --runs 5
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
RESOURCES = 10
PROBES = 2000


async def resource(name: str) -> AsyncIterator[str]:
    yield name


async def instant_ping(value: str) -> None:
    pass


async def slow_ping(value: str) -> None:
    await asyncio.sleep(SLEEP)


Pinged = type(
    "Pinged",
    (containers.DeclarativeContainer,),
    {f"r{i}": providers.Resource(resource, f"r{i}") for i in range(RESOURCES)},
)


def register(ping: Any) -> None:
    from django_lifespan_di import register_ping

    for i in range(RESOURCES):
        register_ping(getattr(Pinged, f"r{i}"), ping)


async def first_probe_ms(runs: int) -> float:
    """Median time of the probe that finds the cache empty and waits for every ping."""
    from django_lifespan_di import lifespan
    from django_lifespan_di.health import readiness

    register(slow_ping)
    times = []
    for _ in range(runs):
        async with lifespan():
            begun = time.perf_counter()
            report = await readiness()
            times.append(time.perf_counter() - begun)
            assert report.status == "pass", report
    return statistics.median(times) * 1000


async def cached_probe_ms(runs: int) -> float:
    """Median time Django takes to answer readyz from a warm cache."""
    from django.test import AsyncClient

    from django_lifespan_di import lifespan

    register(instant_ping)
    client = AsyncClient()
    medians = []
    for _ in range(runs):
        async with lifespan():
            assert (await client.get("/readyz/")).status_code == 200  # the pings, once
            times = []
            for _ in range(PROBES):
                begun = time.perf_counter()
                await client.get("/readyz/")
                times.append(time.perf_counter() - begun)
            medians.append(statistics.median(times))
    return min(medians) * 1000


async def measure(runs: int) -> dict[str, Any]:
    from django.test import override_settings

    with override_settings(
        LIFESPAN_DI={"CONTAINERS": [f"{__name__}.Pinged"], "PING_MAX_AGE": 3600},
        ROOT_URLCONF="django_lifespan_di.health.urls",
    ):
        return {
            "resources": RESOURCES,
            "sleep_ms": SLEEP * 1000,
            "concurrent_pings_ms": await first_probe_ms(runs),
            "readyz_cached_ms": await cached_probe_ms(runs),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    import django

    django.setup()
    print(json.dumps(asyncio.run(measure(args.runs))))


if __name__ == "__main__":
    main()
