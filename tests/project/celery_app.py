"""The test project's Celery app: ``celery -A tests.project.celery_app worker``.

Configured from the settings (``CELERY_*``: the broker and result backend are the tests'
``redis-server``, ``LIFESPAN_DI_TEST_REDIS_URL``). Each task reports the process, thread and
objects it got, so a test can tell that every task of a worker process used the same ones.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from celery import Celery
from django.db import connections

from django_lifespan_di import Provide, inject, run_in_lifespan_loop
from django_lifespan_di.celery import setup_lifespan
from tests.project.containers import Container, Tracked, describe

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

app = Celery("tests.project")
app.config_from_object("django.conf:settings", namespace="CELERY")
setup_lifespan(app)


@app.task
@inject
def shared_objects(
    seconds: float = 0.0,
    client: Tracked = Provide[Container.http_client],
    cache: Tracked = Provide[Container.cache],
) -> dict[str, Any]:
    """The objects this task got; it takes ``seconds`` so that tasks overlap in a pool."""
    time.sleep(seconds)
    return {**describe(client=client, cache=cache), "thread": threading.current_thread().name}


@app.task
@inject
def ping_with_run_in_lifespan_loop(client: Tracked = Provide[Container.http_client]) -> str:
    return run_in_lifespan_loop(client.ping)


@app.task
@inject
def ping_with_async_to_sync(client: Tracked = Provide[Container.http_client]) -> str:
    # The task's thread serves the lifespan's loop: async_to_sync runs the coroutine there.
    return async_to_sync(client.ping)()


@app.task
def database_backend() -> dict[str, int]:
    """The worker process and the PostgreSQL backend that served its query (alias ``pg``)."""
    with connections["pg"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    return {"pid": os.getpid(), "backend": backend}
