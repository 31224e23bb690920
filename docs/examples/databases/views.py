"""A view of the guide "Database connections" that uses the pool itself."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from psycopg_pool import ConnectionPool

from django_lifespan_di import Provide, inject
from django_lifespan_di.databases import database_pool

# --8<-- [start:view]
default_pool = database_pool("default")


@inject
def database_time(
    request: HttpRequest, pool: ConnectionPool = Provide[default_pool]
) -> JsonResponse:
    # The ORM needs none of this: Django takes its connections from the same pool.
    with pool.connection() as connection:
        row = connection.execute("SELECT now()::text").fetchone()
    return JsonResponse({"now": row[0] if row else None})


# --8<-- [end:view]
