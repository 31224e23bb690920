"""The test project's container: resources that journal what happens to them."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from dependency_injector import containers, providers

from django_lifespan_di import RequestResource
from tests.project.journal import fault, record

_serials = itertools.count(1)
#: How long a resource named in LIFESPAN_DI_TEST_SLOW_START (_STOP) takes to open (to close);
#: LIFESPAN_DI_TEST_SLOW_START_SECONDS sets another opening time (a server's own time limits).
SLOW_START_SECONDS = 0.5
SLOW_STOP_SECONDS = 1.0
#: How long a resource named in LIFESPAN_DI_TEST_BLOCK_STOP blocks the event loop as it closes.
BLOCK_STOP_SECONDS = 30.0


def _slow_now() -> bool:
    """Whether a slow start applies now: LIFESPAN_DI_TEST_SLOW_START_AFTER names a file whose
    creation turns it on (for the processes a server starts later, not its first ones)."""
    flag = os.environ.get("LIFESPAN_DI_TEST_SLOW_START_AFTER")
    return flag is None or os.path.exists(flag)


class Tracked:
    """A stand-in for a client or pool: knows its name and whether it is closed."""

    def __init__(self, name: str, **dependencies: Any) -> None:
        self.name = name
        #: Unique for the process: id() is reused once an object (a per-request one) is freed.
        self.serial = next(_serials)
        self.dependencies = dependencies
        self.closed = False
        #: The event loop an async resource was opened on (None for a sync one).
        self.loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"<Tracked {self.name}{' closed' if self.closed else ''}>"

    async def ping(self) -> str:
        """An async call that works, as a real async client's, only on the loop it opened on
        (httpx, asyncpg and aiosqlite objects fail on another, or break for everyone)."""
        if self.loop is not None and asyncio.get_running_loop() is not self.loop:
            raise RuntimeError(f"{self.name} is bound to a different event loop")
        return f"pong from {self.name}"


def describe(**objects: Tracked) -> dict[str, Any]:
    """What a view or task reports about the objects it got, with the process id."""
    return {
        "pid": os.getpid(),
        **{
            name: {"name": obj.name, "id": id(obj), "serial": obj.serial, "closed": obj.closed}
            for name, obj in objects.items()
        },
    }


async def open_async(name: str, **dependencies: Any) -> AsyncIterator[Tracked]:
    record(f"open {name}")
    if fault("slow_start", name) and _slow_now():
        await asyncio.sleep(
            float(os.environ.get("LIFESPAN_DI_TEST_SLOW_START_SECONDS", SLOW_START_SECONDS))
        )
    if fault("hang_start", name):
        await asyncio.sleep(3600)
    if fault("fail_start", name):
        raise ConnectionRefusedError(f"{name} cannot connect (test fault)")
    resource = Tracked(name, **dependencies)
    resource.loop = asyncio.get_running_loop()
    try:
        yield resource
    finally:
        if fault("slow_stop", name):
            # Longer than the 0.25 s Django's autoreloader gives its child after Ctrl-C: the
            # close is journalled only once the wait is over.
            await asyncio.sleep(SLOW_STOP_SECONDS)
        if fault("block_stop", name):
            # Blocking code in an async close: no deadline on the loop can fire meanwhile.
            time.sleep(BLOCK_STOP_SECONDS)  # noqa: ASYNC251  (the blocking is the fault)
        record(f"close {name}")
        resource.closed = True
        if fault("hang_stop", name):
            await asyncio.sleep(3600)
        if fault("fail_stop", name):
            raise RuntimeError(f"{name} failed to close (test fault)")


def open_sync(name: str, **dependencies: Any) -> Iterator[Tracked]:
    record(f"open {name}")
    if fault("fail_start", name):
        raise ConnectionRefusedError(f"{name} cannot connect (test fault)")
    resource = Tracked(name, **dependencies)
    yield resource
    record(f"close {name}")
    resource.closed = True
    if fault("fail_stop", name):
        raise RuntimeError(f"{name} failed to close (test fault)")


async def open_unit_of_work(client: Tracked) -> AsyncIterator[Tracked]:
    """A per-request object built on a shared resource; sees the view's exception."""
    record("open unit_of_work")
    unit_of_work = Tracked("unit_of_work", client=client)
    try:
        yield unit_of_work
    except Exception as exc:
        record(f"rollback unit_of_work {type(exc).__name__}")
        raise
    finally:
        unit_of_work.closed = True
        record("close unit_of_work")


async def open_orm_unit_of_work(client: Tracked) -> AsyncIterator[Tracked]:
    """A per-request object that reads the database with Django's async ORM when it opens.

    The ORM's thread-sensitive work must come back to the request's own thread: from a sync
    view, whose thread waits for the loop, that is where a deadlock would hide.
    """
    from django.contrib.auth.models import User

    users = await User.objects.acount()
    record("open orm_unit_of_work")
    yield Tracked("orm_unit_of_work", client=client, users=users)
    record("close orm_unit_of_work")


def open_sync_unit_of_work(client: Tracked) -> Iterator[Tracked]:
    """A sync per-request object (a transaction, say): opened in the view's thread."""
    record("open sync_unit_of_work")
    yield Tracked("sync_unit_of_work", client=client)
    record("close sync_unit_of_work")


class Service:
    """A Factory-built object between two resources (indirect dependency)."""

    def __init__(self, client: Tracked) -> None:
        self.client = client


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(default={"greeting": "hello", "api_key": "s3cr3t-key"})
    database = providers.Resource(open_async, "database")
    cache = providers.Resource(open_sync, "cache")
    http_client = providers.Resource(open_async, "http_client", database=database)
    service = providers.Factory(Service, client=http_client)
    reporter = providers.Resource(open_async, "reporter", service=service)
    unit_of_work = RequestResource(open_unit_of_work, client=http_client)
    orm_unit_of_work = RequestResource(open_orm_unit_of_work, client=http_client)
    sync_unit_of_work = RequestResource(open_sync_unit_of_work, client=http_client)
