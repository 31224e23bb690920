"""``setup_lifespan(app)`` and ``LifespanTask`` in this process: eager tasks, and misuse.

Workers (every pool, real processes and broker) are tested in ``tests/e2e/test_celery.py``.
A task run eagerly (``apply()``, ``task_always_eager``) runs in the calling code: it uses the
lifespan that serves that code and never starts one of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery, Task
from django.test import override_settings

from django_lifespan_di import ConfigurationError, LifespanNotRunning, LifespanThread
from django_lifespan_di import celery as celery_module
from django_lifespan_di.celery import LifespanTask, setup_lifespan
from django_lifespan_di.thread import forget_process_lifespan
from tests.project import journal
from tests.project.celery_app import shared_objects
from tests.support.postgres import database_alias

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


#: A pooled PostgreSQL alias that nothing here connects to.
POOLED = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "never-connected",
    "OPTIONS": {"pool": True},
}


def worker_of(pool: str, reuse: int | None = None) -> Any:
    """What ``worker_init`` sends: a worker of a new app, its pool named as on the command line
    (Celery resolves the name to a class after the signal)."""
    app = Celery("tests-celery-pools", set_as_current=False)
    app.conf.CELERY_DB_REUSE_MAX = reuse
    return SimpleNamespace(app=app, pool_cls=pool)


@pytest.mark.parametrize(
    ("pool", "reuse", "warned"),
    [("prefork", None, True), ("prefork", 1000, False), ("solo", None, False)],
)
def test_a_prefork_worker_warns_that_its_tasks_close_the_pools_the_lifespan_warmed(
    caplog: pytest.LogCaptureFixture, pool: str, reuse: int | None, warned: bool
) -> None:
    """Under the prefork pool, Celery's Django fixup closes every pool before and after each
    task unless CELERY_DB_REUSE_MAX is set: the worker's main process says so as it starts
    (end to end in tests/e2e/test_databases.py)."""
    with (
        database_alias("celery_pooled", POOLED),
        override_settings(LIFESPAN_DI={"DATABASES": ["celery_pooled", "default"]}),
    ):
        celery_module._warn_if_tasks_close_the_pools(worker_of(pool, reuse))
    records = [r for r in caplog.records if r.event_name == "celery.pools_closed_per_task"]  # type: ignore[attr-defined]
    assert len(records) == warned
    if warned:
        (record,) = records
        assert record.levelno == logging.WARNING
        assert record.aliases == ["celery_pooled"]  # type: ignore[attr-defined]  # not SQLite's
        assert "LIFESPAN_DI['DATABASES'] lists 'celery_pooled'" in record.getMessage()
        assert "Set CELERY_DB_REUSE_MAX" in record.getMessage()


@pytest.mark.parametrize("databases", [[], ["default"]], ids=["none", "not-pooled"])
def test_a_worker_whose_tasks_close_no_warmed_pool_warns_of_nothing(
    caplog: pytest.LogCaptureFixture, databases: list[str]
) -> None:
    with override_settings(LIFESPAN_DI={"DATABASES": databases}):
        celery_module._warn_if_tasks_close_the_pools(worker_of("prefork"))
    assert not [r for r in caplog.records if r.name.startswith("django_lifespan_di")]
