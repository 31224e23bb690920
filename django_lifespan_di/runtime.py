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
after cancellation, is abandoned and reported by name; everything else is still closed. The
resources of ``LIFESPAN_DI["DEFERRED"]`` open after startup, in the run's own task, and are
refused with ``ResourceNotReady`` until then. Servers have clocks of their own: a startup still
running says what it waits on, and one the server cancels is reported as such.
dependency-injector's ``init_resources()``/``shutdown_resources()`` are not used: they leave
resources open when one fails, stop at the first shutdown error, and skip some async shutdowns
(see ``docs/how-it-works.md``).

The engine knows nothing of the code that uses it (``@inject``, the middleware, the hosts): they
ask it (``registry.py`` finds the run that serves them), and whoever keeps something per run
registers in ``RUN_CACHES`` to be told when to forget it.
"""

from __future__ import annotations

import abc
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
from django_lifespan_di.conf import ContainerEntry, conf
from django_lifespan_di.exceptions import (
    ConfigurationError,
    EventLoopError,
    InjectionError,
    LifespanNotRunning,
    ResourceNotReady,
    ShutdownError,
    StartupError,
)
from django_lifespan_di.graph import (
    Graph,
    Guard,
    Node,
    RequestResource,
    deferred_units,
    effective,
    remove_override,
    walk,
)
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
#: When a startup still running is first logged, naming what it waits on, and how often again:
#: servers cut startups short (uvicorn kills a restarted worker not ready within its 5 s
#: health check by default, counted from the spawn, imports included; gunicorn -k asgi cancels
#: at 30 s), and a kill leaves no other trace.
SLOW_STARTUP_FIRST_SECONDS = 1.0
SLOW_STARTUP_EVERY_SECONDS = 5.0

FORK_FIX = (
    "Start the lifespan in the child: django_lifespan_di.wsgi.get_wsgi_application() and "
    "django_lifespan_di.celery.setup_lifespan(app) do it in each worker process; elsewhere "
    "start a django_lifespan_di.LifespanThread after the fork."
)
OTHER_LOOP = (
    "The lifespan runs on another event loop than this code, and the objects it opened "
    "(connection pools, async clients) belong to that loop. From sync code, reach them with "
    "django_lifespan_di.run_in_lifespan_loop(); in tests, run the code in the loop of the "
    "`lifespan` fixture (or use the `lifespan_thread` fixture for sync tests and live_server; "
    "with unittest or manage.py test, LifespanTestMixin runs each test method in a lifespan)."
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
#: ``(pid, report)`` of a startup that the server cancelled in this process (its own time
#: limit), for the message when the process then serves without the lifespan.
startup_cut_short: tuple[int, str] | None = None

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


class Unit(abc.ABC):
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

    @abc.abstractmethod
    async def open(self) -> Closer | None:
        """Open it; return what closes it (None: nothing to close)."""


class ResourceUnit(Unit):
    """A shared ``providers.Resource`` of the live containers."""

    def __init__(self, node: Node, state_key: str | None) -> None:
        super().__init__(node.name, "resource")
        self.node = node
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


# -- the containers a project holds ----------------------------------------------------------------

#: The instances named in ``CONTAINERS`` that a run has guarded and not yet left: one run at a
#: time may own an instance (its providers answer for that run only).
_running_instances: dict[int, str] = {}
NOT_RUNNING_HINT = (
    "Start it first (the ASGI server, django_lifespan_di.wsgi, a LifespanThread, or in tests "
    "the `lifespan` fixture or `async with django_lifespan_di.lifespan():`)."
)


def _providers_of(instance: containers.Container) -> list[providers.Provider[Any]]:
    """Every provider of ``instance``, nested ones included."""
    return list(typing.cast(Iterable[providers.Provider[Any]], instance.traverse()))


def _take_over(instance: containers.Container) -> None:
    """Take ``instance`` for a new run: refused while another run owns it; the guards an earlier
    run left on it (and any run that never started) come off first."""
    name = _internals.container_name(instance)
    if id(instance) in _running_instances:
        raise StartupError(
            f"The container instance {name} is already run by another lifespan in this process "
            f"({_running_instances[id(instance)]}): one instance can serve one lifespan at a "
            f"time: stop that one first.",
            culprit=name,
        )
    _running_instances[id(instance)] = f"pid {os.getpid()}"
    overriding: providers.Provider[Any]
    for provider in _providers_of(instance):
        for overriding in list(provider.overridden):
            if isinstance(overriding, Guard):
                remove_override(provider, overriding)


# -- one run -------------------------------------------------------------------------------------


class Runtime:
    """One run of the lifespan: what it opened, the state it built, the loop it serves."""

    def __init__(
        self,
        configured: Iterable[ContainerEntry],
        managers: Iterable[LifespanManager],
        *,
        startup_timeout: float,
        shutdown_timeout: float,
        deferred: Iterable[tuple[type[containers.DeclarativeContainer], str]] = (),
    ) -> None:
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        configured = list(configured)
        #: The instances the project holds and named in ``CONTAINERS``: the live ones
        #: themselves, guarded between runs too (``_leave_guarded``).
        self._given = [entry for entry in configured if not isinstance(entry, type)]
        for instance in self._given:
            _take_over(instance)
        self._given_providers = {
            id(provider) for instance in self._given for provider in _providers_of(instance)
        }
        #: The overrides of the container classes' providers when the run began, which the
        #: live containers got copies of: one made later is dependency-injector's own
        #: ``override()`` after the start (``injection.py`` lets it take effect in tests).
        self.overrides_at_start = {
            id(provider): provider.last_overriding
            for entry in configured
            if isinstance(entry, type)  # an instance the project made copied them long ago
            for provider in entry.providers.values()
        }
        #: The live container instance of each configured container class.
        self.containers = _internals.instantiate(configured)
        graph = walk(self.containers.values())
        self.resources = self._resource_units(graph)
        #: The resources that open after startup has completed (``LIFESPAN_DI["DEFERRED"]``).
        deferred_nodes = deferred_units(graph, self.containers, deferred)
        self.deferred = frozenset(u for u in self.resources if u.node in deferred_nodes)
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
        #: What was opening when the server cancelled the startup (``startup_progress``).
        self._progress_when_cancelled: str | None = None
        #: The opening of the deferred resources, once startup has completed.
        self._deferring: asyncio.Task[None] | None = None
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

    def _leave_guarded(self) -> None:
        """The run is over: the resources of a container the project holds refuse until the next
        run, instead of dependency-injector opening a copy on first call that nobody closes."""
        for unit in self.resources:
            refusal = Guard(
                refuse_call,
                LifespanNotRunning,
                f"{unit.name} belongs to the lifespan, which is not running: outside it the "
                f"resource is refused, never opened lazily. {NOT_RUNNING_HINT}",
            )
            for entry in unit.entries:
                if id(entry) in self._given_providers:
                    entry.override(refusal)
        for instance in self._given:
            _running_instances.pop(id(instance), None)

    def hand_out(self, unit: ResourceUnit) -> Any:
        """The object ``unit`` opened, for whoever calls its provider; or why there is none."""
        self.check_may_hand_out(unit.name)
        if unit.status != "ready":
            if unit in self.deferred and self.phase in ("running", "draining"):
                raise self.not_ready(unit)
            raise LifespanNotRunning(
                f"{unit.name} is {unit.status}, not ready: it is never handed out before it "
                f"has started or after it has closed."
            )
        return unit.value

    def not_ready(self, unit: Unit) -> ResourceNotReady:
        """Why the deferred ``unit`` is not handed out now."""
        why = {
            "pending": "waits for the deferred resources it depends on",
            "starting": "is still opening",
        }.get(unit.status, "failed to open (the log says why)")
        return ResourceNotReady(
            f"{unit.name} is not ready: it is deferred (LIFESPAN_DI['DEFERRED']), opens after "
            f"the server has started, and {why}. Until it has opened, what needs it answers "
            f"503 Service Unavailable.",
            unit.name,
        )

    def refuse_deferred_key(self, key: str) -> None:
        """Raise ``ResourceNotReady`` if ``key`` is the state key of a deferred resource that
        is not open (``request.state[key]`` before it has opened)."""
        for unit in self.deferred:
            if unit.state_key == key and unit.status != "ready":
                raise self.not_ready(unit)

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
        if (
            phase not in ("running", "draining")
            and not (phase == "starting" and _starting.get() is self)
            # The lifespan's own tasks go on until the managers that started them exit, which
            # is the first thing shutdown does after the drain; the resources are open till then.
            and not (phase == "stopping" and self._own_task_is_calling())
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
        # A second run in the process: whoever took the first for the only one forgets it.
        for other in list(runs_by_loop.values()):
            if other is not self:
                other.forget_caches()
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
        reporting = asyncio.ensure_future(self._report_slow_startup())
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
            progress = self._progress_when_cancelled or self.startup_progress(
                opened="opened, and closed again"
            )
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
            if isinstance(exc, asyncio.CancelledError):
                self._report_cut_short(time.perf_counter() - began, progress)
            raise
        finally:
            reporting.cancel()
            _starting.reset(token)
        self._own_tasks.update(asyncio.all_tasks() - before)
        self.phase = "running"
        seconds = time.perf_counter() - began
        events.emit(
            "lifespan.started",
            "Lifespan started %d resource(s) and manager(s) in %.1f ms (pid %d)",
            len(self.units) - len(self.deferred),
            seconds * 1000,
            self.pid,
            about=self,
            duration_ms=events.milliseconds(seconds),
        )
        if self.deferred:
            # Its own task, after startup: the caller tells the server that startup has
            # completed before the lifespan next waits, which is when this begins.
            self._deferring = self._start_task(self._open_deferred())
            self._own_tasks.add(self._deferring)
        return self.state

    def startup_progress(self, opened: str = "opened") -> str:
        """What the startup still waits on and what has opened, for the log."""
        now = time.time()
        opening = [
            f"{u.name} (for {now - u.since:.1f} s)" for u in self.units if u.status == "starting"
        ]
        waiting = [u.name for u in self.units if u.status == "pending" and u not in self.deferred]
        done = [u.name for u in self.units if u.status in ("ready", "closing", "closed")]
        return "; ".join(
            [
                f"still opening: {', '.join(opening) or 'nothing'}",
                *([f"not begun (waiting for those): {', '.join(waiting)}"] if waiting else []),
                f"{opened}: {', '.join(done) or 'nothing'}",
            ]
        )

    async def _report_slow_startup(self) -> None:
        """Log, while startup runs, what it waits on: before a server can cut it short."""
        assert self.loop is not None
        began, after = self.loop.time(), SLOW_STARTUP_FIRST_SECONDS
        while True:
            await asyncio.sleep(began + after - self.loop.time())
            events.emit(
                "lifespan.slow_startup",
                "Lifespan startup has run for %.0f s: %s. Servers limit how long a startup may "
                "take (see the deployment guide); slow resources may open after it "
                "(LIFESPAN_DI['DEFERRED']).",
                self.loop.time() - began,
                self.startup_progress(),
                level=logging.WARNING,
                about=self,
            )
            after += SLOW_STARTUP_EVERY_SECONDS

    def _report_cut_short(self, seconds: float, progress: str) -> None:
        """Log that the server cancelled the startup (its own time limit), and keep it for
        what this process then says when the lifespan's objects are asked for."""
        global startup_cut_short
        report = (
            f"The server cancelled the lifespan's startup after {seconds:.1f} s, before it "
            f"completed (LIFESPAN_DI['STARTUP_TIMEOUT'] = {self.startup_timeout:g} s): "
            f"{progress}. Everything it had opened is closed again, and nothing it owns is "
            f"available in this process. Make the startup fit the server's own limit (the "
            f"deployment guide lists them, server by server) or list slow resources in "
            f"LIFESPAN_DI['DEFERRED']."
        )
        events.emit("lifespan.startup_cut_short", "%s", report, level=logging.ERROR, about=self)
        startup_cut_short = (process_id, report)

    async def _open_resources(self, deadline: float) -> None:
        tasks: dict[Unit, asyncio.Task[None]] = {}
        for unit in self.resources:  # dependencies come first
            if unit in self.deferred:
                continue  # nothing opened now depends on it (``deferred_units``)
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
            self._progress_when_cancelled = self.startup_progress(opened="opened, and closed again")
            await self._give_up(tasks.values())
            raise
        failed = next((t for t in tasks.values() if t.done() and failed_task(t)), None)
        still = [unit for unit, task in tasks.items() if task in pending]
        await self._abandon_ignoring_cancellation(tasks, still)
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

    async def _abandon_ignoring_cancellation(
        self, tasks: Mapping[Unit, asyncio.Task[None]], still: list[Unit]
    ) -> None:
        """Give up the openings of ``still``; mark and log those that ignore cancellation."""
        abandoned = await self._give_up([tasks[unit] for unit in still])
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

    async def _open_deferred(self) -> None:
        """Open the deferred resources, each after its dependencies, within STARTUP_TIMEOUT.

        A failure is logged, naming the resource, and stops nothing but what depends on it.
        Shutdown cancels what is still opening (this task, then each opening).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout
        tasks: dict[Unit, asyncio.Task[None]] = {}
        for unit in self.resources:
            if unit in self.deferred:
                waits = [tasks[dep] for dep in unit.depends_on if dep in tasks]
                tasks[unit] = self._start_task(self._open_after(unit, waits))
        self._own_tasks.update(tasks.values())
        try:
            _, pending = await asyncio.wait(tasks.values(), timeout=max(deadline - loop.time(), 0))
        except asyncio.CancelledError:  # shutdown began
            still = [unit for unit, task in tasks.items() if not task.done()]
            await self._abandon_ignoring_cancellation(tasks, still)
            raise
        late = [unit for unit, task in tasks.items() if task in pending]
        await self._abandon_ignoring_cancellation(tasks, late)
        for opened, task in tasks.items():
            if opened in late:
                error = TimeoutError(
                    f"{opened.name} did not open within LIFESPAN_DI['STARTUP_TIMEOUT'] = "
                    f"{self.startup_timeout:g} s after startup"
                )
                if opened.status != "abandoned":
                    opened.mark("failed", error)
                events.emit(
                    "resource.failed",
                    "The deferred %s; this process goes on without it",
                    error,
                    level=logging.ERROR,
                    about=opened,
                    error=type(error).__name__,
                )
            elif failed_task(task):
                events.emit(
                    "resource.failed",
                    "The deferred %s did not open; this process goes on without it: %s",
                    opened.name,
                    task.exception(),
                    level=logging.ERROR,
                    about=opened,
                    error=type(task.exception()).__name__,
                )

    async def deferred_settled(self) -> None:
        """Wait until every deferred resource has opened or failed to (commands that run
        once wait for it before they run). Bounded by the deferred openings' own deadline."""
        if self._deferring is not None:
            await asyncio.wait([self._deferring])

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
            if any(map(failed_task, dependencies)):
                # At startup, asyncio wakes startup's own wait first, which cancels this task
                # before it runs again; a deferred one gets here when a deferred resource it
                # depends on failed. No scheduling order opens a unit over a failure.
                failed = [dep.name for dep in unit.depends_on if dep.status != "ready"]
                error = StartupError(
                    f"{unit.name} was not opened: {', '.join(failed)}, which it depends on, "
                    f"did not open",
                    culprit=unit.name,
                )
                unit.mark("failed", error)
                raise error
        unit.mark("starting")
        events.emit(
            f"{unit.kind}.starting", "Starting %s", unit.name, level=logging.DEBUG, about=unit
        )
        began = time.perf_counter()
        try:
            closer = await unit.open()
        except BaseException as exc:
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
            task = asyncio.current_task()
            if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
                # Given up on: startup's or shutdown's own wait, or an event loop closing under
                # it (asyncio.run() at a server's exit), which wants to see it cancelled.
                raise
            # A CancelledError the resource raised of its own (awaiting a task that was
            # cancelled) is this unit's failure, not a cancellation of the lifespan.
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
        if unit in self.deferred:
            self.state.update(unit.state_entries)  # later requests' request.state has it
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
        opening = [u.name for u in self.resources if u in self.deferred and u.status == "starting"]
        if opening:
            events.emit(
                "shutdown.deferred_cancelled",
                "Shutdown began before these deferred resources opened; their opening is "
                "cancelled: %s",
                ", ".join(opening),
                level=logging.WARNING,
                about=self,
            )
        if self._deferring is not None and not self._deferring.done():
            self._deferring.cancel()
            await wait_uncancellable([self._deferring], None)  # it gives up within the grace
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
        self._leave_guarded()
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
        conf.configured_containers(),
        registered_managers(),
        startup_timeout=conf.STARTUP_TIMEOUT,
        shutdown_timeout=conf.SHUTDOWN_TIMEOUT,
        deferred=conf.deferred_providers(),
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
