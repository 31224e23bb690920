"""The engine: one run of the lifespan, from startup to shutdown, and the runs of this process.

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

The engine knows nothing of the code that uses it (``@inject``, the middleware, the hosts): they
ask it (``registry.py`` finds the run that serves them), and whoever keeps something per run
registers in ``RUN_CACHES`` to be told when to forget it.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import os
import time
import typing
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import CodeType
from typing import Any, Literal

from dependency_injector import containers, providers

from django_lifespan_di import _internals, events
from django_lifespan_di.conf import conf
from django_lifespan_di.exceptions import (
    ConfigurationError,
    EventLoopError,
    InjectionError,
    LifespanNotRunning,
    ShutdownError,
    StartupError,
)
from django_lifespan_di.graph import Graph, Guard, Node, RequestResource, effective, walk
from django_lifespan_di.managers import LifespanManager, registered_managers
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.opening import Closer, call_in_worker, open_declaration, value_of
from django_lifespan_di.scopes import open_in_current_scope
from django_lifespan_di.waiting import (
    discard_outcome,
    failed_task,
    outcome,
    shielded,
    wait_uncancellable,
)

Phase = Literal["created", "starting", "running", "draining", "stopping", "stopped"]
PHASE_WORDS: dict[Phase, str] = {
    "created": "not started yet",
    "starting": "still starting",
    "running": "running",
    "draining": "shutting down",
    "stopping": "shutting down",
    "stopped": "shut down",
}

#: How long a cancelled start or shutdown gets to unwind before it is abandoned; also what each
#: shutdown still to run gets once SHUTDOWN_TIMEOUT is spent, so one hung shutdown cannot keep
#: the others from closing.
GRACE_SECONDS = 1.0
#: How often shutdown looks whether the in-flight calls have finished.
DRAIN_POLL_SECONDS = 0.01

FORK_FIX = (
    "Start the lifespan in the child: django_lifespan_di.wsgi.get_wsgi_application() and "
    "django_lifespan_di.celery.setup_lifespan(app) do it in each worker process; elsewhere "
    "start a django_lifespan_di.LifespanThread after the fork."
)
OTHER_LOOP = (
    "The lifespan runs on another event loop than this code, and the objects it opened "
    "(connection pools, async clients) belong to that loop. From sync code, reach them with "
    "django_lifespan_di.run_in_lifespan_loop(); in tests, run the code in the loop of the "
    "`lifespan` fixture (or use the `lifespan_thread` fixture for sync tests and live_server)."
)


def stop_wait_limit() -> float:
    """How long another thread waits for a lifespan it asked to stop (``LifespanThread.stop``,
    daphne's reactor at exit): the runtime's own deadlines bound the shutdown, the margin
    covers a loop that something blocks."""
    return conf.SHUTDOWN_TIMEOUT + 2 * GRACE_SECONDS + 5


# -- the runs of this process --------------------------------------------------------------------

#: The running runtime of each event loop (``registry.py`` looks them up for the calling code).
runs_by_loop: dict[asyncio.AbstractEventLoop, Runtime] = {}
#: This process's id, kept current by the fork hook below: ``os.getpid()`` is a system call
#: (about 200 ns on a VM), which the guards would make several times for every request.
process_id = os.getpid()
#: Set in a forked child that inherited running lifespans from its parent, for the message.
parent_pid: int | None = None
#: ``(pid, error)`` of the process lifespan's failed startup (``thread.py``), for the message.
process_startup_failure: tuple[int, BaseException] | None = None

#: Whoever keeps something per run (``@inject``'s plans and its per-call path) registers a
#: function here that forgets what it keeps for the run it is given. The runtime calls each when
#: the run stops handing out (shutdown begins), when a provider changes (a test's override), and
#: in a forked child, for every run inherited from the parent.
RUN_CACHES: list[Callable[[Runtime], None]] = []

#: The name of the local variable that marks a frame as a call holding a run's objects: shutdown
#: waits while a frame of a code object registered with ``register_call_frame`` has a local of
#: this name bound to the run (see ``Runtime.in_flight``). Nothing keeps count of calls.
IN_FLIGHT_LOCAL = "runtime"
#: Code objects whose frames hold a run's objects while they run -> the call's name, from the
#: frame's locals: ``@inject``'s calls, requests with request.state.
CALL_FRAMES: dict[CodeType, Callable[[Mapping[str, Any]], str]] = {}


def register_call_frame(code: CodeType, name_of: Callable[[Mapping[str, Any]], str]) -> None:
    """Make shutdown wait for running frames of ``code`` whose ``runtime`` local is the run.

    Refuses code without such a local: renaming it would silently stop the drain.
    """
    if IN_FLIGHT_LOCAL not in code.co_varnames:
        raise RuntimeError(
            f"{code.co_name} has no local variable {IN_FLIGHT_LOCAL!r}: shutdown could not "
            f"see its calls in flight."
        )
    CALL_FRAMES[code] = name_of


def _forget_parent_runs() -> None:
    global parent_pid, process_id
    process_id = os.getpid()
    if runs_by_loop:
        parent_pid = next(iter(runs_by_loop.values())).pid
    for runtime in runs_by_loop.values():
        runtime.forget_caches()
    runs_by_loop.clear()


os.register_at_fork(after_in_child=_forget_parent_runs)


#: The runtime whose startup the current task belongs to: its managers and resource arguments may
#: use what has started; nothing else gets anything before startup has completed.
_starting: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "django_lifespan_di_starting", default=None
)


# -- what a run opens and closes -----------------------------------------------------------------

Status = Literal["pending", "starting", "ready", "failed", "closing", "closed", "abandoned"]


class Unit:
    """One thing the lifespan opens and closes: a shared ``Resource`` or a lifespan manager."""

    def __init__(self, name: str, kind: Literal["resource", "manager"]) -> None:
        self.name = name
        self.kind = kind
        self.status: Status = "pending"
        self.since = time.time()
        self.startup_seconds: float | None = None
        #: When it finished opening, on the event loop's clock.
        self.ended_at = 0.0
        self.error: BaseException | None = None
        self.depends_on: tuple[Unit, ...] = ()
        self.value: Any = None
        #: The keys and objects it puts into the lifespan state.
        self.state_entries: Mapping[str, Any] = {}

    def mark(self, status: Status, error: BaseException | None = None) -> None:
        self.status = status
        self.since = time.time()
        if error is not None:
            self.error = error

    async def open(self) -> Closer | None:
        raise NotImplementedError


class ResourceUnit(Unit):
    """A shared ``providers.Resource`` of the live containers."""

    def __init__(self, node: Node, state_key: str | None) -> None:
        super().__init__(node.name, "resource")
        self.provider = node.provider
        self.entries = tuple(node.entries)
        self.state_key = state_key

    async def open(self) -> Closer | None:
        """Open it; its arguments come from the live providers (open dependencies)."""
        assert isinstance(self.provider, providers.Resource)
        if self.provider.provides is None:
            raise ConfigurationError(
                f"{self.name} is a Resource that provides nothing: give it what opens the "
                f"resource, e.g. providers.Resource(open_client, ...)."
            )
        args = [await value_of(arg) for arg in self.provider.args]
        kwargs = {key: await value_of(arg) for key, arg in self.provider.kwargs.items()}
        self.value, closer = await open_declaration(
            self.provider.provides, args, kwargs, call_in_worker
        )
        self.state_entries = {self.state_key: self.value} if self.state_key else {}
        return closer


class ManagerUnit(Unit):
    """An async context manager registered with ``register_lifespan_manager``."""

    def __init__(self, factory: LifespanManager) -> None:
        super().__init__(dotted_name(factory), "manager")
        self.factory = factory

    async def open(self) -> Closer:
        context: Any = self.factory()
        if not isinstance(context, AbstractAsyncContextManager) and not hasattr(
            context, "__aenter__"
        ):
            if inspect.iscoroutine(context):
                context.close()  # never to be awaited; Python would warn about it later
            raise StartupError(
                f"{self.name} failed to start: the lifespan manager returned a "
                f"{type(context).__name__}, not an async context manager. Decorate it with "
                f"@contextlib.asynccontextmanager.",
                culprit=self.name,
            )
        value = await context.__aenter__()

        async def close(exc: BaseException | None) -> None:
            await context.__aexit__(None, None, None)

        if value is not None and not isinstance(value, Mapping):
            await close(None)
            raise StartupError(
                f"{self.name} failed to start: the lifespan manager yielded a "
                f"{type(value).__name__}; it must yield a mapping of state keys to objects, "
                f"or None.",
                culprit=self.name,
            )
        self.value, self.state_entries = value, value or {}
        return close


def merge_state(contributions: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One state from ``(name, mapping)`` pairs; a key given twice is a ``StartupError``."""
    owners: dict[str, str] = {}
    state: dict[str, Any] = {}
    for name, mapping in contributions:
        for key, value in mapping.items():
            owner = owners.setdefault(key, name)
            if owner != name:
                raise StartupError(
                    f"{owner} and {name} both put {key!r} into the lifespan state. Rename one "
                    f"of them: a key is never silently overwritten.",
                    culprit=name,
                )
            state[key] = value
    return state


# -- one run -------------------------------------------------------------------------------------


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
        self.resources = self._resource_units(graph)
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
        # A state key given twice is refused now, before anything opens.
        merge_state(
            [
                *((u.name, {u.state_key: None}) for u in self.resources if u.state_key),
                *((name, {key: None}) for name, key, _ in self._stand_ins),
            ]
        )
        self.state: dict[str, Any] = {}
        self.phase: Phase = "created"
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pid = process_id
        #: Bumped whenever the providers may answer differently (``forget_caches``): whoever
        #: keeps something per run keeps nothing worked out under an older epoch.
        self.epoch = 0
        #: What is in flight that no running frame shows: ``hold``/``release``.
        self._held: dict[object, str] = {}
        #: The tasks its startup left running (a manager's background work): its own.
        self._own_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        #: What was opened and must be closed: the exit-stack rule.
        self._closers: dict[Unit, Closer | None] = {}
        self._guard(graph)

    def _resource_units(self, graph: Graph) -> tuple[ResourceUnit, ...]:
        """A unit per resource node, in start order; its state key is its attribute name."""
        attribute_names = {
            id(provider): name
            for instance in self.containers.values()
            for name, provider in instance.providers.items()
        }
        units: dict[Node, ResourceUnit] = {}
        for node in graph.units:
            key = next(
                (attribute_names[id(e)] for e in node.entries if id(e) in attribute_names), None
            )
            unit = units[node] = ResourceUnit(node, key)
            unit.depends_on = tuple(units[dependency] for dependency in node.depends_on)
        return tuple(units.values())

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
            message = sharing_request_resource(node) + " Make it a Factory."
            for entry in node.entries:
                entry.override(Guard(refuse_call, InjectionError, message))
        for node in graph.not_started:
            message = (
                f"{node.name} was not started by the lifespan (a Selector branch that was not "
                f"selected at startup), so it cannot be used."
            )
            for entry in node.entries:
                entry.override(Guard(refuse_call, LifespanNotRunning, message))

    def hand_out(self, unit: ResourceUnit) -> Any:
        """The object ``unit`` opened, for whoever calls its provider; or why there is none."""
        self.check_may_hand_out(unit.name)
        if unit.status != "ready":
            raise LifespanNotRunning(
                f"{unit.name} is {unit.status}, not ready: it is never handed out before it "
                f"has started or after it has closed."
            )
        return unit.value

    def check_may_begin(self, what: str) -> None:
        """Raise unless a new call that uses the lifespan's objects may begin now."""
        if self.phase == "draining" and not self._own_task_is_calling():
            raise LifespanNotRunning(
                f"{what} cannot begin: the lifespan is shutting down (it waits for the calls "
                f"in flight to finish, and starts no new ones)."
            )
        self.check_may_hand_out(what)

    def _own_task_is_calling(self) -> bool:
        """Whether the calling code runs in one of the lifespan's own tasks, which go on until
        the managers that started them exit, after the drain."""
        return _internals.running_loop() is self.loop and asyncio.current_task() in self._own_tasks

    def check_may_hand_out(self, what: str) -> None:
        """Raise unless this runtime may hand out its objects to the calling code now."""
        if self.pid != process_id:
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
                f"{what} is not available: the lifespan is {PHASE_WORDS[phase]}. Nothing it "
                f"owns is handed out before startup has completed or after shutdown has begun."
            )
        loop = _internals.running_loop()
        if loop is not None and loop is not self.loop:
            raise EventLoopError(f"{what} cannot be used here. {OTHER_LOOP}")

    # -- startup ----------------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        """Start everything, all or nothing; return the state. Raises ``StartupError``."""
        self.loop = asyncio.get_running_loop()
        if self.loop in runs_by_loop:
            # Checked before anything opens: two runs on one loop would fight over the objects.
            raise StartupError(
                "A lifespan is already running on this event loop; nest nothing inside "
                "`lifespan()` (or the pytest fixture `lifespan`) that starts another one.",
                culprit="lifespan()",
            )
        began = time.perf_counter()
        deadline = self.loop.time() + self.startup_timeout
        self.phase = "starting"
        runs_by_loop[self.loop] = self
        token = _starting.set(self)
        # No request is served before startup completes: every task that appears meanwhile,
        # but this one, is the lifespan's own.
        before = asyncio.all_tasks()
        events.emit(
            "lifespan.starting",
            "Lifespan starting (pid %d)",
            self.pid,
            level=logging.DEBUG,
            about=self,
        )
        try:
            await self._open_resources(deadline)
            stand_ins = [(name, {key: await value_of(p)}) for name, key, p in self._stand_ins]
            for manager in self.managers:
                await self._open_units([manager], deadline)
            self.state = merge_state(
                [
                    *((unit.name, unit.state_entries) for unit in self.resources),
                    *stand_ins,
                    *((unit.name, unit.state_entries) for unit in self.managers),
                ]
            )
        except BaseException as exc:
            self.phase = "stopping"
            events.emit(
                "lifespan.startup_failed",
                "Lifespan startup failed: %s",
                exc,
                level=logging.ERROR if isinstance(exc, StartupError) else logging.DEBUG,
                about=self,
                error=type(exc).__name__,
                duration_ms=events.milliseconds(time.perf_counter() - began),
            )
            failures = await shielded(self._close_opened())
            self._deactivate()
            if failures:
                events.emit(
                    "lifespan.rollback_failed",
                    "While rolling back a failed startup, %s",
                    ShutdownError(failures),
                    level=logging.ERROR,
                    about=self,
                )
            raise
        finally:
            _starting.reset(token)
        self._own_tasks.update(asyncio.all_tasks() - before)
        self.phase = "running"
        seconds = time.perf_counter() - began
        events.emit(
            "lifespan.started",
            "Lifespan started %d resource(s) and manager(s) in %.1f ms (pid %d)",
            len(self.units),
            seconds * 1000,
            self.pid,
            about=self,
            duration_ms=events.milliseconds(seconds),
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
                events.emit(
                    f"{unit.kind}.abandoned",
                    "Abandoned the start of %s: it ignored cancellation",
                    unit.name,
                    level=logging.ERROR,
                    about=unit,
                )
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
        events.emit(
            f"{unit.kind}.starting", "Starting %s", unit.name, level=logging.DEBUG, about=unit
        )
        began = time.perf_counter()
        try:
            closer = await unit.open()
        except BaseException as exc:
            # A CancelledError too: if startup gave up on this unit, nobody reads the task's
            # outcome; if the resource raised it of its own (awaiting a task that was
            # cancelled), it is this unit's failure, not a cancellation of the lifespan.
            unit.mark("failed", exc)
            events.emit(
                f"{unit.kind}.failed",
                "%s failed to start",
                unit.name,
                level=logging.DEBUG,
                about=unit,
                error=type(exc).__name__,
            )
            if isinstance(exc, StartupError):
                raise
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
        events.emit(
            f"{unit.kind}.started",
            "Started %s in %.1f ms",
            unit.name,
            unit.startup_seconds * 1000,
            about=unit,
            duration_ms=events.milliseconds(unit.startup_seconds),
        )

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
        events.emit(
            "lifespan.stopping",
            "Lifespan shutting down (pid %d)",
            self.pid,
            level=logging.DEBUG,
            about=self,
        )
        self.forget_caches()  # new calls take the full path, which refuses them
        # Polled: the calls end in any thread, and telling the loop on each would cost every call.
        while self.in_flight() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(DRAIN_POLL_SECONDS)
        abandoned_calls = [(name, _abandoned_call(name, self)) for name in self.in_flight()]
        events.emit(
            "shutdown.drained",
            "Drained the calls in flight in %.1f ms",
            (loop.time() - deadline + self.shutdown_timeout) * 1000,
            level=logging.DEBUG,
            about=self,
            duration_ms=events.milliseconds(loop.time() - deadline + self.shutdown_timeout),
            still_running=len(abandoned_calls),
        )
        self.phase = "stopping"
        failures = abandoned_calls + await self._close_opened(deadline)
        self._deactivate()
        if failures:
            error = ShutdownError(failures)
            events.emit(
                "lifespan.shutdown_failed",
                "Lifespan shutdown failed: %s",
                error,
                level=logging.DEBUG,
                about=self,
                error="ShutdownError",
                duration_ms=events.milliseconds(loop.time() - deadline + self.shutdown_timeout),
            )
            raise error
        events.emit(
            "lifespan.stopped",
            "Lifespan shut down (pid %d)",
            self.pid,
            about=self,
            duration_ms=events.milliseconds(loop.time() - deadline + self.shutdown_timeout),
        )

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
        events.emit(
            f"{unit.kind}.stopping", "Stopping %s", unit.name, level=logging.DEBUG, about=unit
        )
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
            events.emit(
                f"{unit.kind}.failed",
                "Shutdown of %s timed out after %.1f s",
                unit.name,
                budget,
                level=logging.ERROR,
                about=unit,
                error="TimeoutError",
                duration_ms=events.milliseconds(budget),
            )
            return [(unit.name, error)]
        failure = closing.result()
        if failure is not None:
            unit.mark("failed", failure)
            events.emit(
                f"{unit.kind}.failed",
                "Shutdown of %s failed",
                unit.name,
                level=logging.ERROR,
                about=unit,
                exc_info=failure,
                error=type(failure).__name__,
                duration_ms=events.milliseconds(time.perf_counter() - began),
            )
            return [(unit.name, failure)]
        unit.mark("closed")
        seconds = time.perf_counter() - began
        events.emit(
            f"{unit.kind}.stopped",
            "Stopped %s in %.1f ms",
            unit.name,
            seconds * 1000,
            about=unit,
            duration_ms=events.milliseconds(seconds),
        )
        return []

    def in_flight(self) -> list[str]:
        """The calls (``@inject``-ed functions, requests) that hold this run's objects now."""
        assert self.loop is not None
        names = set(self._held.values())
        # The lifespan's own tasks (started by its managers and resources at startup) are not
        # waited for: exiting the managers, after the drain, is what ends them.
        for frame in _internals.frames_in_flight(self.loop, skip=self._own_tasks):
            name_of = CALL_FRAMES.get(frame.f_code)
            if name_of is not None and frame.f_locals.get(IN_FLIGHT_LOCAL) is self:
                names.add(name_of(frame.f_locals))
        return sorted(names)

    def hold(self, key: object, name: str) -> None:
        """Count ``name`` in flight until ``release(key)``: for work that runs after the call
        that holds the objects returned (a streaming response's body between its chunks)."""
        self._held[key] = name

    def release(self, key: object) -> None:
        self._held.pop(key, None)

    def _deactivate(self) -> None:
        assert self.loop is not None
        # A loop has one runtime at most (``start`` refuses a second before activating); in a
        # forked child, none (the fork hook forgets them).
        runs_by_loop.pop(self.loop, None)

    # -- lookups ----------------------------------------------------------------------------

    def forget_caches(self) -> None:
        """Tell everyone who keeps something for this run to forget it (``RUN_CACHES``): the
        run stops handing out, a provider changed (an override), or this is a forked child."""
        self.epoch += 1
        for forget in RUN_CACHES:
            forget(self)

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


def refuse_call(error: type[BaseException], message: str) -> typing.NoReturn:
    """What a guard of something the lifespan must not hand out answers a call with."""
    raise error(message)


def sharing_request_resource(node: Node) -> str:
    """Why ``node``, which keeps its value (a Singleton), cannot be built on a per-request one."""
    assert node.request_resource_below is not None
    return (
        f"{node.name} is a {type(node.provider).__name__} built on the per-request "
        f"{node.request_resource_below.name}: it would hand the first request's object to "
        f"every later one."
    )


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
