"""A sync worker process (Celery-style): the lifespan on an event loop of its own thread."""

from __future__ import annotations

import asyncio
import threading

from django_lifespan_di import lifespan, run_in_lifespan_loop
from docs.examples.commands.stock import fetch_stock


class BackgroundLifespan:
    """Runs the lifespan in a daemon thread from ``start()`` to ``stop()``, once per process."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lifespan", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start every resource; raise the lifespan's StartupError if one fails."""
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Shut every resource down; raise the lifespan's ShutdownError if one fails."""
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to start() or stop(), whichever waits
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with lifespan():
            self._ready.set()
            await self._stop.wait()


def stock_level(sku: str) -> int:
    """A task body: sync code, using the client on the loop the client belongs to."""
    return run_in_lifespan_loop(fetch_stock, sku)
