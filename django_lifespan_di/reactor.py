"""The lifespan under daphne, which never sends the ASGI lifespan: run on Twisted's reactor.

daphne serves ASGI applications on Twisted's asyncio reactor and has no lifespan protocol. When
that reactor runs the event loop an application is served on, the lifespan is run on that loop
as the reactor starts (``reactor.callWhenRunning``): its objects belong to the loop that serves
the requests, as under any ASGI server. Requests that arrive before startup has finished wait
for it; if it failed (logged with the culprit), every request is answered 503. The shutdown is a
``"before"`` trigger of the reactor's ``"shutdown"`` event, which Twisted fires on SIGTERM and
SIGINT and waits for; a process that exits while the reactor still runs in another thread
(``manage.py runserver`` with daphne and the autoreloader) stops it on the way out.

Nothing here runs unless Twisted's asyncio reactor is installed (daphne installs it when it is
imported) and running the loop: under uvicorn, hypercorn or granian the ASGI lifespan is used,
and ``uvicorn --lifespan off`` still serves without one, with the usual warning.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any

from django_lifespan_di import _internals, events
from django_lifespan_di.runtime import lifespan, stop_wait_limit

#: The lifespan of each installed reactor (one per process), so that every application built
#: with ``get_asgi_application()`` shares one, as they would share the server's lifespan.
_by_reactor: dict[Any, ReactorLifespan] = {}


def installed_reactor() -> Any:
    """Twisted's reactor if it is the asyncio one (daphne's), else None; imports nothing new."""
    reactor = sys.modules.get("twisted.internet.reactor")
    asyncioreactor = sys.modules.get("twisted.internet.asyncioreactor")
    if asyncioreactor is None or not isinstance(reactor, asyncioreactor.AsyncioSelectorReactor):
        return None
    return reactor


def reactor_lifespan() -> ReactorLifespan | None:
    """The lifespan of the installed asyncio reactor, scheduled to start when it runs."""
    reactor = installed_reactor()
    if reactor is None:
        return None
    found = _by_reactor.get(reactor)
    if found is None:
        found = _by_reactor[reactor] = ReactorLifespan(reactor)
        reactor.callWhenRunning(found.start)
    return found


class ReactorLifespan:
    """One run of the lifespan on the event loop of Twisted's asyncio reactor."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.loop: asyncio.AbstractEventLoop = _internals.asyncio_reactor_loop(reactor)
        self._started: asyncio.Future[bool] | None = None
        # Bound to the loop that first waits for it (the reactor's), not at creation.
        self._stop_requested = asyncio.Event()
        self._finished = threading.Event()

    def runs_loop(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether the reactor runs ``loop`` now, so its requests are this lifespan's."""
        return loop is self.loop and bool(self.reactor.running)

    def start(self) -> asyncio.Future[bool]:
        """Start the lifespan (once) on the reactor's loop, from that loop; its outcome."""
        if self._started is not None:
            return self._started
        started = self._started = self.loop.create_future()
        task = self.loop.create_task(self._run(started))
        self.reactor.addSystemEventTrigger("before", "shutdown", self._before_shutdown, task)
        _internals.at_interpreter_exit(self._stop_at_exit)
        return started

    async def wait_started(self) -> bool:
        """Start it if need be and wait; whether it runs (False: its startup failed)."""
        return await asyncio.shield(self.start())

    async def _run(self, started: asyncio.Future[bool]) -> None:
        try:
            async with lifespan():
                started.set_result(True)
                await self._stop_requested.wait()
        except Exception:
            if started.done():
                events.emit(
                    "daphne.shutdown_failed",
                    "The lifespan's shutdown failed",
                    level=logging.ERROR,
                    exc_info=True,
                )
            else:
                # The runtime has logged the StartupError, naming the culprit.
                started.set_result(False)
                events.emit(
                    "daphne.startup_failed",
                    "The lifespan failed to start under daphne: every request is answered "
                    "503 until the server is restarted.",
                    level=logging.ERROR,
                )
        finally:
            self._finished.set()

    async def _stop(self, task: asyncio.Task[None]) -> None:
        """Shut the lifespan down (on the reactor's loop) and wait for it."""
        self._stop_requested.set()
        await asyncio.wait([task])

    def _before_shutdown(self, task: asyncio.Task[None]) -> Any:
        """The reactor is stopping (SIGTERM, SIGINT): Twisted waits for the Deferred."""
        from twisted.internet.defer import Deferred

        return Deferred.fromFuture(asyncio.ensure_future(self._stop(task), loop=self.loop))

    def _stop_at_exit(self) -> None:
        """The process exits while the reactor may still run in another thread: stop it there.

        Nothing closes the reactor's loop (neither Twisted nor daphne), so it takes the call.
        """
        if self._finished.is_set() or not self.loop.is_running():
            return
        self.loop.call_soon_threadsafe(self._stop_requested.set)
        limit = stop_wait_limit()
        if not self._finished.wait(limit):
            events.emit(
                "daphne.stop_timed_out",
                "The lifespan did not stop within %g s at interpreter exit",
                limit,
                level=logging.ERROR,
                duration_ms=events.milliseconds(limit),
            )
