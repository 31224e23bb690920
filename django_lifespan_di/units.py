"""What the lifespan opens and closes, one at a time: a shared resource or a lifespan manager."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

from dependency_injector import providers

from django_lifespan_di.exceptions import ConfigurationError, StartupError
from django_lifespan_di.graph import Node
from django_lifespan_di.managers import LifespanManager
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.opening import Closer, open_declaration, run_in_thread

Status = Literal["pending", "starting", "ready", "failed", "closing", "closed", "abandoned"]


class Unit:
    """One thing the lifespan opens and closes: a shared ``Resource`` or a lifespan manager."""

    def __init__(self, name: str, kind: Literal["resource", "manager"]) -> None:
        self.name = name
        self.kind = kind
        self.status: Status = "pending"
        self.since = time.time()
        self.startup_seconds: float | None = None
        #: When it finished opening, on the event loop's clock.
        self.ended_at = 0.0
        self.error: BaseException | None = None
        self.depends_on: tuple[Unit, ...] = ()
        self.value: Any = None
        #: What the lifespan state gets from it.
        self.state: Mapping[str, Any] = {}

    def mark(self, status: Status, error: BaseException | None = None) -> None:
        self.status = status
        self.since = time.time()
        if error is not None:
            self.error = error


class ResourceUnit(Unit):
    """A shared ``providers.Resource`` of the live containers."""

    def __init__(self, node: Node, state_key: str | None) -> None:
        super().__init__(node.name, "resource")
        self.provider = node.provider
        self.entries = tuple(node.entries)
        self.state_key = state_key

    async def open(self) -> Closer | None:
        """Open it; its arguments come from the live providers (open dependencies)."""
        assert isinstance(self.provider, providers.Resource)
        if self.provider.provides is None:
            raise ConfigurationError(
                f"{self.name} is a Resource that provides nothing: give it what opens the "
                f"resource, e.g. providers.Resource(open_client, ...)."
            )
        args = [await value_of(arg) for arg in self.provider.args]
        kwargs = {key: await value_of(arg) for key, arg in self.provider.kwargs.items()}
        self.value, closer = await open_declaration(
            self.provider.provides, args, kwargs, run_in_thread
        )
        self.state = {self.state_key: self.value} if self.state_key else {}
        return closer


class ManagerUnit(Unit):
    """An async context manager registered with ``register_lifespan_manager``."""

    def __init__(self, factory: LifespanManager) -> None:
        super().__init__(dotted_name(factory), "manager")
        self.factory = factory

    async def open(self) -> Closer:
        context: Any = self.factory()
        if not isinstance(context, AbstractAsyncContextManager) and not hasattr(
            context, "__aenter__"
        ):
            if asyncio.iscoroutine(context):
                context.close()  # never to be awaited; Python would warn about it later
            raise StartupError(
                f"{self.name} failed to start: the lifespan manager returned a "
                f"{type(context).__name__}, not an async context manager. Decorate it with "
                f"@contextlib.asynccontextmanager.",
                culprit=self.name,
            )
        value = await context.__aenter__()

        async def close(exc: BaseException | None) -> None:
            await context.__aexit__(None, None, None)

        if value is not None and not isinstance(value, Mapping):
            await close(None)
            raise StartupError(
                f"{self.name} failed to start: the lifespan manager yielded a "
                f"{type(value).__name__}; it must yield a mapping of state keys to objects, "
                f"or None.",
                culprit=self.name,
            )
        self.value, self.state = value, value or {}
        return close


async def value_of(argument: Any) -> Any:
    if not isinstance(argument, providers.Provider):
        return argument
    value = argument()
    return await value if inspect.isawaitable(value) else value


def merge_state(contributions: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One state from ``(name, mapping)`` pairs; a key given twice is a ``StartupError``."""
    owners: dict[str, str] = {}
    state: dict[str, Any] = {}
    for name, mapping in contributions:
        for key, value in mapping.items():
            owner = owners.setdefault(key, name)
            if owner != name:
                raise StartupError(
                    f"{owner} and {name} both put {key!r} into the lifespan state. Rename one "
                    f"of them: a key is never silently overwritten.",
                    culprit=name,
                )
            state[key] = value
    return state
