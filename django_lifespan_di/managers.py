"""Plain async context managers run by the lifespan (the django-asgi-lifespan way)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.naming import dotted_name

LifespanManager: TypeAlias = Callable[[], AbstractAsyncContextManager[Mapping[str, Any] | None]]
"""What ``register_lifespan_manager(context_manager=...)`` takes: a lifespan manager.

A callable with no arguments that returns an async context manager, such as an
``@asynccontextmanager`` function; what the context manager yields (a mapping, or ``None``) is
merged into the lifespan state. Annotate the function itself with what it yields,
``AsyncIterator[dict[str, Any]]``, and use ``LifespanManager`` for code that takes, returns or
stores managers. django-asgi-lifespan's ``LifespanManager`` is the function's return annotation
(``AsyncGenerator[State, None]``) instead: see the migration guide.
"""

_managers: list[LifespanManager] = []


def register_lifespan_manager(*, context_manager: LifespanManager) -> None:
    """Run ``context_manager`` in every lifespan, after the containers' resources have started.

    Call it from an ``AppConfig.ready()``. Code before its ``yield`` runs at startup, code
    after it at shutdown; managers start in registration order and stop in reverse.
    Registering the same manager twice is a no-op, so a ``ready()`` that runs twice is safe.
    """
    if not callable(context_manager):
        raise ConfigurationError(
            f"register_lifespan_manager(context_manager=...) needs a callable that returns an "
            f"async context manager (e.g. an @asynccontextmanager function), got "
            f"{dotted_name(context_manager)}."
        )
    if isinstance(context_manager, AbstractAsyncContextManager):
        # What an @asynccontextmanager function returns is callable too (as a decorator), and
        # would only fail at startup, with a TypeError about a missing `func`.
        raise ConfigurationError(
            f"register_lifespan_manager(context_manager=...) got the async context manager "
            f"{dotted_name(context_manager)}; pass the function that makes one (`my_manager`, not "
            f"`my_manager()`): every lifespan enters a new one."
        )
    if context_manager not in _managers:
        _managers.append(context_manager)


def unregister_lifespan_manager(context_manager: LifespanManager) -> None:
    """Undo ``register_lifespan_manager()`` (for tests)."""
    _managers.remove(context_manager)


def registered_managers() -> tuple[LifespanManager, ...]:
    return tuple(_managers)
