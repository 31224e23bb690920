"""``@inject``: give views, tasks and functions the live objects that the lifespan started.

Parameters are declared with dependency-injector's markers, as a default value or inside
``Annotated``:

    @inject
    async def weather(request, city: str,
                      client: httpx.AsyncClient = Provide[Container.http_client]): ...

Unlike dependency-injector's own ``@inject`` this needs no ``container.wire()``: the markers are
read once, at decoration (an ``InjectionSpec``), and the first call in each run of the lifespan
works out how to serve each one (an ``InjectionPlan``, kept by the run): a shared resource's
object, a provider to call per call (a factory, configuration), or a per-request scope. A call
with only shared objects is one dict merge: no signature inspection, no Future, no Task.
"""

from __future__ import annotations

import functools
import inspect
import threading
import typing
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import async_to_sync, sync_to_async
from dependency_injector import providers

from django_lifespan_di import _internals
from django_lifespan_di.exceptions import EventLoopError, InjectionError, LifespanNotRunning
from django_lifespan_di.naming import dotted_name, provider_name
from django_lifespan_di.plans import InjectionPlan, make_plan, serve
from django_lifespan_di.registry import CALL_FRAMES, current_runtime
from django_lifespan_di.runtime import Runtime
from django_lifespan_di.scopes import RequestScope, current_scope, run_now
from django_lifespan_di.specs import (
    InjectionSpec,
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
    django-ninja), Celery and Django tasks, any function. The injected parameters are removed
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
    first_position, names, get_ident = spec.first_position, spec.names, threading.get_ident

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def async_call(*args: Any, **kwargs: Any) -> Any:
            # The per-call path: the objects a running lifespan published for this function,
            # if its loop is the one running in this thread (a thread runs one loop at a time).
            # The frame's `runtime` is what shutdown looks for (CALL_FRAMES), so nothing here
            # keeps count of calls.
            ready = spec.ready
            if ready is not None and ready[0]._thread_id == get_ident():
                runtime = ready[2]  # noqa: F841  (read from this frame by Runtime.in_flight)
                if len(args) <= first_position:
                    if not kwargs:
                        return await function(*args, **ready[1])
                    if names.isdisjoint(kwargs):
                        return await function(*args, **{**ready[1], **kwargs})
            return await _call_async(spec, function, args, kwargs)

        wrapper: Callable[..., Any] = async_call
    else:

        @functools.wraps(function)
        def sync_call(*args: Any, **kwargs: Any) -> Any:
            return _call_sync(spec, function, args, kwargs)

        wrapper = sync_call

    hide_injected(wrapper, function, spec)
    wrapper.__lifespan_di_spec__ = spec  # type: ignore[attr-defined]
    CALL_FRAMES[wrapper.__code__] = _name_of_call
    return typing.cast(F, wrapper)


def _name_of_call(frame_locals: typing.Mapping[str, Any]) -> str:
    return typing.cast(InjectionSpec, frame_locals["spec"]).name


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
        raise type(exc)(
            f"{spec.name} needs {', '.join(sorted(spec.names - kwargs.keys()))} from the "
            f"lifespan. {exc}"
        ) from None
    runtime.check_accepting(spec.name)
    plan = runtime.plans.get(spec)
    if plan is None:
        plan = runtime.plans[spec] = make_plan(spec, runtime)
    if plan.simple and runtime.phase == "running":
        runtime.publish(spec, plan.constants)
    return runtime, plan, args, kwargs


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
    values = {name: v for name, v in plan.constants.items() if name not in kwargs}
    if not plan.needs_scope:
        values.update(await _call_providers(plan, kwargs))
        return await function(*args, **values, **kwargs)
    scope = RequestScope(spec.name)
    token = current_scope.set(scope)
    try:
        values.update(await _call_providers(plan, kwargs))
        result = await function(*args, **values, **kwargs)
    except BaseException as exc:
        await scope.close(exc)
        raise
    finally:
        current_scope.reset(token)
    await scope.close(None)
    return result


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

        return run_on_lifespan_loop(runtime, on_loop, describe=spec.name)
    values = {name: v for name, v in plan.constants.items() if name not in kwargs}
    if not plan.needs_scope:
        values.update(_call_providers_sync(spec, plan, kwargs))
        return function(*args, **values, **kwargs)
    scope = RequestScope(spec.name)
    token = current_scope.set(scope)
    closing = f"closing the per-request resources of {spec.name}"
    try:
        values.update(_call_providers_sync(spec, plan, kwargs))
        result = function(*args, **values, **kwargs)
    except BaseException as exc:
        run_now(scope.close(exc), closing)
        raise
    finally:
        current_scope.reset(token)
    run_now(scope.close(None), closing)
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
    runtime.check_serving(dotted_name(function))
    return run_on_lifespan_loop(
        runtime, functools.partial(function, *args, **kwargs), describe=dotted_name(function)
    )


def run_on_lifespan_loop(
    runtime: Runtime, function: Callable[[], Coroutine[Any, Any, T]], *, describe: str
) -> T:
    """``async_to_sync(function)()`` on ``runtime``'s loop, wherever this thread is."""
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
            f"fixture?). In sync tests use the `lifespan_thread` fixture; elsewhere run the "
            f"lifespan in a django_lifespan_di.LifespanThread."
        )
    with _internals.serving(loop):
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
    runtime.check_serving(where)
    served = serve(_internals.PROVIDE[provider], runtime, where)
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


for _call in (_call_async, _call_sync):
    CALL_FRAMES[_call.__code__] = _name_of_call
