"""Celery tasks (``myapp/tasks.py``) that use the shared client."""

from __future__ import annotations

# --8<-- [start:tasks]
from celery import shared_task
from redis.asyncio import Redis

from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from docs.examples.workers.containers import Container
from docs.examples.workers.visits import add_visit


@shared_task
@inject
def record_visit(page: str, redis: Redis = Provide[Container.redis]) -> int:
    # A task body is sync: the coroutine runs on the lifespan's event loop, where the
    # client's connections belong, and the task waits for its result.
    return run_in_lifespan_loop(add_visit, redis, page)


# --8<-- [end:tasks]
