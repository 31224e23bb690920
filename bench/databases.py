"""The first request's latency with the pool the lifespan warmed, against Django's lazy pool.

Django opens a pool at the first query: the first request of every process waits for the
connections. With ``LIFESPAN_DI["DATABASES"]`` the lifespan has opened them before the process
serves. Each run is a fresh process per variant, against a throwaway PostgreSQL server on
127.0.0.1 (``tests/support/postgres.py``); the request is a sync view's ``SELECT 1`` through
Django's handler, timed from the request to the response, the backend module imported before
in both variants (only the connections differ)::

    python -m bench.databases --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import path

#: The pool of both variants: what a small production process would keep.
POOL = {"min_size": 4, "max_size": 4}


def select_one(request: HttpRequest) -> HttpResponse:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


urlpatterns = [path("", select_one)]


def first_request_ms(variant: str, port: str, password: str) -> float:
    """In this process: Django set up, the lifespan started if ``variant`` is "warmed", then
    the first request timed."""
    from django.conf import settings

    settings.configure(
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["django_lifespan_di"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "postgres",
                "USER": "postgres",
                "PASSWORD": password,
                "HOST": "127.0.0.1",
                "PORT": port,
                "OPTIONS": {"pool": POOL},
            }
        },
        LIFESPAN_DI={"DATABASES": ["default"] if variant == "warmed" else []},
    )
    import django

    django.setup()
    from django.test import Client

    from django_lifespan_di import LifespanThread

    connections["default"]  # the backend module imported in both variants
    client = Client()
    with LifespanThread():
        begun = time.perf_counter()
        response = client.get("/")
        elapsed = (time.perf_counter() - begun) * 1000
        assert response.status_code == 200, response
        connections["default"].close()
    if variant == "lazy":
        connections["default"].close_pool()  # type: ignore[attr-defined]  # nobody else does
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--first-request", choices=["warmed", "lazy"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.first_request:
        port, password = os.environ["BENCH_POSTGRES_PORT"], os.environ["BENCH_POSTGRES_PASSWORD"]
        print(json.dumps(first_request_ms(args.first_request, port, password)))
        return
    from tests.support.postgres import PASSWORD, PostgresServer

    timings: dict[str, list[float]] = {"warmed": [], "lazy": []}
    with PostgresServer() as server:
        env = {**os.environ, "BENCH_POSTGRES_PORT": str(server.port)}
        env["BENCH_POSTGRES_PASSWORD"] = PASSWORD
        for _ in range(args.runs):
            for variant, runs in timings.items():
                done = subprocess.run(
                    [sys.executable, "-m", "bench.databases", "--first-request", variant],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=60,
                )
                runs.append(float(done.stdout.strip().splitlines()[-1]))
    result: dict[str, Any] = {
        "runs": args.runs,
        "pool_min_size": POOL["min_size"],
        "warmed_first_ms": statistics.median(timings["warmed"]),
        "lazy_first_ms": statistics.median(timings["lazy"]),
        "first_ms": timings,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
