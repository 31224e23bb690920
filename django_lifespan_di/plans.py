"""How each injected parameter is served in one run of the lifespan: an ``InjectionPlan``.

Worked out at a function's first call in each run, from what the runtime's guards stand in
front of: a shared resource's object (ready, handed out as is), an object, the live provider
itself (``Provider[...]``), or a provider to call on each call (factories, configuration,
per-request resources, which need a ``RequestScope``; and await, for async ones).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from typing import Any

from dependency_injector import containers, providers

from django_lifespan_di import _internals
from django_lifespan_di.exceptions import InjectionError
from django_lifespan_di.graph import Guard, effective
from django_lifespan_di.naming import provider_name
from django_lifespan_di.scopes import RequestResource, is_async_request_resource
from django_lifespan_di.specs import InjectionSpec, Marker
from django_lifespan_di.units import ResourceUnit

if typing.TYPE_CHECKING:
    from django_lifespan_di.runtime import Runtime


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
        served = serve(parameter.marker, runtime, where)
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


def serve(marker: Marker, runtime: Runtime, where: str) -> Served:
    """How ``marker`` is served in ``runtime``; ``InjectionError`` when it cannot be."""
    provider = resolve_marker(marker, runtime.containers.values(), where)
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
