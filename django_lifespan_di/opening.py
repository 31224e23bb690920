"""Opening a ``Resource`` declaration: every shape dependency-injector accepts, one way.

The lifespan opens shared resources and ``@inject`` opens per-request ones with the same code:
what ``provides`` is decides how it is entered and what closes it. Sync code (a generator, a
``resources.Resource`` subclass, a sync context manager's ``__enter__``) runs through
``run_sync``, which the caller picks: a worker thread at startup (so a blocking init cannot
stall the event loop and the startup timeout holds), the calling thread per request. A plain
callable is called where the caller runs: it may build an object that needs the running event
loop (``aiohttp.ClientSession``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from dependency_injector import providers, resources

from django_lifespan_di import events
from django_lifespan_di.waiting import discard_outcome

T = TypeVar("T")

#: Closes one opened resource; gets the exception that ends its scope (None at shutdown).
Closer = Callable[[BaseException | None], Awaitable[None]]
#: Runs sync code (``fn``); ``undo(result)`` closes what it opened if the caller gave up.
RunSync = Callable[[Callable[[], Any], Callable[[Any], object] | None], Awaitable[Any]]


def is_async_declaration(provides: object) -> bool:
    """Whether opening ``provides`` awaits (known before calling it).

    dependency-injector (4.48+) stores a generator function wrapped by ``contextmanager`` /
    ``asynccontextmanager``: the function it wraps says which.
    """
    if isinstance(provides, type):
        return issubclass(provides, resources.AsyncResource) or hasattr(provides, "__aenter__")
    original = inspect.unwrap(provides) if callable(provides) else provides
    return inspect.isasyncgenfunction(original) or inspect.iscoroutinefunction(original)


class WouldAwait(Exception):
    """A declaration that must open without awaiting gave an awaitable or an async context
    manager (a sync per-request resource opened in a sync view, with no event loop)."""


async def open_declaration(
    provides: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    run_sync: RunSync,
    *,
    sync_only: bool = False,
) -> tuple[Any, Closer | None]:
    """Open what ``provides(*args, **kwargs)`` declares; return the value and its closer.

    A generator function comes wrapped by ``contextmanager`` / ``asynccontextmanager``
    (dependency-injector does that), so it is one of the context managers below. With
    ``sync_only``, what would need awaiting raises ``WouldAwait`` before anything is entered:
    it could be opened, but its close could not run.
    """
    if isinstance(provides, type) and issubclass(provides, resources.AsyncResource):
        async_resource = provides()
        value = await async_resource.init(*args, **kwargs)
        return value, lambda exc: async_resource.shutdown(value)
    if isinstance(provides, type) and issubclass(provides, resources.Resource):
        sync_resource = provides()
        value = await run_sync(
            lambda: sync_resource.init(*args, **kwargs),
            lambda opened: sync_resource.shutdown(opened),
        )
        return value, lambda exc: run_sync(lambda: sync_resource.shutdown(value), None)
    result = provides(*args, **kwargs)
    if sync_only and (hasattr(result, "__aenter__") or inspect.isawaitable(result)):
        if inspect.iscoroutine(result):
            result.close()  # never awaited: closed now, so Python does not warn about it later
        raise WouldAwait
    if hasattr(result, "__aenter__"):
        return await result.__aenter__(), _async_exit(result)
    if isinstance(result, AbstractContextManager) or hasattr(result, "__enter__"):
        return await _enter(result, run_sync)
    if inspect.isawaitable(result):
        return await result, None
    return result, None


async def _enter(context: Any, run_sync: RunSync) -> tuple[Any, Closer]:
    """Enter a sync context manager through ``run_sync``; exit it there too."""

    def undo(_: object) -> None:
        context.__exit__(None, None, None)

    async def close(exc: BaseException | None) -> None:
        exc_info = (type(exc), exc, exc.__traceback__) if exc else (None, None, None)
        await run_sync(lambda: context.__exit__(*exc_info), None)

    return await run_sync(context.__enter__, undo), close


def _async_exit(context: Any) -> Closer:
    async def close(exc: BaseException | None) -> None:
        await context.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)

    return close


async def call_inline(fn: Callable[[], T], undo: Callable[[T], object] | None = None) -> T:
    """``RunSync`` for code that may run where the caller is (per request)."""
    return fn()


#: How long a cancelled caller of ``call_in_worker`` still waits for the thread to return (and
#: for ``undo`` to close what it opened): within the runtime's grace period.
THREAD_UNWIND_SECONDS = 0.4


async def call_in_worker(fn: Callable[[], T], undo: Callable[[T], object] | None = None) -> T:
    """``RunSync`` in a daemon worker thread; awaiting it can be cancelled at any time.

    A thread cannot be interrupted: if the caller is cancelled, it waits a little longer for
    ``fn`` to return, and whatever ``fn`` opened is closed with ``undo`` (by the thread itself
    if it returns later still).
    """
    lock = threading.Lock()
    given_up = returned = False

    def call() -> T:
        nonlocal returned
        result = fn()
        with lock:
            returned = True
            close_it = given_up
        if close_it and undo is not None:
            _undo(undo, result)
        return result

    finished = submit_to_worker(call)
    try:
        return await asyncio.shield(finished)
    except asyncio.CancelledError:
        with lock:
            given_up = True
            close_here = returned
        finished.add_done_callback(discard_outcome)  # an outcome nobody awaits is not "lost"
        done, _ = await asyncio.wait([finished], timeout=THREAD_UNWIND_SECONDS)
        if close_here and done and finished.exception() is None and undo is not None:
            # It returned just before the caller gave up: nobody closed it yet.
            closing = submit_to_worker(functools.partial(_undo, undo, finished.result()))
            await asyncio.wait([closing], timeout=THREAD_UNWIND_SECONDS)
        raise


def submit_to_worker(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run ``fn`` in a daemon worker thread, with this context; a future of its outcome."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: Any, error: BaseException | None) -> None:
        # Never cancelled: callers await it through asyncio.shield().
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = context.run(fn)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    _workers.submit(run)
    return future


class _Workers:
    """Daemon threads that run sync calls, each kept for the next call once it is idle.

    Not the loop's executor: a call that never returns keeps one thread, not an executor slot,
    and executors refuse work at interpreter exit. Kept rather than one thread per call: from
    Python 3.12 no thread can start at interpreter exit, which is when ``LifespanThread`` and
    WSGI workers run their shutdowns; those then run in the threads that ran the opens.
    """

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.idle = 0  # threads waiting for a job that nobody has claimed yet
        self.lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self.lock:
            start = self.idle == 0
            if not start:
                self.idle -= 1  # claimed: a later job does not count on it
        self.jobs.put(job)
        if start:
            # At interpreter exit (Python 3.12+) this raises: the job then waits in the queue
            # for the next thread to come free.
            with contextlib.suppress(RuntimeError):
                threading.Thread(target=self.work, name="django-lifespan-di", daemon=True).start()

    def work(self) -> None:
        while True:
            self.jobs.get()()  # a job never raises: ``run`` above keeps its outcome
            with self.lock:
                self.idle += 1


_workers = _Workers()


def _forget_parent_workers() -> None:
    global _workers
    _workers = _Workers()  # a forked child has none of its parent's threads


os.register_at_fork(after_in_child=_forget_parent_workers)


async def value_of(argument: Any) -> Any:
    """What a provider's argument is when it opens: a provider is called (and awaited if it
    gives an awaitable), anything else is itself."""
    if not isinstance(argument, providers.Provider):
        return argument
    value = argument()
    return await value if inspect.isawaitable(value) else value


def _undo(undo: Callable[[Any], object], value: Any) -> None:
    try:
        undo(value)
    except Exception:
        events.emit(
            "resource.undo_failed",
            "Closing what a cancelled start had opened failed",
            level=logging.ERROR,
            exc_info=True,
        )
