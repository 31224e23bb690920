"""Containers whose resources misbehave in the ways the engine must survive: shutdowns that raise
what is not an ``Exception``, code that ignores cancellation or blocks, what must be opened once
or not at all; and per-request resources reached every way and in every shape.

Every resource journals ``open <name>`` / ``close <name>`` into ``tests.project.journal.EVENTS``
(through ``engine_containers.open_async_generator`` where nothing special is needed). The
stubborn ones ignore cancellation until the test lets them go (``STUBBORN.release()``), so no
task outlives its test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from dependency_injector import containers, providers, resources

from django_lifespan_di import RequestResource, resolve
from tests.project.containers import Service, Tracked
from tests.project.journal import record
from tests.support.engine_containers import open_async_generator


class Release:
    """An event the stubborn resources wait for, past any cancellation."""

    def __init__(self) -> None:
        self.event: asyncio.Event | None = None

    def reset(self) -> None:
        self.event = asyncio.Event()

    def release(self) -> None:
        assert self.event is not None
        self.event.set()

    async def wait_ignoring_cancellation(self) -> None:
        assert self.event is not None
        while not self.event.is_set():
            try:
                await self.event.wait()
            except BaseException:
                record("ignored cancellation")


STUBBORN = Release()


# -- shutdowns that raise what is not an Exception -------------------------------------------


async def background_worker(name: str, pool: Tracked) -> AsyncIterator[asyncio.Task[None]]:
    """A background task; its cleanup is `task.cancel(); await task`, which raises
    CancelledError out of the cleanup."""
    task = asyncio.ensure_future(asyncio.sleep(3600))
    record(f"open {name}")
    yield task
    record(f"close {name}")
    task.cancel()
    await task


async def raising_on_close(
    name: str, error: type[BaseException], pool: Tracked
) -> AsyncIterator[Tracked]:
    record(f"open {name}")
    yield Tracked(name)
    record(f"close {name}")
    raise error(f"{name} raised on close")


class BaseExceptionsContainer(containers.DeclarativeContainer):
    """Four shutdowns that raise a BaseException, all depending on ``pool``."""

    pool = providers.Resource(open_async_generator, "pool")
    worker = providers.Resource(background_worker, "worker", pool=pool)
    interrupted = providers.Resource(raising_on_close, "interrupted", KeyboardInterrupt, pool=pool)
    exiting = providers.Resource(raising_on_close, "exiting", SystemExit, pool=pool)
    generator_exit = providers.Resource(
        raising_on_close, "generator_exit", GeneratorExit, pool=pool
    )


async def awaiting_a_cancelled_task(name: str) -> AsyncIterator[Tracked]:
    """A start that awaits a task someone cancelled: the CancelledError is its own."""
    record(f"starting {name}")
    task = asyncio.ensure_future(asyncio.sleep(3600))
    await asyncio.sleep(0)
    task.cancel()
    await task
    yield Tracked(name)  # pragma: no cover  (never reached: the await above raises)


class CancelledStartContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    cancelled = providers.Resource(awaiting_a_cancelled_task, "cancelled")


class PoolContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")


# -- what ignores cancellation or blocks -------------------------------------------------------


async def stubborn_start(name: str) -> AsyncIterator[Tracked]:
    record(f"starting {name}")
    await STUBBORN.wait_ignoring_cancellation()
    record(f"open {name}")
    yield Tracked(name)
    record(f"close {name}")


async def stubborn_close(name: str, pool: Tracked) -> AsyncIterator[Tracked]:
    record(f"open {name}")
    yield Tracked(name)
    record(f"closing {name}")
    await STUBBORN.wait_ignoring_cancellation()
    record(f"close {name}")


async def stubborn_function(name: str) -> Tracked:
    """A coroutine function resource (nothing to close) that ignores cancellation."""
    record(f"starting {name}")
    await STUBBORN.wait_ignoring_cancellation()
    record(f"open {name}")
    return Tracked(name)


class StubbornFunctionContainer(containers.DeclarativeContainer):
    stubborn = providers.Resource(stubborn_function, "stubborn")


async def open_resolving_slow(name: str) -> AsyncIterator[Tracked]:
    """Reaches, while it opens, a resource it does not declare as a dependency."""
    slow = resolve(UndeclaredDependencyContainer.slow)
    yield Tracked(name, slow=slow)  # pragma: no cover  (never reached: slow is not ready yet)


class UndeclaredDependencyContainer(containers.DeclarativeContainer):
    slow = providers.Resource(open_async_generator, "slow", steps=5)
    eager = providers.Resource(open_resolving_slow, "eager")


class StubbornStartContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    stubborn = providers.Resource(stubborn_start, "stubborn")


class StubbornCloseContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    stubborn = providers.Resource(stubborn_close, "stubborn", pool=pool)
    other = providers.Resource(open_async_generator, "other", pool=pool)


def sleepy_generator(name: str, seconds: float) -> Iterator[Tracked]:
    """A sync generator that blocks: it runs in a thread of its own."""
    time.sleep(seconds)
    record(f"open {name}")
    yield Tracked(name)
    record(f"close {name}")


def sleepy_function(name: str, seconds: float) -> Tracked:
    """A plain function that blocks: it runs on the event loop, blocking it."""
    time.sleep(seconds)
    record(f"open {name}")
    return Tracked(name)


def sleepy_generator_failing_to_close(name: str, seconds: float) -> Iterator[Tracked]:
    time.sleep(seconds)
    record(f"open {name}")
    yield Tracked(name)
    record(f"close {name}")
    raise RuntimeError(f"{name} failed to close (test fault)")


class BlockingFailingCloseContainer(containers.DeclarativeContainer):
    blocking = providers.Resource(sleepy_generator_failing_to_close, "blocking", 1.0)


class BlockingContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    blocking = providers.Resource(sleepy_generator, "blocking", 3.0)


class LoopBlockingContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    blocking = providers.Resource(sleepy_function, "blocking", 1.5)


# -- what must be opened once, or not at all ----------------------------------------------------


class Repository:
    def __init__(self, client: Tracked) -> None:
        self.client = client


class CoreContainer(containers.DeclarativeContainer):
    client = providers.Resource(open_async_generator, "core client")


class BillingContainer(containers.DeclarativeContainer):
    """References a resource of another configured container."""

    repository = providers.Factory(Repository, client=CoreContainer.client)
    ledger = providers.Resource(open_async_generator, "ledger", client=CoreContainer.client)


async def unreachable(name: str) -> AsyncIterator[Tracked]:
    record(f"open {name}")
    raise ConnectionRefusedError(f"{name} is unreachable (test fault)")
    yield Tracked(name)  # type: ignore[unreachable]  # an async generator that never opens


class SelectorContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    cache = providers.Selector(
        config.backend,
        memory=providers.Resource(open_async_generator, "memory cache"),
        redis=providers.Resource(unreachable, "redis cache"),
    )
    service = providers.Factory(Service, client=cache)


class CycleContainer(containers.DeclarativeContainer):
    unrelated = providers.Resource(open_async_generator, "unrelated")
    first = providers.Resource(open_async_generator, "first")
    service = providers.Factory(Service, client=first)


# The cycle: first -> service -> first (dependency-injector allows it once the class exists).
CycleContainer.first.add_kwargs(service=CycleContainer.service)


class SlowStartContainer(containers.DeclarativeContainer):
    """``client`` opens at once; ``slow`` waits for ``SLOW.release()``."""

    client = providers.Resource(open_async_generator, "client")
    service = providers.Factory(Service, client=client)
    slow = providers.Resource(stubborn_start, "slow")


def chain_container(length: int) -> type[containers.DeclarativeContainer]:
    """``length`` resources, each depending on the one before."""
    attributes: dict[str, Any] = {}
    previous = None
    for index in range(length):
        name = f"link{index}"
        previous = (
            providers.Resource(open_async_generator, name, before=previous)
            if previous is not None
            else providers.Resource(open_async_generator, name)
        )
        attributes[name] = previous
    return type(f"ChainOf{length}", (containers.DeclarativeContainer,), attributes)


# -- per-request resources reached every way, each per call ------------------------------------


async def open_unit_of_work(name: str, client: Tracked) -> AsyncIterator[Tracked]:
    unit = Tracked(name, client=client)
    record(f"open {name} {unit.serial}")
    try:
        yield unit
    finally:
        record(f"close {name} {unit.serial}")
        unit.closed = True


def open_sync_unit_of_work(name: str, client: Tracked) -> Iterator[Tracked]:
    unit = Tracked(name, client=client)
    record(f"open {name} {unit.serial}")
    try:
        yield unit
    finally:
        record(f"close {name} {unit.serial}")
        unit.closed = True


def failing_unit_of_work(name: str) -> Iterator[Tracked]:
    record(f"attempt {name}")
    raise ConnectionRefusedError(f"{name} cannot open (test fault)")
    yield Tracked(name)  # type: ignore[unreachable]  # a generator that never opens


def swallowing_unit_of_work(name: str) -> Iterator[Tracked]:
    unit = Tracked(name)
    record(f"open {name} {unit.serial}")
    try:
        yield unit
    except Exception:  # a cleanup that swallows the view's exception
        record(f"swallowed {name} {unit.serial}")
    record(f"close {name} {unit.serial}")


def make_report(uow: Tracked, label: str = "report") -> dict[str, Any]:
    return {"label": label, "uow": uow}


class ScopeContainer(containers.DeclarativeContainer):
    client = providers.Resource(open_async_generator, "client")
    uow = RequestResource(open_unit_of_work, "uow", client=client)
    sync_uow = RequestResource(open_sync_unit_of_work, "sync_uow", client=client)
    service = providers.Factory(Service, client=uow)
    sync_service = providers.Factory(Service, client=sync_uow)
    nested = providers.Factory(Service, client=service)
    positional = providers.Factory(Service, sync_uow)
    report = providers.Callable(make_report, sync_uow, label="callable")
    shared_report = providers.Singleton(Service, client=sync_uow)
    failing = RequestResource(failing_unit_of_work, "failing")
    swallowing = RequestResource(swallowing_unit_of_work, "swallowing")


# -- every shape of RequestResource ------------------------------------------------------------


class SyncUnitOfWork(resources.Resource[Tracked]):
    """A class-based sync per-request resource."""

    def init(self, name: str) -> Tracked:
        unit = Tracked(name)
        record(f"open {name} {unit.serial}")
        return unit

    def shutdown(self, unit: Tracked | None) -> None:
        assert unit is not None
        record(f"close {unit.name} {unit.serial}")


class AsyncUnitOfWork(resources.AsyncResource[Tracked]):
    """A class-based async per-request resource."""

    async def init(self, name: str) -> Tracked:
        unit = Tracked(name)
        record(f"open {name} {unit.serial}")
        return unit

    async def shutdown(self, unit: Tracked | None) -> None:
        assert unit is not None
        await asyncio.sleep(0)
        record(f"close {unit.name} {unit.serial}")


class AsyncContextUnitOfWork:
    """An async context manager class as a per-request resource."""

    def __init__(self, name: str) -> None:
        self.unit = Tracked(name)

    async def __aenter__(self) -> Tracked:
        record(f"open {self.unit.name} {self.unit.serial}")
        return self.unit

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.sleep(0)
        record(f"close {self.unit.name} {self.unit.serial}")


def plain_unit_of_work(name: str) -> Tracked:
    """A plain function: a per-request object with nothing to close."""
    unit = Tracked(name)
    record(f"open {name} {unit.serial}")
    return unit


async def make_token() -> str:
    await asyncio.sleep(0)
    return "token"


async def unit_with_token(name: str, token: str) -> AsyncIterator[Tracked]:
    unit = Tracked(name, token=token)
    record(f"open {name} {unit.serial}")
    yield unit
    record(f"close {name} {unit.serial}")


def sync_unit_with_token(name: str, token: str) -> Iterator[Tracked]:
    unit = Tracked(name, token=token)  # pragma: no cover  (never opened: its token is awaited)
    yield unit  # pragma: no cover


def sync_unit_that_awaits(name: str) -> AsyncContextUnitOfWork:
    """Declared as a plain function, but what it returns must be awaited."""
    return AsyncContextUnitOfWork(name)


def returns_a_coroutine(name: str) -> Any:
    """Declared as a plain function, but what it returns is a coroutine."""
    return make_token()


class ShapesContainer(containers.DeclarativeContainer):
    class_based = RequestResource(SyncUnitOfWork, "class_based")
    async_class_based = RequestResource(AsyncUnitOfWork, "async_class_based")
    async_context = RequestResource(AsyncContextUnitOfWork, "async_context")
    plain = RequestResource(plain_unit_of_work, "plain")
    with_token = RequestResource(
        unit_with_token, "with_token", token=providers.Coroutine(make_token)
    )
    awaits_in_sync = RequestResource(sync_unit_that_awaits, "awaits_in_sync")
    coroutine_in_sync = RequestResource(returns_a_coroutine, "coroutine_in_sync")
    sync_with_token = RequestResource(
        sync_unit_with_token, "sync_with_token", token=providers.Coroutine(make_token)
    )


# -- one unit of work per call, whatever the graph --------------------------------------------


async def open_slow_unit_of_work(name: str, client: Tracked) -> AsyncIterator[Tracked]:
    """A unit of work that waits before it is ready (a connection taken from a pool)."""
    await asyncio.sleep(0.01)
    unit = Tracked(name, client=client)
    record(f"open {name} {unit.serial}")
    try:
        yield unit
    finally:
        # Its cleanup waits too (a commit): a cancellation meanwhile must not cut it short.
        record(f"closing {name} {unit.serial}")
        await asyncio.sleep(0.05)
        record(f"close {name} {unit.serial}")


async def open_failing_slow_unit_of_work(name: str) -> AsyncIterator[Tracked]:
    record(f"attempt {name}")
    await asyncio.sleep(0.01)
    raise ConnectionRefusedError(f"{name} cannot open (test fault)")
    yield Tracked(name)  # type: ignore[unreachable]  # an async generator that never opens


class UnitOfWorkContainer(containers.DeclarativeContainer):
    client = providers.Resource(open_async_generator, "client")
    failing = RequestResource(open_failing_slow_unit_of_work, "failing")
    failing_pair: providers.Factory[dict[str, Service]] = providers.Factory(
        dict,
        first=providers.Factory(Service, client=failing),
        second=providers.Factory(Service, client=failing),
    )
    uow = RequestResource(open_slow_unit_of_work, "uow", client=client)
    # Two repositories on one unit of work: dependency-injector builds them concurrently.
    repositories: providers.Factory[dict[str, Service]] = providers.Factory(
        dict,
        orders=providers.Factory(Service, client=uow),
        users=providers.Factory(Service, client=uow),
    )
    repository = providers.Factory(Service, client=uow)
