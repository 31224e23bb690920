"""``setup_lifespan(app)`` and ``LifespanTask`` in this process: eager tasks, and misuse.

Workers (every pool, real processes and broker) are tested in ``tests/e2e/test_celery.py``.
A task run eagerly (``apply()``, ``task_always_eager``) runs in the calling code: it uses the
lifespan that serves that code and never starts one of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, Task

from django_lifespan_di import ConfigurationError, LifespanNotRunning, LifespanThread
from django_lifespan_di.celery import LifespanTask, setup_lifespan
from django_lifespan_di.thread import forget_process_lifespan
from tests.project import journal
from tests.project.celery_app import shared_objects

OPENS = ["open cache", "open database", "open http_client", "open reporter"]


@pytest.fixture(autouse=True)
def _no_process_lifespan_left() -> Iterator[None]:
    """A process lifespan a task started by mistake ends with its test, and fails no other."""
    yield
    forget_process_lifespan()


def opened() -> list[str]:
    return sorted(event for event in journal.EVENTS if event.startswith("open "))


def test_an_eager_task_in_a_sync_test_uses_the_lifespan_thread(
    lifespan_thread: LifespanThread,
) -> None:
    answer = shared_objects.apply().get()
    assert answer["client"]["serial"] == lifespan_thread.state["http_client"].serial
    assert answer["cache"]["serial"] == lifespan_thread.state["cache"].serial
    assert opened() == OPENS  # once: no lifespan of the task's own


async def test_an_eager_task_in_async_code_uses_its_lifespan(lifespan: dict[str, Any]) -> None:
    answer = shared_objects.apply().get()
    assert answer["client"]["serial"] == lifespan["http_client"].serial
    assert opened() == OPENS


def test_an_eager_task_without_a_lifespan_says_none_runs_and_opens_nothing() -> None:
    with pytest.raises(LifespanNotRunning, match=r"shared_objects needs cache, client"):
        shared_objects.apply().get()
    assert journal.EVENTS == []


def test_setup_lifespan_after_a_task_is_defined_is_refused() -> None:
    app = Celery("late", set_as_current=False)

    @app.task
    def early() -> None: ...

    assert early.name.endswith("early")  # the task is created, and with it the app's Task class
    with pytest.raises(ConfigurationError, match=r"before app\.autodiscover_tasks\(\)"):
        setup_lifespan(app)


def test_setup_lifespan_keeps_the_task_base_class_the_app_had() -> None:
    class AuditedTask(Task):  # type: ignore[misc]  # Celery ships no type hints
        abstract = True

    app = Celery("audited", set_as_current=False, task_cls=AuditedTask)
    setup_lifespan(app)

    @app.task
    def audited() -> None: ...

    assert isinstance(audited, LifespanTask)
    assert isinstance(audited, AuditedTask)


def test_setup_lifespan_keeps_a_base_that_is_a_lifespan_task_already() -> None:
    app = Celery("twice", set_as_current=False, task_cls=LifespanTask)
    setup_lifespan(app)
    setup_lifespan(app)  # e.g. once in celery.py and once more in a module it imports
    assert app.task_cls is LifespanTask

    @app.task
    def twice() -> None: ...

    assert isinstance(twice, LifespanTask)
