"""Django Tasks (``myapp/tasks.py``) that use the shared client, a sync and an async one."""

from __future__ import annotations

# --8<-- [start:tasks]
from redis.asyncio import Redis

from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from docs.examples.workers.containers import Container
from docs.examples.workers.visits import add_visit

try:
    from django.tasks import task  # Django 6
except ImportError:  # Django 5.2, with the django-tasks backport
    from django_tasks import task  # type: ignore[no-redef,unused-ignore]


@task
@inject
async def record_visit(page: str, redis: Redis = Provide[Container.redis]) -> int:
    return await add_visit(redis, page)


@task
@inject
def record_visit_sync(page: str, redis: Redis = Provide[Container.redis]) -> int:
    return run_in_lifespan_loop(add_visit, redis, page)


# --8<-- [end:tasks]
