"""A sync worker process (RQ-style, a thread pool): the lifespan in a ``LifespanThread``."""

from __future__ import annotations

from django_lifespan_di import LifespanThread, run_in_lifespan_loop
from docs.examples.commands.stock import fetch_stock

# --8<-- [start:worker]
# One per worker process, started when the process starts (after any fork), stopped when it
# stops; it also stops by itself at the process's exit.
lifespan_thread = LifespanThread()


def on_worker_start() -> None:
    lifespan_thread.start()  # every resource open, or the StartupError


def on_worker_stop() -> None:
    lifespan_thread.stop()  # every resource closed, or the ShutdownError


def stock_level(sku: str) -> int:
    """A task body: sync code, using the async client on the loop it belongs to."""
    return run_in_lifespan_loop(fetch_stock, sku)


# --8<-- [end:worker]
