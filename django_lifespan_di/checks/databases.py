"""Checks of the databases the lifespan owns (``LIFESPAN_DI["DATABASES"]``): E301, W301-W303.

E301 and W301 read the settings only. W302 and W303 ask the database server how many
connections it allows, so they run only when asked for: ``manage.py check --database default``
(Django runs checks tagged ``database`` only then).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections

from django_lifespan_di import _internals
from django_lifespan_di.conf import SETTING, conf, pool_options
from django_lifespan_di.exceptions import ConfigurationError

#: psycopg_pool's defaults: ``min_size=4``, ``max_size=None`` (as many as ``min_size``).
POOL_MIN_SIZE_DEFAULT = 4
#: The connections a PostgreSQL server keeps for others than ordinary roles (superusers, and
#: from PostgreSQL 16 the roles of ``pg_use_reserved_connections``).
ALLOWED_CONNECTIONS_SQL = (
    "SELECT current_setting('max_connections')::int"
    " - current_setting('superuser_reserved_connections')::int"
    " - coalesce(current_setting('reserved_connections', true)::int, 0)"
)


def owned_aliases() -> tuple[str, ...]:
    try:
        return conf.DATABASES
    except ConfigurationError:
        return ()  # check_settings reports it (E007)


def max_pool_size(options: Mapping[str, Any]) -> int:
    """How many connections a pool with ``options`` may open."""
    min_size = int(options.get("min_size", POOL_MIN_SIZE_DEFAULT))
    return int(options.get("max_size") or min_size)


def workers_per_host() -> tuple[int, str]:
    """How many processes of the project run on a host, and where the figure comes from: the
    docs' formula (``WEB_CONCURRENCY``, which gunicorn and uvicorn read, else gunicorn's rule
    of thumb ``2 x CPUs + 1``)."""
    configured = os.environ.get("WEB_CONCURRENCY", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured), f"WEB_CONCURRENCY = {configured}"
    cpus = os.cpu_count() or 1
    return 2 * cpus + 1, f"2 x {cpus} CPU(s) + 1, as WEB_CONCURRENCY is not set"


@register(Tags.compatibility)
def check_databases(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E301: a listed alias is not in ``settings.DATABASES``; W301: a listed database has no
    pool, so the lifespan cannot warm its connections."""
    messages: list[CheckMessage] = []
    for alias in owned_aliases():
        if alias not in settings.DATABASES:
            messages.append(
                Error(
                    f'settings.{SETTING}["DATABASES"] lists {alias!r}, which is not an alias of '
                    f"settings.DATABASES ({', '.join(map(repr, settings.DATABASES))}).",
                    hint='Remove it, or use one of those aliases (or "__all__").',
                    id="django_lifespan_di.E301",
                )
            )
        elif pool_options(alias) is None:
            engine = settings.DATABASES[alias].get("ENGINE", "")
            messages.append(
                Warning(
                    f"Database {alias!r} ({engine}) has no connection pool: the lifespan checks "
                    f"at startup that it answers (not SQLite's) and at shutdown closes the idle "
                    f"connections this process's threads hold, but it cannot open connections "
                    f"ahead (Django keeps one per thread) nor ping what the requests use.",
                    hint='With PostgreSQL and psycopg 3, set OPTIONS["pool"] (see the guide '
                    '"Database connections"). Silence django_lifespan_di.W301 if that is what '
                    "you want.",
                    id="django_lifespan_di.W301",
                )
            )
    return messages


@register(Tags.database)
def check_pool_sizes(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """W302: the pools of every process together may exceed the connections the server allows;
    W303: that could not be checked (the server did not answer)."""
    messages: list[CheckMessage] = []
    for alias in owned_aliases():
        options = pool_options(alias) if alias in settings.DATABASES else None
        if alias not in (databases or ()) or options is None:
            continue
        wrapper = connections[alias]
        try:
            connection = _internals.connect_directly(wrapper, timeout=5)
        except Exception as exc:
            messages.append(
                Warning(
                    f"The pool size of database {alias!r} could not be checked against the "
                    f"server's max_connections: it did not answer "
                    f"({type(exc).__name__}).",
                    hint="Run the check where the database is reachable.",
                    id="django_lifespan_di.W303",
                )
            )
            continue
        try:
            allowed = int(connection.cursor().execute(ALLOWED_CONNECTIONS_SQL).fetchone()[0])
        finally:
            connection.close()
        workers, because = workers_per_host()
        size = max_pool_size(options)
        if size * workers > allowed:
            messages.append(
                Warning(
                    f"The pool of database {alias!r} may open {size} connection(s) in each "
                    f"process: {workers} process(es) ({because}) need up to {size * workers}, "
                    f"more than the {allowed} the server allows ordinary roles "
                    f"(max_connections minus the reserved ones).",
                    hint='Lower OPTIONS["pool"]["max_size"], set WEB_CONCURRENCY to the number '
                    "of processes that really run against this server, or raise its "
                    'max_connections (the guide "Database connections" has the formula, '
                    "rolling restarts included). Silence django_lifespan_di.W302 if another "
                    "pooler (PgBouncer) sits in between.",
                    id="django_lifespan_di.W302",
                )
            )
    return messages
