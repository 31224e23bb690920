"""Pings of the lifespan's live objects, their results cached per run, and the probes' answers.

Readiness that only says "it opened once" misses the database that stopped answering since. A
ping registered with ``register_ping()`` gets the very object views get (the pooled client,
never a new one), on the lifespan's event loop where that object belongs; a sync ping runs in
the package's worker threads. The pings of all resources run concurrently, each within its own
timeout: one that hangs is abandoned at its timeout and reported, and no second ping of that
resource starts while it still runs (a hung database would otherwise collect a thread per probe).

Results are kept per run: a probe answers from results at most ``LIFESPAN_DI["PING_MAX_AGE"]``
seconds old, and probes that arrive together wait for one ping per resource (single flight). A
ping runs only while the run is running and its resource is open, never before startup has
completed or after shutdown has begun; shutdown waits for the pings in flight (each bounded by
its timeout) as it waits for requests, before anything closes.

Nothing here shows an exception's message (it may hold a DSN with a password): a failure is
reported by its exception type, and names come from code (``naming.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dependency_injector import containers, providers

from django_lifespan_di import _internals
from django_lifespan_di.conf import conf, container_class, import_container
from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.graph import RequestResource
from django_lifespan_di.naming import declared_name, dotted_name, provider_name
from django_lifespan_di.opening import submit_to_worker
from django_lifespan_di.registry import runtime_or_none
from django_lifespan_di.runtime import (
    RUN_CACHES,
    ResourceUnit,
    Runtime,
    Status,
    Unit,
    register_call_frame,
)
from django_lifespan_di.waiting import discard_outcome

logger = logging.getLogger("django_lifespan_di")

Result = Literal["pass", "warn", "fail"]
Ping = Callable[[Any], object]
"""What ``register_ping`` takes: called with the live object; raises if it is not healthy.

An ``async def`` (or a callable whose ``__call__`` is one) is awaited on the lifespan's loop;
anything else runs in a worker thread, and an awaitable it returns (``lambda c: c.ping()`` on
an async client) is then awaited on the loop.
"""


@dataclass(frozen=True)
class PingRegistration:
    """A ping registered for one resource."""

    provider: providers.Resource[Any]
    ping: Ping
    timeout: float
    critical: bool
    name: str
    """The provider's dotted name (``myapp.containers.Container.db``), for messages."""
    is_async: bool


_pings: dict[int, PingRegistration] = {}


def register_ping(
    provider: providers.Resource[Any],
    ping: Ping,
    *,
    timeout: float = 1.0,
    critical: bool = True,
) -> None:
    """Ping ``provider``'s live object for the health probes (``django_lifespan_di.health``).

    Call it from an ``AppConfig.ready()``: ``register_ping(Container.db, lambda pool:
    pool.execute("SELECT 1"))``. ``ping`` gets the object the lifespan opened, the one views
    get, and raises (or times out after ``timeout`` seconds) when it is not healthy. A
    ``critical=False`` ping's failure is a warning: readiness stays 200 and says so. One ping
    per resource: registering another for the same provider replaces it.
    """
    # Typed for the caller; checked as anything, since AppConfig.ready() code is not always
    # type-checked.
    given: Any = provider
    is_provider = isinstance(given, providers.Provider)
    name = declared_name(given) if is_provider else None
    if (
        name is None
        or not isinstance(given, providers.Resource)
        or isinstance(given, RequestResource)
    ):
        raise ConfigurationError(
            f"register_ping() pings a shared providers.Resource declared on a container class "
            f"(e.g. register_ping(Container.db, ping)), not "
            f"{provider_name(provider) if is_provider else dotted_name(provider)}."
        )
    if not callable(ping):
        raise ConfigurationError(
            f"register_ping({name}, ping) needs a callable that takes the live object, got "
            f"{dotted_name(ping)}."
        )
    seconds: Any = timeout
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds <= 0
    ):
        raise ConfigurationError(
            f"register_ping({name}, ..., timeout=...) must be a finite number of seconds > 0, "
            f"not {dotted_name(timeout)}."
        )
    if not isinstance(critical, bool):
        raise ConfigurationError(
            f"register_ping({name}, ..., critical=...) must be True or False, "
            f"not {dotted_name(critical)}."
        )
    is_async = inspect.iscoroutinefunction(ping) or inspect.iscoroutinefunction(type(ping).__call__)
    _pings[id(provider)] = PingRegistration(
        provider, ping, float(timeout), critical, name, is_async
    )


def unregister_ping(provider: providers.Resource[Any]) -> None:
    """Undo ``register_ping()`` (for tests)."""
    del _pings[id(provider)]


def registered_pings() -> tuple[PingRegistration, ...]:
    """The pings registered, then the default ping of each database the lifespan owns
    (``LIFESPAN_DI["DATABASES"]``) for which none is registered."""
    aliases = conf.DATABASES
    registered = tuple(_pings.values())
    defaults = _database_pings(aliases) if aliases else ()
    return (*registered, *(r for r in defaults if id(r.provider) not in _pings))


#: How long the default ping of a database may take (``register_ping``'s default): its pool's
#: wait for a connection, then the ``SELECT 1``.
DATABASE_PING_TIMEOUT = 1.0


@functools.cache
def _database_pings(aliases: tuple[str, ...]) -> tuple[PingRegistration, ...]:
    """A pool that opened once says nothing of the database since: each alias's pool (or, for
    a database without one, a connection of its own) is pinged with ``SELECT 1``, like any
    resource with a registered ping, so that nobody has to write one."""
    # Imported here, as conf does: it connects a receiver to Django's connection_created,
    # which a project that owns no database has no use for.
    from django_lifespan_di.databases import CONTAINER_NAME, database_pool

    return tuple(
        PingRegistration(
            database_pool(alias),
            functools.partial(_ping_database, alias),
            DATABASE_PING_TIMEOUT,
            True,
            f"{database_pool.__module__}.{CONTAINER_NAME}.{alias}",
            False,
        )
        for alias in aliases
    )


def _ping_database(alias: str, pool: object) -> None:
    """Through Django's pool of ``alias`` rather than the lifespan's value: where Celery's Django
    fixup closed the pool the lifespan opened, Django's current one is what queries use."""
    from django_lifespan_di.databases import ping_database

    ping_database(alias, DATABASE_PING_TIMEOUT)


# -- the results of one run --------------------------------------------------------------------


@dataclass(frozen=True)
class PingResult:
    """The outcome of one ping."""

    result: Result
    """``pass``; ``fail`` for a failed critical ping, ``warn`` for a failed non-critical one."""
    error: str | None
    """The exception type name (``TimeoutError`` for a ping abandoned at its timeout)."""
    seconds: float
    """How long it took (its timeout, for one abandoned)."""
    ended_at: float
    """When it ended, on the event loop's clock."""
    ended_wall: float
    """When it ended, ``time.time()``."""


@dataclass(frozen=True)
class Pinged:
    """A resource of the run with its ping."""

    unit: ResourceUnit
    registration: PingRegistration


class PingBook:
    """The pings of one run: the last result, the ping in flight and the ping underway of each
    resource (underway outlives in flight when a ping is abandoned at its timeout)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        registered = {id(r.provider): r for r in registered_pings()}
        live_ids = {
            id(live): registered[id(declared)]
            for cls, instance in runtime.containers.items()
            for key, declared in cls.providers.items()
            if id(declared) in registered
            for live in (instance.providers[key],)
        }
        self.pinged = tuple(
            Pinged(unit, live_ids[id(entry)])
            for unit in runtime.resources
            for entry in unit.entries[:1]
            if id(entry) in live_ids
        )
        self.results: dict[Unit, PingResult] = {}
        self.in_flight: dict[Unit, asyncio.Task[None]] = {}
        self.underway: dict[Unit, list[asyncio.Future[Any]]] = {}

    def fly(self, pinged: Pinged) -> asyncio.Task[None]:
        """The ping in flight for ``pinged``, started if none is (single flight)."""
        flight = self.in_flight.get(pinged.unit)
        if flight is None:
            # A context of its own: the ping serves every probe waiting, not the one that
            # happened to start it (whose context may route sync work to its own thread).
            flight = self.runtime_loop().create_task(
                _fly(self.runtime, self, pinged), context=contextvars.Context()
            )
            self.in_flight[pinged.unit] = flight
            flight.add_done_callback(functools.partial(self._landed, pinged.unit))
            flight.add_done_callback(discard_outcome)
        return flight

    def runtime_loop(self) -> asyncio.AbstractEventLoop:
        assert self.runtime.loop is not None
        return self.runtime.loop

    def _landed(self, unit: Unit, flight: asyncio.Task[None]) -> None:
        del self.in_flight[unit]  # only this flight: ``fly`` starts none while it is there


_books: weakref.WeakKeyDictionary[Runtime, PingBook] = weakref.WeakKeyDictionary()


def book_of(runtime: Runtime) -> PingBook:
    book = _books.get(runtime)
    if book is None:
        book = _books[runtime] = PingBook(runtime)
    return book


def _forget(runtime: Runtime) -> None:
    # Shutdown began, a provider changed (a test's override), or a forked child: a later
    # probe pings afresh (or, shutting down, not at all).
    _books.pop(runtime, None)


RUN_CACHES.append(_forget)


async def _fly(runtime: Runtime, book: PingBook, pinged: Pinged) -> None:
    """Ping ``pinged`` once within its timeout and record the result in ``book``.

    Its frame holds ``runtime`` (``register_call_frame`` below): shutdown waits for it as for a
    request, so the resource does not close under a ping that has not timed out.
    """
    unit, registration = pinged.unit, pinged.registration
    if runtime.phase != "running" or unit.status != "ready":
        return  # shutdown began (or the unit closed) since the probe asked: never ping then
    loop = asyncio.get_running_loop()
    began = loop.time()
    error: str | None
    if any(not future.done() for future in book.underway.get(unit, ())):
        # The last ping was abandoned at its timeout and has not returned yet.
        error = "TimeoutError"
    else:
        value = runtime.hand_out(unit)
        underway: list[asyncio.Future[Any]] = []
        task = asyncio.ensure_future(_call(registration, value, underway))
        task.add_done_callback(discard_outcome)
        underway.append(task)
        book.underway[unit] = underway
        done, _ = await asyncio.wait([task], timeout=registration.timeout)
        if not done:
            task.cancel()
            error = "TimeoutError"
            logger.warning(
                "The ping of %s did not answer within %g s: abandoned",
                unit.name,
                registration.timeout,
            )
        elif task.cancelled():
            error = "CancelledError"
        else:
            failure = task.exception()
            error = None if failure is None else type(failure).__name__
    ended = loop.time()
    result: Result = "pass" if error is None else "fail" if registration.critical else "warn"
    previous = book.results.get(unit)
    book.results[unit] = PingResult(
        result,
        error,
        registration.timeout if error == "TimeoutError" else ended - began,
        ended,
        time.time(),
    )
    if previous is None or previous.result != result:
        if error is None:
            logger.info("The ping of %s passes", unit.name)
        else:
            # The exception's type only: its message may hold a DSN with a password.
            logger.warning("The ping of %s fails: %s", unit.name, error)


register_call_frame(_fly.__code__, lambda local: f"the ping of {local['unit'].name}")


async def _call(
    registration: PingRegistration, value: Any, underway: list[asyncio.Future[Any]]
) -> None:
    if registration.is_async:
        outcome = registration.ping(value)
    else:
        in_thread = submit_to_worker(functools.partial(registration.ping, value))
        in_thread.add_done_callback(discard_outcome)
        underway.append(in_thread)
        # Shielded: a thread cannot be cancelled, and its future is settled when it returns.
        outcome = await asyncio.shield(in_thread)
    if inspect.isawaitable(outcome):
        await outcome


# -- the probes' answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What a probe reports of one resource or lifespan manager."""

    name: str
    kind: Literal["resource", "manager"]
    state: Status
    status: Result
    critical: bool
    ping: PingResult | None
    startup_seconds: float | None
    reason: str | None
    """Why it does not pass: ``failed: ConnectionRefusedError``, ``ping failed: TimeoutError``."""


@dataclass(frozen=True)
class Report:
    """A probe's answer: ``pass``, ``warn`` (200, saying what is degraded) or ``fail`` (503)."""

    status: Result
    output: str | None
    """What failed or warns, by name and exception type; None when everything passes."""
    checks: tuple[Check, ...] = ()
    #: When it was made, on the lifespan loop's clock (for the age of each ping).
    at: float = 0.0
    #: How long the lifespan's loop took to run a callback (``liveness``).
    loop_seconds: float | None = None

    @property
    def http_status(self) -> int:
        return 503 if self.status == "fail" else 200


NOT_RUNNING = "the lifespan is not running"


def phase_failure(runtime: Runtime | None) -> str | None:
    """Why no lifespan serves requests here now, or None while one runs."""
    if runtime is None:
        return NOT_RUNNING
    if runtime.phase == "running":
        return None
    if runtime.phase == "draining":
        return "the lifespan is shutting down (draining)"
    return f"the lifespan is {runtime.phase}"


async def readiness() -> Report:
    """Readiness of the lifespan that serves the calling code, on its loop.

    Fails while no lifespan runs here (also on another event loop than its own), while it
    starts or shuts down, while a unit is not open, and while a critical resource's last ping
    (at most ``PING_MAX_AGE`` seconds old) failed; warns for a failed non-critical ping.
    """
    # On an event loop, the lifespan of that very loop, or none (asyncio.run()'s own loop).
    runtime = runtime_or_none()
    loop = asyncio.get_running_loop()
    failure = phase_failure(runtime)
    if runtime is None or failure is not None:
        return Report("fail", failure, _checks(runtime, {}, {}), loop.time())
    book = book_of(runtime)
    max_age = conf.PING_MAX_AGE
    now = loop.time()
    flights = [
        book.fly(pinged)
        for pinged in book.pinged
        if pinged.unit.status == "ready"
        and ((last := book.results.get(pinged.unit)) is None or now - last.ended_at > max_age)
    ]
    if flights:
        # Not the flights themselves: a probe that goes away leaves them to the others.
        await asyncio.wait(flights)
    critical: dict[Unit, bool] = {p.unit: p.registration.critical for p in book.pinged}
    checks = _checks(runtime, book.results, critical)
    failed = [c for c in checks if c.status == "fail"]
    warned = [c for c in checks if c.status == "warn"]
    if failed:
        status: Result = "fail"
        output: str | None = "not ready: " + ", ".join(f"{c.name} ({c.reason})" for c in failed)
    elif warned:
        status = "warn"
        output = "degraded: " + ", ".join(f"{c.name} ({c.reason}; not critical)" for c in warned)
    else:
        status, output = "pass", None
    return Report(status, output, checks, loop.time())


def _checks(
    runtime: Runtime | None, results: Mapping[Unit, PingResult], critical: Mapping[Unit, bool]
) -> tuple[Check, ...]:
    if runtime is None:
        return ()
    checks = []
    for unit in runtime.units:
        ping = results.get(unit)
        reason = None
        status: Result = "pass"
        if unit.status != "ready":
            status = "fail"
            error = f": {type(unit.error).__name__}" if unit.error is not None else ""
            reason = f"{unit.status}{error}"
        elif ping is not None and ping.error is not None:
            status, reason = ping.result, f"ping failed: {ping.error}"
        checks.append(
            Check(
                unit.name,
                unit.kind,
                unit.status,
                status,
                critical.get(unit, True),
                ping,
                unit.startup_seconds,
                reason,
            )
        )
    return tuple(checks)


def startup(runtime: Runtime | None) -> Report:
    """Whether startup has completed (and the lifespan has not stopped since)."""
    if runtime is None:
        return Report("fail", NOT_RUNNING)
    if runtime.phase in ("created", "starting"):
        return Report("fail", "the lifespan is still starting", _checks(runtime, {}, {}))
    return Report("pass", None, _checks(runtime, {}, {}))


#: How long the lifespan's event loop may take to run a callback before ``livez`` fails: a loop
#: blocked that long (sync code in an async view, a blocking ping) serves nothing meanwhile.
LOOP_ANSWER_LIMIT = 1.0


def liveness(runtime: Runtime | None) -> Report:
    """Whether this process and its lifespan's event loop answer; never looks at a resource.

    Called from a thread that does not run the loop (a sync view): it waits, at most
    ``LOOP_ANSWER_LIMIT`` seconds, for the loop to run a callback. With no lifespan running
    here it passes: restarting the process would not start one (readiness says why).
    """
    loop = None if runtime is None else runtime.loop
    if loop is None or _internals.running_loop() is loop:
        return Report("pass", None)
    answered = threading.Event()
    began = time.perf_counter()
    loop.call_soon_threadsafe(answered.set)
    if not answered.wait(LOOP_ANSWER_LIMIT):
        return Report(
            "fail",
            f"the lifespan's event loop did not answer within {LOOP_ANSWER_LIMIT:g} s: "
            f"something blocks it",
        )
    return Report("pass", None, loop_seconds=time.perf_counter() - began)


def pinged_names() -> list[str]:
    """What the lifespan names each pinged resource (``Container.db``), for those of the
    configured containers in registration order, then each database it owns
    (``Databases.default``)."""
    classes: list[type[containers.DeclarativeContainer]] = []
    for path in conf.CONTAINERS:
        try:
            # An instance's providers are its own copies; pings are registered on the class's.
            classes.append(container_class(import_container(path)))
        except ConfigurationError:
            # Called as urls.py is imported, which `manage.py check` does before it reports
            # the entry (E004, E005): crashing here would hide that report behind a traceback.
            continue
    if conf.DATABASES:
        from django_lifespan_di.databases import databases_container  # as _database_pings

        classes.append(databases_container(conf.DATABASES))
    return [
        f"{cls.__name__}.{key}"
        for registration in registered_pings()
        for cls in classes
        for key, provider in cls.providers.items()
        if provider is registration.provider
    ]
