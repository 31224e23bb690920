"""Which run of the lifespan serves the calling code, and what to say when none does.

Code on an event loop gets that loop's runtime; sync code gets the runtime of the loop its
thread serves (a sync view's server loop, a WSGI or worker thread bound to a
``LifespanThread``), or the process's only one. A forked child forgets its parent's: it never
uses them.
"""

from __future__ import annotations

import asyncio
import os
import typing
from collections.abc import Callable, Mapping
from types import CodeType
from typing import TYPE_CHECKING, Any, TypeVar

from dependency_injector import containers

from django_lifespan_di import _internals
from django_lifespan_di.exceptions import EventLoopError, LifespanNotRunning
from django_lifespan_di.naming import dotted_name

if TYPE_CHECKING:
    from django_lifespan_di.runtime import Phase, Runtime

#: The running runtime of each event loop. Code on a loop gets that loop's; sync code gets the
#: one of the loop its thread serves (a sync view's server loop), or the process's only one.
_by_loop: dict[asyncio.AbstractEventLoop, Runtime] = {}
#: Frames that hold a run's objects while they run (code -> the call's name, from the frame's
#: locals, whose ``runtime`` is that run): ``@inject``'s calls, requests with request.state.
#: Shutdown waits until none is left (``Runtime.in_flight()``).
CALL_FRAMES: dict[CodeType, Callable[[Mapping[str, Any]], str]] = {}


def activate(runtime: Runtime) -> None:
    """Make ``runtime`` the one that serves its loop (and that loop's thread)."""
    assert runtime.loop is not None
    _by_loop[runtime.loop] = runtime


def deactivate(runtime: Runtime) -> None:
    assert runtime.loop is not None
    # A loop has one runtime at most (``Runtime.start`` refuses a second before activating);
    # in a forked child, none (the fork hook below forgets them).
    _by_loop.pop(runtime.loop, None)


def serves(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether a runtime already serves ``loop``."""
    return loop in _by_loop


#: Set in a forked child that inherited running lifespans from its parent, for the message.
_parent_pid: int | None = None
#: ``(pid, error)`` of the process lifespan's failed startup (``process.py``), for the message.
process_startup_failure: tuple[int, BaseException] | None = None

FORK_FIX = (
    "Start the lifespan in the child: django_lifespan_di.wsgi.get_wsgi_application() and "
    "django_lifespan_di.celery.setup_lifespan(app) do it in each worker process; elsewhere "
    "start a django_lifespan_di.LifespanThread after the fork."
)
OTHER_LOOP = (
    "The lifespan runs on another event loop than this code, and the objects it opened "
    "(connection pools, async clients) belong to that loop. From sync code, reach them with "
    "django_lifespan_di.run_in_lifespan_loop(); in tests, run the code in the loop of the "
    "`lifespan` fixture (or use the `lifespan_thread` fixture for sync tests and live_server)."
)
NOT_RUNNING_CAUSES = (
    "The usual causes: the server does not run the lifespan (uvicorn --lifespan off; a WSGI "
    "server or manage.py runserver whose wsgi.py does not use "
    "django_lifespan_di.wsgi.get_wsgi_application()); asgi.py does not use "
    "django_lifespan_di.asgi.get_asgi_application(); a worker or command "
    "that runs no lifespan (see django_lifespan_di.celery.setup_lifespan and `manage.py "
    "with_lifespan`); or, in tests, the code does not run inside the `lifespan` fixture or "
    "`async with django_lifespan_di.lifespan():`."
)
#: The body of the 503 answered by a server process whose lifespan failed to start.
UNAVAILABLE = (
    b"503 Service Unavailable: the lifespan of this server process failed to start (the "
    b"server log names what failed).\n"
)
PHASE_WORDS: dict[Phase, str] = {
    "created": "not started yet",
    "starting": "still starting",
    "running": "running",
    "draining": "shutting down",
    "stopping": "shutting down",
    "stopped": "shut down",
}


#: This process's id, kept current by the fork hook below: ``os.getpid()`` is a system call
#: (about 200 ns on a VM), which the guards would make several times for every request.
process_id = os.getpid()


def _forget_parent_runtimes() -> None:
    global _parent_pid, process_id
    process_id = os.getpid()
    if _by_loop:
        _parent_pid = next(iter(_by_loop.values())).pid
    for runtime in _by_loop.values():
        runtime.unpublish()
    _by_loop.clear()


os.register_at_fork(after_in_child=_forget_parent_runtimes)


def current_runtime() -> Runtime:
    """The runtime serving the calling code; ``LifespanNotRunning`` (with why) if none."""
    loop = _internals.running_loop()
    if loop is not None:
        runtime = _by_loop.get(loop)
        if runtime is not None:
            return runtime
    else:
        serving = _internals.serving_loop()
        runtime = _by_loop.get(serving) if serving is not None else None
        if runtime is not None:
            return runtime
        if len(_by_loop) == 1:
            return next(iter(_by_loop.values()))
    raise _not_running(loop)


def _not_running(loop: asyncio.AbstractEventLoop | None) -> LifespanNotRunning:
    if not _by_loop:
        failure = process_startup_failure
        if failure is not None and failure[0] == process_id:
            return LifespanNotRunning(
                f"The lifespan of this process (pid {failure[0]}) failed to start, so nothing it "
                f"owns is available here: {failure[1]}"
            )
        if _parent_pid is not None:
            return LifespanNotRunning(
                f"The lifespan is not running in this process (pid {os.getpid()}), a fork of "
                f"pid {_parent_pid} whose lifespan a child never uses. {FORK_FIX}"
            )
        return LifespanNotRunning(f"The lifespan is not running. {NOT_RUNNING_CAUSES}")
    if loop is None:
        return LifespanNotRunning(
            "Several lifespans are running in this process, and code without an event loop "
            "cannot tell which one it belongs to. Run it inside the event loop of its lifespan."
        )
    return EventLoopError(OTHER_LOOP)


def running_runtime() -> Runtime | None:
    """Like ``current_runtime()``, but None when no lifespan serves this code."""
    try:
        return current_runtime()
    except LifespanNotRunning:
        return None


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
    runtime = current_runtime()
    runtime.check_serving(dotted_name(cls))
    return typing.cast(ContainerT, runtime.container(cls))
