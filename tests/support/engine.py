"""The engine's unit tests' helpers: a ``Runtime`` without settings, and the in-process journal.

``make_runtime(ChainContainer)`` builds one run of the lifespan from container classes directly
(what ``lifespan()`` does from ``LIFESPAN_DI``); ``journaled("open")`` reads what the test
resources recorded into ``tests.project.journal.EVENTS`` (cleared around every test by
``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from dependency_injector import containers

from django_lifespan_di.managers import LifespanManager
from django_lifespan_di.runtime import Runtime
from tests.project import journal


def make_runtime(
    *container_classes: type[containers.DeclarativeContainer],
    managers: Iterable[LifespanManager] = (),
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 10.0,
    deferred: Iterable[tuple[type[containers.DeclarativeContainer], str]] = (),
) -> Runtime:
    return Runtime(
        container_classes,
        managers,
        startup_timeout=startup_timeout,
        shutdown_timeout=shutdown_timeout,
        deferred=deferred,
    )


def journaled(kind: str) -> list[str]:
    """The names the journal recorded ``<kind> <name>`` for, in order."""
    return [event.split(" ", 1)[1] for event in journal.EVENTS if event.split(" ", 1)[0] == kind]
