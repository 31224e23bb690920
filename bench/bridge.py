"""Sync code calling async code: ``run_in_lifespan_loop`` against ``async_to_sync``, per call.

In a process with no server loop (a WSGI worker, a Celery task, a command), the lifespan runs in
a ``LifespanThread``. ``run_in_lifespan_loop`` hands each coroutine to that loop;
``async_to_sync`` in a thread that serves no loop builds an event loop (and a thread to run it)
for every call, so an async client opened on another loop cannot be used there: each call opens
a client of its own. Timed from the main thread, best of ``--repeat`` interleaved runs:

- a coroutine that does nothing (what the bridge itself costs);
- one GET to the local upstream (``bench/upstream.py``, whose URL is ``BENCH_UPSTREAM_URL``):
  through the shared pooled client on the lifespan's loop, against a new client per call.

One process per run, its JSON on the last line::

    BENCH_UPSTREAM_URL=http://127.0.0.1:8001 python -m bench.bridge --calls 200 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

#: The GETs take longer than the empty coroutine: they run this fraction of the calls (a new
#: client costs about 20 ms here, most of it loading the CA bundle into its TLS context).
GET_FRACTION = 4
NEW_CLIENT_FRACTION = 10


async def nothing() -> None:
    """The empty coroutine."""


def time_calls(call: Callable[[], Any], number: int) -> float:
    """Microseconds per call over ``number`` calls."""
    begun = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - begun) / number * 1e6


def bridge_costs(calls: int, repeat: int) -> dict[str, float]:
    import httpx
    from asgiref.sync import async_to_sync

    from bench.project.containers import Container
    from bench.project.variant import UPSTREAM_URL
    from django_lifespan_di import LifespanThread, resolve, run_in_lifespan_loop

    async def get_with_new_client() -> int:
        async with httpx.AsyncClient(base_url=UPSTREAM_URL) as client:
            return (await client.get("/")).status_code

    with LifespanThread():
        shared = resolve(Container.http_client)

        def get_shared() -> int:
            return run_in_lifespan_loop(shared.get, "/").status_code

        cases: dict[str, tuple[Callable[[], Any], int]] = {
            "run_in_lifespan_loop": (lambda: run_in_lifespan_loop(nothing), calls),
            "async_to_sync": (lambda: async_to_sync(nothing)(), calls),
            "get_shared_client": (get_shared, calls // GET_FRACTION),
            "get_new_client": (async_to_sync(get_with_new_client), calls // NEW_CLIENT_FRACTION),
        }
        for call, _ in cases.values():
            assert call() in (None, 200)
        best = dict.fromkeys(cases, float("inf"))
        for _ in range(repeat):
            for name, (call, number) in cases.items():
                best[name] = min(best[name], time_calls(call, max(number, 10)))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    import django

    django.setup()
    costs = bridge_costs(args.calls, args.repeat)
    print(json.dumps({"us_per_call": costs, "calls": args.calls, "repeat": args.repeat}))


if __name__ == "__main__":
    main()
