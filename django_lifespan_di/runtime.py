"""The engine: start every resource and lifespan manager, keep them, stop them.

A ``Runtime`` is one run of the lifespan. It instantiates each configured container once,
starts its ``Resource`` providers as a dependency graph (independent ones concurrently), then
enters the registered lifespan managers in order. It keeps its own references to everything it
started (servers may empty the ``state`` dict before shutdown) and stops it all in the reverse
order of completion, which is a valid reverse dependency order.

dependency-injector's ``init_resources()``/``shutdown_resources()`` are deliberately not used:
they leave earlier resources open when one fails, stop at the first shutdown error, and skip
some async shutdowns (see ``docs/how-it-works.md``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
import typing
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal, TypeVar

from dependency_injector import containers, providers

from django_lifespan_di.conf import conf
from django_lifespan_di.exceptions import LifespanNotRunning, ShutdownError, StartupError
from django_lifespan_di.managers import LifespanManager, registered_managers
from django_lifespan_di.scopes import RequestResource

logger = logging.getLogger("django_lifespan_di")

Status = Literal["pending", "starting", "ready", "failed", "closing", "closed"]

#: Once SHUTDOWN_TIMEOUT is spent, each shutdown still to run gets this long, so one hung
#: shutdown cannot keep the others from closing.
SHUTDOWN_GRACE_SECONDS = 1.0


class Unit:
    """One thing the lifespan starts and stops: a ``Resource`` provider or a lifespan manager."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.status: Status = "pending"
        self.since = time.time()
        self.startup_seconds: float | None = None
        self.error: BaseException | None = None
        self.depends_on: tuple[Unit, ...] = ()
        # Set once the thing is open, so a cancellation that races with a finished start
        # still gets it closed.
        self.is_open = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.status}>"

    def mark(self, status: Status, error: BaseException | None = None) -> None:
        self.status = status
        self.since = time.time()
        if error is not None:
            self.error = error

    async def enter(self) -> Mapping[str, Any]:
        """Start; return what goes into the lifespan state."""
        raise NotImplementedError

    async def exit(self) -> None:
        raise NotImplementedError


class ResourceUnit(Unit):
    """A ``providers.Resource`` of a live container instance."""

    def __init__(self, name: str, provider: providers.Resource[Any], state_key: str | None):
        super().__init__(name)
        self.provider = provider
        self.state_key = state_key
        # An overridden Resource is not started; the override is, if it is a Resource itself.
        self.effective = effective_provider(provider)
        self.value: Any = None

    async def enter(self) -> Mapping[str, Any]:
        result = self.provider()
        if inspect.isawaitable(result):
            started = asyncio.ensure_future(result)
            try:
                result = await started
            except asyncio.CancelledError:
                # Cancelled after the resource finished starting: it is open and must be closed.
                if started.done() and not started.cancelled() and started.exception() is None:
                    self.value, self.is_open = started.result(), True
                raise
        self.value, self.is_open = result, True
        return {self.state_key: result} if self.state_key else {}

    async def exit(self) -> None:
        if not isinstance(self.effective, providers.Resource):
            return  # a fake (Object, Factory, ...) stands in: there is nothing to shut down
        result = self.effective.shutdown()
        if inspect.isawaitable(result):
            await result


class ManagerUnit(Unit):
    """A context manager registered with ``register_lifespan_manager``."""

    def __init__(self, factory: LifespanManager) -> None:
        super().__init__(describe(factory))
        self.factory = factory
        self.context: AbstractAsyncContextManager[Any] | None = None

    async def enter(self) -> Mapping[str, Any]:
        context = self.factory()
        if not hasattr(context, "__aenter__"):
            if inspect.iscoroutine(context):
                context.close()  # never to be awaited; Python would warn about it later
            raise TypeError(
                f"lifespan manager {self.name} returned {context!r}, not an async context "
                f"manager. Decorate it with @contextlib.asynccontextmanager."
            )
        value = await context.__aenter__()
        self.context, self.is_open = context, True
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise TypeError(
                f"lifespan manager {self.name} yielded {type(value).__name__} {value!r}; "
                f"it must yield a mapping of state keys to objects, or None."
            )
        return value

    async def exit(self) -> None:
        assert self.context is not None
        await self.context.__aexit__(None, None, None)


class Runtime:
    """One run of the lifespan: what it started, the state it built, and the loop it runs on."""

    def __init__(
        self,
        container_classes: Iterable[type[containers.DeclarativeContainer]],
        managers: Iterable[LifespanManager],
        *,
        startup_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        #: The live container instance of each configured container class.
        self.containers: dict[type[containers.DeclarativeContainer], containers.Container] = {
            cls: cls() for cls in container_classes
        }
        resources = list(self._resource_units())
        self._resources: dict[providers.Provider[Any], ResourceUnit] = {
            unit.provider: unit for unit in resources
        }
        manager_units = [ManagerUnit(factory) for factory in managers]
        # Managers start after every resource (they may use them) and one after another.
        for index, unit in enumerate(manager_units):
            unit.depends_on = (*resources, *manager_units[max(index - 1, 0) : index])
        self.units: tuple[Unit, ...] = (*resources, *manager_units)
        self.state: dict[str, Any] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        #: The ``@inject`` layer's cache (marker -> how to get its value), per run so nothing
        #: outlives the run. Whoever changes overrides on a running runtime clears it.
        self.bindings: dict[Any, Any] = {}
        self._state_owner: dict[str, str] = {}
        self._started: list[Unit] = []
        self._unit_state: dict[Unit, Mapping[str, Any]] = {}
        self._check_static_state_keys(resources)

    # -- building the graph ---------------------------------------------------------------

    def _resource_units(self) -> Iterator[ResourceUnit]:
        units: dict[providers.Provider[Any], ResourceUnit] = {}
        for cls, instance in self.containers.items():
            names = dict(_provider_paths(instance))
            # Declaration order (traverse() walks a set): starts, logs and state are the same
            # from run to run. Resources without a name of their own come last.
            order = {provider: index for index, provider in enumerate(names)}
            found = sorted(
                instance.traverse(types=[providers.Resource]),
                key=lambda provider: order.get(provider, len(order)),
            )
            overriding = {o for p in found for o in p.overridden}
            for provider in found:
                if provider in overriding or provider in units:
                    continue  # started through the provider it overrides, or seen already
                if isinstance(provider, RequestResource):
                    continue  # opened per request by @inject, never by the lifespan
                path = names.get(provider)
                name = f"{cls.__name__}.{path}" if path else f"{cls.__name__}.{provider!r}"
                state_key = path if path and "." not in path else None
                units[provider] = ResourceUnit(name, provider, state_key)
        for unit in units.values():
            unit.depends_on = tuple(
                units[dep]
                for dep in unit.effective.traverse(types=[providers.Resource])
                if dep in units and units[dep] is not unit
            )
        return iter(units.values())

    def _check_static_state_keys(self, resources: Iterable[ResourceUnit]) -> None:
        try:
            for unit in resources:
                if unit.state_key:
                    self._claim_keys(unit, [unit.state_key])
        finally:
            self._state_owner.clear()

    def _claim_keys(self, unit: Unit, keys: Iterable[str]) -> None:
        for key in keys:
            owner = self._state_owner.setdefault(key, unit.name)
            if owner != unit.name:
                raise StartupError(
                    f"{owner} and {unit.name} both put {key!r} into the lifespan state. "
                    f"Rename one of them: a key is never silently overwritten.",
                    culprit=unit.name,
                )

    # -- startup ----------------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        """Start everything, all or nothing; return the state. Raises ``StartupError``."""
        self.loop = asyncio.get_running_loop()
        if self.loop in _active:
            # Checked before anything opens: two runs on one loop would fight over the objects.
            raise StartupError(
                "A lifespan is already running on this event loop; nest nothing inside "
                "`lifespan()` (or the pytest fixture `lifespan`) that starts another one.",
                culprit="lifespan()",
            )
        started_at = time.perf_counter()
        # Live from the start, so lifespan managers (which start after every resource) can reach
        # the resources with get_container() and resolve(); what is not ready yet says so.
        _activate(self)
        try:
            await asyncio.wait_for(self._start_graph(), self.startup_timeout)
            self._build_state()
        except BaseException as exc:
            _deactivate(self)
            error = self._startup_error(exc)
            if error is not None:
                logger.error("Lifespan startup failed: %s", error)
            await self._rollback()
            if error is not None:
                raise error from exc
            raise
        logger.info(
            "Lifespan started %d resource(s) and manager(s) in %.1f ms",
            len(self.units),
            (time.perf_counter() - started_at) * 1000,
        )
        return self.state

    async def _start_graph(self) -> None:
        tasks: dict[Unit, asyncio.Task[None]] = {}

        def task_for(unit: Unit) -> asyncio.Task[None]:
            if unit not in tasks:
                dependencies = [task_for(dep) for dep in unit.depends_on]
                tasks[unit] = asyncio.ensure_future(self._start_unit(unit, dependencies))
            return tasks[unit]

        for unit in self.units:
            task_for(unit)
        if not tasks:
            return
        try:
            await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
        finally:
            # On a failure or a timeout: cancel pending starts and let them unwind. Gathering
            # the finished ones too retrieves their errors, which asyncio would otherwise log
            # as "Task exception was never retrieved".
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        failed = [unit for unit in self.units if unit.status == "failed"]
        if failed:
            first = min(failed, key=lambda unit: unit.since)
            assert first.error is not None
            raise first.error

    async def _start_unit(self, unit: Unit, dependencies: list[asyncio.Task[None]]) -> None:
        if dependencies:
            await asyncio.wait(dependencies)
            if any(dep.cancelled() or dep.exception() for dep in dependencies):
                return  # a dependency failed; its own task reports it
        unit.mark("starting")
        begun = time.perf_counter()
        try:
            mapping = await unit.enter()
        except BaseException as exc:  # including cancellation by a sibling's failure
            unit.mark("failed", exc)
            if unit.is_open:
                # Open despite the failure (a manager that yielded a bad value, a resource
                # that finished starting as it was cancelled): rollback must close it.
                self._started.append(unit)
            raise
        unit.startup_seconds = time.perf_counter() - begun
        unit.mark("ready")
        self._started.append(unit)
        self._unit_state[unit] = mapping
        logger.info("Started %s in %.1f ms", unit.name, unit.startup_seconds * 1000)

    def _build_state(self) -> None:
        # Built in declaration order, not completion order, so collisions are reported stably.
        for unit in self.units:
            mapping = self._unit_state.get(unit, {})
            self._claim_keys(unit, mapping)
            self.state.update(mapping)

    def _startup_error(self, exc: BaseException) -> StartupError | None:
        """Name the culprit of a startup failure; None when the lifespan itself was cancelled."""
        if isinstance(exc, StartupError):
            return exc
        if isinstance(exc, asyncio.TimeoutError):
            still = [unit.name for unit in self.units if unit.status in ("starting", "failed")]
            return StartupError(
                f"Startup did not finish within LIFESPAN_DI['STARTUP_TIMEOUT'] = "
                f"{self.startup_timeout:g} s; still starting: {', '.join(still) or 'nothing'}. "
                f"Raise the timeout or find out why it hangs.",
                culprit=", ".join(still),
            )
        failed = next((u for u in self.units if u.status == "failed" and u.error is exc), None)
        if failed is None:
            return None
        return StartupError(
            f"{failed.name} failed to start: {type(exc).__name__}: {exc}", culprit=failed.name
        )

    async def _rollback(self) -> None:
        failures = await self._stop_started()
        if failures:
            logger.error("While rolling back a failed startup, %s", ShutdownError(failures))

    # -- shutdown ---------------------------------------------------------------------------

    async def stop(self) -> None:
        """Shut down everything started, in reverse; every shutdown runs even if one fails.

        Raises ``ShutdownError`` naming each failure once all have run.
        """
        # Nothing more is handed out: what closes next must not reach a late request. (A
        # lifespan manager keeps the objects it took at startup; it closes before them.)
        _deactivate(self)
        failures = await self._stop_started()
        if failures:
            raise ShutdownError(failures)
        logger.info("Lifespan shut down")

    async def _stop_started(self) -> list[tuple[str, BaseException]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shutdown_timeout
        failures: list[tuple[str, BaseException]] = []
        while self._started:
            unit = self._started.pop()
            budget = max(deadline - loop.time(), SHUTDOWN_GRACE_SECONDS)
            unit.mark("closing")
            begun = time.perf_counter()
            try:
                await asyncio.wait_for(unit.exit(), budget)
            except asyncio.TimeoutError:
                error = TimeoutError(
                    f"{unit.name} did not shut down within {budget:.1f} s "
                    f"(LIFESPAN_DI['SHUTDOWN_TIMEOUT'] = {self.shutdown_timeout:g} s)"
                )
                failures.append((unit.name, error))
                unit.mark("failed", error)
                logger.error("Shutdown of %s timed out after %.1f s", unit.name, budget)
            except Exception as exc:
                failures.append((unit.name, exc))
                unit.mark("failed", exc)
                logger.error("Shutdown of %s failed", unit.name, exc_info=exc)
            else:
                unit.mark("closed")
                unit.is_open = False
                logger.info(
                    "Stopped %s in %.1f ms", unit.name, (time.perf_counter() - begun) * 1000
                )
        return failures

    # -- lookups ----------------------------------------------------------------------------

    def resource_unit(self, provider: providers.Provider[Any]) -> ResourceUnit | None:
        """The unit that started ``provider`` (a Resource of a live container), if any."""
        return self._resources.get(provider)

    def container(self, cls: type[containers.DeclarativeContainer]) -> containers.Container:
        try:
            return self.containers[cls]
        except KeyError:
            configured = ", ".join(c.__name__ for c in self.containers) or "none"
            raise LifespanNotRunning(
                f"{cls.__module__}.{cls.__qualname__} is not one of the containers the lifespan "
                f"runs (configured: {configured}). Add its dotted path to "
                f'LIFESPAN_DI["CONTAINERS"].'
            ) from None


def effective_provider(provider: providers.Provider[Any]) -> providers.Provider[Any]:
    """The provider that answers a call: the last override, followed down the chain."""
    while (overriding := provider.last_overriding) is not None:
        provider = overriding
    return provider


def describe(obj: object) -> str:
    """A dotted name for a function or class, for messages and logs."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(obj)


def _provider_paths(
    container: containers.Container, prefix: str = ""
) -> Iterator[tuple[providers.Provider[Any], str]]:
    """(provider, attribute path) for every provider, through nested ``providers.Container``."""
    for name, provider in container.providers.items():
        yield provider, prefix + name
        if isinstance(provider, providers.Container):
            yield from _provider_paths(provider.container, f"{prefix}{name}.")


# -- which runtime is live --------------------------------------------------------------------

# One running Runtime per event loop. Views, middleware and get_container() find theirs through
# the running loop; a sync view runs in a worker thread with no loop and gets the process's one
# runtime.
_active: dict[asyncio.AbstractEventLoop, Runtime] = {}
# The same, by the thread each loop runs in: the per-request lookup. Asking asyncio for the
# running loop costs a getpid() system call (~170 ns); a thread can run one loop at a time, so
# a runtime whose loop is running and belongs to this thread serves this code.
_by_thread: dict[int, Runtime] = {}


def _activate(runtime: Runtime) -> None:
    assert runtime.loop is not None
    _active[runtime.loop] = runtime
    _by_thread[threading.get_ident()] = runtime


def _deactivate(runtime: Runtime) -> None:
    if runtime.loop is not None and _active.get(runtime.loop) is runtime:
        del _active[runtime.loop]
    for thread, active in list(_by_thread.items()):
        if active is runtime:
            del _by_thread[thread]


NOT_RUNNING_CAUSES = (
    "The usual causes: the server does not run the ASGI lifespan (manage.py runserver and every "
    "WSGI server, daphne, uvicorn --lifespan off); asgi.py does not use "
    "django_lifespan_di.asgi.get_asgi_application(); or, in tests and scripts, the code does "
    "not run inside `async with django_lifespan_di.lifespan():` (or the pytest fixture "
    "`lifespan`)."
)


def current_runtime() -> Runtime:
    """The runtime serving the running event loop (or this worker thread's process)."""
    runtime = _by_thread.get(threading.get_ident())
    if runtime is not None and runtime.loop is not None and runtime.loop.is_running():
        return runtime
    loop = asyncio._get_running_loop()
    runtime = _active.get(loop) if loop is not None else None
    if runtime is not None:
        return runtime
    if loop is None and len(_active) == 1:
        return next(iter(_active.values()))
    if not _active:
        raise LifespanNotRunning(f"The lifespan is not running. {NOT_RUNNING_CAUSES}")
    if loop is None:
        raise LifespanNotRunning(
            "Several lifespans are running in this process, and code without an event loop "
            "cannot tell which one it belongs to. Run it inside the event loop of its lifespan."
        )
    raise LifespanNotRunning(
        "The lifespan is running on another event loop than this code. Objects it started "
        "(connection pools, async clients) belong to that loop and cannot be used from this "
        "one. In tests, run the request in the same loop as `lifespan()`; in a sync view, use "
        "asgiref.sync.async_to_sync rather than asyncio.run."
    )


def running_runtime() -> Runtime | None:
    """Like ``current_runtime()``, but None when no lifespan serves this code."""
    try:
        return current_runtime()
    except LifespanNotRunning:
        return None


ContainerT = TypeVar("ContainerT", bound=containers.DeclarativeContainer)


def get_container(cls: type[ContainerT]) -> ContainerT:
    """The live instance of ``cls`` started by the running lifespan.

    For code that is not a view (services, signal receivers). Typed as ``cls()`` is, so
    ``get_container(Container).config.greeting`` type-checks. Raises
    [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when no lifespan is running.
    """
    # dependency-injector instantiates a DeclarativeContainer as a DynamicContainer with the
    # same providers; its stubs type `cls()` as `cls`, and so does this.
    return typing.cast(ContainerT, current_runtime().container(cls))


@asynccontextmanager
async def lifespan() -> AsyncIterator[dict[str, Any]]:
    """Run the lifespan in the running event loop: start everything, yield the state, stop.

    This is exactly what the ASGI application does between ``lifespan.startup`` and
    ``lifespan.shutdown``; use it in tests, management commands, scripts and task workers:

        async with lifespan() as state:
            client = state["http_client"]

    Raises [``StartupError``][django_lifespan_di.StartupError] (after closing whatever had
    started) and [``ShutdownError``][django_lifespan_di.ShutdownError].
    """
    runtime = Runtime(
        conf.container_classes(),
        registered_managers(),
        startup_timeout=conf.STARTUP_TIMEOUT,
        shutdown_timeout=conf.SHUTDOWN_TIMEOUT,
    )
    state = await runtime.start()
    try:
        yield state
    finally:
        await runtime.stop()
