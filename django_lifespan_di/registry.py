"""Which run of the lifespan serves the calling code, and what to say when none does.

Code on an event loop gets that loop's runtime; sync code gets the runtime of the loop its
thread serves (a sync view's server loop, a WSGI or worker thread bound to a
``LifespanThread``), or the process's only one. A forked child has none of its parent's
(``runtime.py`` forgets them at the fork).
"""

from __future__ import annotations

import asyncio
import logging
import os
import typing
from typing import TypeVar

from dependency_injector import containers

from django_lifespan_di import _internals, runtime
from django_lifespan_di.exceptions import EventLoopError, LifespanNotRunning
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.runtime import FORK_FIX, OTHER_LOOP, Runtime

NOT_RUNNING_CAUSES = (
    "The usual causes: the server does not run the lifespan (uvicorn --lifespan off; a WSGI "
    "server or manage.py runserver whose wsgi.py does not use "
    "django_lifespan_di.wsgi.get_wsgi_application()); asgi.py does not use "
    "django_lifespan_di.asgi.get_asgi_application(); a worker or command "
    "that runs no lifespan (see django_lifespan_di.celery.setup_lifespan and `manage.py "
    "with_lifespan`); or, in tests, the code does not run inside a lifespan: use the pytest "
    "fixture `lifespan` (async tests) or `lifespan_thread` (sync tests, live_server); with "
    "unittest or manage.py test, add django_lifespan_di.testing.LifespanTestMixin to the test "
    "case's bases (each test method then runs in one; setUpClass and setUpTestData do not); "
    "elsewhere `async with django_lifespan_di.lifespan():`."
)
logger = logging.getLogger("django_lifespan_di")

#: The body of the 503 answered by a server process whose lifespan failed to start.
UNAVAILABLE = (
    b"503 Service Unavailable: the lifespan of this server process failed to start (the "
    b"server log names what failed).\n"
)


def current_runtime() -> Runtime:
    """The runtime serving the calling code; ``LifespanNotRunning`` (with why) if none."""
    runs = runtime.runs_by_loop
    loop = _internals.running_loop()
    if loop is not None:
        found = runs.get(loop)
        if found is not None:
            return found
    else:
        routed = _internals.async_to_sync_loop(runtime.process_id)
        found = runs.get(routed) if routed is not None else None
        if found is not None:
            return found
        if len(runs) == 1:
            return next(iter(runs.values()))
    raise _not_running(loop)


def runtime_or_none() -> Runtime | None:
    """``current_runtime()``, or None where no lifespan serves the calling code."""
    try:
        return current_runtime()
    except LifespanNotRunning:
        return None


# The first use of a resource without a lifespan is where a server that runs none (uvicorn
# --lifespan off, a wsgi.py built with Django's own handler) or a test outside one shows itself;
# later uses only repeat it. Requests that use no resource (a test suite's plain views) say
# nothing: they asked nothing of the lifespan.
_warned_not_running = False


def warn_not_running_once(reason: str) -> None:
    """Log, once per process, that something asked for the lifespan and none runs, and why."""
    global _warned_not_running
    if _warned_not_running:
        return
    _warned_not_running = True
    logger.warning(
        "The lifespan did not run: no resource was started and request.state is empty, so "
        "every use of a resource raises LifespanNotRunning. Cause: %s",
        reason,
    )


def _not_running(loop: asyncio.AbstractEventLoop | None) -> LifespanNotRunning:
    if not runtime.runs_by_loop:
        failure = runtime.process_startup_failure
        if failure is not None and failure[0] == runtime.process_id:
            return LifespanNotRunning(
                f"The lifespan of this process (pid {failure[0]}) failed to start, so nothing it "
                f"owns is available here: {failure[1]}"
            )
        cut_short = runtime.startup_cut_short
        if cut_short is not None and cut_short[0] == runtime.process_id:
            return LifespanNotRunning(f"The lifespan is not running. {cut_short[1]}")
        if runtime.parent_pid is not None:
            return LifespanNotRunning(
                f"The lifespan is not running in this process (pid {os.getpid()}), a fork of "
                f"pid {runtime.parent_pid} whose lifespan a child never uses. {FORK_FIX}"
            )
        return LifespanNotRunning(f"The lifespan is not running. {NOT_RUNNING_CAUSES}")
    if loop is None:
        return LifespanNotRunning(
            "Several lifespans are running in this process, and code without an event loop "
            "cannot tell which one it belongs to. Run it inside the event loop of its lifespan."
        )
    return EventLoopError(OTHER_LOOP)


ContainerT = TypeVar("ContainerT", bound=containers.DeclarativeContainer)


def get_container(cls: type[ContainerT]) -> ContainerT:
    """The live instance of ``cls`` started by the running lifespan.

    For code that is not a view (services, signal receivers). Typed as ``cls()`` is, so
    ``get_container(Container).config.greeting`` type-checks. Its providers hand out the
    lifespan's objects only while it runs. Raises
    [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when no lifespan is running
    and [``ConfigurationError``][django_lifespan_di.ConfigurationError] for a container that is
    not configured.
    """
    # dependency-injector instantiates a DeclarativeContainer as a DynamicContainer with the
    # same providers; its stubs type `cls()` as `cls`, and so does this.
    found = current_runtime()
    found.check_may_hand_out(dotted_name(cls))
    return typing.cast(ContainerT, found.container(cls))
