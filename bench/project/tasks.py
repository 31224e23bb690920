"""The Celery app of the task benchmark: each task makes one GET to the local upstream.

The worker runs ``celery -A bench.project.tasks worker --pool threads`` with the settings of the
``lifespan_di`` variant; ``setup_lifespan(app)`` runs the lifespan in the worker process, so
``pooled_get`` uses the shared ``httpx.AsyncClient`` it opened (on the lifespan's loop, through
``run_in_lifespan_loop``). The other two open a client per task: an async one (what
``pooled_get`` would be without the lifespan) and a sync one.
"""

from __future__ import annotations

import os

import httpx
from asgiref.sync import async_to_sync
from celery import Celery

from bench.project.containers import Container
from bench.project.variant import UPSTREAM_URL
from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from django_lifespan_di.celery import setup_lifespan

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")

app = Celery("bench", broker=BROKER_URL, backend=BROKER_URL)
app.conf.update(task_acks_late=False, worker_prefetch_multiplier=4, result_expires=600)
setup_lifespan(app)


@app.task(name="bench.pooled_get")  # type: ignore[untyped-decorator]  # Celery has no hints
@inject
def pooled_get(client: httpx.AsyncClient = Provide[Container.http_client]) -> int:
    """Through the shared pooled client the lifespan opened."""
    return run_in_lifespan_loop(client.get, "/").status_code


async def _get_with_new_client() -> int:
    async with httpx.AsyncClient(base_url=UPSTREAM_URL) as client:
        return (await client.get("/")).status_code


@app.task(name="bench.unpooled_get")  # type: ignore[untyped-decorator]
def unpooled_get() -> int:
    """Through a new ``httpx.AsyncClient`` opened for the task (and its TLS context)."""
    return async_to_sync(_get_with_new_client)()


@app.task(name="bench.unpooled_sync_get")  # type: ignore[untyped-decorator]
def unpooled_sync_get() -> int:
    """Through a new sync ``httpx.Client`` opened for the task."""
    with httpx.Client(base_url=UPSTREAM_URL) as client:
        return client.get("/").status_code
