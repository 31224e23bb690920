"""``@inject``: give views, tasks and functions the live objects that the lifespan started.

Parameters are declared with dependency-injector's markers, as a default value or inside
``Annotated``:

    @inject
    async def weather(request, city: str,
                      client: httpx.AsyncClient = Provide[Container.http_client]): ...

Unlike dependency-injector's own ``@inject`` this needs no ``container.wire()``: the markers are
read once, at decoration (an ``InjectionSpec``, ``specs.py``), and the first call in each run of
the lifespan works out how to serve each one (an ``InjectionPlan``, kept here per run): a shared
resource's object, a provider to call per call (a factory, configuration), or a per-request
scope. A call with only shared objects is then *published*: its objects go onto the spec
(``spec.published``), and every later call on that loop is one dict merge: no signature
inspection, no lookup, no Future, no Task. What is kept per run is forgotten when the runtime
says so (``runtime.RUN_CACHES``): shutdown begins, a provider is overridden, a fork.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import threading
import typing
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Generator, Iterator
from types import FunctionType
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import async_to_sync, sync_to_async
from dependency_injector import containers, providers

from django_lifespan_di import _internals, recording
from django_lifespan_di.exceptions import EventLoopError, InjectionError, LifespanNotRunning
from django_lifespan_di.graph import Guard, RequestResource, effective
from django_lifespan_di.naming import dotted_name, provider_name
from django_lifespan_di.registry import current_runtime, warn_not_running_once
from django_lifespan_di.runtime import (
    RUN_CACHES,
    ResourceUnit,
    Runtime,
    register_call_frame,
    runs_by_loop,
)
from django_lifespan_di.scopes import (
    RequestScope,
    current_scope,
    is_async_request_resource,
    run_without_loop,
)
from django_lifespan_di.specs import (
    InjectionSpec,
    Marker,
    hide_injected,
    injected_parameters,
    injection_specs,
)

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
T = TypeVar("T")


def inject(function: F) -> F:
    """Inject the live objects named by ``Provide[...]`` / ``Provider[...]`` markers.

    Works on async and sync functions: views, methods of class-based views (Django, DRF,
    django-ninja), Celery and Django tasks, any function; and on generators and async
    generators (a streaming response's body), whose per-request objects live until they end
    or are closed. The injected parameters are removed
    from the visible signature, so frameworks that introspect it do not treat them as request
    parameters, and positional arguments (a URL's unnamed groups) never fill them. Keyword
    arguments passed explicitly win over injection, which keeps functions easy to call in unit
    tests (with every injected one passed, no lifespan is needed).

    Raises [``InjectionError``][django_lifespan_di.InjectionError] at decoration time for a
    marker it cannot use, and when the function is called for a provider that is not in a
    configured container or cannot be served;
    [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when no lifespan serves it.
    """
    parameters = injected_parameters(function)
    if not parameters:
        return function
    spec = InjectionSpec(function, parameters)
    injection_specs.add(spec)
    first_position, names = spec.first_position, spec.names
    running_loop, thread_loop_mark = _internals.running_loop, _internals.thread_loop_mark

    if inspect.isasyncgenfunction(function):

        @functools.wraps(function)
        async def async_generator_call(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            async with contextlib.aclosing(_iterate_async(spec, function, args, kwargs)) as items:
                async for item in items:
                    yield item

        wrapper: Callable[..., Any] = async_generator_call
    elif inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def generator_call(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with contextlib.closing(_iterate_sync(spec, function, args, kwargs)) as items:
                yield from items

        wrapper = generator_call
    elif inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def async_call(*args: Any, **kwargs: Any) -> Any:
            # The per-call path: the objects a running lifespan published for this function,
            # if its loop is the one running in this thread (a thread runs one loop at a time).
            # The frame's `runtime` is what shutdown looks for (register_call_frame), so nothing
            # here keeps count of calls.
            published = spec.published
            if published is not None and thread_loop_mark() == published[0]:
                runtime = published[2]  # noqa: F841  (IN_FLIGHT_LOCAL: Runtime.in_flight reads it)
                if len(args) <= first_position:
                    if not kwargs:
                        return await function(*args, **published[1])
                    if names.isdisjoint(kwargs):
                        return await function(*args, **{**published[1], **kwargs})
            return await _call_async(spec, function, args, kwargs)

        wrapper = async_call
        # One code object for every decorated async function: registering it again is a no-op.
        register_call_frame(typing.cast(FunctionType, async_call).__code__, _name_of_call)
    else:

        @functools.wraps(function)
        def sync_call(*args: Any, **kwargs: Any) -> Any:
            # The per-call path of sync code: with one run in the process, a thread that runs
            # no event loop gets its objects (a WSGI worker's request thread, a task's thread).
            published = spec.published
            if published is not None and running_loop() is published[0]:
                runtime = published[2]  # noqa: F841  (IN_FLIGHT_LOCAL: Runtime.in_flight reads it)
                if len(args) <= first_position:
                    if not kwargs:
                        return function(*args, **published[1])
                    if names.isdisjoint(kwargs):
                        return function(*args, **{**published[1], **kwargs})
            return _call_sync(spec, function, args, kwargs)

        wrapper = sync_call
        register_call_frame(typing.cast(FunctionType, sync_call).__code__, _name_of_call)

    hide_injected(wrapper, function, spec)
    wrapper.__lifespan_di_spec__ = spec  # type: ignore[attr-defined]
    return typing.cast(F, wrapper)


def _name_of_call(frame_locals: typing.Mapping[str, Any]) -> str:
    return typing.cast(InjectionSpec, frame_locals["spec"]).name


# -- plans: how each parameter is served in a run ---------------------------------------------


class InjectionPlan:
    """How one ``InjectionSpec`` is served in one run of the lifespan."""

    __slots__ = ("calls", "constants", "needs_loop", "needs_scope", "simple")

    def __init__(
        self,
        constants: dict[str, Any],
        calls: tuple[tuple[str, providers.Provider[Any]], ...],
        *,
        needs_scope: bool,
        needs_loop: bool,
    ) -> None:
        #: Ready objects (shared resources, objects, providers for ``Provider[...]``).
        self.constants = constants
        #: Providers called on each call (factories, configuration, per-request resources).
        self.calls = calls
        #: Whether a call opens per-request resources, so it needs a ``RequestScope``.
        self.needs_scope = needs_scope
        #: Whether serving it awaits (async per-request resources, coroutine providers): a sync
        #: function is then served on the lifespan's event loop.
        self.needs_loop = needs_loop
        #: Only ready objects: the call is one dict merge.
        self.simple = not calls and not needs_scope


def make_plan(spec: InjectionSpec, runtime: Runtime) -> InjectionPlan:
    constants: dict[str, Any] = {}
    calls: list[tuple[str, providers.Provider[Any]]] = []
    needs_scope = needs_loop = False
    for parameter in spec.parameters:
        where = f"{spec.name}: parameter {parameter.name!r}"
        served = plan_marker(parameter.marker, runtime, where)
        if served.provider is None:
            constants[parameter.name] = served.value
        else:
            calls.append((parameter.name, served.provider))
        needs_scope |= served.needs_scope
        needs_loop |= served.needs_loop
    return InjectionPlan(constants, tuple(calls), needs_scope=needs_scope, needs_loop=needs_loop)


class Served(typing.NamedTuple):
    """How one marker is served in a run: a ready ``value``, or a ``provider`` to call."""

    value: Any = None
    provider: providers.Provider[Any] | None = None
    needs_scope: bool = False
    needs_loop: bool = False


def plan_marker(marker: Marker, runtime: Runtime, where: str) -> Served:
    """How ``marker`` is served in ``runtime``; ``InjectionError`` when it cannot be."""
    provider = resolve_marker(marker, runtime.containers.values(), where)
    declared = _internals.marker_target(marker)
    if (
        isinstance(declared, providers.Provider)
        and declared is not provider
        and declared.last_overriding is not runtime.overrides_at_start.get(id(declared))
    ):
        # Read once: an override may end while the call is planned (a test's thread).
        replacement = effective(declared)
        if replacement is not declared and replacement is not effective(provider):
            provider = _class_override(declared, replacement, where)
    reaches = _Reach(provider)
    if isinstance(marker, _internals.PROVIDER):
        # The live provider itself: calls go through the runtime's guards.
        return Served(provider, needs_scope=reaches.request_resource)
    answering = effective(provider)
    if isinstance(answering, Guard):
        if isinstance(answering.target, ResourceUnit):
            return Served(runtime.hand_out(answering.target))
        if not isinstance(answering.target, RequestResource):
            answering()  # refuses, saying why
    elif isinstance(answering, (providers.Object, providers.Self)):
        return Served(answering())
    return Served(
        provider=provider, needs_scope=reaches.request_resource, needs_loop=reaches.awaitable
    )


def _class_override(
    declared: providers.Provider[Any], replacement: providers.Provider[Any], where: str
) -> providers.Provider[Any]:
    """``replacement``, put on a container class's provider with dependency-injector's own
    ``override()`` after the live container was created (which dependency-injector never
    carries over): it takes effect, as its author means it to, unless it is a resource the
    lifespan would not open or close."""
    if isinstance(replacement, providers.Resource) and not isinstance(replacement, Guard):
        raise InjectionError(
            f"{where}: {provider_name(declared)} is overridden (with dependency-injector's "
            f"override()) by a Resource, which the lifespan would not open or close. Use "
            f"django_lifespan_di.testing.override_providers(), which starts and stops a "
            f"replacement Resource in its place."
        )
    return replacement


class _Reach:
    """What calling a provider reaches: per-request resources, something to await."""

    def __init__(self, provider: providers.Provider[Any]) -> None:
        self.request_resource = self.awaitable = False
        for node in _walk(provider):
            if isinstance(node, Guard) and isinstance(node.target, RequestResource):
                self.request_resource = True
                self.awaitable |= is_async_request_resource(node.target)
            elif isinstance(node, providers.Coroutine) or (
                isinstance(node, (providers.Callable, providers.Factory))
                and not isinstance(node, Guard)
                and inspect.iscoroutinefunction(getattr(node, "provides", None))
            ):
                self.awaitable = True


def _walk(root: providers.Provider[Any]) -> Iterator[providers.Provider[Any]]:
    """Every provider a call to ``root`` may call (effective ones), each once; not past guards."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        provider = effective(stack.pop())
        if id(provider) in seen:
            continue
        seen.add(id(provider))
        yield provider
        if not isinstance(provider, Guard):
            stack.extend(
                child
                for _, child in _internals.provider_children(provider)
                if isinstance(child, providers.Provider)
            )


def resolve_marker(
    marker: Marker, live: typing.Iterable[containers.Container], where: str
) -> providers.Provider[Any]:
    """The provider of a live container that ``marker`` names; InjectionError if there is none."""
    instances = list(live)
    target, modifier = _internals.marker_target(marker), _internals.marker_modifier(marker)
    found = [
        provider
        for instance in instances
        if (provider := _internals.live_provider(instance, target, modifier)) is not None
    ]
    if len(found) == 1:
        return found[0]
    # Only when the class lookup found nothing: a provider of a live container is its own
    # answer (walking every live provider is not worth paying on each resolve()).
    if not found and modifier is None and _is_live(target, instances):
        return typing.cast(providers.Provider[Any], target)
    configured = ", ".join(_internals.container_name(instance) for instance in instances)
    configured = configured or "none"
    if found:
        raise InjectionError(
            f"{where}: {describe_marker(marker)} matches a provider in several configured "
            f"containers ({configured}). Use Provide[Container.provider] to say which.",
            check_id="django_lifespan_di.E104",
        )
    if isinstance(target, str):
        raise InjectionError(
            f"{where}: {describe_marker(marker)} names no provider of the configured containers "
            f"({configured}). Check the spelling, or add the container to "
            f'LIFESPAN_DI["CONTAINERS"].',
            check_id="django_lifespan_di.E101",
        )
    raise InjectionError(
        f"{where}: {describe_marker(marker)} belongs to a container that is not in "
        f'LIFESPAN_DI["CONTAINERS"] (configured: {configured}). Add its dotted path there.',
        check_id="django_lifespan_di.E102",
    )


def _is_live(target: object, instances: typing.Iterable[containers.Container]) -> bool:
    return any(
        target is provider
        for instance in instances
        for provider in typing.cast(typing.Iterable[Any], instance.traverse())
    )


def describe_marker(marker: Marker) -> str:
    """``Provide[myapp.containers.Container.http_client]`` or ``Provide['http_client']``."""
    return f"{type(marker).__name__}[{provider_name(_internals.marker_target(marker))}]"


# -- calls --------------------------------------------------------------------------------------


def _prepare(
    spec: InjectionSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Runtime | None, InjectionPlan | None, tuple[Any, ...], dict[str, Any]]:
    """The runtime and plan for a call (None: call the function as it is), and its arguments."""
    if len(args) > spec.first_position:
        args, kwargs = spec.as_keywords(args, kwargs)
    if not spec.names.isdisjoint(kwargs):
        _refuse_url_values(spec, args, kwargs)
    try:
        runtime = current_runtime()
    except LifespanNotRunning as exc:
        if spec.names <= kwargs.keys():
            return None, None, args, kwargs  # a unit test passed every one itself
        warn_not_running_once(str(exc))
        raise type(exc)(
            f"{spec.name} needs {', '.join(sorted(spec.names - kwargs.keys()))} from the "
            f"lifespan. {exc}"
        ) from None
    runtime.check_may_begin(spec.name)
    plan = _plan_of(spec, runtime)
    record = recording.current.get()
    if record is not None:
        _record(record, spec, plan, kwargs)
    return runtime, plan, args, kwargs


def _plan_of(spec: InjectionSpec, runtime: Runtime) -> InjectionPlan:
    """``spec``'s plan in ``runtime``: made once and published for the per-call path when it
    has only ready objects; made anew for each call in the test kit's runs."""
    if runtime in _planned_each_call:
        return make_plan(spec, runtime)
    # Read first: a plan worked out while a test's override comes or goes is not kept.
    epoch = runtime.epoch
    plan = _plans.get(runtime, {}).get(spec)
    if plan is None:
        plan = make_plan(spec, runtime)
        with _lock:
            if runtime.epoch == epoch:
                _plans.setdefault(runtime, {})[spec] = plan
    # Sync code finds its run without a loop only while the process has one run; while the
    # debug toolbar's panel records a request, every call takes the full path.
    if (
        plan.simple
        and runtime.phase == "running"
        and (spec.awaited or len(runs_by_loop) == 1)
        and not recording.active()
    ):
        with _lock:
            if runtime.epoch == epoch:
                _publish(spec, plan.constants, runtime)
    return plan


def _record(
    record: recording.RequestRecord, spec: InjectionSpec, plan: InjectionPlan, given: dict[str, Any]
) -> None:
    """Add what this call of ``spec``'s function is handed to the request's ``record``."""
    for parameter in spec.parameters:
        if parameter.name in given:
            served = "given"
        elif parameter.name in plan.constants:
            served = "object"
        else:
            served = "per call"
        record.injected.append(
            recording.Injected(spec.name, parameter.name, describe_marker(parameter.marker), served)
        )


# -- what is kept per run -----------------------------------------------------------------------

#: How each decorated function is served in each run (a run that ends takes its plans along).
_plans: weakref.WeakKeyDictionary[Runtime, dict[InjectionSpec, InjectionPlan]] = (
    weakref.WeakKeyDictionary()
)
#: The functions whose ``spec.published`` a run has set.
_published: weakref.WeakKeyDictionary[Runtime, set[InjectionSpec]] = weakref.WeakKeyDictionary()
#: Plans are made and published in request threads while a test's thread overrides providers:
#: keeping and forgetting take turns. Reentrant, and held across a fork (see below).
_lock = threading.RLock()
# No other thread holds it while the process forks; the child's copy is released after the
# runtime's own fork hook (registered first, at its import) has made it forget the parent's runs.
os.register_at_fork(
    before=_lock.acquire, after_in_parent=_lock.release, after_in_child=_lock.release
)


#: Runs whose calls are planned anew each time (the test kit's lifespans): dependency-injector's
#: own ``override()``, which tells nobody, then takes effect at the next call, as its users
#: expect in their tests.
_planned_each_call: weakref.WeakSet[Runtime] = weakref.WeakSet()


def plan_each_call(runtime: Runtime) -> None:
    """Plan every ``@inject`` call of ``runtime`` anew (no per-call path): for test runs."""
    _planned_each_call.add(runtime)


def _publish(spec: InjectionSpec, values: dict[str, Any], runtime: Runtime) -> None:
    """Let calls of ``spec``'s function take the per-call path, which checks only which loop
    runs in the calling thread: ``runtime``'s loop for an async function (by its mark,
    ``_internals.loop_mark``, the same on asyncio's loops and uvloop's), none for a sync one
    (the process's only run, asked with ``running_loop()``). ``values`` are ready objects, and
    the guards of the full path hold until the runtime says to forget them
    (``forget_plans``)."""
    where = None
    if spec.awaited:
        assert runtime.loop is not None  # a running runtime's
        where = _internals.loop_mark(runtime.loop)
        if where is None:
            return  # this thread does not run the loop (a coroutine driven by hand)
    spec.published = (where, values, runtime)
    _published.setdefault(runtime, set()).add(spec)


def forget_plans(runtime: Runtime) -> None:
    """Send every call back to the full path, and plan anew: ``runtime`` stops handing out, a
    provider changed, this is a forked child, or a request is recorded (the debug toolbar)."""
    with _lock:
        _plans.pop(runtime, None)
        for spec in _published.pop(runtime, ()):
            if spec.published is not None and spec.published[2] is runtime:
                spec.published = None


RUN_CACHES.append(forget_plans)


def _refuse_url_values(spec: InjectionSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A keyword that fills an injected parameter must not come from the URL.

    Explicit arguments win (unit tests pass fakes that way), but a view's URL keyword arguments
    are the request's: the resolver match of the request says which those are.
    """
    for arg in args[:2]:  # the request, after ``self`` for a method
        url_kwargs = getattr(getattr(arg, "resolver_match", None), "kwargs", None)
        if isinstance(url_kwargs, dict):
            from_url = [
                name
                for name in sorted(spec.names & kwargs.keys())
                if name in url_kwargs and url_kwargs[name] is kwargs[name]
            ]
            if from_url:
                raise InjectionError(
                    f"{spec.name}: the URL passes {', '.join(map(repr, from_url))}, which the "
                    f"view injects; a URL value never fills an injected parameter. Rename the "
                    f"parameter or the URL part.",
                    check_id="django_lifespan_di.E103",
                )


async def _call_async(
    spec: InjectionSpec, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    runtime, plan, args, kwargs = _prepare(spec, args, kwargs)
    if runtime is None or plan is None:
        return await function(*args, **kwargs)
    values = _constants(plan, kwargs)
    if not plan.needs_scope:
        values.update(await _call_providers(plan, kwargs))
        return await function(*args, **values, **kwargs)
    scope = RequestScope(spec.name, runtime.shutdown_timeout)
    token = current_scope.set(scope)
    try:
        values.update(await _call_providers(plan, kwargs))
        result = await function(*args, **values, **kwargs)
    except BaseException as exc:
        await scope.close_to_the_end(exc)
        raise
    finally:
        current_scope.reset(token)
    await scope.close_to_the_end(None)
    return result


async def _iterate_async(
    spec: InjectionSpec, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> AsyncGenerator[Any, None]:
    """An injected async generator: its per-request objects live until it ends or is closed.

    The scope is current only while the generator runs (each step, in whatever task iterates
    it), so a step may open per-request resources and nothing leaks into the consumer.
    """
    runtime, plan, args, kwargs = _prepare(spec, args, kwargs)
    scope = RequestScope(spec.name, runtime.shutdown_timeout if runtime is not None else 0.0)
    error: BaseException | None = None
    try:
        token = current_scope.set(scope)
        try:
            if plan is not None:
                kwargs = {
                    **_constants(plan, kwargs),
                    **await _call_providers(plan, kwargs),
                    **kwargs,
                }
            items = function(*args, **kwargs)
        finally:
            current_scope.reset(token)
        try:
            while True:
                token = current_scope.set(scope)
                try:
                    item = await items.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    current_scope.reset(token)
                yield item
        finally:
            await items.aclose()
    except BaseException as exc:
        error = exc
        raise
    finally:
        await scope.close_to_the_end(error)


def _iterate_sync(
    spec: InjectionSpec, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Generator[Any, None, None]:
    """An injected generator: its per-request objects live until it ends or is closed."""
    runtime, plan, args, kwargs = _prepare(spec, args, kwargs)
    if plan is not None and plan.needs_loop:
        raise InjectionError(
            f"{spec.name} is a generator, and what it injects must be awaited (an async "
            f"per-request resource or a coroutine provider); make it an async generator "
            f"(`async def` with `yield`)."
        )
    scope = RequestScope(spec.name, runtime.shutdown_timeout if runtime is not None else 0.0)
    error: BaseException | None = None
    try:
        token = current_scope.set(scope)
        try:
            if plan is not None:
                kwargs = {
                    **_constants(plan, kwargs),
                    **_call_providers_sync(spec, plan, kwargs),
                    **kwargs,
                }
            items = function(*args, **kwargs)
        finally:
            current_scope.reset(token)
        try:
            while True:
                token = current_scope.set(scope)
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    current_scope.reset(token)
                yield item
        finally:
            items.close()
    except BaseException as exc:
        error = exc
        raise
    finally:
        run_without_loop(scope.close(error), _closing(spec))


def _constants(plan: InjectionPlan, given: dict[str, Any]) -> dict[str, Any]:
    """The plan's ready objects for the parameters the caller did not pass."""
    return {name: value for name, value in plan.constants.items() if name not in given}


def _closing(spec: InjectionSpec) -> str:
    return f"closing the per-request resources of {spec.name}"


async def _call_providers(plan: InjectionPlan, given: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name, provider in plan.calls:
        if name not in given:
            value = provider()
            values[name] = await value if inspect.isawaitable(value) else value
    return values


def _call_sync(
    spec: InjectionSpec, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    runtime, plan, args, kwargs = _prepare(spec, args, kwargs)
    if runtime is None or plan is None:
        return function(*args, **kwargs)
    if plan.needs_loop:
        # Served on the lifespan's loop; the function itself still runs in this thread.
        async def on_loop() -> Any:
            return await _call_async(spec, sync_to_async(function), args, kwargs)

        return _block_on_loop(runtime, on_loop, describe=spec.name)
    values = _constants(plan, kwargs)
    if not plan.needs_scope:
        values.update(_call_providers_sync(spec, plan, kwargs))
        return function(*args, **values, **kwargs)
    scope = RequestScope(spec.name, runtime.shutdown_timeout)
    token = current_scope.set(scope)
    closing = _closing(spec)
    try:
        values.update(_call_providers_sync(spec, plan, kwargs))
        result = function(*args, **values, **kwargs)
    except BaseException as exc:
        run_without_loop(scope.close(exc), closing)
        raise
    finally:
        current_scope.reset(token)
    run_without_loop(scope.close(None), closing)
    return result


def _call_providers_sync(
    spec: InjectionSpec, plan: InjectionPlan, given: dict[str, Any]
) -> dict[str, Any]:
    return {
        name: _called_from_sync_code(provider, f"{spec.name}, parameter {name!r}")
        for name, provider in plan.calls
        if name not in given
    }


def _called_from_sync_code(provider: providers.Provider[Any], where: str) -> Any:
    """``provider()``, refused if it gives an awaitable, which sync code cannot await."""
    value = provider()
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited: closed now, so Python does not warn about it later
        raise InjectionError(
            f"{where}: {provider_name(provider)} gives an awaitable, which sync code cannot "
            f"await; inject it into an async function with @inject and Provide[...], or make "
            f"the provider sync."
        )
    return value


def run_in_lifespan_loop(
    function: Callable[P, Coroutine[Any, Any, T]], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run an async function on the lifespan's event loop from sync code, and return its result.

    For sync views, Celery tasks, management commands and any thread that needs an async
    client the lifespan opened: the coroutine runs on the loop the client belongs to, so its
    connection pool keeps working. ``asyncio.run()`` would run it on a new loop and break the
    shared client for every later user. Thread-sensitive ``sync_to_async`` calls inside it
    (Django's async ORM) run in this very thread, so nothing deadlocks:

        @inject
        def sync_view(request, client: httpx.AsyncClient = Provide[Container.http_client]):
            response = run_in_lifespan_loop(client.get, "/status")

    Raises [``EventLoopError``][django_lifespan_di.EventLoopError] when called from the
    lifespan's own event loop (``await`` the function there instead), and
    [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when no lifespan runs.
    """
    runtime = current_runtime()
    runtime.check_may_hand_out(dotted_name(function))
    return _block_on_loop(
        runtime, functools.partial(function, *args, **kwargs), describe=dotted_name(function)
    )


def _block_on_loop(
    runtime: Runtime, function: Callable[[], Coroutine[Any, Any, T]], *, describe: str
) -> T:
    """``async_to_sync(function)()`` on ``runtime``'s loop, this thread waiting for it."""
    loop = runtime.loop
    assert loop is not None
    if _internals.running_loop() is loop:
        raise EventLoopError(
            f"{describe} must wait for the lifespan's event loop, but runs on that loop itself "
            f"and would block it. From async code, await the coroutine directly (or call the "
            f"sync code through asgiref.sync.sync_to_async)."
        )
    if not loop.is_running():
        raise EventLoopError(
            f"{describe} needs the lifespan's event loop, which is not running: the lifespan "
            f"was started on a loop that is idle now (a sync test using the async `lifespan` "
            f"fixture?). In sync tests use the `lifespan_thread` fixture (pytest) or "
            f"LifespanTestMixin (unittest, manage.py test); elsewhere run the "
            f"lifespan in a django_lifespan_di.LifespanThread."
        )
    with _internals.routing_async_to_sync(loop):
        return async_to_sync(function)()


def resolve(provider: providers.Provider[T]) -> T:
    """The live value of ``provider`` in the running lifespan, typed as the provider is.

    The typed counterpart of ``Provide[...]`` for code that wants mypy to check what it gets
    (``Provide[...]`` is ``Any`` to type checkers):

        client = resolve(Container.http_client)  # httpx.AsyncClient, checked by mypy

    Resources come from what the lifespan started; other providers are called. A provider whose
    value must be awaited (it depends on async per-request resources or coroutines) cannot be
    resolved here: inject it with ``@inject`` into an async function instead. One built on a
    per-request resource is resolved in the scope of the running ``@inject`` call.
    """
    runtime = current_runtime()
    where = f"resolve({provider_name(provider)})"
    runtime.check_may_hand_out(where)
    served = plan_marker(_internals.PROVIDE[provider], runtime, where)
    if served.provider is None:
        return typing.cast(T, served.value)
    if served.needs_scope and current_scope.get() is None:
        raise InjectionError(
            f"{where}: it is built on a per-request resource, and no @inject call with a "
            f"per-request parameter is running here to own it. Inject it with Provide[...]."
        )
    if served.needs_loop:
        raise InjectionError(
            f"{where}: this provider gives an awaitable (it is built on an async per-request "
            f"resource or a coroutine); inject it into an async function with @inject and "
            f"Provide[...]."
        )
    return typing.cast(T, _called_from_sync_code(served.provider, where))


for _call in (_call_async, _call_sync, _iterate_async, _iterate_sync):
    register_call_frame(_call.__code__, _name_of_call)
