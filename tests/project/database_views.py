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
