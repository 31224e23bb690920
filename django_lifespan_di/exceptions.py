"""Every error this package raises, each with a message that says what to do."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured


class LifespanError(Exception):
    """Base class of every error raised by django-lifespan-di."""


class ConfigurationError(LifespanError, ImproperlyConfigured):
    """Something is configured wrongly: a setting, a container, a lifespan manager.

    ``check_id`` is the id ``manage.py check`` reports it under, when a check finds it early.
    """

    def __init__(self, message: str, *, check_id: str | None = None) -> None:
        super().__init__(message)
        self.check_id = check_id


class StartupError(LifespanError):
    """A resource or lifespan manager failed to start, or startup took too long.

    Everything that had started was shut down before this was raised. ``culprit`` names what
    failed: ``"Container.http_client"``, a lifespan manager's dotted name, or (after a
    timeout) everything that was still starting. ``check_id`` is the id ``manage.py check``
    reports it under, for what a check finds before startup (a cycle, say).
    """

    def __init__(self, message: str, culprit: str, *, check_id: str | None = None) -> None:
        # The culprit is in ``args`` too, so the error survives transport as ``cls(*args)``:
        # pickling, and Celery's JSON results, which a refused task's caller gets.
        super().__init__(message, culprit)
        self.culprit = culprit
        self.check_id = check_id

    def __str__(self) -> str:
        return str(self.args[0])


class ShutdownError(LifespanError):
    """One or more shutdowns failed. Every other shutdown still ran.

    ``failures`` holds a ``(name, exception)`` pair for each failed shutdown, in the order they
    ran; a shutdown that timed out has a ``TimeoutError``.
    """

    def __init__(self, failures: Sequence[tuple[str, BaseException]]) -> None:
        self.failures = tuple(failures)
        lines = [f"  {name}: {type(exc).__name__}: {exc}" for name, exc in self.failures]
        super().__init__(
            f"{len(self.failures)} shutdown(s) failed (all others completed):\n" + "\n".join(lines)
        )

    def __reduce__(
        self,
    ) -> tuple[type[ShutdownError], tuple[tuple[tuple[str, BaseException], ...]]]:
        # Rebuilt from its failures, not its message (pickle, a worker's result backend).
        return type(self), (self.failures,)


class LifespanNotRunning(LifespanError, RuntimeError):
    """Live objects were asked for, but no lifespan serves the calling code.

    None is running in this process (or it has not finished starting, or has shut down), or
    this is a forked child of the process that runs it.
    """


class EventLoopError(LifespanNotRunning):
    """The lifespan runs, but on another event loop than the calling code.

    Its objects (connection pools, async clients) belong to its loop: sync code reaches them
    with [``run_in_lifespan_loop()``][django_lifespan_di.run_in_lifespan_loop], which must not
    be called from that loop itself.
    """


class ResourceNotReady(LifespanError):
    """A deferred resource (``LIFESPAN_DI["DEFERRED"]``) was asked for before it opened.

    Deferred resources open after the server has started; until one has opened (or after its
    opening failed, which the log names), whatever needs it gets this error, naming it in
    ``resource`` (``"Container.search"``). A view that raises it answers 503 Service
    Unavailable through ``LifespanStateMiddleware``, and the readiness view answers 503 naming
    it.
    """

    def __init__(self, message: str, resource: str) -> None:
        # The name is in ``args`` too, so the error survives transport as ``cls(*args)``.
        super().__init__(message, resource)
        self.resource = resource

    def __str__(self) -> str:
        return str(self.args[0])


class StateKeyError(LifespanError, KeyError):
    """``request.state[key]`` for a key the lifespan state does not have."""

    def __str__(self) -> str:
        # KeyError.__str__ shows repr(message), with quotes and escaped newlines.
        return str(self.args[0])


class InjectionError(LifespanError, TypeError):
    """A view asks for something the ``@inject`` decorator cannot give it.

    ``check_id`` is the id ``manage.py check`` reports it under, when a check can find it early.
    """

    def __init__(self, message: str, *, check_id: str | None = None) -> None:
        super().__init__(message)
        self.check_id = check_id
