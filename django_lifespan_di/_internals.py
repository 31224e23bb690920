"""Every use of a dependency's private or undocumented parts, in one place.

Each function says why it is needed and which releases it was checked against. An upgrade of
dependency-injector, asgiref, CPython, Twisted, Django, psycopg_pool, Channels, DRF,
django-ninja or Celery that changes one of them touches this file only, and the tests of
``tests/test_internals.py`` say which. This module imports nothing of the package.
"""

from __future__ import annotations

import asyncio
import concurrent.futures.thread  # noqa: F401  (see at_interpreter_exit)
import copy
import inspect
import os
import subprocess
import sys
import threading
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import Any, NamedTuple

from asgiref.sync import SyncToAsync
from dependency_injector import containers, providers, wiring
from dependency_injector.wiring import Closing, Modifier, Provide, Provider, ProvidersMap
from django.core.management import ManagementUtility
from django.core.management.base import BaseCommand
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import autoreload

# -- dependency-injector (checked against 4.48.2 and 4.49.1) ------------------------------------

#: ``Provide[...]`` and ``Provider[...]``. Under TYPE_CHECKING dependency-injector declares the
#: markers as instances (issue #453), so they are cast to the classes they really are.
PROVIDE: type[Any] = typing.cast(type[Any], Provide)
PROVIDER: type[Any] = typing.cast(type[Any], Provider)
CLOSING: type[Any] = typing.cast(type[Any], Closing)
MARKERS: tuple[type[Any], ...] = (PROVIDE, PROVIDER)


def marker_target(marker: Any) -> providers.Provider[Any] | str:
    """What a marker names: a provider, or a string id such as ``"http_client"``."""
    return typing.cast("providers.Provider[Any] | str", marker.provider)


def marker_modifier(marker: Any) -> Modifier | None:
    return typing.cast("Modifier | None", marker.modifier)


def instantiate(
    entries: Iterable[type[containers.DeclarativeContainer] | containers.Container],
) -> dict[type[containers.DeclarativeContainer], containers.Container]:
    """The live instance of each configured container, keyed by its class.

    An instance given (a project's module-level ``container = Container()``) is the live one
    itself. A class gets a new instance, all copied with one deep-copy memo: ``cls()`` copies a
    container's providers with a memo of its own, so a provider of container ``A`` that
    container ``B`` references (``Factory(Repo, client=A.client)``) would become two objects,
    two connection pools; and a reference to a given instance's class provider becomes the
    instance's provider. This is ``DeclarativeContainer.__new__`` (containers.pyx,
    4.48.2-4.49.1) with a shared memo and without auto-wiring (wiring is process-global; this
    package injects without it).
    """
    entries = list(entries)
    memo: dict[int, Any] = {}
    for entry in entries:
        if not isinstance(entry, type):
            parent = typing.cast(Any, entry.declarative_parent)
            memo[id(parent.__self__)] = entry.__self__
            own = entry.providers
            memo.update({id(p): own[name] for name, p in parent.providers.items() if name in own})
    instances: dict[type[containers.DeclarativeContainer], containers.Container] = {}
    for entry in entries:
        if not isinstance(entry, type):
            instances[typing.cast(Any, entry.declarative_parent)] = entry
            continue
        cls = entry
        container = cls.instance_type()  # type: ignore[attr-defined]
        container.provider_type = cls.provider_type
        container.wiring_config = copy.deepcopy(cls.wiring_config)
        container.declarative_parent = cls
        copied = providers.deepcopy({**cls.providers, "@@self@@": cls.__self__}, memo)
        copied_self = copied.pop("@@self@@")
        copied_self.set_container(container)
        container.__self__ = copied_self
        for name in copied_self.alt_names:
            container.set_provider(name, copied_self)
        for name, provider in copied.items():
            container.set_provider(name, provider)
        if cls.auto_load_config:
            container.load_config()
        container.apply_container_providers_overridings()
        instances[cls] = container
    return instances


def live_provider(
    instance: containers.Container, target: providers.Provider[Any] | str, modifier: Any = None
) -> providers.Provider[Any] | None:
    """The provider of ``instance`` that ``target`` (of its class, or a string id) names.

    ``ProvidersMap`` is what dependency-injector's wiring uses for the same job; it is not in
    the package's ``__all__`` and not typed, but it knows every marker form (config options,
    ``.provided`` chains, modifiers).
    """
    found: providers.Provider[Any] | None = ProvidersMap(instance).resolve_provider(
        target, modifier
    )
    return found


def provider_children(provider: providers.Provider[Any]) -> Iterator[tuple[str, Any]]:
    """``(label, child)`` for what ``provider`` builds its value from, overrides excluded.

    Labels are the Python expressions that reach the child from the provider
    (``.kwargs["client"]``), so names of providers without an attribute of their own come from
    code, never from a value's ``repr()``. What the typed properties do not cover comes from
    ``related`` (dependency-injector's traversal), labelled by type.
    """
    overriding = set(map(id, provider.overridden))
    covered: set[int] = set()
    slots: list[tuple[str, Any]] = []
    if isinstance(provider, providers.Selector):
        slots += [(f".providers[{key!r}]", p) for key, p in provider.providers.items()]
        slots.append((".selector", provider.selector))
    # Only properties the provider's class defines: Configuration and containers answer any
    # attribute with a new child provider.
    kind, declared = type(provider), typing.cast(Any, provider)
    if hasattr(kind, "args"):
        slots += [(f".args[{index}]", value) for index, value in enumerate(declared.args)]
    for name in ("kwargs", "attributes"):
        if hasattr(kind, name):
            values = getattr(declared, name)
            slots += [(f".{name}[{key!r}]", value) for key, value in values.items()]
    if hasattr(kind, "provides") and isinstance(declared.provides, providers.Provider):
        slots.append((".provides", declared.provides))
    for label, child in slots:
        covered.add(id(child))
        yield label, child
    for child in provider.related:
        if id(child) not in covered and id(child) not in overriding:
            yield f"<{type(child).__name__}>", child


def dependency_injector_record(function: Callable[..., Any]) -> Any:
    """dependency-injector's record of ``function`` (or what it wraps) if its own ``@inject``
    decorated it, else None; its ``injections`` stay empty until the module is wired.

    dependency-injector keeps no public way to ask; its private registry (``_patched_registry``,
    4.48.2-4.49.1) is read defensively, and without it such a function counts as undecorated.
    """
    registry = getattr(wiring, "_patched_registry", None)
    current: object = function
    while current is not None and registry is not None:
        try:
            patched = registry.get_callable(current)
        except TypeError:  # an unhashable callable
            patched = None
        if patched is not None:
            return patched
        current = getattr(current, "__wrapped__", None)
    return None


def unwrapped(function: Callable[..., Any]) -> Callable[..., Any]:
    """What ``functools.wraps`` decorators wrap, down to the function itself."""
    try:
        return typing.cast(Callable[..., Any], inspect.unwrap(function))
    except ValueError:  # a __wrapped__ cycle
        return function


def container_name(instance: containers.Container) -> str:
    """The class name of a live container instance (dependency-injector's ``parent_name``)."""
    return instance.parent_name or type(instance).__name__


# -- asyncio (checked against CPython 3.11-3.13) ------------------------------------------------


#: The running event loop of this thread, or None, without raising: the form asyncio itself
#: uses (``get_running_loop()`` raises when there is none, which costs an exception on every
#: call from sync code). Bound directly, no wrapper: it is ``@inject``'s per-call check, on
#: asyncio's loops and uvloop's alike (uvloop's ``Loop`` has no ``_thread_id`` to compare).
running_loop: Callable[[], asyncio.AbstractEventLoop | None] = asyncio._get_running_loop


def loop_itself(loop: asyncio.AbstractEventLoop) -> object:
    """``loop``'s mark for ``running_loop()``: the loop itself."""
    return loop


def asyncgen_hooks_of(loop: asyncio.AbstractEventLoop) -> object:
    """``loop``'s mark for ``sys.get_asyncgen_hooks()``, read in a thread that runs ``loop``
    (None elsewhere): the hooks it installed there.

    A loop installs its async generator hooks (PEP 525) in its thread for as long as it runs
    there and puts the previous ones back when it stops: asyncio's and uvloop's ``run_forever``
    do. So "these hooks are installed in this thread" means "this loop runs in this thread",
    asked without a system call.
    """
    hooks = sys.get_asyncgen_hooks()
    return hooks if getattr(hooks.firstiter, "__self__", None) is loop else None


#: ``@inject``'s per-call check of an async function: ``thread_loop_mark() == mark`` tells that
#: the loop whose mark (``loop_mark(loop)``, taken in its thread) is ``mark`` runs in the calling
#: thread. The plain question, ``running_loop() is loop``, is the cheapest from Python 3.12; on
#: 3.11 ``asyncio._get_running_loop()`` makes a ``getpid()`` system call each time (its guard
#: against forked children, moved into the thread state in 3.12), about 190 ns here against
#: 85 ns for the hooks (bench/micro.py). A forked child never takes the per-call path either
#: way: the runtime's fork hook unpublishes everything.
RUNNING_LOOP_IS_CHEAP = sys.version_info >= (3, 12)
thread_loop_mark: Callable[[], object] = (
    asyncio._get_running_loop if RUNNING_LOOP_IS_CHEAP else sys.get_asyncgen_hooks
)
loop_mark: Callable[[asyncio.AbstractEventLoop], object] = (
    loop_itself if RUNNING_LOOP_IS_CHEAP else asyncgen_hooks_of
)


def frames_in_flight(
    loop: asyncio.AbstractEventLoop, skip: Collection[asyncio.Task[Any]]
) -> Iterator[FrameType]:
    """Every frame running now: in each task of ``loop`` but those in ``skip`` (from its
    outermost coroutine down), and in each thread of the process.

    How shutdown finds the calls still holding the lifespan's objects without any bookkeeping
    on the calls themselves: ``Task.get_coro()``, a coroutine's ``cr_await`` chain and
    ``sys._current_frames()`` (CPython's, documented for debuggers) show them all. Call it on
    ``loop``.
    """
    for task in asyncio.all_tasks(loop):
        if task in skip:
            continue
        awaited: Any = task.get_coro()
        while awaited is not None:
            frame = getattr(awaited, "cr_frame", None)
            if frame is not None:
                yield frame
            awaited = getattr(awaited, "cr_await", None)
    for frame in sys._current_frames().values():
        thread_frame: FrameType | None = frame
        while thread_frame is not None:
            yield thread_frame
            thread_frame = thread_frame.f_back


def at_interpreter_exit(callback: Callable[[], None]) -> None:
    """Run ``callback`` at interpreter exit, before thread pools refuse new work.

    ``atexit`` callbacks run after ``concurrent.futures`` has shut its executors down (a
    shutdown that needs ``run_in_executor`` or ``sync_to_async`` would fail then), and after
    Python has waited for every non-daemon thread. ``threading._register_atexit`` callbacks run
    first, in reverse order of registration; ``concurrent.futures.thread`` (imported above)
    registers its own at import, so this one runs before it. CPython 3.9+.
    """
    threading._register_atexit(callback)  # type: ignore[attr-defined]


# -- Twisted (checked against 26.10.0) -----------------------------------------------------------


def asyncio_reactor_loop(reactor: Any) -> asyncio.AbstractEventLoop:
    """The event loop that Twisted's ``AsyncioSelectorReactor`` runs (daphne's).

    The reactor keeps it in ``_asyncioEventloop`` and offers no public way to read it; daphne
    itself reads it the same way (``asyncio.set_event_loop(reactor._asyncioEventloop)``).
    """
    return typing.cast(asyncio.AbstractEventLoop, reactor._asyncioEventloop)


# -- asgiref (checked against 3.8.1 and 3.13.0) -------------------------------------------------


def async_to_sync_loop(pid: int) -> asyncio.AbstractEventLoop | None:
    """The event loop ``async_to_sync`` would run coroutines on in this sync thread, if any.

    ``SyncToAsync`` records it in the threads it runs (a sync view's worker thread under an
    ASGI server), with the process id so that a forked child never uses the parent's loop:
    ``pid`` is this process's (the caller's cached one: ``os.getpid()`` is a system call).
    """
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != pid:
        return None
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    # A loop that has closed since (a thread that served an earlier lifespan) serves nothing.
    return None if loop is None or loop.is_closed() else loop


def routed_to(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``async_to_sync`` in this thread runs coroutines on ``loop``, a loop of this
    process that is running (the caller knows: no pid, no closed check; a forked child's
    thread-local names its parent's loop, which the child's caller never holds)."""
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None) is loop


def route_async_to_sync(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``async_to_sync`` in this thread run coroutines on ``loop`` from now on.

    ``AsyncToSync`` schedules the coroutine on the loop that ``SyncToAsync.threadlocal`` names
    and, while it waits, runs thread-sensitive ``sync_to_async`` work (Django's async ORM) in
    this very thread. So a sync thread of a WSGI server or a worker can call async code that
    uses the lifespan's objects, on their loop, without deadlocking. There is no public API
    for it; this is what ``SyncToAsync.thread_handler`` sets in its own threads.
    """
    local = SyncToAsync.threadlocal
    # Once per thread and loop, not per request: a forked child runs a loop of its own.
    if getattr(local, "main_event_loop", None) is not loop:
        local.main_event_loop, local.main_event_loop_pid = loop, os.getpid()


@contextmanager
def routing_async_to_sync(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """``route_async_to_sync(loop)`` for the block only."""
    local = SyncToAsync.threadlocal
    saved = (getattr(local, "main_event_loop", None), getattr(local, "main_event_loop_pid", None))
    route_async_to_sync(loop)
    try:
        yield
    finally:
        local.main_event_loop, local.main_event_loop_pid = saved


# -- Django's command line and autoreloader (checked against 5.2.19, 6.0.10 and 6.1.3) -----------


def fetch_command(argv: list[str]) -> BaseCommand:
    """The command ``argv[1]`` names, as ``manage.py`` would run it with ``argv``.

    ``ManagementUtility`` is what ``manage.py`` runs; its ``fetch_command`` is not documented,
    but it is the one place that picks the command of the app that provides it (the first in
    ``INSTALLED_APPS``) and, for an unknown name, exits with Django's own message and suggestion
    ("Unknown command: 'migrat'. Did you mean migrate?").
    """
    return ManagementUtility(argv).fetch_command(argv[1])


def in_reloader_child() -> bool:
    """Whether this process is a serving child that Django's autoreloader started.

    The reloader marks its children with the environment variable named by
    ``autoreload.DJANGO_AUTORELOAD_ENV`` (``RUN_MAIN``) set to ``"true"``: a module constant,
    not documented, that ``autoreload.run_with_reloader`` reads the same way.
    """
    return os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true"


def restart_with_reloader(wait: Callable[[subprocess.Popen[bytes]], int]) -> int:
    """Django's ``autoreload.restart_with_reloader``, with ``wait(child)`` in place of
    ``subprocess.run``: start a serving child, again each time it exits with code 3 (a file
    changed), and return the first other exit code.

    ``subprocess.run`` kills the child a quarter of a second after a Ctrl-C, so the caller's
    ``wait`` decides instead. The child is the one Django's reloader starts: the command line of
    ``autoreload.get_child_arguments()`` (undocumented) and the marker of
    ``in_reloader_child()``. Django 6.0 also sets ``PYTHONUNBUFFERED`` in the child of a
    ``python -u`` parent; this loop does not.
    """
    environ = {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
    while True:
        child = subprocess.Popen(autoreload.get_child_arguments(), env=environ, close_fds=False)
        code = wait(child)
        if code != 3:
            return code


# -- Django's database wrappers and their pools (checked against 5.2.19, 6.0.10 and 6.1.3, with
# psycopg 3.3.9 and psycopg_pool 3.3.3) ----------------------------------------------------------


def django_pool(wrapper: BaseDatabaseWrapper) -> Any:
    """The ``psycopg_pool.ConnectionPool`` of ``wrapper``'s alias, or None where it has none.

    ``DatabaseWrapper.pool`` (PostgreSQL's backend only, Django 5.1+) is not documented: it
    creates the pool, unopened, on first access, kept per alias in the class attribute
    ``_connection_pools``.
    """
    return getattr(wrapper, "pool", None) if hasattr(type(wrapper), "pool") else None


def close_django_pool(wrapper: BaseDatabaseWrapper) -> None:
    """Close the pool Django has for ``wrapper``'s alias now, if any, and forget it.

    ``DatabaseWrapper.close_pool()`` would create a pool first where there is none. The pool
    may not be the one the lifespan opened: Celery's Django fixup (5.5+) closes the pools
    around every task of a prefork child, and Django then opens a new one at the next query.
    """
    pools: dict[str, Any] = type(wrapper)._connection_pools  # type: ignore[attr-defined]
    pool = pools.pop(wrapper.alias, None)
    if pool is not None:
        pool.close()


def connect_directly(wrapper: BaseDatabaseWrapper, timeout: float | None = None) -> Any:
    """A new DB-API connection to ``wrapper``'s database, outside any pool and thread-local.

    ``get_connection_params()`` is what every backend's ``get_new_connection()`` connects with
    (not documented); PostgreSQL's ``get_new_connection()`` would take a pooled connection.
    """
    params = wrapper.get_connection_params()
    if timeout is not None and wrapper.vendor == "postgresql":
        params["connect_timeout"] = max(1, round(timeout))  # libpq: whole seconds
    return typing.cast(Any, wrapper).Database.connect(**params)


def close_for_other_thread(wrapper: BaseDatabaseWrapper) -> None:
    """``wrapper.close()`` from a thread that is not ``wrapper``'s, which Django refuses unless
    the wrapper is shared: ``inc_thread_sharing()`` / ``dec_thread_sharing()`` (not documented)
    are what ``LiveServerThread`` shares its in-memory database with."""
    wrapper.inc_thread_sharing()
    try:
        wrapper.close()
    finally:
        wrapper.dec_thread_sharing()


def disown_django_pools(wrappers: Iterable[BaseDatabaseWrapper]) -> None:
    """In a forked child: drop every PostgreSQL pool and pooled connection inherited from the
    parent, without a byte on their sockets, which the parent still uses.

    psycopg does not end a connection that a child garbage-collects (``PGconn.__del__`` checks
    the pid); a pool's ``__del__`` does nothing once ``_closed`` is set (psycopg_pool's ``close()``
    would close its connections). Django keeps the pools in the class attribute
    ``_connection_pools`` of PostgreSQL's ``DatabaseWrapper``.
    """
    backend = sys.modules.get("django.db.backends.postgresql.base")
    if backend is None:
        return  # nothing of PostgreSQL was ever used in this process
    pools: dict[str, Any] = backend.DatabaseWrapper._connection_pools
    for pool in pools.values():
        pool._closed = True
    pools.clear()
    for wrapper in wrappers:
        if wrapper.vendor == "postgresql" and wrapper.connection is not None:
            wrapper.connection = None


# -- Celery (checked against 5.7.0) ---------------------------------------------------------------


def has_task_class(app: Any) -> bool:
    """Whether the Celery ``app`` has built its base task class (``app.Task``) already.

    ``Celery.Task`` is a cached property: creating the first task (``@app.task`` creates it
    lazily, when the task is first used or the app finalized) builds the class from
    ``app.task_cls`` and keeps it in the instance's ``__dict__``, so a ``task_cls`` set later
    reaches no task. Celery offers no public way to ask whether it was built.
    """
    return "Task" in vars(app)


def celery_pool_is_prefork(worker: Any) -> bool:
    """Whether the Celery ``worker`` (a ``WorkController``, the ``worker_init`` signal's sender)
    runs the prefork pool, decided as Celery's Django fixup decides it
    (``DjangoWorkerFixup._is_prefork``): there the fixup closes every database pool before and
    after each task. ``WorkController.pool_cls`` is a class or a dotted name; no public API
    says which pool a worker runs.
    """
    pool = worker.pool_cls
    return "prefork" in (pool if isinstance(pool, str) else pool.__module__)


# -- Django REST framework (checked against 3.18.3) -----------------------------------------------


def api_view_functions(view_class: type[Any]) -> list[object]:
    """The function that DRF's ``@api_view`` made ``view_class`` of, if it did.

    ``@api_view`` builds a ``WrappedAPIView`` class whose handler methods (``get``, ``post``,
    ...) only call the function they close over (``handler`` in ``rest_framework/decorators.py``);
    DRF keeps no other reference to it. Only handlers defined in ``rest_framework`` are looked
    into, so the methods of a class-based view of one's own are not taken apart.
    """
    return [
        value
        for method in getattr(view_class, "http_method_names", ())
        if _defined_in(handler := getattr(view_class, method, None), "rest_framework.")
        for value in closure_values(handler)
        if inspect.isfunction(value)
    ]


# -- django-ninja (checked against 1.7.1) ---------------------------------------------------------


def ninja_view_functions(callback: object) -> list[object]:
    """The functions of django-ninja's operations behind a routed ``callback`` (None where an
    operation has none).

    django-ninja routes one callback per path, made by its ``PathView``, which keeps the path's
    operations in ``operations``, each with the decorated function as ``view_func``. The
    callback closes over the ``PathView`` (``PathView.get_view()``), or is its bound method
    (older releases: ``__self__``). None of it is documented.
    """
    if not _defined_in(callback, "ninja."):
        return []
    holders = [getattr(callback, "__self__", None), *closure_values(callback)]
    path_view = next((holder for holder in holders if hasattr(holder, "operations")), None)
    operations = getattr(path_view, "operations", None) or ()
    return [getattr(operation, "view_func", None) for operation in operations]


def _defined_in(function: object, package: str) -> bool:
    return str(getattr(function, "__module__", "")).startswith(package)


def closure_values(function: object) -> list[object]:
    """The values that ``function`` closes over (``__closure__``), the cells not yet filled left
    out."""
    values = []
    for cell in getattr(function, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # a cell not yet filled
            continue
    return values


# -- the application inside what a server serves (Django 5.2-6.1, Channels 4.3.2) -----------------

#: The attributes in which wrappers keep the application they wrap: Django's static files
#: handlers and Channels' ``OriginValidator`` (``application``), ASGI middleware in Starlette's
#: and uvicorn's style (``app``), Channels' middleware (``inner``), ``functools.wraps``
#: (``__wrapped__``). ``asgi_app`` and ``_app`` are no library's documented attribute but names
#: that wrappers commonly use. Each is read with a default, so a wrapper without it costs nothing.
WRAPPER_ATTRIBUTES = ("application", "app", "asgi_app", "inner", "_app", "__wrapped__")


class Routed(NamedTuple):
    """A router on the way to the application found, and the key of its mapping that leads on."""

    router: object
    mapping: Mapping[Any, object]
    key: str


class Search(NamedTuple):
    """What ``find_application`` found (or None), and the routers on the way to it."""

    application: object
    routes: tuple[Routed, ...]


def find_application(application: object, wanted: type[Any], handler: type[Any]) -> Search:
    """The ``wanted`` application inside ``application``, else a ``handler``, else None.

    The caller names both (this package's ``LifespanApplication`` and Django's ``ASGIHandler``,
    or their WSGI pair). Looks breadth first through the attributes wrappers keep the
    application in (``WRAPPER_ATTRIBUTES``), through routers' mappings (Channels'
    ``ProtocolTypeRouter`` keeps its applications in ``application_mapping``, an attribute it
    does not document), and through what a router *function* hands scopes to.
    """
    seen: set[int] = set()
    queue: list[tuple[object, tuple[Routed, ...]]] = [(application, ())]
    fallback = Search(None, ())
    while queue:
        app, routes = queue.pop(0)
        if id(app) in seen:
            continue
        seen.add(id(app))
        if isinstance(app, wanted):
            return Search(app, routes)
        if isinstance(app, handler) and fallback.application is None:
            # Looked into all the same: Django's static files handlers are handlers that wrap
            # the application (``.application``).
            fallback = Search(app, routes)
        queue.extend(
            (inner, routes)
            for inner in (getattr(app, name, None) for name in WRAPPER_ATTRIBUTES)
            if inner is not None
        )
        mapping = getattr(app, "application_mapping", None)
        if isinstance(mapping, Mapping):
            queue.extend(
                (inner, (*routes, Routed(app, mapping, str(key)))) for key, inner in mapping.items()
            )
        queue.extend((inner, routes) for inner in _used_by_function(app))
    return fallback


def _used_by_function(app: object) -> list[object]:
    """What a plain ASGI router *function* hands scopes to: the objects it closes over, and the
    module-level names its code refers to (``__globals__`` and ``__code__.co_names``; the shape
    of django-asgi-lifespan's documented ``asgi.py``,
    ``async def application(scope, receive, send): ... await django_application(...)``)."""
    if not inspect.isfunction(app):
        return []
    names = [app.__globals__[name] for name in app.__code__.co_names if name in app.__globals__]
    return [value for value in (*closure_values(app), *names) if callable(value)]
