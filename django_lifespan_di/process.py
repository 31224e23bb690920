"""The process lifespan: one ``LifespanThread`` per process, for the entry points of processes
that have no ASGI server (WSGI servers, Celery workers, ``manage.py with_lifespan``).

Started on first need in each process (in a forked worker, again: a child never uses its
parent's), stopped when the process stops. A startup that fails is not retried in that process:
every later use says why, naming the culprit.
"""

from __future__ import annotations

import threading
from types import TracebackType

from django_lifespan_di import registry
from django_lifespan_di.thread import LifespanThread

_thread: LifespanThread | None = None
_pid: int | None = None
_lock = threading.Lock()
#: Where the failed startup was raised from (``registry.process_startup_failure`` has the error).
_failure_traceback: TracebackType | None = None


def start_process_lifespan() -> LifespanThread:
    """This process's running ``LifespanThread``, started if need be; raises its startup error."""
    global _thread, _pid, _lock, _failure_traceback
    thread = _thread
    if thread is not None and _pid == registry.process_id and thread.is_running:
        return thread  # the per-request path: no lock
    if _pid != registry.process_id:
        # A new process (or a forked child, whose copy of the parent's lock may be held).
        _thread, _pid, _lock = None, registry.process_id, threading.Lock()
    with _lock:
        failure = registry.process_startup_failure
        if failure is not None and failure[0] == registry.process_id:
            # From the failure's own traceback: raising the one error object again and again
            # would lengthen its traceback with every refused task or request.
            raise failure[1].with_traceback(_failure_traceback)
        if _thread is None or not _thread.is_running:
            try:
                _thread = LifespanThread().start()
            except BaseException as exc:
                registry.process_startup_failure = (registry.process_id, exc)
                _failure_traceback = exc.__traceback__
                raise
        return _thread


def stop_process_lifespan() -> None:
    """Stop this process's lifespan if it runs here; raises ``ShutdownError``."""
    if _thread is not None:
        _thread.stop()  # in a forked child, the parent's: its stop() does nothing there


def forget_process_lifespan() -> None:
    """Stop it and forget a failed startup, so the next use starts afresh (for tests)."""
    stop_process_lifespan()
    registry.process_startup_failure = None
