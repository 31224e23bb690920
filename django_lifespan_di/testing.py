"""Test support: run the lifespan around a test and put fakes in place of providers.

pytest users get fixtures from the plugin (``lifespan``, ``lifespan_client``, ``override``,
see ``django_lifespan_di.pytest_plugin``); this module is the same machinery for any test
runner, ``unittest`` and Django's ``TestCase`` included.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from dependency_injector import providers
from dependency_injector.wiring import ProvidersMap

from django_lifespan_di.exceptions import LifespanError
from django_lifespan_di.runtime import Runtime, lifespan, running_runtime

__all__ = ["LifespanTestMixin", "lifespan", "override_providers"]

T = TypeVar("T")


class override_providers:
    """Replace ``provider`` with ``replacement`` for a block; restore it afterwards, always.

    ``replacement`` is a fake object (wrapped in ``providers.Object``) or any provider.
    ``provider`` is a provider of a container class (``Container.http_client``) or of the live
    container (``get_container(Container).http_client``):

    - before the lifespan starts, a class provider's override is what the lifespan runs: an
      overridden ``Resource`` is not started and the fake is not shut down, unless the fake is
      itself a ``Resource``, which is then started and shut down in its place;
    - while a lifespan runs on this event loop, the live container is overridden too, and the
      ``@inject`` caches are cleared, so the very next call sees the fake.

    Use ``async with`` when the replacement is a ``Resource`` that may be opened while the
    lifespan runs: leaving the block then awaits its shutdown (dependency-injector would leak
    it when the override is reset).
    """

    def __init__(self, provider: providers.Provider[Any], replacement: Any) -> None:
        if not isinstance(provider, providers.Provider):
            raise TypeError(
                f"override_providers() overrides a provider (e.g. Container.http_client), "
                f"not {provider!r}."
            )
        if isinstance(provider, providers.ConfigurationOption):
            # dependency-injector writes such an override into the configuration for good:
            # it has no way to undo it.
            raise TypeError(
                f"override_providers() cannot override the configuration option "
                f"{provider.get_name()!r}: dependency-injector cannot undo that. Override the "
                f"whole configuration instead, e.g. override_providers(Container.config, "
                f"{{...every value...}})."
            )
        self.provider = provider
        self.replacement: providers.Provider[Any] = (
            replacement
            if isinstance(replacement, providers.Provider)
            else providers.Object(replacement)
        )
        self._targets: list[providers.Provider[Any]] = []
        self._runtime: Runtime | None = None

    def __enter__(self) -> providers.Provider[Any]:
        self._runtime = running_runtime()
        self._targets = [self.provider, *self._live_counterparts()]
        for target in self._targets:
            target.override(self.replacement)
        self._changed()
        return self.replacement

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pending = self._reset()
        if pending is not None:
            if inspect.iscoroutine(pending):
                pending.close()
            raise LifespanError(
                f"The replacement {self.replacement!r} of {self.provider!r} is an async "
                f"Resource that was opened during the block; use `async with "
                f"override_providers(...)` so its shutdown is awaited."
            )

    async def __aenter__(self) -> providers.Provider[Any]:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pending = self._reset()
        if pending is not None:
            await pending

    def _live_counterparts(self) -> list[providers.Provider[Any]]:
        if self._runtime is None:
            return []
        live = []
        for instance in self._runtime.containers.values():
            own: list[providers.Provider[Any]] = list(instance.traverse())
            if any(self.provider is provider for provider in own):
                return []  # the live provider itself was given
            counterpart = ProvidersMap(instance).resolve_provider(self.provider, None)
            if counterpart is not None:
                live.append(counterpart)
        return live

    def _reset(self) -> Awaitable[Any] | None:
        """Undo the overrides; shut down a replacement Resource opened meanwhile.

        Returns the shutdown still to await, for an async Resource.
        """
        for target in reversed(self._targets):
            target.reset_last_overriding()
        self._targets = []
        self._changed()
        if isinstance(self.replacement, providers.Resource) and self.replacement.initialized:
            result = self.replacement.shutdown()
            if inspect.isawaitable(result):
                return result
        return None

    def _changed(self) -> None:
        if self._runtime is not None:
            self._runtime.bindings.clear()


class LifespanTestMixin:
    """Run each ``async def test_*`` method of a ``unittest``/Django test case in the lifespan.

    The state is available as ``self.lifespan_state`` during the test; Django's
    ``AsyncClient`` and ``@inject``-ed views see the live objects. Overrides made in
    ``setUp`` are in place before the lifespan starts: enter ``override_providers(...)`` there
    and exit it with ``addCleanup`` (or ``self.enterContext(...)`` on Python 3.11+):

        class WeatherTests(LifespanTestMixin, SimpleTestCase):
            async def test_weather(self):
                response = await self.async_client.get("/weather/prague/")
    """

    lifespan_state: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if name.startswith("test") and inspect.iscoroutinefunction(method):
                setattr(cls, name, _in_lifespan(method))


def _in_lifespan(
    test: Callable[..., Awaitable[T]],
) -> Callable[..., Awaitable[T]]:
    @functools.wraps(test)
    async def run(self: LifespanTestMixin, *args: Any, **kwargs: Any) -> T:
        async with lifespan() as state:
            self.lifespan_state = state
            return await test(self, *args, **kwargs)

    return run
