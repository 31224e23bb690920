"""``LifespanThread``: the lifespan on an event loop of its own, for processes with no ASGI server.

A WSGI server, a Celery worker, a management command or a script has no server loop that runs
the ASGI lifespan. A ``LifespanThread`` runs [``lifespan()``][django_lifespan_di.lifespan] on a
new event loop in a daemon thread: the same startup, ordering, rollback and shutdown as under an
ASGI server, and async resources belong to that loop. Sync code anywhere in the process reaches
the objects (``@inject``, ``resolve()``, ``get_container()``), and async clients through
[``run_in_lifespan_loop()``][django_lifespan_di.run_in_lifespan_loop], which runs coroutines on
that loop.

Processes that have no ASGI server (WSGI servers, Celery workers, ``manage.py with_lifespan``)
run one ``LifespanThread`` each, the *process lifespan* (``start_process_lifespan``): started on
first need in each process (in a forked worker, again: a child never uses its parent's), stopped
when the process stops. A startup that fails is not retried in that process: every later use
says why, naming the culprit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from types import TracebackType
from typing import Any

from django_lifespan_di import _internals, events, runtime
from django_lifespan_di.exceptions import LifespanError, ShutdownError
from django_lifespan_di.runtime import lifespan, stop_wait_limit

#: The event loops that ``LifespanThread``s run. Nothing but the lifespan runs on them, so a sync
#: thread with no loop of its own (a request of Django's LiveServerThread, the sync test Client)
#: may hand its async views to one of them. Any other loop (a test's, under the async
#: ``lifespan`` fixture) is busy with code of its own and is never lent to another thread.
_thread_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def runs_in_lifespan_thread(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is the event loop of a ``LifespanThread``."""
    return loop in _thread_loops


class LifespanThread:
    """The lifespan on an event loop in a thread of its own.

        thread = LifespanThread().start()   # raises StartupError, all or nothing
        ...                                  # @inject, resolve(), run_in_lifespan_loop()
        thread.stop()                        # raises ShutdownError, every shutdown runs

    or ``with LifespanThread() as thread: ...``. If the process exits while it runs, it is
    stopped on the way out (before Python's thread pools shut down, so shutdowns that use them
    still work). It is bound to the process that started it: in a forked child it is not
    running, ``stop()`` does nothing, and ``start()`` starts a new one in the child.
    """

    def __init__(self) -> None:
        #: The process it serves in, from a successful startup until it has finished:
        #: ``is_running`` in one comparison, as each WSGI request asks.
        self._serving_in: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._finished = threading.Event()
        self._startup_error: BaseException | None = None
        self._shutdown_error: BaseException | None = None
        self._registered_at_exit = False
        #: The lifespan state, once started.
        self.state: dict[str, Any] = {}

    # -- public ---------------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """Whether it started in this process and has not stopped."""
        return self._serving_in == runtime.process_id

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the lifespan runs on (``LifespanError`` unless it is running)."""
        if not self.is_running or self._loop is None:
            raise LifespanError("This LifespanThread is not running in this process.")
        return self._loop

    def start(self) -> LifespanThread:
        """Start the lifespan and wait until it has started; return this thread.

        Raises [``StartupError``][django_lifespan_di.StartupError] after closing whatever had
        started, as ``lifespan()`` does.
        """
        if self.is_running:
            raise LifespanError("This LifespanThread is already running; stop() it first.")
        self._ready, self._finished = threading.Event(), threading.Event()
        self._startup_error = self._shutdown_error = None
        threading.Thread(target=self._run, name="django-lifespan-di", daemon=True).start()
        self._ready.wait()
        error = self._take("_startup_error")
        if error is not None:
            _wait(self._finished, None)
            raise error
        if not self._registered_at_exit:
            self._registered_at_exit = True
            _internals.at_interpreter_exit(self._stop_at_exit)
        return self

    def stop(self) -> None:
        """Shut the lifespan down and wait for it; nothing happens if it is not running here.

        Raises [``ShutdownError``][django_lifespan_di.ShutdownError] naming each shutdown that
        failed or was abandoned, once every one has run.
        """
        loop, stop_requested = self._loop, self._stop_requested
        if not self.is_running or loop is None or stop_requested is None:
            return
        if _internals.running_loop() is loop:
            raise LifespanError(
                "LifespanThread.stop() was called from the lifespan's own event loop, which it "
                "would wait for forever; call it from another thread."
            )
        with contextlib.suppress(RuntimeError):  # the loop has closed already
            loop.call_soon_threadsafe(stop_requested.set)
        limit = stop_wait_limit()
        if not _wait(self._finished, limit):
            raise ShutdownError(
                [("LifespanThread", TimeoutError(f"the lifespan did not stop within {limit:g} s"))]
            )
        error = self._take("_shutdown_error")
        if error is not None:
            raise error

    def wait_deferred(self) -> None:
        """Wait until every deferred resource (``LIFESPAN_DI["DEFERRED"]``) has opened or failed
        to, within their ``STARTUP_TIMEOUT``: for work that runs once (``with_lifespan``)."""
        run = runtime.runs_by_loop[self.loop]
        asyncio.run_coroutine_threadsafe(run.deferred_settled(), self.loop).result()

    def __enter__(self) -> LifespanThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _take(self, name: str) -> BaseException | None:
        """The error the thread left in ``name`` (it sets them while this thread waits)."""
        error: BaseException | None = getattr(self, name)
        setattr(self, name, None)
        return error

    # -- the thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        _thread_loops.add(loop)
        try:
            loop.run_until_complete(self._main())
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                self._serving_in = None
                self._finished.set()

    async def _main(self) -> None:
        self._stop_requested = asyncio.Event()
        try:
            async with lifespan() as state:
                self.state = state
                self._serving_in = runtime.process_id
                self._ready.set()
                await self._stop_requested.wait()
        except BaseException as exc:
            if self._ready.is_set():
                self._shutdown_error = exc
            else:
                self._startup_error = exc
                self._ready.set()

    def _stop_at_exit(self) -> None:
        try:
            self.stop()
        except Exception:
            events.emit(
                "thread.shutdown_failed",
                "The lifespan's shutdown at interpreter exit failed",
                level=logging.ERROR,
                exc_info=True,
            )


def _wait(event: threading.Event, limit: float | None) -> bool:
    """Wait for ``event`` within ``limit`` seconds; a Ctrl-C meanwhile does not cut it short.

    An event, not ``Thread.join()``: a join interrupted by ``KeyboardInterrupt`` marks the thread
    stopped while it still runs (CPython 3.11's ``_wait_for_tstate_lock``).
    """
    deadline = None if limit is None else time.monotonic() + limit
    while not event.is_set():
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return False
        try:
            event.wait(remaining)
        except KeyboardInterrupt:
            events.emit(
                "shutdown.interrupt_ignored",
                "Ctrl-C while the lifespan shuts down: waiting for it to finish",
                level=logging.WARNING,
            )
    return True


# -- the process lifespan ----------------------------------------------------------------------


class _ProcessLifespan:
    """The one ``LifespanThread`` of this process, for the entry points without a server loop."""

    def __init__(self) -> None:
        self.thread: LifespanThread | None = None
        #: The process that ``thread`` and ``lock`` belong to.
        self.pid: int | None = None
        self.lock = threading.Lock()
        #: Where the failed startup was raised from (``runtime.process_startup_failure`` has
        #: the error).
        self.failure_traceback: TracebackType | None = None

    def start(self) -> LifespanThread:
        thread = self.thread
        if thread is not None and thread.is_running:  # started in this process
            return thread  # the per-request path: no lock
        if self.pid != runtime.process_id:
            # A new process (or a forked child, whose copy of the parent's lock may be held).
            self.thread, self.pid, self.lock = None, runtime.process_id, threading.Lock()
        with self.lock:
            failure = runtime.process_startup_failure
            if failure is not None and failure[0] == runtime.process_id:
                # From the failure's own traceback: raising the one error object again and
                # again would lengthen its traceback with every refused task or request.
                raise failure[1].with_traceback(self.failure_traceback)
            if self.thread is None or not self.thread.is_running:
                try:
                    self.thread = LifespanThread().start()
                except BaseException as exc:
                    runtime.process_startup_failure = (runtime.process_id, exc)
                    self.failure_traceback = exc.__traceback__
                    raise
            return self.thread


_process = _ProcessLifespan()


def start_process_lifespan() -> LifespanThread:
    """This process's running ``LifespanThread``, started if need be; raises its startup error.

    The WSGI application, Celery tasks and ``with_lifespan`` start it on first need. Call it
    where a process should open its resources before its first request, e.g. in gunicorn's
    ``post_worker_init`` hook (``gunicorn.conf.py``): a resource that fails to start then raises
    [``StartupError``][django_lifespan_di.StartupError] there, after closing what had started,
    and the worker fails to boot. A startup that failed is not retried in the process: later
    calls raise the same error.
    """
    return _process.start()


def use_process_lifespan() -> LifespanThread:
    """``start_process_lifespan()``, and this thread's ``async_to_sync`` routed to its loop
    (for the rest of the thread's work too): what a WSGI request's, a Celery task's or a
    command's thread does first, so async views and clients run where the objects belong."""
    thread = _process.thread
    # The per-request path inline (a WSGI request asks every time): started in this process
    # and still running, so its loop is set.
    if thread is None or thread._serving_in != runtime.process_id:
        thread = _process.start()
    _internals.route_async_to_sync(thread._loop)  # type: ignore[arg-type]
    return thread


def stop_process_lifespan() -> None:
    """Stop this process's lifespan if it runs here; raises ``ShutdownError``."""
    if _process.thread is not None:
        _process.thread.stop()  # in a forked child, the parent's: its stop() does nothing there


def forget_process_lifespan() -> None:
    """Stop it and forget a failed startup, so the next use starts afresh (for tests)."""
    stop_process_lifespan()
    runtime.process_startup_failure = None
