"""The test project's Django Tasks: a sync and an async task that use the shared resources.

Each answers with the objects it got (``describe``) and a ``ping`` of the async client, which
works only on the loop the client was opened on: the sync task sends it there with
``run_in_lifespan_loop``; the async one awaits it (``Task.call()`` runs it with
``async_to_sync``, on the loop of the lifespan serving the calling thread).
"""

from __future__ import annotations

from typing import Any

from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from tests.project.containers import Container, Tracked, describe

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django_tasks backport
    from django_tasks import task  # type: ignore[no-redef,unused-ignore]


@task
@inject
def sync_task(
    client: Tracked = Provide[Container.http_client], cache: Tracked = Provide[Container.cache]
) -> dict[str, Any]:
    return {"ping": run_in_lifespan_loop(client.ping), **describe(client=client, cache=cache)}


@task
@inject
async def async_task(
    client: Tracked = Provide[Container.http_client], cache: Tracked = Provide[Container.cache]
) -> dict[str, Any]:
    return {"ping": await client.ping(), **describe(client=client, cache=cache)}
