"""Every error this package raises, each with a message that says what to do."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured


class LifespanError(Exception):
    """Base class of every error raised by django-lifespan-di."""


class ConfigurationError(ImproperlyConfigured):
    """A setting is wrong. ``check_id`` is the id ``manage.py check`` reports it under."""

    def __init__(self, message: str, *, check_id: str) -> None:
        super().__init__(message)
        self.check_id = check_id


class StartupError(LifespanError):
    """A resource or lifespan manager failed to start, or startup took too long.

    Everything that had started was shut down before this was raised. ``culprit`` names what
    failed: ``"Container.http_client"``, a lifespan manager's dotted name, or (after a
    timeout) everything that was still starting.
    """

    def __init__(self, message: str, *, culprit: str) -> None:
        super().__init__(message)
        self.culprit = culprit


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


class LifespanNotRunning(LifespanError, RuntimeError):
    """Live objects were asked for, but no lifespan is running in this process or event loop."""


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
