"""How each injected parameter is served in a run (``plans.py``): awaited where it must be,
each provider looked at once, and a marker that names two providers refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dependency_injector import containers, providers

from django_lifespan_di import InjectionError, Provide, inject
from tests.project.containers import Tracked
from tests.support.engine import make_runtime
from tests.support.engine_containers import open_async_generator


async def make_token(prefix: str) -> str:
    await asyncio.sleep(0)
    return f"{prefix}-token"


class AwaitedContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    coroutine = providers.Coroutine(make_token, "coroutine")
    async_factory = providers.Factory(make_token, "factory")
    # The pool is reached twice: the walk looks at it once.
    pair: providers.Factory[dict[str, Tracked]] = providers.Factory(dict, first=pool, second=pool)


@inject
async def awaited(
    coroutine: str = Provide[AwaitedContainer.coroutine],
    async_factory: str = Provide[AwaitedContainer.async_factory],
    pair: dict[str, Tracked] = Provide[AwaitedContainer.pair],
) -> tuple[str, str, dict[str, Tracked]]:
    return coroutine, async_factory, pair


async def test_coroutines_and_async_factories_are_awaited_for_each_call() -> None:
    runtime = make_runtime(AwaitedContainer)
    state = await runtime.start()
    try:
        for _ in range(2):  # the plan, then the plan again from the cache
            coroutine, async_factory, pair = await awaited()
            assert (coroutine, async_factory) == ("coroutine-token", "factory-token")
            assert pair == {"first": state["pool"], "second": state["pool"]}
    finally:
        await runtime.stop()


# Factories: two Resources of one name would collide in the lifespan state first.
class First(containers.DeclarativeContainer):
    client = providers.Factory(Tracked, "first client")


class Second(containers.DeclarativeContainer):
    client = providers.Factory(Tracked, "second client")


@inject
async def ambiguous(client: Any = Provide["client"]) -> Any:
    return client  # pragma: no cover  (never called: the marker is refused)


async def test_a_string_id_that_names_a_provider_in_two_containers_is_refused() -> None:
    runtime = make_runtime(First, Second)
    await runtime.start()
    try:
        with pytest.raises(InjectionError, match="several configured containers") as caught:
            await ambiguous()
    finally:
        await runtime.stop()
    assert caught.value.check_id == "django_lifespan_di.E104"
    assert "(First, Second)" in str(caught.value)
