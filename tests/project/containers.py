"""The test project's container: resources that journal what happens to them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

from dependency_injector import containers, providers

from django_lifespan_di import RequestResource
from tests.project.journal import fault, record

_serials = itertools.count(1)


class Tracked:
    """A stand-in for a client or pool: knows its name and whether it is closed."""

    def __init__(self, name: str, **dependencies: Any) -> None:
        self.name = name
        #: Unique for the process: id() is reused once an object (a per-request one) is freed.
        self.serial = next(_serials)
        self.dependencies = dependencies
        self.closed = False

    def __repr__(self) -> str:
        return f"<Tracked {self.name}{' closed' if self.closed else ''}>"


async def open_async(name: str, **dependencies: Any) -> AsyncIterator[Tracked]:
    record(f"open {name}")
    if fault("hang_start", name):
        await asyncio.sleep(3600)
    if fault("fail_start", name):
        raise ConnectionRefusedError(f"{name} cannot connect (test fault)")
    resource = Tracked(name, **dependencies)
    try:
        yield resource
    finally:
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
