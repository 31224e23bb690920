"""The checks of the databases the lifespan owns (``checks/databases.py``): an alias that does not
exist, a database without a pool, pools that together exceed what the server allows (asked of a
real PostgreSQL server, as ``manage.py check --database`` asks it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.support.checks import full_text, our_messages
from tests.support.postgres import (
    PASSWORD,
    PostgresServer,
    database_alias,
)
from tests.support.server import free_port


def owning(*aliases: str) -> Any:
    return override_settings(LIFESPAN_DI={"DATABASES": list(aliases)})


def database_messages(*databases: str) -> dict[str, Any]:
    """The messages of the checks, with those tagged ``database`` run for ``databases``."""
    return {
        message.id: message
        for message in run_checks(databases=list(databases), include_deployment_checks=False)
        if message.id and message.id.startswith("django_lifespan_di.")
    }


@pytest.fixture
def web_concurrency() -> Iterator[None]:
    """As many processes as a host would run: WEB_CONCURRENCY, the docs' formula reads it."""
    before = os.environ.get("WEB_CONCURRENCY")
    os.environ["WEB_CONCURRENCY"] = "40"
    yield
    if before is None:
        del os.environ["WEB_CONCURRENCY"]
    else:
        os.environ["WEB_CONCURRENCY"] = before


def test_an_alias_that_does_not_exist_is_an_error() -> None:
    with owning("replica"):
        error = our_messages()["django_lifespan_di.E301"]
    assert "lists 'replica', which is not an alias of settings.DATABASES ('default')" in (
        full_text(error)
    )


def test_a_database_without_a_pool_says_what_the_lifespan_can_and_cannot_do() -> None:
    with owning("default"):
        warning = our_messages()["django_lifespan_di.W301"]
    text = full_text(warning)
    assert "Database 'default' (django.db.backends.sqlite3) has no connection pool" in text
    assert "cannot open connections ahead" in text
    assert 'set OPTIONS["pool"]' in text


def test_postgresql_without_a_pool_is_not_pooled(
    postgres_server: PostgresServer,
) -> None:
    entry = {**postgres_server.database_settings(), "CONN_MAX_AGE": 60}
    with database_alias("persistent_check", entry), owning("persistent_check"):
        messages = database_messages("persistent_check")
    assert "Database 'persistent_check' (django.db.backends.postgresql)" in full_text(
        messages["django_lifespan_di.W301"]
    )
    assert "django_lifespan_di.W302" not in messages


def test_owning_a_database_is_something_to_start() -> None:
    with owning("default"):
        assert "django_lifespan_di.W201" not in our_messages()


def test_a_malformed_setting_is_reported_once_by_the_settings_check() -> None:
    with owning(), override_settings(LIFESPAN_DI={"DATABASES": "default"}):
        messages = our_messages()
    assert "django_lifespan_di.E007" in messages
    assert not {"django_lifespan_di.E301", "django_lifespan_di.W301"} & set(messages)


@pytest.mark.usefixtures("web_concurrency")
def test_pools_of_every_process_beyond_what_the_server_allows_warn(
    postgres_server: PostgresServer,
) -> None:
    """40 processes x 4 connections = 160 > the 100 - 3 reserved of a default server."""
    entry = postgres_server.database_settings(pool={"min_size": 1, "max_size": 4})
    with database_alias("sized", entry), owning("sized"):
        assert "django_lifespan_di.W302" not in our_messages()  # only with --database
        warning = database_messages("sized")["django_lifespan_di.W302"]
    text = full_text(warning)
    assert "may open 4 connection(s) in each process: 40 process(es) (WEB_CONCURRENCY = 40)" in (
        text
    )
    assert "need up to 160, more than the 97 the server allows" in text


def test_pools_within_what_the_server_allows_pass(
    postgres_server: PostgresServer,
) -> None:
    entry = postgres_server.database_settings(pool=True)  # psycopg_pool's 4 connections
    with database_alias("small", entry), owning("small", "default"):
        messages = database_messages("small", "default")
    assert "django_lifespan_di.W302" not in messages
    assert "django_lifespan_di.W303" not in messages


def test_a_server_that_does_not_answer_cannot_be_checked(
    postgres_server: PostgresServer,
) -> None:
    entry = {**postgres_server.database_settings(pool=True), "PORT": str(free_port())}
    with database_alias("unreachable", entry), owning("unreachable"):
        warning = database_messages("unreachable")["django_lifespan_di.W303"]
    assert "could not be checked" in full_text(warning)
    assert PASSWORD not in full_text(warning)
