"""The engine: one run of the lifespan, from startup to shutdown.

A ``Runtime`` instantiates each configured container once, walks their providers into one graph
(``graph.py``), and puts a guard in front of every provider whose value it owns: a shared
resource answers with the object the lifespan opened, only while the lifespan runs, in this
process; a per-request resource opens in the request's scope; a singleton built on one refuses.
Then ``start()`` opens the resources (each as soon as its dependencies are open, independent ones
concurrently), enters the registered lifespan managers one after another, and builds the state.
``stop()`` lets in-flight calls finish, then closes everything it opened: managers in reverse,
then resources, each as soon as everything that depends on it is closed.

Every wait is bounded (``STARTUP_TIMEOUT``, ``SHUTDOWN_TIMEOUT``): what does not finish, even
after cancellation, is abandoned and reported by name; everything else is still closed.
dependency-injector's ``init_resources()``/``shutdown_resources()`` are not used: they leave
resources open when one fails, stop at the first shutdown error, and skip some async shutdowns
(see ``docs/how-it-works.md``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import time
import typing
from collections.abc import AsyncIterator, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

from dependency_injector import containers, providers

from django_lifespan_di import _internals, registry
from django_lifespan_di.conf import conf
from django_lifespan_di.exceptions import (
    ConfigurationError,
    EventLoopError,
    InjectionError,
    LifespanNotRunning,
    ShutdownError,
    StartupError,
)
from django_lifespan_di.graph import Graph, Guard, Node, effective, walk
from django_lifespan_di.managers import LifespanManager, registered_managers
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.opening import Closer
from django_lifespan_di.registry import FORK_FIX, OTHER_LOOP
from django_lifespan_di.scopes import RequestResource, open_in_current_scope
from django_lifespan_di.units import ManagerUnit, ResourceUnit, Unit, merge_state, value_of
from django_lifespan_di.waiting import (
    discard_outcome,
    failed_task,
    outcome,
    shielded,
    wait_uncancellable,
)

if TYPE_CHECKING:
    from django_lifespan_di.plans import InjectionPlan
    from django_lifespan_di.specs import InjectionSpec

logger = logging.getLogger("django_lifespan_di")
Phase = Literal["created", "starting", "running", "draining", "stopping", "stopped"]

#: How long a cancelled start or shutdown gets to unwind before it is abandoned; also what each
#: shutdown still to run gets once SHUTDOWN_TIMEOUT is spent, so one hung shutdown cannot keep
#: the others from closing.
GRACE_SECONDS = 1.0
#: How often shutdown looks whether the in-flight calls have finished.
DRAIN_POLL_SECONDS = 0.01


def stop_wait_limit() -> float:
    """How long another thread waits for a lifespan it asked to stop (``LifespanThread.stop``,
    daphne's reactor at exit): the runtime's own deadlines bound the shutdown, the margin
    covers a loop that something blocks."""
    return conf.SHUTDOWN_TIMEOUT + 2 * GRACE_SECONDS + 5


#: The runtime whose startup the current task belongs to: its managers and resource arguments may
#: use what has started; nothing else gets anything before startup has completed.
_starting: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "django_lifespan_di_starting", default=None
)


class Runtime:
    """One run of the lifespan: what it opened, the state it built, the loop it serves."""

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
        self.containers = _internals.instantiate(container_classes)
        graph = walk(self.containers.values())
        top_level = {
            id(provider): name
            for instance in self.containers.values()
            for name, provider in instance.providers.items()
        }
        resources: dict[Node, ResourceUnit] = {}
        for node in graph.units:
            key = next((top_level[id(e)] for e in node.entries if id(e) in top_level), None)
            unit = resources[node] = ResourceUnit(node, key)
            unit.depends_on = tuple(resources[dep] for dep in node.depends_on)
        self.resources = tuple(resources.values())
        #: Declared resources a test replaced with something that is no Resource (a fake
        #: object, a factory): nothing to open or close, but the state still gets their value.
        self._stand_ins = [
            (f"{_internals.container_name(instance)}.{key}", key, effective(provider))
            for instance in self.containers.values()
            for key, provider in instance.providers.items()
            if isinstance(provider, providers.Resource)
            and not isinstance(provider, RequestResource)
            and not isinstance(effective(provider), providers.Resource)
        ]
        self.managers = tuple(ManagerUnit(factory) for factory in managers)
        #: Every unit, in start order.
        self.units: tuple[Unit, ...] = (*self.resources, *self.managers)
        merge_state(
            [
                *((u.name, {u.state_key: None}) for u in self.resources if u.state_key),
                *((name, {key: None}) for name, key, _ in self._stand_ins),
            ]
        )
        self.state: dict[str, Any] = {}
        self.phase: Phase = "created"
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pid = registry.process_id
        #: How ``@inject`` serves each decorated function in this run (``injection.py``);
        #: ``providers_changed()`` forgets them.
        self.plans: dict[InjectionSpec, InjectionPlan] = {}
        #: The functions whose ``spec.ready`` this runtime set (``publish``).
        self._published: set[InjectionSpec] = set()
        #: What was opened and must be closed: the exit-stack rule.
        self._closers: dict[Unit, Closer | None] = {}
        self._guard(graph)

    # -- the guards -------------------------------------------------------------------------

    def _guard(self, graph: Graph) -> None:
        for unit in self.resources:
            guard = Guard(self.hand_out, unit)
            for entry in unit.entries:
                entry.override(guard)
        for node in graph.request_resources:
            for entry in node.entries:
                entry.override(Guard(open_in_current_scope, node.provider, node.name))
        for node in graph.sharing_request_resources:
            assert node.request_resource_below is not None
            message = (
                f"{node.name} is a {type(node.provider).__name__} built on the per-request "
                f"{node.request_resource_below.name}: it would hand the first request's object "
                f"to every later one. Make it a Factory."
            )
            for entry in node.entries:
                entry.override(Guard(refuse, InjectionError, message))
        for node in graph.not_started:
            message = (
                f"{node.name} was not started by the lifespan (a Selector branch that was not "
                f"selected at startup), so it cannot be used."
            )
            for entry in node.entries:
                entry.override(Guard(refuse, LifespanNotRunning, message))

    def hand_out(self, unit: ResourceUnit) -> Any:
        """The object ``unit`` opened, for whoever calls its provider; or why there is none."""
        self.check_serving(unit.name)
        if unit.status != "ready":
            raise LifespanNotRunning(
                f"{unit.name} is {unit.status}, not ready: it is never handed out before it "
                f"has started or after it has closed."
            )
        return unit.value

    def check_accepting(self, what: str) -> None:
        """Raise unless a new call that uses the lifespan's objects may begin now."""
        if self.phase == "draining":
            raise LifespanNotRunning(
                f"{what} cannot begin: the lifespan is shutting down (it waits for the calls "
                f"in flight to finish, and starts no new ones)."
            )
        self.check_serving(what)

    def check_serving(self, what: str) -> None:
        """Raise unless this runtime may hand out its objects to the calling code now."""
        if self.pid != registry.process_id:
            raise LifespanNotRunning(
                f"{what} belongs to the lifespan of the parent process (pid {self.pid}); this is "
                f"a forked child (pid {os.getpid()}), which never uses its parent's objects. "
                f"{FORK_FIX}"
            )
        phase = self.phase
        if phase not in ("running", "draining") and not (
            phase == "starting" and _starting.get() is self
        ):
            raise LifespanNotRunning(
                f"{what} is not available: the lifespan is {registry.PHASE_WORDS[phase]}. "
                f"Nothing it "
                f"owns is handed out before startup has completed or after shutdown has begun."
            )
        loop = _internals.running_loop()
        if loop is not None and loop is not self.loop:
            raise EventLoopError(f"{what} cannot be used here. {OTHER_LOOP}")

    # -- startup ----------------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        """Start everything, all or nothing; return the state. Raises ``StartupError``."""
        self.loop = asyncio.get_running_loop()
        if registry.serves(self.loop):
            # Checked before anything opens: two runs on one loop would fight over the objects.
            raise StartupError(
                "A lifespan is already running on this event loop; nest nothing inside "
                "`lifespan()` (or the pytest fixture `lifespan`) that starts another one.",
                culprit="lifespan()",
            )
        began = time.perf_counter()
        deadline = self.loop.time() + self.startup_timeout
        self.phase = "starting"
        registry.activate(self)
        token = _starting.set(self)
        try:
            await self._open_resources(deadline)
            stand_ins = [(name, {key: await value_of(p)}) for name, key, p in self._stand_ins]
            for manager in self.managers:
                await self._open_units([manager], deadline)
            self.state = merge_state(
                [
                    *((unit.name, unit.state) for unit in self.resources),
                    *stand_ins,
                    *((unit.name, unit.state) for unit in self.managers),
                ]
            )
        except BaseException as exc:
            self.phase = "stopping"
            if isinstance(exc, StartupError):
                logger.error("Lifespan startup failed: %s", exc)
            failures = await shielded(self._close_opened())
            self._deactivate()
            if failures:
                logger.error("While rolling back a failed startup, %s", ShutdownError(failures))
            raise
        finally:
            _starting.reset(token)
        self.phase = "running"
        logger.info(
            "Lifespan started %d resource(s) and manager(s) in %.1f ms",
            len(self.units),
            (time.perf_counter() - began) * 1000,
        )
        return self.state

    async def _open_resources(self, deadline: float) -> None:
        tasks: dict[Unit, asyncio.Task[None]] = {}
        for unit in self.resources:  # dependencies come first
            tasks[unit] = self._start_task(
                self._open_after(unit, [tasks[dep] for dep in unit.depends_on])
            )
        await self._await_openings(tasks, deadline)

    async def _open_units(self, units: Iterable[Unit], deadline: float) -> None:
        tasks = {unit: self._start_task(self._open_after(unit, [])) for unit in units}
        await self._await_openings(tasks, deadline)

    @staticmethod
    def _start_task(opening: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(opening)
        # Its outcome is read where it matters (the first failure); the others (a start given
        # up on, a second failure, one that ends after being abandoned) are not "lost" errors.
        task.add_done_callback(discard_outcome)
        return task

    async def _await_openings(self, tasks: dict[Unit, asyncio.Task[None]], deadline: float) -> None:
        """Wait for the start tasks; at the first failure or the deadline, give up the rest."""
        if not tasks:
            return
        loop = asyncio.get_running_loop()
        try:
            _, pending = await asyncio.wait(
                tasks.values(),
                timeout=max(deadline - loop.time(), 0),
                return_when=asyncio.FIRST_EXCEPTION,
            )
        except asyncio.CancelledError:
            await self._give_up(tasks.values())
            raise
        failed = next((t for t in tasks.values() if t.done() and failed_task(t)), None)
        still = [unit for unit, task in tasks.items() if task in pending]
        abandoned = await self._give_up(pending)
        for unit in still:
            if tasks[unit] in abandoned:
                unit.mark("abandoned")
                logger.error("Abandoned the start of %s: it ignored cancellation", unit.name)
        if failed is not None:
            raise typing.cast(BaseException, failed.exception())
        if not still and loop.time() > deadline:
            # Everything finished, but after the deadline: the wait above could not time out,
            # so something blocked the event loop itself (sync code in an async resource, or a
            # plain function resource, which runs on the loop).
            late = [unit for unit in tasks if unit.ended_at > deadline]
            names = ", ".join(unit.name for unit in late)
            raise StartupError(
                f"Startup did not finish within LIFESPAN_DI['STARTUP_TIMEOUT'] = "
                f"{self.startup_timeout:g} s: {names} blocked the event loop until it finished "
                f"opening. Code that blocks must not run on the loop: make it a sync generator "
                f"(run in a thread of its own) or await instead of blocking.",
                culprit=names,
            )
        if still:
            names = ", ".join(unit.name for unit in still)
            ignored = [unit.name for unit in still if unit.status == "abandoned"]
            raise StartupError(
                f"Startup did not finish within LIFESPAN_DI['STARTUP_TIMEOUT'] = "
                f"{self.startup_timeout:g} s; still starting: {names}"
                + (
                    f" (abandoned, as it ignored cancellation: {', '.join(ignored)})"
                    if ignored
                    else ""
                )
                + ". Raise the timeout or find out why it hangs.",
                culprit=names,
            )

    async def _give_up(self, tasks: Iterable[asyncio.Future[Any]]) -> set[asyncio.Future[Any]]:
        """Cancel ``tasks``, let them unwind for ``GRACE_SECONDS``; return those that did not."""
        unfinished = [task for task in tasks if not task.done()]
        for task in unfinished:
            task.cancel()
        if not unfinished:
            return set()
        _, abandoned = await wait_uncancellable(unfinished, GRACE_SECONDS)
        return abandoned

    async def _open_after(self, unit: Unit, dependencies: list[asyncio.Task[None]]) -> None:
        if dependencies:
            await asyncio.wait(dependencies)
            if any(map(failed_task, dependencies)):  # pragma: no cover  (see below)
                # asyncio wakes startup's own wait first, which cancels this task before it
                # runs again: kept so that no scheduling order opens a unit over a failure.
                return
        unit.mark("starting")
        began = time.perf_counter()
        try:
            closer = await unit.open()  # type: ignore[attr-defined]
        except StartupError as exc:
            unit.mark("failed", exc)
            raise
        except BaseException as exc:
            # A CancelledError too: if startup gave up on this unit, nobody reads the task's
            # outcome; if the resource raised it of its own (awaiting a task that was
            # cancelled), it is this unit's failure, not a cancellation of the lifespan.
            unit.mark("failed", exc)
            raise StartupError(
                f"{unit.name} failed to start: {type(exc).__name__}: {exc}", culprit=unit.name
            ) from exc
        if unit.status == "abandoned":
            # It finished opening after startup gave up on it: close it now, nobody else will.
            if closer is not None:
                await outcome(closer(None))
            return
        self._closers[unit] = closer
        unit.ended_at = asyncio.get_running_loop().time()
        unit.startup_seconds = time.perf_counter() - began
        unit.mark("ready")
        logger.info("Started %s in %.1f ms", unit.name, unit.startup_seconds * 1000)

    # -- shutdown ---------------------------------------------------------------------------

    async def stop(self) -> None:
        """Drain in-flight calls, then close everything opened; every shutdown runs.

        Raises ``ShutdownError`` naming each failed or abandoned shutdown once all have run.
        Cancelling the task that awaits it (a server's own shutdown timeout) does not cut it
        short: the shutdowns run to their own deadlines, then the cancellation goes on.
        """
        await shielded(self._stop())

    async def _stop(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shutdown_timeout
        self.phase = "draining"
        self.unpublish()  # new calls take the full path, which refuses them
        # Polled: the calls end in any thread, and telling the loop on each would cost every call.
        while self.in_flight() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(DRAIN_POLL_SECONDS)
        abandoned_calls = [(name, _abandoned_call(name, self)) for name in self.in_flight()]
        self.phase = "stopping"
        failures = abandoned_calls + await self._close_opened(deadline)
        self._deactivate()
        if failures:
            raise ShutdownError(failures)
        logger.info("Lifespan shut down")

    async def _close_opened(self, deadline: float | None = None) -> list[tuple[str, BaseException]]:
        """Close what was opened: managers in reverse order, then resources by dependency."""
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + self.shutdown_timeout
        failures: list[tuple[str, BaseException]] = []
        for manager in reversed(self.managers):
            if manager in self._closers:
                failures += await self._close(manager, deadline, [])
        closing: dict[Unit, asyncio.Task[list[tuple[str, BaseException]]]] = {}
        dependents: dict[Unit, list[asyncio.Task[Any]]] = {}
        for unit in reversed(self.resources):  # dependents come first
            if unit in self._closers:
                task = closing[unit] = asyncio.ensure_future(
                    self._close(unit, deadline, dependents.get(unit, []))
                )
                for dependency in unit.depends_on:
                    dependents.setdefault(dependency, []).append(task)
        for task in closing.values():
            failures += await task
        self.phase = "stopped"
        return failures

    async def _close(
        self, unit: Unit, deadline: float, dependents: list[asyncio.Task[Any]]
    ) -> list[tuple[str, BaseException]]:
        if dependents:
            await asyncio.wait(dependents)
        closer = self._closers.pop(unit)
        unit.mark("closing")
        if closer is None:
            unit.mark("closed")
            return []
        loop = asyncio.get_running_loop()
        budget = max(deadline - loop.time(), GRACE_SECONDS)
        began = time.perf_counter()
        closing = asyncio.ensure_future(outcome(closer(None)))
        done, _ = await wait_uncancellable([closing], budget)
        if not done:
            abandoned = await self._give_up([closing])
            error = TimeoutError(
                f"{unit.name} did not shut down within {budget:.1f} s "
                f"(LIFESPAN_DI['SHUTDOWN_TIMEOUT'] = {self.shutdown_timeout:g} s)"
                + (", and ignored cancellation: abandoned" if abandoned else "")
            )
            unit.mark("abandoned" if abandoned else "failed", error)
            logger.error("Shutdown of %s timed out after %.1f s", unit.name, budget)
            return [(unit.name, error)]
        failure = closing.result()
        if failure is not None:
            unit.mark("failed", failure)
            logger.error("Shutdown of %s failed", unit.name, exc_info=failure)
            return [(unit.name, failure)]
        unit.mark("closed")
        logger.info("Stopped %s in %.1f ms", unit.name, (time.perf_counter() - began) * 1000)
        return []

    def in_flight(self) -> list[str]:
        """The calls (``@inject``-ed functions, requests) that hold this run's objects now."""
        assert self.loop is not None
        names = set()
        for frame in _internals.frames_in_flight(self.loop):
            name_of = registry.CALL_FRAMES.get(frame.f_code)
            if name_of is not None and frame.f_locals.get("runtime") is self:
                names.add(name_of(frame.f_locals))
        return sorted(names)

    def _deactivate(self) -> None:
        registry.deactivate(self)

    # -- lookups ----------------------------------------------------------------------------

    def providers_changed(self) -> None:
        """Forget how injections are served: a provider was overridden or restored."""
        self.plans.clear()
        self.unpublish()

    def publish(self, spec: InjectionSpec, values: dict[str, Any]) -> None:
        """Let calls of ``spec``'s function on this loop take ``@inject``'s per-call path,
        which checks only that the loop runs in the calling thread: ``values`` are ready
        objects, and the guards of the full path hold until ``unpublish()``."""
        # The other branch is for loops without _thread_id (uvloop's), which the test
        # environments do not install: calls on them always take the full path.
        if self.loop is not None and _internals.has_thread_id(self.loop):  # pragma: no branch
            spec.ready = (self.loop, values, self)
            self._published.add(spec)

    def unpublish(self) -> None:
        """Send every call back to the full path: the lifespan stops handing out, a provider
        changed, or this is a forked child."""
        for spec in self._published:
            if spec.ready is not None and spec.ready[2] is self:
                spec.ready = None
        self._published.clear()

    def container(self, cls: type[containers.DeclarativeContainer]) -> containers.Container:
        try:
            return self.containers[cls]
        except KeyError:
            configured = ", ".join(c.__name__ for c in self.containers) or "none"
            raise ConfigurationError(
                f"{dotted_name(cls)} is not one of the containers the lifespan runs "
                f"(configured: {configured}). Add its dotted path to "
                f'LIFESPAN_DI["CONTAINERS"].'
            ) from None


def refuse(error: type[BaseException], message: str) -> typing.NoReturn:
    """What a guard of something the lifespan must not hand out answers a call with."""
    raise error(message)


def _abandoned_call(name: str, runtime: Runtime) -> TimeoutError:
    return TimeoutError(
        f"the in-flight call {name} did not finish within LIFESPAN_DI['SHUTDOWN_TIMEOUT'] = "
        f"{runtime.shutdown_timeout:g} s; the resources were closed under it"
    )


def new_runtime() -> Runtime:
    """A runtime for the configured containers and registered managers (not started)."""
    return Runtime(
        conf.container_classes(),
        registered_managers(),
        startup_timeout=conf.STARTUP_TIMEOUT,
        shutdown_timeout=conf.SHUTDOWN_TIMEOUT,
    )


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
    runtime = new_runtime()
    state = await runtime.start()
    try:
        yield state
    finally:
        await runtime.stop()
