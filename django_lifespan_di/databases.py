"""Django's own database connections as resources of the lifespan (``LIFESPAN_DI["DATABASES"]``).

Django (5.1+) pools PostgreSQL connections with psycopg 3 when ``OPTIONS["pool"]`` is set, but
opens the pool lazily at the first query and never closes it: the first requests of every
process pay for the connections, an unreachable database is found by the first user, and a
stopping process drops its connections without a word. For each alias it is given, the
``Databases`` container built here holds one ``Resource`` (``Databases.default``), so a pool is
a resource like any other: opened at startup and filled to its ``min_size`` (concurrently with
what does not depend on it), handed to ``Provide[database_pool("default")]``, closed at shutdown
once everything that depends on it is closed and the requests have drained.

Deferred (``LIFESPAN_DI["DEFERRED"]`` lists the alias), a pool opens after the process serves,
and its opening waits for a database that cannot be reached yet (``owned_databases``) instead
of failing at once. The health probes ping every pool (``health/``).

A database without a pool (``CONN_MAX_AGE`` connections, SQLite) keeps one connection per thread
that uses it, which only that thread may use: nothing can open them ahead. Its resource checks at
startup that the database answers (not SQLite's: a file), and at shutdown closes the idle
connections that this process's threads still hold.

Forks: Django keeps its pools at class level, so a forked child inherits its parent's pool, whose
connections share their sockets with the parent. The child drops it without a word on those
sockets (``os.register_at_fork``), and its own lifespan opens a pool of its own.

This module reads no setting of this package (``conf.container_classes()`` hands it the aliases)
and knows nothing of the engine: it declares resources, the engine runs them.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from django_lifespan_di import _internals
from django_lifespan_di.exceptions import StartupError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = [
    "database_pool",
    "databases_container",
    "open_database",
    "owned_databases",
    "ping_database",
]

logger = logging.getLogger("django_lifespan_di")

#: The name of the container of the pools, so of their units: ``Databases.default``.
CONTAINER_NAME = "Databases"
#: How long a ping waits for a connection of the pool, when its caller gives no timeout.
PING_TIMEOUT_SECONDS = 5.0
#: How often the opening of a deferred database tries it again while it cannot be reached.
PROBE_INTERVAL = 0.5
#: How long closing a pool waits for its background threads (psycopg_pool's own default).
CLOSE_TIMEOUT_SECONDS = 5.0


# -- the resources -------------------------------------------------------------------------------


@functools.cache
def database_pool(alias: str) -> providers.Resource[ConnectionPool[Any] | None]:
    """The ``Resource`` of database ``alias``: its pool, opened by the lifespan.

        @inject
        def report(pool: ConnectionPool = Provide[database_pool("default")]) -> None: ...

    List the alias in ``LIFESPAN_DI["DATABASES"]``. Where the database has no pool (SQLite,
    ``CONN_MAX_AGE``) the resource's value is None. One provider per alias, the same object
    whatever the aliases listed: a marker made at import names it in any configuration.
    """
    return providers.Resource(open_database, alias)


def owned_databases(
    aliases: tuple[str, ...], deferred: Collection[str], patience: float
) -> containers.Container:
    """The instance of ``databases_container(aliases)`` that the lifespan runs, in which the
    pool of each alias of ``deferred`` waits up to ``patience`` seconds for its database.

    Deferred, a pool opens after the process serves: a database that is not up yet is what
    deferring is for, so its opening waits for it (readiness says 503 meanwhile) rather than
    fail at once. Set on this instance's copy of the provider, so markers made at import
    (``database_pool(alias)``) still name it.
    """
    instance = databases_container(aliases)()
    for alias in deferred:
        pool: providers.Resource[Any] = getattr(instance, alias)
        pool.add_kwargs(patience=patience)
    return instance


@functools.cache
def databases_container(aliases: tuple[str, ...]) -> type[containers.DeclarativeContainer]:
    """The container class of the pools of ``aliases``, a ``Resource`` per alias."""
    namespace: dict[str, Any] = {alias: database_pool(alias) for alias in aliases}
    namespace["__module__"] = __name__
    namespace["__qualname__"] = CONTAINER_NAME
    namespace["__doc__"] = f"The database pools the lifespan owns: {', '.join(aliases)}."
    return type(CONTAINER_NAME, (containers.DeclarativeContainer,), namespace)


def open_database(alias: str, patience: float = 0.0) -> Iterator[ConnectionPool[Any] | None]:
    """Open database ``alias`` for the lifespan; close what this process holds of it after.

    Runs in a worker thread (a sync generator). A pool is opened and filled to ``min_size``; a
    database that cannot be reached fails startup at once, naming the alias and the cause,
    never the password; with ``patience`` (a deferred alias) once it has not answered for that
    many seconds.
    """
    wrapper = connections[alias]
    pool = _internals.django_pool(wrapper)
    if pool is None:
        if wrapper.vendor != "sqlite":  # a file: there is nothing to reach
            _probe(alias, wrapper, patience)
        try:
            yield None
        finally:
            hand_back_connections(alias)
        return
    _probe(alias, wrapper, patience)
    try:
        pool.open(wait=True, timeout=pool.timeout)
    except Exception as exc:
        _internals.close_django_pool(wrapper)  # closed and forgotten: no request gets it
        raise failure(
            alias,
            wrapper,
            f"the pool of database {alias!r} ({where(wrapper)}) did not fill to its min_size "
            f"({pool.min_size}) within its timeout ({pool.timeout:g} s): {exc}. Check the "
            f"server's max_connections against the pools of every process (the guide "
            f'"Database connections").',
        ) from None
    logger.info("Opened the pool of database %r: %d connection(s)", alias, pool.min_size)
    try:
        yield pool
    finally:
        returned = hand_back_connections(alias)
        pool.close(timeout=CLOSE_TIMEOUT_SECONDS)
        _internals.close_django_pool(wrapper)  # one that took its place (Celery's fixup)
        logger.info(
            "Closed the pool of database %r (%d connection(s) handed back by threads)",
            alias,
            returned,
        )


def ping_database(alias: str, timeout: float = PING_TIMEOUT_SECONDS) -> None:
    """``SELECT 1`` on database ``alias``: through its pool if it has one, within ``timeout``.

    Raises what the database driver raised (a pool that cannot give a connection in time
    raises ``psycopg_pool.PoolTimeout``). For a readiness check of the pool's resource. SQLite
    is a file: there is nothing to reach (and connecting would create a missing one).
    """
    wrapper = connections[alias]
    if wrapper.vendor == "sqlite":
        return
    pool = _internals.django_pool(wrapper)
    if pool is not None:
        with pool.connection(timeout=timeout) as connection:
            connection.execute("SELECT 1")
        return
    connection = _internals.connect_directly(wrapper, timeout)
    try:
        connection.cursor().execute("SELECT 1")
    finally:
        connection.close()


def _probe(alias: str, wrapper: BaseDatabaseWrapper, patience: float) -> None:
    """One connection of its own, closed at once: a pool that cannot connect retries in the
    background and only says "timeout"; this says why, at once (with ``patience``, once the
    database has not answered for that long; it is tried again every ``PROBE_INTERVAL``)."""
    deadline = time.monotonic() + patience
    waiting = False
    while True:
        left = deadline - time.monotonic()
        try:
            # Within what is left of the patience: a host that drops packets never refuses.
            _internals.connect_directly(wrapper, left if patience else None).close()
            return
        except Exception as exc:
            if left <= 0:
                raise failure(
                    alias,
                    wrapper,
                    f"database {alias!r} ({where(wrapper)}) cannot be reached: "
                    f"{type(exc).__name__}: {str(exc).strip()}",
                ) from None  # the driver's own exception may hold the connection parameters
        if not waiting:
            waiting = True
            logger.warning(
                "Database %r cannot be reached yet: waiting up to %g s for it (deferred)",
                alias,
                patience,
            )
        time.sleep(min(PROBE_INTERVAL, left))


def where(wrapper: BaseDatabaseWrapper) -> str:
    """``PostgreSQL at 127.0.0.1:5432, database 'app', user 'web'``: never the password."""
    settings = wrapper.settings_dict
    host = settings.get("HOST") or "the default host"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    user = f", user {settings['USER']!r}" if settings.get("USER") else ""
    return f"{wrapper.display_name} at {host}{port}, database {settings.get('NAME')!r}{user}"


def failure(alias: str, wrapper: BaseDatabaseWrapper, why: str) -> StartupError:
    """The startup error of ``alias``, with the password of its database blotted out wherever
    it shows (a server repeats what it was sent: a database name, a user)."""
    message = f"{CONTAINER_NAME}.{alias} failed to start: {why}"
    password = wrapper.settings_dict.get("PASSWORD")
    if password:
        message = message.replace(password, "********")
    return StartupError(message, culprit=f"{CONTAINER_NAME}.{alias}")


# -- the connections of this process's threads --------------------------------------------------

#: The database wrappers (one per thread and alias) that connected in this process.
_wrappers: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()
_wrappers_lock = threading.Lock()


def _track(
    sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    with _wrappers_lock:
        _wrappers.add(connection)


connection_created.connect(_track, dispatch_uid="django_lifespan_di.databases")


def hand_back_connections(alias: str) -> int:
    """Close the connections of ``alias`` that threads of this process hold but do not use:
    a pooled one goes back to its pool, another one is closed. Returns how many.

    At shutdown, after the requests drained: Django gives a thread's connection back at the end
    of a request or task, but a management command's, or a thread's with ``CONN_MAX_AGE``, stays
    with it until the process dies, and PostgreSQL sees those die as an unexpected EOF. One in a
    transaction is left alone: its thread is not done with it.
    """
    with _wrappers_lock:
        held = [w for w in _wrappers if w.alias == alias and w.connection is not None]
    returned = 0
    for wrapper in held:
        if wrapper.in_atomic_block:
            logger.warning(
                "A thread still holds a connection of database %r in a transaction at "
                "shutdown: it is left open",
                alias,
            )
            continue
        _internals.close_for_other_thread(wrapper)
        returned += 1
    return returned


def _drop_inherited_pools() -> None:
    """In a forked child: forget the parent's pools and connections, closing nothing (a close
    would end the parent's sessions: the sockets are shared)."""
    global _wrappers_lock
    # A thread of the parent may have held it at the fork: the child's copy would stay locked.
    _wrappers_lock = threading.Lock()
    inherited = list(_wrappers)
    _wrappers.clear()
    _internals.disown_django_pools(inherited)


os.register_at_fork(after_in_child=_drop_inherited_pools)
