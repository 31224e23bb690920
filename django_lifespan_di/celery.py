"""Celery workers: one lifespan per worker process, for every pool, from one call in ``celery.py``.

    app = Celery("myproject")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    setup_lifespan(app)  # before the tasks are defined
    app.autodiscover_tasks()

Celery's pools send different signals (measured on Celery 5.7): a prefork pool forks children
that each get ``worker_process_init`` and ``worker_process_shutdown`` (again for each child that
``--max-tasks-per-child`` recycles), and its main process gets ``worker_init`` before it forks;
the solo pool gets ``worker_process_init`` in the worker process but never
``worker_process_shutdown``; the threads pool gets neither, only ``worker_init`` and
``worker_shutdown``. So the lifespan starts when a process first runs a task (eagerly in
prefork children and solo workers), never in a prefork main process, and stops on whichever of
``worker_process_shutdown`` / ``worker_shutdown`` the process gets, or at its exit. A task run
eagerly (``apply()``, ``task_always_eager``) uses the lifespan of the code that calls it.

Task bodies are sync (Celery runs no coroutines): ``@inject``, ``resolve()`` and
``get_container()`` give the live objects, and ``run_in_lifespan_loop()`` (or
``async_to_sync``) runs coroutines on the lifespan's loop, where the shared async clients
belong. After a failed startup the worker process refuses every task, naming what failed.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task, signals
from celery.utils.imports import symbol_by_name

from django_lifespan_di import _internals, events
from django_lifespan_di.conf import conf, pool_options
from django_lifespan_di.exceptions import ConfigurationError, StartupError
from django_lifespan_di.thread import (
    start_process_lifespan,
    stop_process_lifespan,
    use_process_lifespan,
)

__all__ = ["LifespanTask", "setup_lifespan"]


class LifespanTask(Task):  # type: ignore[misc]  # Celery ships no type hints
    """The base of the app's tasks: each runs with this process's lifespan started.

    Before the task body: the lifespan starts if this process has none yet (the threads pool),
    the task's thread is set to run ``async_to_sync`` on the lifespan's loop, and a process
    whose lifespan failed to start refuses the task with the ``StartupError``.

    A task run eagerly (``apply()``, ``task_always_eager``) is part of the code that calls it,
    in that code's thread: it uses the lifespan serving that code (an ASGI server's, a WSGI
    process's, a test's ``lifespan`` or ``lifespan_thread`` fixture) and starts none of its own,
    so no second set of resources opens in a web process or a test.
    """

    abstract = True

    def before_start(self, task_id: str, args: Any, kwargs: Any) -> None:
        if not self.request.is_eager:
            use_process_lifespan()
        super().before_start(task_id, args, kwargs)


def setup_lifespan(app: Celery) -> None:
    """Run the lifespan in every worker process of ``app``, for every pool.

    Call it in the project's ``celery.py`` before any task is defined: the app's task base
    class becomes a subclass of [``LifespanTask``][django_lifespan_di.celery.LifespanTask] and
    of the base class it had.
    """
    if _internals.has_task_class(app):
        raise ConfigurationError(
            "setup_lifespan(app) was called after tasks were defined on the app (its Task "
            "class exists already). Call it in celery.py right after configuring the app, "
            "before app.autodiscover_tasks() and any @app.task."
        )
    base = symbol_by_name(app.task_cls)
    if not issubclass(base, LifespanTask):
        app.task_cls = type("LifespanTask", (LifespanTask, base), {"abstract": True})
    for signal, receiver in (
        (signals.worker_init, _start_after_celery_fixups),
        (signals.worker_process_shutdown, _stop),
        (signals.worker_shutdown, _stop),
    ):
        signal.connect(receiver, weak=False, dispatch_uid=f"django_lifespan_di.{signal.name}")


def _start_after_celery_fixups(sender: Any, **kwargs: Any) -> None:
    """Connect the start to ``worker_process_init`` now, after Celery's Django fixup connected
    its own receiver (in its ``worker_init`` receiver, connected when the app was made): that
    one closes the connections and pools a child inherited, and must not run after the
    lifespan opened this child's own."""
    signals.worker_process_init.connect(
        _start_in_worker_process,
        weak=False,
        dispatch_uid="django_lifespan_di.worker_process_init",
    )
    _warn_if_tasks_close_the_pools(sender)  # the WorkController


def _warn_if_tasks_close_the_pools(worker: Any) -> None:
    """Under the prefork pool Celery's Django fixup closes each database pool before and after
    every task unless ``CELERY_DB_REUSE_MAX`` spaces those closes out: the pool the lifespan
    warmed in a child is gone at its first task, and every task opens and closes connections
    of its own. Said once, by the worker's main process, as it starts."""
    if not conf.DATABASES or not _internals.celery_pool_is_prefork(worker):
        return
    if worker.app.conf.get("CELERY_DB_REUSE_MAX"):  # what the fixup reads
        return
    pooled = [alias for alias in conf.DATABASES if pool_options(alias) is not None]
    if pooled:
        events.emit(
            "celery.pools_closed_per_task",
            "LIFESPAN_DI['DATABASES'] lists %s, whose pool the lifespan fills in each prefork "
            "child, but Celery's Django fixup closes every database pool before and after each "
            "task under the prefork pool, so each task would open and close connections of its "
            "own. Set CELERY_DB_REUSE_MAX in the settings (e.g. 1000) to keep the connections "
            "the lifespan opened; see the Database connections guide.",
            ", ".join(map(repr, pooled)),
            level=logging.WARNING,
            aliases=pooled,
        )


def _start_in_worker_process(**kwargs: Any) -> None:
    """A prefork child or a solo worker: start now, so a failure shows before any task."""
    try:
        start_process_lifespan()
    except StartupError:
        pass  # logged by the runtime; every task of this process is refused with it
    except Exception:
        events.emit(
            "celery.startup_failed",
            "The lifespan of this worker process failed to start",
            level=logging.ERROR,
            exc_info=True,
        )


def _stop(**kwargs: Any) -> None:
    try:
        stop_process_lifespan()
    except Exception:
        events.emit(
            "celery.shutdown_failed",
            "The lifespan of this worker process failed to shut down",
            level=logging.ERROR,
            exc_info=True,
        )
