"""``@inject``: give views the live objects that the lifespan started.

Parameters are declared with dependency-injector's markers, as a default value or inside
``Annotated``:

    @inject
    async def weather(request, city: str,
                      client: httpx.AsyncClient = Provide[Container.http_client]): ...

Unlike dependency-injector's own ``@inject`` this needs no ``container.wire()``: the markers are
read once, at decoration, and resolved against the containers of the running lifespan the first
time the view is called in that run. The result is cached on the run (``Runtime.bindings``), so
a call only merges a dict of ready objects into the keyword arguments: no signature inspection,
no Future, no Task.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import typing
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from collections.abc import Set as AbstractSet
from contextlib import AsyncExitStack
from typing import Any, Literal, ParamSpec, TypeVar

from dependency_injector import containers, providers
from dependency_injector.wiring import Closing, Provide, Provider, ProvidersMap

from django_lifespan_di.exceptions import InjectionError, LifespanNotRunning
from django_lifespan_di.runtime import Runtime, current_runtime, effective_provider
from django_lifespan_di.scopes import RequestResource, open_request_resource

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
T = TypeVar("T")

#: ``Provide[...]`` or ``Provider[...]``. dependency-injector types its markers as ``Any``.
Marker = Any
# Under TYPE_CHECKING dependency-injector declares the markers as instances, not classes.
_CLOSING: type[Any] = typing.cast(type[Any], Closing)
_PROVIDER: type[Any] = typing.cast(type[Any], Provider)
_MARKERS: tuple[type[Any], ...] = (typing.cast(type[Any], Provide), _PROVIDER)


class Injection:
    """One injected parameter of a view, as read at decoration."""

    __slots__ = ("marker", "name", "position")

    def __init__(self, name: str, marker: Marker, position: int) -> None:
        self.name = name
        self.marker = marker
        #: Index among positional parameters, or sys.maxsize for keyword-only ones.
        self.position = position


class InjectedView:
    """What ``@inject`` learnt about one view; the key of its bindings in each run."""

    def __init__(self, view: Callable[..., Any], injections: tuple[Injection, ...]) -> None:
        self.module: str = view.__module__
        self.name = f"{self.module}.{view.__qualname__}"
        self.injections = injections
        self.names = frozenset(injection.name for injection in injections)
        self.first_position = min(injection.position for injection in injections)

    def __repr__(self) -> str:
        return f"<InjectedView {self.name}>"


class Bound:
    """How to get each injected value in one run: ready objects, providers to call, scopes."""

    __slots__ = ("constants", "dynamic", "scoped", "simple")

    def __init__(
        self,
        constants: dict[str, Any],
        dynamic: tuple[tuple[str, providers.Provider[Any]], ...],
        scoped: tuple[tuple[str, RequestResource[Any]], ...],
    ) -> None:
        self.constants = constants
        self.dynamic = dynamic
        self.scoped = scoped
        #: Only ready objects: the call is one dict merge.
        self.simple = not dynamic and not scoped


#: Every decorated view, for the system checks (``checks.py``).
injected_views: weakref.WeakSet[InjectedView] = weakref.WeakSet()


def inject(view: F) -> F:
    """Inject the live objects named by ``Provide[...]`` / ``Provider[...]`` markers into a view.

    Works on async and sync function views and on methods of class-based views (Django, DRF,
    django-ninja). The injected parameters are removed from the view's visible signature, so
    frameworks that introspect it do not treat them as request parameters. Keyword (or
    positional) arguments passed explicitly win over injection, which keeps views easy to call
    in unit tests.

    Raises [``InjectionError``][django_lifespan_di.InjectionError] at decoration time for a
    marker it cannot use, and when the view is called for a provider that is not in a
    configured container, a resource that is not ready, or no running lifespan.
    """
    injections = _find_injections(view)
    if not injections:
        return view
    spec = InjectedView(view, injections)
    injected_views.add(spec)

    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_view(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = _bound(spec)
            except LifespanNotRunning:
                if spec.names <= _given(spec, args, kwargs):
                    return await view(*args, **kwargs)  # a unit test passed every one itself
                raise
            if bound.simple and len(args) <= spec.first_position:
                return await view(*args, **{**bound.constants, **kwargs})
            given = _given(spec, args, kwargs)
            values = {**_constants(bound, given), **await _resolve_dynamic(bound, given)}
            if not bound.scoped:
                return await view(*args, **values, **kwargs)
            async with AsyncExitStack() as stack:
                values.update(await _open_scoped(bound, given, stack))
                return await view(*args, **values, **kwargs)

        wrapper: Callable[..., Any] = async_view
    else:

        @functools.wraps(view)
        def sync_view(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = _bound(spec)
            except LifespanNotRunning:
                if spec.names <= _given(spec, args, kwargs):
                    return view(*args, **kwargs)  # a unit test passed every one itself
                raise
            if bound.simple and len(args) <= spec.first_position:
                return view(*args, **{**bound.constants, **kwargs})
            return _call_sync(spec, bound, view, args, kwargs)

        wrapper = sync_view

    _hide_injected(wrapper, view, spec)
    wrapper.__lifespan_di_view__ = spec  # type: ignore[attr-defined]
    return typing.cast(F, wrapper)


def run_in_lifespan_loop(
    function: Callable[P, Coroutine[Any, Any, T]], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run an async function on the lifespan's event loop from sync code, and return its result.

    For sync views (and the threads they run in) that need an async client started by the
    lifespan: the coroutine runs on the loop the client belongs to, so its connection pool
    keeps working. ``asyncio.run()`` would run it on a new loop and break the shared client
    for every later request:

        @inject
        def sync_view(request, client: httpx.AsyncClient = Provide[Container.http_client]):
            response = run_in_lifespan_loop(client.get, "/status")

    Raises ``RuntimeError`` when called from the lifespan's own event loop (``await`` the
    function there instead) and [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when
    no lifespan is running.
    """
    runtime = current_runtime()
    _check_off_loop(runtime, describe=getattr(function, "__qualname__", repr(function)))
    assert runtime.loop is not None
    future = asyncio.run_coroutine_threadsafe(function(*args, **kwargs), runtime.loop)
    return future.result()


# -- decoration ----------------------------------------------------------------------------------


def _find_injections(view: Callable[..., Any]) -> tuple[Injection, ...]:
    if not callable(view):
        raise InjectionError(f"@inject decorates a view function or method, not {view!r}.")
    signature = inspect.signature(view)
    hints = _type_hints(view)
    found = []
    for index, parameter in enumerate(signature.parameters.values()):
        marker = _marker_of(view, parameter, hints.get(parameter.name))
        if marker is None:
            continue
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            raise InjectionError(
                f"{_name(view)}: injected parameter {parameter.name!r} is "
                f"{parameter.kind.description}; make it a normal or keyword-only parameter."
            )
        position = index if parameter.kind is parameter.POSITIONAL_OR_KEYWORD else sys.maxsize
        found.append(Injection(parameter.name, marker, position))
    return tuple(found)


def _marker_of(view: Callable[..., Any], parameter: inspect.Parameter, hint: Any) -> Marker | None:
    candidates = [parameter.default]
    if typing.get_origin(hint) is typing.Annotated:
        candidates.extend(hint.__metadata__)
    for candidate in candidates:
        if isinstance(candidate, _CLOSING):
            raise InjectionError(
                f"{_name(view)}: parameter {parameter.name!r} uses Closing[...], which also "
                f"shuts down the shared resources it depends on. Declare the provider with "
                f"django_lifespan_di.RequestResource and inject it with Provide[...] instead."
            )
        if isinstance(candidate, _MARKERS):
            return candidate
    return None


def _type_hints(view: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(view, include_extras=True)
    except Exception as exc:
        # Only a problem if a marker could be hiding in an annotation we cannot read.
        raw = getattr(view, "__annotations__", {})
        if any("Provide" in str(annotation) for annotation in raw.values()):
            raise InjectionError(
                f"{_name(view)}: cannot evaluate its annotations to find Annotated[..., "
                f"Provide[...]] markers ({type(exc).__name__}: {exc}). Import the names used "
                f"in those annotations at module level, not under TYPE_CHECKING."
            ) from exc
        return {}


def _hide_injected(
    wrapper: Callable[..., Any], view: Callable[..., Any], spec: InjectedView
) -> None:
    # Frameworks (django-ninja, DRF) read the signature and annotations to decide what to parse
    # from the request: they must see only the request parameters, with annotations already
    # evaluated (the wrapper's globals are not the view module's).
    hints = _type_hints(view)
    signature = inspect.signature(view)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            parameter.replace(annotation=hints.get(name, parameter.annotation))
            for name, parameter in signature.parameters.items()
            if name not in spec.names
        ],
        return_annotation=hints.get("return", signature.return_annotation),
    )
    wrapper.__annotations__ = {
        name: hint for name, hint in hints.items() if name not in spec.names
    } or {
        name: annotation
        for name, annotation in getattr(view, "__annotations__", {}).items()
        if name not in spec.names
    }


def _given(spec: InjectedView, args: tuple[Any, ...], kwargs: dict[str, Any]) -> AbstractSet[str]:
    """The injected parameters the caller passed itself (they win), by keyword or position."""
    if len(args) <= spec.first_position:
        return kwargs.keys()
    return {*kwargs, *(i.name for i in spec.injections if i.position < len(args))}


def _constants(bound: Bound, given: AbstractSet[str]) -> dict[str, Any]:
    return {name: value for name, value in bound.constants.items() if name not in given}


# -- binding to a run ----------------------------------------------------------------------------


def _bound(spec: InjectedView) -> Bound:
    try:
        runtime = current_runtime()
    except LifespanNotRunning as exc:
        raise LifespanNotRunning(
            f"{spec.name} needs {', '.join(sorted(spec.names))} from the lifespan. {exc}"
        ) from None
    try:
        bound: Bound = runtime.bindings[spec]
    except KeyError:
        bound = runtime.bindings[spec] = _bind(spec, runtime)
    return bound


def _bind(spec: InjectedView, runtime: Runtime) -> Bound:
    constants: dict[str, Any] = {}
    dynamic: list[tuple[str, providers.Provider[Any]]] = []
    scoped: list[tuple[str, RequestResource[Any]]] = []
    for injection in spec.injections:
        where = f"{spec.name}: parameter {injection.name!r}"
        kind, value = _binding(injection.marker, runtime, where)
        if kind == "constant":
            constants[injection.name] = value
        elif kind == "dynamic":
            dynamic.append((injection.name, value))
        else:
            scoped.append((injection.name, value))
    return Bound(constants, tuple(dynamic), tuple(scoped))


def _binding(
    marker: Marker, runtime: Runtime, where: str
) -> tuple[Literal["constant", "dynamic", "scoped"], Any]:
    """How one marker is served in this run: a ready object, a provider to call, or a scope."""
    provider = resolve_marker(marker, runtime.containers.values(), where)
    if isinstance(marker, _PROVIDER):
        return "constant", provider
    if isinstance(provider, RequestResource) and provider.last_overriding is None:
        return "scoped", provider
    unit = runtime.resource_unit(provider) if isinstance(provider, providers.Resource) else None
    if unit is not None and effective_provider(provider) is unit.effective:
        if unit.status != "ready":
            raise InjectionError(
                f"{where}: {unit.name} is {unit.status}, not ready"
                + (f" ({type(unit.error).__name__}: {unit.error})" if unit.error else "")
                + ". It is never handed out half-started or closed."
            )
        return "constant", unit.value
    if isinstance(provider, (providers.Object, providers.Self)):
        return "constant", provider()
    # Factories, Singletons, configuration, and resources overridden on the live container.
    return "dynamic", provider


def resolve(provider: providers.Provider[T]) -> T:
    """The live value of ``provider`` in the running lifespan, typed as the provider is.

    The typed counterpart of ``Provide[...]`` for code that wants mypy to check what it gets
    (``Provide[...]`` is ``Any`` to type checkers):

        client = resolve(Container.http_client)  # httpx.AsyncClient, checked by mypy

    Resources come from what the lifespan started; other providers are called. A provider whose
    value must be awaited (it depends on async resources) cannot be resolved here: inject it
    with ``@inject`` into an async function instead.
    """
    runtime = current_runtime()
    where = f"resolve({describe_provider(provider)})"
    kind, value = _binding(Provide[provider], runtime, where)
    if kind == "scoped":
        raise InjectionError(
            f"{where}: a RequestResource lives for one request; inject it into a view with "
            f"@inject and Provide[...]."
        )
    if kind == "dynamic":
        value = value()
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise InjectionError(
                f"{where}: this provider gives an awaitable (it depends on async resources); "
                f"inject it into an async function with @inject and Provide[...]."
            )
    return typing.cast(T, value)


def resolve_marker(
    marker: Marker, live: Iterable[containers.Container], where: str
) -> providers.Provider[Any]:
    """The provider of a live container that ``marker`` names; InjectionError if there is none."""
    instances = list(live)
    found = [
        provider
        for instance in instances
        if (provider := ProvidersMap(instance).resolve_provider(marker.provider, marker.modifier))
        is not None
    ]
    if len(found) == 1:
        return found[0]
    # Only when the class lookup found nothing: a provider of a live container is its own
    # answer (walking every live provider is not worth paying on each resolve()).
    if not found and marker.modifier is None and _is_live(marker.provider, instances):
        return typing.cast(providers.Provider[Any], marker.provider)
    configured = ", ".join(_class_name(instance) for instance in instances) or "none"
    if found:
        raise InjectionError(
            f"{where}: {describe_marker(marker)} matches a provider in several configured "
            f"containers ({configured}). Use Provide[Container.provider] to say which.",
            check_id="django_lifespan_di.E104",
        )
    if isinstance(marker.provider, str):
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


def _is_live(target: object, instances: Iterable[containers.Container]) -> bool:
    return any(
        target is provider
        for instance in instances
        for provider in typing.cast(Iterable[Any], instance.traverse())
    )


def describe_marker(marker: Marker) -> str:
    """``Provide[myapp.containers.Container.http_client]`` or ``Provide['http_client']``."""
    return f"{type(marker).__name__}[{describe_provider(marker.provider)}]"


def describe_provider(target: providers.Provider[Any] | str) -> str:
    """``myapp.containers.Container.http_client``, ``'http_client'``, ``config option 'a.b'``."""
    if isinstance(target, str):
        return repr(target)
    for cls in _declarative_containers(containers.DeclarativeContainer):
        for name, provider in cls.providers.items():
            if provider is target:
                return f"{cls.__module__}.{cls.__qualname__}.{name}"
    if isinstance(target, (providers.Configuration, providers.ConfigurationOption)):
        return f"config option {target.get_name()!r}"
    return repr(target)


def _declarative_containers(base: type[Any]) -> Iterable[type[Any]]:
    for cls in base.__subclasses__():
        yield cls
        yield from _declarative_containers(cls)


def _class_name(instance: containers.Container) -> str:
    parent = getattr(instance, "declarative_parent", None)
    return parent.__name__ if parent is not None else type(instance).__name__


# -- resolving per call --------------------------------------------------------------------------


async def _resolve_dynamic(bound: Bound, given: AbstractSet[str]) -> dict[str, Any]:
    values = {}
    for name, provider in bound.dynamic:
        if name not in given:
            value = provider()
            values[name] = await value if inspect.isawaitable(value) else value
    return values


async def _open_scoped(
    bound: Bound, given: AbstractSet[str], stack: AsyncExitStack
) -> dict[str, Any]:
    opened: dict[Any, Any] = {}
    return {
        name: await open_request_resource(provider, stack, opened)
        for name, provider in bound.scoped
        if name not in given
    }


def _call_sync(
    spec: InjectedView,
    bound: Bound,
    view: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    given = _given(spec, args, kwargs)
    values = _constants(bound, given)
    if not bound.dynamic and not bound.scoped:
        return view(*args, **values, **kwargs)
    # Providers that may need the event loop (async dependencies, per-request resources with
    # async cleanup) are resolved on the lifespan's loop; the view itself stays in its thread.
    runtime = current_runtime()
    _check_off_loop(runtime, describe=spec.name)
    stack = AsyncExitStack()

    async def open_values() -> dict[str, Any]:
        dynamic = await _resolve_dynamic(bound, given)
        return {**dynamic, **await _open_scoped(bound, given, stack)}

    values.update(_on_loop(runtime, open_values()))
    try:
        result = view(*args, **values, **kwargs)
    except BaseException as exc:
        _on_loop(runtime, stack.__aexit__(type(exc), exc, exc.__traceback__))
        raise
    _on_loop(runtime, stack.aclose())
    return result


def _on_loop(runtime: Runtime, awaitable: Awaitable[T]) -> T:
    async def run() -> T:
        return await awaitable

    assert runtime.loop is not None
    return asyncio.run_coroutine_threadsafe(run(), runtime.loop).result()


def _check_off_loop(runtime: Runtime, describe: str) -> None:
    if asyncio._get_running_loop() is runtime.loop:
        raise RuntimeError(
            f"{describe} must wait for the lifespan's event loop, but runs on that loop itself "
            f"and would block it. From async code, call the sync view through "
            f"asgiref.sync.sync_to_async, or await the coroutine directly."
        )


def _name(view: Callable[..., Any]) -> str:
    return f"{getattr(view, '__module__', '?')}.{getattr(view, '__qualname__', view)!s}"
