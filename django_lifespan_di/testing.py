"""Test support: run the lifespan around a test and put fakes in place of providers.

pytest users get fixtures from the plugin (``lifespan``, ``lifespan_client``, ``override``,
see ``django_lifespan_di.pytest_plugin``); this module is the same machinery for any test
runner, ``unittest`` and Django's ``TestCase`` included.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

from dependency_injector import containers, providers

from django_lifespan_di._internals import live_provider, routing_async_to_sync
from django_lifespan_di.asgi import Receive, Scope, Send
from django_lifespan_di.conf import conf
from django_lifespan_di.exceptions import ConfigurationError, InjectionError, LifespanError
from django_lifespan_di.graph import remove_override
from django_lifespan_di.injection import plan_each_call
from django_lifespan_di.naming import dotted_name, provider_name
from django_lifespan_di.registry import current_runtime, runtime_or_none
from django_lifespan_di.runtime import Runtime, runs_by_loop
from django_lifespan_di.runtime import lifespan as run_lifespan
from django_lifespan_di.thread import LifespanThread

__all__ = [
    "LifespanTestMixin",
    "lifespan",
    "lifespan_thread",
    "override_providers",
    "with_lifespan_state",
]

T = TypeVar("T")
#: An ASGI 3 application.
ASGIApplication = Callable[[Scope, Receive, Send], Awaitable[None]]


class override_providers:
    """Replace ``provider`` with ``replacement`` for a block; restore it afterwards, always.

    ``replacement`` is a fake object (wrapped in ``providers.Object``) or any provider.
    ``provider`` is a provider of a container class (``Container.http_client``) or of the live
    container (``get_container(Container).http_client``):

    - before the lifespan starts, a class provider's override is what the lifespan runs: an
      overridden ``Resource`` is not started and the fake is not shut down, unless the fake is
      itself a ``Resource``, which is then started and shut down in its place;
    - while a lifespan runs on this event loop, the live container is overridden too, and the
      ``@inject`` plans are forgotten, so the very next call sees the fake.

    Blocks may end in any order (nested, interleaved, in concurrent tasks): leaving one removes
    exactly its own replacement and keeps the others'. One object is entered once at a time.

    Use ``async with`` when the replacement is a ``Resource`` that may be opened while the
    lifespan runs: leaving the block then awaits its shutdown (dependency-injector would leak
    it when the override is reset).
    """

    def __init__(self, provider: providers.Provider[Any], replacement: Any) -> None:
        if not isinstance(provider, providers.Provider):
            raise InjectionError(
                f"override_providers() overrides a provider (e.g. Container.http_client), "
                f"not {dotted_name(provider)}."
            )
        if isinstance(provider, providers.ConfigurationOption):
            # dependency-injector writes such an override into the configuration for good:
            # it has no way to undo it.
            raise InjectionError(
                f"override_providers() cannot override the configuration option "
                f"{provider.get_name()!r}: dependency-injector cannot undo that. Override the "
                f"configuration with the options to change instead, e.g. "
                f"override_providers(Container.config, {{...}}): the options it does not name "
                f"keep their values."
            )
        self.provider = provider
        #: A configuration's values to merge onto its current ones (``__enter__``), so the
        #: options the test does not name keep their values.
        self._merge = (
            replacement
            if isinstance(provider, providers.Configuration) and isinstance(replacement, Mapping)
            else None
        )
        self.replacement: providers.Provider[Any] = (
            replacement
            if isinstance(replacement, providers.Provider)
            else providers.Object(replacement)
        )
        self._targets: list[providers.Provider[Any]] = []
        self._runtime: Runtime | None = None
        self._entered = False

    def __enter__(self) -> providers.Provider[Any]:
        if self._entered:
            raise LifespanError(
                f"This override_providers({provider_name(self.provider)}, ...) is already in "
                f"effect; make a new one for a nested block."
            )
        self._entered = True
        self._runtime = runtime_or_none()
        self._targets = [self.provider, *self._live_counterparts()]
        if self._merge is not None:
            # The live configuration's values where a lifespan runs (a project's instance may
            # hold what it loaded at import), else the class's.
            current = self._targets[-1]()
            self.replacement = providers.Object(merged(current or {}, self._merge))
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
        # dependency-injector's async shutdown is a compiled coroutine, which dropping unawaited
        # does not warn about: nothing to close here, only the user to tell.
        if self._reset() is not None:
            raise LifespanError(
                f"The replacement of {provider_name(self.provider)} is an async Resource that "
                f"was opened during the block; use `async with override_providers(...)` so its "
                f"shutdown is awaited."
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
        """The providers of the live containers that answer for ``provider``: those of the
        running lifespan, or before it starts, those of the instances the project holds and
        named in ``CONTAINERS`` (the lifespan runs them as they are)."""
        if self._runtime is not None:
            instances = list(self._runtime.containers.values())
        else:
            instances = given_instances()
        live = []
        for instance in instances:
            own: list[providers.Provider[Any]] = list(instance.traverse())
            if any(self.provider is provider for provider in own):
                return []  # the live provider itself was given
            counterpart = live_provider(instance, self.provider)
            if counterpart is not None:
                live.append(counterpart)
        return live

    def _reset(self) -> Awaitable[Any] | None:
        """Undo the overrides; shut down a replacement Resource opened meanwhile.

        Returns the shutdown still to await, for an async Resource.
        """
        for target in self._targets:
            remove_override(target, self.replacement)
        self._targets = []
        self._entered = False
        self._changed()
        if isinstance(self.replacement, providers.Resource) and self.replacement.initialized:
            result = self.replacement.shutdown()
            if inspect.isawaitable(result):
                return result
        return None

    def _changed(self) -> None:
        if self._runtime is not None:
            self._runtime.forget_caches()


@contextlib.asynccontextmanager
async def lifespan() -> AsyncIterator[dict[str, Any]]:
    """[``lifespan()``][django_lifespan_di.lifespan] for tests: the same run, in which every
    ``@inject`` call is planned anew, so dependency-injector's own ``provider.override()`` (on
    the live container, or on a container class after the lifespan started) takes effect at
    the next call, as it does for code wired with dependency-injector. What the fixtures and
    ``LifespanTestMixin`` run; ``override_providers`` works in any lifespan.
    """
    async with run_lifespan() as state:
        plan_each_call(current_runtime())
        yield state


def given_instances() -> list[containers.Container]:
    """The container instances named in ``CONTAINERS`` (none where the setting is wrong: the
    checks and the lifespan's start say so)."""
    try:
        configured = conf.configured_containers()
    except ConfigurationError:
        return []
    return [entry for entry in configured if not isinstance(entry, type)]


def merged(current: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` merged onto ``current``, nested mappings merged too."""
    result = dict(current)
    for key, value in given.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


class LifespanTestMixin:
    """Run each ``test*`` method of a ``unittest``/Django test case inside the lifespan.

    For Django's test runner (``manage.py test``) and plain ``unittest``, what the pytest
    fixtures are for pytest: every test method gets its own lifespan, started before the
    method and shut down after it, and ``self.lifespan_state`` is its state during the test.

    - An ``async def`` test runs in ``lifespan()`` on its own event loop: Django's
      ``AsyncClient`` and ``@inject``-ed code in the test see the live objects.
    - A sync test runs with a [``LifespanThread``][django_lifespan_di.LifespanThread] around it,
      and the test's thread runs async views on that thread's loop: Django's sync ``Client``
      serves sync and async views with the live objects, and so do the request threads of a
      ``LiveServerTestCase``.

    Overrides made in ``setUp`` are in place before the lifespan starts: enter
    ``override_providers(...)`` there and exit it with ``addCleanup`` (or
    ``self.enterContext(...)``). ``setUpClass`` and ``setUpTestData`` run outside any lifespan.

        class WeatherTests(LifespanTestMixin, SimpleTestCase):
            async def test_weather(self):
                response = await self.async_client.get("/weather/prague/")

            def test_weather_page(self):
                response = self.client.get("/weather/prague/")
    """

    lifespan_state: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if not name.startswith("test") or not inspect.isfunction(method):
                continue
            if inspect.iscoroutinefunction(method):
                setattr(cls, name, _in_lifespan(method))
            else:
                setattr(cls, name, _in_lifespan_thread(method))


def _in_lifespan(
    test: Callable[..., Awaitable[T]],
) -> Callable[..., Awaitable[T]]:
    @functools.wraps(test)
    async def run(self: LifespanTestMixin, *args: Any, **kwargs: Any) -> T:
        async with lifespan() as state:
            self.lifespan_state = state
            return await test(self, *args, **kwargs)

    return run


def _in_lifespan_thread(test: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(test)
    def run(self: LifespanTestMixin, *args: Any, **kwargs: Any) -> T:
        with lifespan_thread() as thread:
            self.lifespan_state = thread.state
            return test(self, *args, **kwargs)

    return run


@contextlib.contextmanager
def lifespan_thread() -> Iterator[LifespanThread]:
    """A running ``LifespanThread`` for the block, to whose loop the calling thread hands its
    async code; what a sync test runs in (the ``lifespan_thread`` fixture, ``LifespanTestMixin``).

        with lifespan_thread() as thread:
            response = Client().get("/forecast/prague/")  # an async view, on thread.loop

    Django's sync ``Client`` runs an async view with ``async_to_sync`` in the calling thread:
    handed to the thread's loop, the view runs where the objects belong, and thread-sensitive
    ``sync_to_async`` work (Django's async ORM) comes back to the calling thread, inside a test's
    transaction. An async Django task run by the immediate backend is served the same way.
    Raises [``StartupError``][django_lifespan_di.StartupError] if the lifespan fails to start.
    """
    with LifespanThread() as thread, routing_async_to_sync(thread.loop):
        plan_each_call(runs_by_loop[thread.loop])
        yield thread


class with_lifespan_state:
    """``application`` with the running lifespan's state in each scope, as ASGI servers give it.

    For Channels' ``WebsocketCommunicator`` (or asgiref's ``ApplicationCommunicator``), which
    calls the application directly: there is no server, so no ``scope["state"]``. Each scope
    gets a shallow copy of the state of the lifespan running on the test's event loop (the
    ``lifespan`` fixture, or ``async with lifespan():``), so a consumer reading
    ``self.scope["state"]["http_client"]`` gets the live object; keys it adds stay in its own
    connection. A scope that already has a ``state`` (from a real server) is left alone.

        communicator = WebsocketCommunicator(with_lifespan_state(application), "/ws/chat/")

    Raises [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when the connection
    starts if no lifespan runs on that loop.
    """

    def __init__(self, application: ASGIApplication) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" and "state" not in scope:
            runtime = current_runtime()
            runtime.check_may_begin("with_lifespan_state()")
            scope = {**scope, "state": dict(runtime.state)}
        await self.application(scope, receive, send)
