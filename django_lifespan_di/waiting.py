"""Awaiting with deadlines: what shutdown and startup wait for is bounded, and a cancellation of
the waiter (a server's own shutdown timeout) does not cut the wait short."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def shielded(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` to its end even if the caller is cancelled meanwhile, then re-raise.

    For shutdowns: a server that cancels the lifespan task (hypercorn, after its own timeout)
    still gets every shutdown run, each within its own deadline.
    """
    task = asyncio.ensure_future(awaitable)
    await wait_uncancellable([task], None)
    return task.result()


def failed_task(task: asyncio.Future[Any]) -> bool:
    """Whether a finished task raised; being cancelled counts."""
    return task.cancelled() or task.exception() is not None


def discard_outcome(task: asyncio.Future[Any]) -> None:
    """Retrieve a finished task's outcome, so asyncio does not log it as never retrieved."""
    with contextlib.suppress(asyncio.CancelledError):
        task.exception()


async def outcome(awaitable: Awaitable[Any]) -> BaseException | None:
    """Await ``awaitable``; return what it raised instead of raising it.

    A shutdown that raises ``KeyboardInterrupt`` or ``SystemExit`` would otherwise escape the
    task and stop the event loop itself, and a ``CancelledError`` of its own (``task.cancel();
    await task`` in a cleanup) would look like the lifespan being cancelled.
    """
    try:
        await awaitable
    except BaseException as exc:
        return exc
    return None


async def wait_uncancellable(
    tasks: list[asyncio.Future[Any]],
    timeout: float | None,  # noqa: ASYNC109  (the timeout of the asyncio.wait it wraps)
) -> tuple[set[asyncio.Future[Any]], set[asyncio.Future[Any]]]:
    """``asyncio.wait(tasks, timeout)`` that a cancellation of the caller does not cut short.

    A cancellation that arrives meanwhile is raised once the wait is over.
    """
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    cancelled = False
    while True:
        remaining = None if deadline is None else max(deadline - loop.time(), 0)
        try:
            done, pending = await asyncio.wait(tasks, timeout=remaining)
        except asyncio.CancelledError:
            cancelled = True
            continue
        if cancelled:
            raise asyncio.CancelledError
        return done, pending
