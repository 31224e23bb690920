"""Per-request resources are per request, however they are reached.

Each ``@inject`` call gets its own ``RequestResource`` objects, through a factory, a nested
factory, a ``Callable``, a positional argument, ``resolve()`` or a ``Provider[...]`` marker,
closed when the call returns or raises; what would share one between calls refuses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.checks import run_checks
from django.test import override_settings

from django_lifespan_di import InjectionError, Provide, Provider, inject, resolve
from django_lifespan_di.runtime import Runtime
from tests.project import journal
from tests.project.containers import Service, Tracked
from tests.support.engine import journaled, make_runtime
from tests.support.fault_containers import (
    ScopeContainer,
    ShapesContainer,
    UnitOfWorkContainer,
    open_unit_of_work,
)

SCOPE_CONTAINER = "tests.support.fault_containers.ScopeContainer"


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    runtime = make_runtime(ScopeContainer)
    await runtime.start()
    journal.EVENTS.clear()
    yield runtime
    await runtime.stop()


def opened(name: str) -> list[str]:
    """The serial numbers of the ``name`` objects opened, in order."""
    return [event.split()[-1] for event in journal.EVENTS if event.startswith(f"open {name} ")]


def closed(name: str) -> list[str]:
    return [event.split()[-1] for event in journal.EVENTS if event.startswith(f"close {name} ")]


@inject
async def through_a_factory(service: Service = Provide[ScopeContainer.service]) -> Tracked:
    return service.client


@inject
async def through_a_nested_factory(
    nested: Service = Provide[ScopeContainer.nested],
) -> Tracked:
    inner: Service = nested.client  # type: ignore[assignment]  # a Service built on a Service
    return inner.client


@inject
def through_a_positional_argument(
    service: Service = Provide[ScopeContainer.positional],
) -> Tracked:
    return service.client


@inject
def through_a_callable(report: dict[str, Any] = Provide[ScopeContainer.report]) -> Tracked:
    assert report["label"] == "callable"
    return report["uow"]  # type: ignore[no-any-return]


@inject
async def through_resolve(service: Service = Provide[ScopeContainer.sync_service]) -> Tracked:
    # resolve() inside the call: the same scope, so the same object as the parameter's.
    again = resolve(ScopeContainer.sync_service)
    assert again.client is service.client
    return again.client


@inject
async def through_a_provider_marker(make: Any = Provider[ScopeContainer.service]) -> Tracked:
    first, second = await make(), await make()
    assert first.client is second.client  # one per call, however often it is asked for
    return first.client  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (through_a_factory, "uow"),
        (through_a_nested_factory, "uow"),
        (through_a_positional_argument, "sync_uow"),
        (through_a_callable, "sync_uow"),
        (through_resolve, "sync_uow"),
        (through_a_provider_marker, "uow"),
    ],
    ids=["factory", "nested factory", "positional", "callable", "resolve", "provider marker"],
)
async def test_each_call_gets_its_own_request_resource_closed_when_it_returns(
    runtime: Runtime, call: Any, name: str
) -> None:
    async def once() -> Tracked:
        result = call()
        return await result if asyncio.iscoroutine(result) else result  # type: ignore[no-any-return]

    first = await once()
    second = await once()
    assert first is not second
    assert first.closed
    assert second.closed
    assert first.dependencies["client"] is runtime.state["client"]  # built on the shared one
    assert opened(name) == closed(name) == [str(first.serial), str(second.serial)]
    assert not runtime.state["client"].closed


async def test_concurrent_calls_never_share_one(runtime: Runtime) -> None:
    seen = await asyncio.gather(*(through_a_factory() for _ in range(20)))
    assert len({unit.serial for unit in seen}) == 20
    assert sorted(opened("uow")) == sorted(closed("uow"))


async def test_a_sync_view_closes_the_first_when_the_second_fails_to_open(
    runtime: Runtime,
) -> None:
    @inject
    def view(
        unit: Tracked = Provide[ScopeContainer.sync_uow],
        failing: Tracked = Provide[ScopeContainer.failing],
    ) -> None:
        raise AssertionError("never called")

    with pytest.raises(ConnectionRefusedError):
        await sync_to_async(view)()
    assert len(opened("sync_uow")) == 1
    assert closed("sync_uow") == opened("sync_uow")
    assert journaled("attempt") == ["failing"]


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_cleanup_that_swallows_the_view_exception_cannot_hide_it(
    runtime: Runtime, kind: str
) -> None:
    @inject
    async def async_view(unit: Tracked = Provide[ScopeContainer.swallowing]) -> str:
        raise ValueError("the view failed")

    @inject
    def sync_view(unit: Tracked = Provide[ScopeContainer.swallowing]) -> str:
        raise ValueError("the view failed")

    with pytest.raises(ValueError, match="the view failed"):
        await (async_view() if kind == "async" else sync_to_async(sync_view)())
    assert len(journaled("swallowed")) == 1  # it saw the exception ...
    assert closed("swallowing") == opened("swallowing")  # ... closed, and the error went on


async def test_a_singleton_built_on_a_request_resource_refuses(runtime: Runtime) -> None:
    @inject
    def view(shared: Service = Provide[ScopeContainer.shared_report]) -> Service:
        return shared

    with pytest.raises(InjectionError) as caught:
        await sync_to_async(view)()
    assert str(caught.value) == (
        "ScopeContainer.shared_report is a Singleton built on the per-request "
        "ScopeContainer.sync_uow: it would hand the first request's object to every later "
        "one. Make it a Factory."
    )
    assert opened("sync_uow") == []  # refused before anything opened


def test_the_checks_report_a_singleton_built_on_a_request_resource() -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [SCOPE_CONTAINER]}):
        errors = [e for e in run_checks() if e.id == "django_lifespan_di.E106"]
    assert [error.obj for error in errors] == ["ScopeContainer.shared_report"]


async def test_a_refused_resolve_opens_nothing(runtime: Runtime) -> None:
    @inject
    async def view(unit: Tracked = Provide[ScopeContainer.sync_uow]) -> None:
        with pytest.raises(InjectionError, match="gives an awaitable"):
            resolve(ScopeContainer.service)  # a factory over an async per-request resource

    await view()
    assert opened("uow") == []
    assert len(opened("sync_uow")) == 1


async def test_outside_an_inject_call_a_request_resource_refuses(runtime: Runtime) -> None:
    with pytest.raises(InjectionError, match="no @inject call with a per-request parameter"):
        resolve(ScopeContainer.sync_service)
    with pytest.raises(InjectionError, match="lives for one request"):
        runtime.container(ScopeContainer).sync_uow()
    assert journal.EVENTS == []


async def test_a_task_started_by_a_call_cannot_open_after_it_returned(runtime: Runtime) -> None:
    later: list[asyncio.Task[Any]] = []

    @inject
    async def view(make: Any = Provider[ScopeContainer.service]) -> None:
        async def after() -> None:
            await asyncio.sleep(0.05)
            await make()

        later.append(asyncio.ensure_future(after()))

    await view()
    with pytest.raises(InjectionError, match="has returned: its per-request resources are closed"):
        await later[0]
    assert opened("uow") == []


def test_a_shared_resource_built_on_a_request_resource_fails_the_startup() -> None:
    from dependency_injector import containers, providers

    from django_lifespan_di import RequestResource, StartupError

    class Misbuilt(containers.DeclarativeContainer):
        client = providers.Resource(Tracked, "client")
        uow = RequestResource(open_unit_of_work, "uow", client=client)
        pool = providers.Resource(Service, client=uow)

    with pytest.raises(StartupError, match=r"Misbuilt\.pool is a shared Resource built on"):
        make_runtime(Misbuilt)


# -- every documented shape ------------------------------------------------------------------


@inject
async def every_shape(
    class_based: Tracked = Provide[ShapesContainer.class_based],
    async_class_based: Tracked = Provide[ShapesContainer.async_class_based],
    async_context: Tracked = Provide[ShapesContainer.async_context],
    plain: Tracked = Provide[ShapesContainer.plain],
    with_token: Tracked = Provide[ShapesContainer.with_token],
) -> list[Tracked]:
    return [class_based, async_class_based, async_context, plain, with_token]


@inject
def sync_view_with_an_awaiting_resource(
    unit: Tracked = Provide[ShapesContainer.awaits_in_sync],
) -> Tracked:
    return unit  # pragma: no cover  (never called: opening refuses)


@inject
def sync_view_with_a_coroutine(
    unit: Tracked = Provide[ShapesContainer.coroutine_in_sync],
) -> Tracked:
    return unit  # pragma: no cover  (never called: opening refuses)


@inject
def sync_view_with_an_awaited_argument(
    unit: Tracked = Provide[ShapesContainer.sync_with_token],
) -> Tracked:
    return unit  # pragma: no cover  (never called: opening refuses)


async def test_every_shape_is_opened_per_call_and_closed_after_it() -> None:
    runtime = make_runtime(ShapesContainer)
    await runtime.start()
    try:
        first, second = await every_shape(), await every_shape()
    finally:
        await runtime.stop()
    assert [unit.name for unit in first] == [
        "class_based",
        "async_class_based",
        "async_context",
        "plain",
        "with_token",
    ]
    assert first[4].dependencies == {"token": "token"}  # an awaitable argument, awaited
    for name in ("class_based", "async_class_based", "async_context", "plain", "with_token"):
        assert len(set(opened(name))) == 2, name  # one per call
    for name in ("class_based", "async_class_based", "async_context", "with_token"):
        assert closed(name) == opened(name), name  # each closed after its call
    assert closed("plain") == []  # a plain function's object has nothing to close
    assert {unit.serial for unit in first}.isdisjoint(unit.serial for unit in second)


@pytest.mark.parametrize(
    ("view", "name"),
    [
        (sync_view_with_an_awaiting_resource, "awaits_in_sync"),
        (sync_view_with_a_coroutine, "coroutine_in_sync"),
        (sync_view_with_an_awaited_argument, "sync_with_token"),
    ],
)
async def test_a_sync_resource_that_would_await_is_refused_before_it_opens(
    view: Any, name: str
) -> None:
    # It could be opened in a sync view, but never closed there: refused before it opens.
    runtime = make_runtime(ShapesContainer)
    await runtime.start()
    try:
        with pytest.raises(InjectionError, match=f"ShapesContainer.{name} awaits something"):
            await sync_to_async(view)()
    finally:
        await runtime.stop()
    assert opened(name) == []


# -- one unit of work per call, cleanups that survive the client ----------------------------


@pytest.fixture
async def uow_runtime() -> AsyncIterator[Runtime]:
    runtime = make_runtime(UnitOfWorkContainer)
    await runtime.start()
    journal.EVENTS.clear()
    yield runtime
    await runtime.stop()


@inject
async def two_repositories(
    repositories: dict[str, Service] = Provide[UnitOfWorkContainer.repositories],
) -> tuple[Tracked, Tracked]:
    return repositories["orders"].client, repositories["users"].client


@inject
async def gathered_repositories(
    make: Any = Provider[UnitOfWorkContainer.repository],
) -> tuple[Tracked, Tracked]:
    first, second = await asyncio.gather(make(), make())
    return first.client, second.client


@pytest.mark.usefixtures("uow_runtime")
@pytest.mark.parametrize("call", [two_repositories, gathered_repositories])
async def test_everything_one_call_reaches_shares_one_unit_of_work(call: Any) -> None:
    orders, users = await call()
    assert orders is users
    assert len(opened("uow")) == 1
    assert closed("uow") == opened("uow")
    orders_again, _ = await call()
    assert orders_again is not orders  # the next call has a unit of its own


@pytest.mark.usefixtures("uow_runtime")
async def test_a_cleanup_runs_to_its_end_when_the_call_is_cancelled() -> None:
    """A client that goes away cancels the request's task while its cleanup (a commit, a
    connection's return to its pool) runs: the cleanup still finishes."""
    call = asyncio.ensure_future(two_repositories())
    while not any(event.startswith("closing uow") for event in journal.EVENTS):  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert closed("uow") == opened("uow")  # not cut short by the cancellation


async def test_a_cleanup_that_overruns_is_named_and_left_to_finish(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = make_runtime(UnitOfWorkContainer, shutdown_timeout=0.01)
    await runtime.start()
    try:
        await two_repositories()
        assert closed("uow") == []  # the call returned; the cleanup goes on
        assert "per-request resources of tests.test_scopes.two_repositories did not close" in (
            caplog.text
        )
        while not closed("uow"):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    finally:
        await runtime.stop()


# -- generators: the per-request objects live until the generator ends or is closed ---------


@inject
async def stream_rows(
    service: Service = Provide[ScopeContainer.service], count: int = 3
) -> AsyncGenerator[tuple[int, Tracked], None]:
    for row in range(count):
        await asyncio.sleep(0)
        assert not service.client.closed  # open while the body is streamed
        yield row, service.client


@inject
def sync_stream_rows(
    service: Service = Provide[ScopeContainer.sync_service],
) -> Iterator[Tracked]:
    for _ in range(3):
        assert not service.client.closed
        yield service.client


@inject
def sync_stream_of_async(service: Service = Provide[ScopeContainer.service]) -> Iterator[Tracked]:
    yield service.client  # pragma: no cover  (refused before it runs)


@pytest.mark.usefixtures("runtime")
async def test_an_async_generator_keeps_its_per_request_objects_until_it_ends() -> None:
    rows = [row async for row in stream_rows()]
    assert [row for row, _ in rows] == [0, 1, 2]
    assert len({id(unit) for _, unit in rows}) == 1
    assert rows[0][1].closed
    assert closed("uow") == opened("uow") == [str(rows[0][1].serial)]


@pytest.mark.usefixtures("runtime")
async def test_an_async_generator_closed_early_closes_its_per_request_objects() -> None:
    rows = stream_rows(count=10)
    first = await rows.__anext__()
    assert closed("uow") == []
    await rows.aclose()
    assert first[1].closed
    assert closed("uow") == opened("uow")


@pytest.mark.usefixtures("runtime")
async def test_a_generator_keeps_its_per_request_objects_until_it_ends() -> None:
    def consume() -> list[Tracked]:
        return list(sync_stream_rows())

    units = await sync_to_async(consume)()
    assert len({id(unit) for unit in units}) == 1
    assert units[0].closed
    assert closed("sync_uow") == opened("sync_uow")


@pytest.mark.usefixtures("runtime")
async def test_a_generator_cannot_await_what_it_injects() -> None:
    with pytest.raises(InjectionError, match="is a generator, and what it injects must be awaited"):
        await sync_to_async(lambda: next(sync_stream_of_async()))()
    assert opened("uow") == []


async def test_a_generator_given_every_injected_argument_runs_without_a_lifespan() -> None:
    unit = Tracked("fake")
    assert [row async for row in stream_rows(service=Service(unit), count=1)] == [(0, unit)]
    assert list(sync_stream_rows(service=Service(unit))) == [unit, unit, unit]


@inject
async def two_on_a_failing_unit(
    pair: dict[str, Service] = Provide[UnitOfWorkContainer.failing_pair],
) -> None:
    raise AssertionError("never called: its unit of work cannot open")  # pragma: no cover


@pytest.mark.usefixtures("uow_runtime")
async def test_a_failed_opening_fails_every_asker_once() -> None:
    with pytest.raises(ConnectionRefusedError, match="failing cannot open"):
        await two_on_a_failing_unit()
    assert journaled("attempt") == ["failing"]  # one attempt for both repositories


@pytest.mark.usefixtures("uow_runtime")
async def test_a_cancelled_opening_cancels_the_askers_waiting_for_it() -> None:
    call = asyncio.ensure_future(two_repositories())
    await asyncio.sleep(0.001)  # both repositories wait for the one opening
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert opened("uow") == []


@inject
async def stream_on_a_failing_unit(
    failing: Tracked = Provide[ScopeContainer.failing],
) -> AsyncIterator[Tracked]:
    yield failing  # pragma: no cover  (it cannot open)


@inject
def sync_stream_on_a_failing_unit(
    failing: Tracked = Provide[ScopeContainer.failing],
) -> Iterator[Tracked]:
    yield failing  # pragma: no cover  (it cannot open)


@pytest.mark.usefixtures("runtime")
async def test_a_generator_whose_per_request_object_cannot_open_fails_when_iterated() -> None:
    with pytest.raises(ConnectionRefusedError):
        await anext(stream_on_a_failing_unit())
    with pytest.raises(ConnectionRefusedError):
        await sync_to_async(lambda: next(sync_stream_on_a_failing_unit()))()
    assert journaled("attempt") == ["failing", "failing"]
