"""The examples of docs/guides/databases.md: the settings, and the view that injects the pool,
served by a lifespan against a real PostgreSQL server."""

from __future__ import annotations

import json
from typing import Any

from django.test import RequestFactory, override_settings
from psycopg_pool import ConnectionPool

from django_lifespan_di import LifespanThread
from django_lifespan_di.conf import conf
from docs.examples.databases import settings as example
from docs.examples.databases.views import database_time
from tests.support.postgres import (
    PostgresServer,
    database_alias,
    in_forked_child,
)


def test_the_settings_are_what_the_lifespan_and_psycopg_pool_accept() -> None:
    with override_settings(LIFESPAN_DI={**example.LIFESPAN_DI, "CONTAINERS": []}):
        assert conf.DATABASES == ("default",)
    options = example.DATABASES["default"]["OPTIONS"]["pool"]
    ConnectionPool(**options, open=False)  # psycopg_pool's own arguments


def test_the_view_uses_the_pool_the_lifespan_opened(
    postgres_server: PostgresServer,
) -> None:
    """The guide's alias is ``default``: replaced in a forked child, whose ``default`` it is."""
    entry: dict[str, Any] = postgres_server.database_settings(
        **example.DATABASES["default"]["OPTIONS"]
    )

    def serve() -> dict[str, Any]:
        with (
            database_alias("default", entry),
            override_settings(LIFESPAN_DI={"DATABASES": ["default"]}),
            LifespanThread(),
        ):
            response = database_time(RequestFactory().get("/now/"))
        answer: dict[str, Any] = json.loads(response.content)
        return answer

    assert "now" in in_forked_child(serve)  # type: ignore[operator]
