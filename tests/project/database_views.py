"""Views of the database pool tests: a query on the lifespan's PostgreSQL alias ``pg``."""

from __future__ import annotations

import os

from django.db import connections
from django.http import HttpRequest, JsonResponse


def database_view(request: HttpRequest) -> JsonResponse:
    """The server process and the PostgreSQL backend that served its query."""
    with connections["pg"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    return JsonResponse({"pid": os.getpid(), "backend": backend})


def pool_view(request: HttpRequest) -> JsonResponse:
    """The same, through the lifespan's pool of ``pg`` in ``request.state``: refused with
    ``ResourceNotReady`` (a 503) while the pool is deferred and not open yet."""
    pool = request.state["pg"]  # type: ignore[attr-defined]
    with pool.connection() as connection:
        (backend,) = connection.execute("SELECT pg_backend_pid()").fetchone()
    return JsonResponse({"pid": os.getpid(), "backend": backend})
