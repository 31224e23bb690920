"""The live containers' providers as one graph: what the lifespan starts, in which order, by name.

One depth-first walk over every provider of the configured containers, in declaration order,
each provider visited once (linear in providers and references, whatever the depth):

- every ``providers.Resource`` it reaches is a *unit* the lifespan opens once; its dependencies
  are the units it reaches through other providers (factories, configuration, lists, ...);
- a ``Selector`` reaches only the branch its selector picks at startup;
- a cycle is reported by name, before anything opens;
- per-request resources (``RequestResource``, declared here) are noted, never started, and
  whatever would share one between requests (a ``Singleton`` or a shared ``Resource`` built on
  one) is noted too.

Names come from container attribute paths (``Container.http_client``); a provider without an
attribute of its own is named by the path that reaches it
(``Container.service.kwargs['client']``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dependency_injector import containers, providers

from django_lifespan_di._internals import container_name, provider_children
from django_lifespan_di.exceptions import ConfigurationError, StartupError

T = TypeVar("T")


class RequestResource(providers.Resource[T]):
    """A resource opened for each request that uses it, and closed when the view returns.

    Declared exactly like ``providers.Resource`` (generator, async generator, context manager,
    ``resources.Resource`` subclass); the lifespan does not start it. Each ``@inject`` call that
    reaches it, directly or through other providers, gets its own instance; its cleanup (async
    cleanup awaited) runs when the view returns or raises, and sees the view's exception (it
    cannot swallow it). The shared resources it depends on are used, never closed:

        class Container(containers.DeclarativeContainer):
            pool = providers.Resource(open_pool)
            unit_of_work = RequestResource(open_unit_of_work, pool=pool)
            service = providers.Factory(Service, uow=unit_of_work)  # a new one per request

    (Its scope is ``scopes.py``'s; it is declared here, beside the other provider kind the
    package adds, because the graph tells it apart from shared resources.)
    """


class Guard(providers.Callable[Any]):
    """Put in front of a live provider by the runtime: every call to it goes through the runtime.

    It calls ``function(target, *more)``; ``target`` is what it guards (a unit, a
    ``RequestResource``, an error type), bound in a ``partial``: given to the ``Callable``
    itself, a provider among them would be called and walked. A guard has no children, so
    walks stop at it.
    """

    def __init__(self, function: Any, target: Any, *more: Any) -> None:
        super().__init__(functools.partial(function, target, *more))
        self.target = target


def effective(provider: providers.Provider[Any]) -> providers.Provider[Any]:
    """The provider that answers a call: the last override, followed down, up to a guard."""
    while not isinstance(provider, Guard) and provider.last_overriding is not None:
        provider = provider.last_overriding
    return provider


def remove_override(
    provider: providers.Provider[Any], replacement: providers.Provider[Any]
) -> None:
    """Remove ``replacement`` from ``provider``'s overrides, wherever it is in the stack.

    The last one comes off alone, so a guard under it never leaves (a request
    running meanwhile never reaches the unguarded provider, which would open a second copy of
    the resource). dependency-injector can only drop the last override; dropping one in the
    middle (blocks that end out of order) means resetting them all and putting the others back,
    in order (the runtime's guards included).
    """
    stack = list(provider.overridden)
    if stack and stack[-1] is replacement:
        provider.reset_last_overriding()
        return
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] is replacement:
            del stack[index]
            break
    else:
        return
    provider.reset_override()
    for overriding in stack:
        provider.override(overriding)


@dataclass(eq=False, repr=False)  # a node's repr would be its whole subgraph
class Node:
    """One provider of the graph (the effective one), with the name it is reported under."""

    provider: providers.Provider[Any]
    name: str
    #: What it is built from, as nodes (a Selector: the selected branch only).
    children: list[Node] = field(default_factory=list)
    #: The units it reaches without passing through another unit (for a unit: its dependencies).
    units_below: frozenset[Node] = frozenset()
    #: The first per-request resource it reaches without passing through a unit, if any.
    request_resource_below: Node | None = None
    #: Unit nodes only: the dependency units, in start order.
    depends_on: tuple[Node, ...] = ()
    #: The providers callers hold that answer with this one (the declared ones, overrides).
    entries: list[providers.Provider[Any]] = field(default_factory=list)
    #: Position in the walk's post-order: dependencies come first.
    order: int = -1

    @property
    def is_unit(self) -> bool:
        return isinstance(self.provider, providers.Resource) and not isinstance(
            self.provider, RequestResource
        )


@dataclass
class Graph:
    """What ``walk()`` found."""

    #: Resources to open, dependencies before dependents, declaration order otherwise.
    units: list[Node]
    #: Per-request resources, never opened by the lifespan.
    request_resources: list[Node]
    #: Singletons built on a per-request resource: refused when called.
    sharing_request_resources: list[Node]
    #: Resources the lifespan does not open (a Selector branch not selected): refused when called.
    not_started: list[Node]


def walk(instances: Iterable[containers.Container]) -> Graph:
    """The graph of the live container instances; ``StartupError`` for a cycle or a misuse."""
    instances = list(instances)
    walker = _Walker()
    roots = []
    for instance in instances:
        for path, provider in provider_paths(instance):
            roots.append((f"{container_name(instance)}.{path}", provider))
    for name, provider in roots:
        walker.name(provider, name)
    for _, provider in roots:
        walker.visit(provider)
    units = [node for node in walker.postorder if node.is_unit]
    for node in units:
        if node.request_resource_below is not None:
            raise StartupError(
                f"{node.name} is a shared Resource built on the per-request "
                f"{node.request_resource_below.name}: every request would share the first "
                f"request's object. Make {node.name} a RequestResource too, or build it on "
                f"shared providers only.",
                culprit=node.name,
                check_id="django_lifespan_di.E106",
            )
    # Resources reached only through what the walk skipped (a Selector's other branches): never
    # opened, so calling them must fail rather than open an object nobody closes.
    reached = {id(node.provider) for node in walker.postorder}
    not_started = [
        walker.node(provider)
        for instance in instances
        for provider in instance.traverse(types=[providers.Resource])
        if id(provider) not in reached
        and effective(provider) is provider
        and not isinstance(provider, RequestResource)
    ]
    return Graph(
        units=units,
        request_resources=[n for n in walker.postorder if isinstance(n.provider, RequestResource)],
        sharing_request_resources=[
            node
            for node in walker.postorder
            if isinstance(node.provider, providers.BaseSingleton) and node.request_resource_below
        ],
        not_started=not_started,
    )


def deferred_units(
    graph: Graph,
    instances: Mapping[type[containers.DeclarativeContainer], containers.Container],
    deferred: Iterable[tuple[type[containers.DeclarativeContainer], str]],
) -> frozenset[Node]:
    """The units that ``LIFESPAN_DI["DEFERRED"]`` names, as (container class, provider path).

    ``ConfigurationError`` for an entry that is no shared resource the lifespan opens (E009),
    and for a deferred unit that a unit opened at startup depends on (E010): that one would
    have nothing to be built on.
    """
    units = {id(entry): node for node in graph.units for entry in node.entries}
    chosen: set[Node] = set()
    for cls, path in deferred:
        instance = instances[cls]
        where = f'settings.LIFESPAN_DI["DEFERRED"] entry for {container_name(instance)}.{path}'
        provider = dict(provider_paths(instance)).get(path)
        if provider is None:
            raise ConfigurationError(
                f"{where}: {container_name(instance)} has no provider {path!r}. Check the "
                f"spelling (a nested container's provider is 'inner.name').",
                check_id="django_lifespan_di.E009",
            )
        node = units.get(id(provider))
        if node is None:
            kind = type(effective(provider)).__name__
            raise ConfigurationError(
                f"{where}: it is a {kind}, not a shared Resource that the lifespan opens "
                f"(a RequestResource opens per request, a Selector branch not selected never "
                f"opens): only those can be deferred. Remove it from DEFERRED.",
                check_id="django_lifespan_di.E009",
            )
        chosen.add(node)
    for node in graph.units:
        needed = [dependency for dependency in node.depends_on if dependency in chosen]
        if needed and node not in chosen:
            raise ConfigurationError(
                f"{needed[0].name} cannot be deferred: {node.name}, which opens at startup, "
                f"depends on it and would have nothing to be built on. Add {node.name} to "
                f'settings.LIFESPAN_DI["DEFERRED"] too, or remove {needed[0].name} from it.',
                check_id="django_lifespan_di.E010",
            )
    return frozenset(chosen)


def provider_paths(
    container: containers.Container, prefix: str = ""
) -> Iterator[tuple[str, providers.Provider[Any]]]:
    """(attribute path, provider) of every provider, through nested ``providers.Container``."""
    for name, provider in container.providers.items():
        yield prefix + name, provider
        if isinstance(provider, providers.Container):
            yield from provider_paths(provider.container, f"{prefix}{name}.")


class _Walker:
    """One iterative depth-first walk (deep chains need no recursion)."""

    def __init__(self) -> None:
        self.nodes: dict[int, Node] = {}
        self.names: dict[int, str] = {}
        self.postorder: list[Node] = []
        self._done: set[int] = set()

    def name(self, provider: providers.Provider[Any], name: str) -> None:
        """Give ``provider`` (and what answers for it) ``name``, unless it has one."""
        self.names.setdefault(id(provider), name)
        self.names.setdefault(id(effective(provider)), name)

    def node(self, entry: providers.Provider[Any]) -> Node:
        provider = effective(entry)
        node = self.nodes.get(id(provider))
        if node is None:
            name = self.names.get(id(provider)) or self.names.get(id(entry)) or "?"
            node = self.nodes[id(provider)] = Node(provider, name)
        if all(entry is not known for known in node.entries):
            node.entries.append(entry)
        return node

    def children(self, node: Node) -> Iterator[providers.Provider[Any]]:
        provider = node.provider
        if isinstance(provider, providers.Selector):
            yield self._selected(node, provider)
            return
        for label, child in provider_children(provider):
            if isinstance(child, providers.Provider):
                self.name(child, node.name + label)
                yield child

    def _selected(self, node: Node, selector: providers.Selector[Any]) -> providers.Provider[Any]:
        for key, branch in selector.providers.items():
            self.name(branch, f"{node.name}.providers[{key!r}]")
        assert selector.selector is not None
        key = selector.selector()
        if key not in selector.providers:
            raise StartupError(
                f"The Selector {node.name} selects {key!r} at startup, which is none of its "
                f"branches ({', '.join(map(repr, selector.providers))}). Set the "
                f"configuration it reads before the lifespan starts.",
                culprit=node.name,
            )
        return selector.providers[key]

    def visit(self, root: providers.Provider[Any]) -> None:
        start = self.node(root)
        if id(start.provider) in self._done:
            return
        path = [start]
        on_path = {id(start.provider)}
        stack = [self.children(start)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(id(finished.provider))
                self._finish(finished)
                continue
            node = self.node(child)
            path[-1].children.append(node)
            if id(node.provider) in on_path:
                cycle = [*path[path.index(node) :], node]
                names = " -> ".join(n.name for n in cycle)
                raise StartupError(
                    f"The providers form a cycle: {names}. A provider cannot depend on itself, "
                    f"directly or through others; break the cycle.",
                    culprit=names,
                    check_id="django_lifespan_di.E107",
                )
            if id(node.provider) not in self._done:
                path.append(node)
                on_path.add(id(node.provider))
                stack.append(self.children(node))

    def _finish(self, node: Node) -> None:
        units: set[Node] = set()
        request_resource = None
        for child in node.children:
            if child.is_unit:
                units.add(child)
                continue
            units |= child.units_below
            if isinstance(child.provider, RequestResource):
                request_resource = request_resource or child
            request_resource = request_resource or child.request_resource_below
        node.units_below = frozenset(units)
        node.request_resource_below = request_resource
        if node.is_unit:
            node.depends_on = tuple(sorted(units, key=lambda unit: unit.order))
        node.order = len(self.postorder)
        self._done.add(id(node.provider))
        self.postorder.append(node)
