"""The adapter to dependency-injector's and asyncio's private parts (``_internals.py``): what it
reproduces of dependency-injector must behave as dependency-injector does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dependency_injector import containers, providers

from django_lifespan_di import Provide, _internals, get_container, inject, resolve
from tests.project.containers import Service
from tests.support.engine import journaled, make_runtime
from tests.support.engine_containers import open_async_generator


class SelfContainer(containers.DeclarativeContainer):
    container: providers.Self[Any] = providers.Self()
    pool = providers.Resource(open_async_generator, "pool")
    service: providers.Factory[dict[str, Any]] = providers.Factory(
        dict, container=container, pool=pool
    )


async def test_a_self_provider_gives_the_live_container() -> None:
    runtime = make_runtime(SelfContainer)
    await runtime.start()
    try:
        service = resolve(SelfContainer.service)
        assert service["container"] is get_container(SelfContainer)
        assert service["pool"] is runtime.state["pool"]
    finally:
        await runtime.stop()


async def test_a_container_that_does_not_load_its_configuration_is_not_loaded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"greeting": "from the file"}), encoding="utf-8")

    class Loaded(containers.DeclarativeContainer):
        config = providers.Configuration(json_files=[path])

    class NotLoaded(containers.DeclarativeContainer):
        auto_load_config = False
        config = providers.Configuration(json_files=[path])

    runtime = make_runtime(Loaded, NotLoaded)
    await runtime.start()
    try:
        assert resolve(Loaded.config.greeting) == "from the file"
        assert resolve(NotLoaded.config.greeting) is None
    finally:
        await runtime.stop()


class ProvidesChainContainer(containers.DeclarativeContainer):
    reporter = providers.Resource(
        open_async_generator,
        "reporter",
        service=providers.Callable(
            providers.Factory(Service, client=providers.Resource(open_async_generator, "inner"))
        ),
    )
    pool = providers.Resource(open_async_generator, "pool")
    service = providers.Callable(providers.Factory(Service, client=pool))


async def test_a_resource_reached_through_a_provider_that_provides_starts_first() -> None:
    runtime = make_runtime(ProvidesChainContainer)
    await runtime.start()
    try:
        assert journaled("open").index("inner") < journaled("open").index("reporter")
        service = resolve(ProvidesChainContainer.service)
        assert service.client is runtime.state["pool"]
    finally:
        await runtime.stop()
    assert sorted(journaled("close")) == ["inner", "pool", "reporter"]


class Selected(containers.DeclarativeContainer):
    config = providers.Configuration(default={"storage": "memory"})
    storage = providers.Selector(
        config.storage,
        memory=providers.Factory(dict, kind="memory"),
        disk=providers.Factory(dict, kind="disk"),
    )


@inject
async def selected_storage(storage: dict[str, Any] = Provide[Selected.storage]) -> Any:
    return storage


async def test_an_injected_selector_gives_the_selected_branch() -> None:
    runtime = make_runtime(Selected)
    await runtime.start()
    try:
        assert await selected_storage() == {"kind": "memory"}
        assert resolve(Selected.storage) == {"kind": "memory"}
    finally:
        await runtime.stop()


class Unhashable:
    """A callable view object with value equality: not hashable."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashable)

    def __call__(self) -> None:
        pass  # pragma: no cover  (never called: only its record is looked up)


def test_an_unhashable_callable_has_no_dependency_injector_record() -> None:
    assert _internals.dependency_injector_record(Unhashable()) is None


def test_a_wrapped_cycle_unwraps_to_the_function_itself() -> None:
    def view() -> None:
        pass  # pragma: no cover  (never called)

    view.__wrapped__ = view  # type: ignore[attr-defined]
    assert _internals.unwrapped(view) is view
