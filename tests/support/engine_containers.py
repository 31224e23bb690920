"""Containers, resources and lifespan managers for the engine's unit tests.

Every resource records ``open <name>`` once it is open and ``close <name>`` when it is shut down
into ``tests.project.journal.EVENTS`` (cleared around every test by ``tests/conftest.py``); one
cancelled while starting records ``cancelled <name>``. Faults are switched on per resource name
with the test project's environment variables (``LIFESPAN_DI_TEST_FAIL_START=middle``, see
``tests.project.journal.fault``), so each container stays a plain declaration.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any

import httpx
from dependency_injector import containers, providers, resources

from django_lifespan_di import get_container, resolve
from tests.project.containers import Service, Tracked
from tests.project.journal import fault, record

#: Never ends by itself within a test: whatever waits this long is cut by the engine.
FOREVER = 3600.0
#: How long a resource of ``ConcurrentContainer`` waits for its partner before giving up.
MEETING_TIMEOUT = 5.0


async def open_async_generator(
    name: str, *, steps: int = 0, **dependencies: Any
) -> AsyncIterator[Tracked]:
    """An async generator resource; ``steps`` event-loop iterations pass before it opens."""
    try:
        for _ in range(steps):
            await asyncio.sleep(0)
        if fault("hang_start", name):
            await asyncio.sleep(FOREVER)
    except asyncio.CancelledError:
        record(f"cancelled {name}")
        raise
    if fault("fail_start", name):
        raise ConnectionRefusedError(f"{name} cannot connect (test fault)")
    resource = Tracked(name, **dependencies)
    record(f"open {name}")
    try:
        yield resource
    finally:
        record(f"close {name}")
        resource.closed = True
        if fault("hang_stop", name):
            await asyncio.sleep(FOREVER)
        if fault("fail_stop", name):
            raise RuntimeError(f"{name} failed to close (test fault)")


def open_sync_generator(name: str, **dependencies: Any) -> Iterator[Tracked]:
    """A sync generator resource."""
    if fault("fail_start", name):
        raise ConnectionRefusedError(f"{name} cannot connect (test fault)")
    resource = Tracked(name, **dependencies)
    record(f"open {name}")
    yield resource
    record(f"close {name}")
    resource.closed = True
    if fault("fail_stop", name):
        raise RuntimeError(f"{name} failed to close (test fault)")


class SyncContextManager:
    """A class whose instances are context managers (dependency-injector enters them)."""

    def __init__(self, name: str) -> None:
        self.resource = Tracked(name)

    def __enter__(self) -> Tracked:
        record(f"open {self.resource.name}")
        return self.resource

    def __exit__(self, *exc_info: object) -> None:
        record(f"close {self.resource.name}")
        self.resource.closed = True


class AsyncContextManager:
    """A class whose instances are async context managers."""

    def __init__(self, name: str) -> None:
        self.resource = Tracked(name)

    async def __aenter__(self) -> Tracked:
        record(f"open {self.resource.name}")
        return self.resource

    async def __aexit__(self, *exc_info: object) -> None:
        record(f"close {self.resource.name}")
        self.resource.closed = True


class SyncResourceClass(resources.Resource[Tracked]):
    """dependency-injector's own sync resource base class."""

    def init(self, name: str) -> Tracked:
        record(f"open {name}")
        return Tracked(name)

    def shutdown(self, resource: Tracked | None) -> None:
        assert resource is not None
        record(f"close {resource.name}")
        resource.closed = True


class AsyncResourceClass(resources.AsyncResource[Tracked]):
    """dependency-injector's own async resource base class."""

    async def init(self, name: str) -> Tracked:
        record(f"open {name}")
        return Tracked(name)

    async def shutdown(self, resource: Tracked | None) -> None:
        assert resource is not None
        record(f"close {resource.name}")
        resource.closed = True


def plain_value(name: str) -> Tracked:
    """A plain function: its value has nothing to shut down."""
    record(f"open {name}")
    return Tracked(name)


async def awaited_value(name: str) -> Tracked:
    """A coroutine function: its value has nothing to shut down either."""
    record(f"open {name}")
    return Tracked(name)


class StylesContainer(containers.DeclarativeContainer):
    """One Resource of each style dependency-injector accepts, all independent."""

    async_generator = providers.Resource(open_async_generator, "async_generator")
    sync_generator = providers.Resource(open_sync_generator, "sync_generator")
    sync_context_manager = providers.Resource(SyncContextManager, "sync_context_manager")
    async_context_manager = providers.Resource(AsyncContextManager, "async_context_manager")
    sync_resource_class = providers.Resource(SyncResourceClass, "sync_resource_class")
    async_resource_class = providers.Resource(AsyncResourceClass, "async_resource_class")
    plain_function = providers.Resource(plain_value, "plain_function")
    coroutine_function = providers.Resource(awaited_value, "coroutine_function")
    # Entered as an async context manager by dependency-injector; never sends a request here.
    http_client = providers.Resource(httpx.AsyncClient, base_url="http://127.0.0.1:9")


#: The names of ``StylesContainer``'s resources that record their opening and closing.
JOURNALED_STYLES = (
    "async_generator",
    "sync_generator",
    "sync_context_manager",
    "async_context_manager",
    "sync_resource_class",
    "async_resource_class",
)


class ChainContainer(containers.DeclarativeContainer):
    """``first`` -> ``middle`` -> (a Factory) -> ``last``, and an independent ``sibling``."""

    first = providers.Resource(open_async_generator, "first")
    sibling = providers.Resource(open_async_generator, "sibling")
    middle = providers.Resource(open_sync_generator, "middle", first=first)
    service = providers.Factory(Service, client=middle)
    last = providers.Resource(open_async_generator, "last", service=service)


class TwinContainer(containers.DeclarativeContainer):
    """Has a Resource named like one of ``ChainContainer``'s."""

    first = providers.Resource(open_async_generator, "twin first")


class RaceContainer(containers.DeclarativeContainer):
    """``racer`` finishes starting ``steps`` loop iterations after it begins, near ``trigger``."""

    steps = providers.Object(0)
    trigger = providers.Resource(open_async_generator, "trigger")
    racer = providers.Resource(open_async_generator, "racer", steps=steps)


class Rendezvous:
    """Where two resources wait for each other: both open only if they start concurrently."""

    def __init__(self) -> None:
        self.arrivals: dict[str, asyncio.Event] = {}

    def arrival(self, name: str) -> asyncio.Event:
        return self.arrivals.setdefault(name, asyncio.Event())


async def open_meeting(name: str, partner: str, rendezvous: Rendezvous) -> AsyncIterator[Tracked]:
    rendezvous.arrival(name).set()
    await asyncio.wait_for(rendezvous.arrival(partner).wait(), MEETING_TIMEOUT)
    record(f"open {name}")
    yield Tracked(name)
    record(f"close {name}")


class ConcurrentContainer(containers.DeclarativeContainer):
    """``left`` and ``right`` each wait (up to MEETING_TIMEOUT) until the other has begun."""

    rendezvous = providers.Singleton(Rendezvous)
    left = providers.Resource(open_meeting, "left", "right", rendezvous)
    right = providers.Resource(open_meeting, "right", "left", rendezvous)


class InnerContainer(containers.DeclarativeContainer):
    store = providers.Resource(open_async_generator, "store")


class NestingContainer(containers.DeclarativeContainer):
    """A Resource inside a nested ``providers.Container``, used by a top-level one."""

    inner = providers.Container(InnerContainer)
    front = providers.Resource(open_async_generator, "front", store=inner.store)


# -- lifespan managers ----------------------------------------------------------------------


@asynccontextmanager
async def journaled(name: str, value: Any) -> AsyncIterator[Any]:
    """Records ``enter <name>`` and ``exit <name>``; yields ``value``."""
    record(f"enter {name}")
    try:
        yield value
    finally:
        record(f"exit {name}")


def greeting_manager() -> AbstractAsyncContextManager[Any]:
    return journaled("greeting_manager", {"greeting": "hello"})


def other_greeting_manager() -> AbstractAsyncContextManager[Any]:
    """Yields the same key as ``greeting_manager``."""
    return journaled("other_greeting_manager", {"greeting": "bonjour"})


def first_manager() -> AbstractAsyncContextManager[Any]:
    """Yields the key of ``ChainContainer.first``."""
    return journaled("first_manager", {"first": Tracked("manager's first")})


def silent_manager() -> AbstractAsyncContextManager[Any]:
    """Yields None: adds nothing to the state."""
    return journaled("silent_manager", None)


def list_manager() -> AbstractAsyncContextManager[Any]:
    """Yields a list instead of a mapping."""
    return journaled("list_manager", ["greeting", "hello"])


class ManagerClass:
    """A class is a lifespan manager too: calling it gives an async context manager."""

    async def __aenter__(self) -> dict[str, str]:
        record("enter ManagerClass")
        return {"from_class": "yes"}

    async def __aexit__(self, *exc_info: object) -> None:
        record("exit ManagerClass")


@contextmanager
def sync_manager() -> Iterator[dict[str, str]]:
    """A sync context manager, where an async one is needed."""
    yield {"greeting": "hello"}


async def undecorated_manager() -> AsyncIterator[dict[str, str]]:
    """An async generator function missing its ``@asynccontextmanager``."""
    yield {"greeting": "hello"}


async def coroutine_manager() -> dict[str, str]:
    """A coroutine function, not a context manager at all."""
    return {"greeting": "hello"}


@asynccontextmanager
async def resource_using_manager() -> AsyncIterator[dict[str, str]]:
    """Reaches a resource at startup and keeps it for its shutdown (it closes first)."""
    first = resolve(ChainContainer.first)
    assert resolve(get_container(ChainContainer).first) is first
    record(f"manager saw {first.name} closed={first.closed}")
    yield {"greeting": f"hello from {first.name}"}
    record(f"manager left {first.name} closed={first.closed}")
