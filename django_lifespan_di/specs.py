"""What ``@inject`` reads from a function once, at decoration: its injected parameters, and the
signature callers see without them."""

from __future__ import annotations

import inspect
import sys
import typing
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from django_lifespan_di import _internals
from django_lifespan_di.exceptions import InjectionError
from django_lifespan_di.naming import dotted_name

#: ``Provide[...]`` or ``Provider[...]``. dependency-injector types its markers as ``Any``.
Marker = Any


class InjectedParameter:
    """One parameter of a decorated function that a marker fills, as read at decoration."""

    __slots__ = ("marker", "name", "position")

    def __init__(self, name: str, marker: Marker, position: int) -> None:
        self.name = name
        self.marker = marker
        #: Index among positional parameters, or sys.maxsize for keyword-only ones.
        self.position = position


class InjectionSpec:
    """What ``@inject`` learnt about one function: its injected parameters, its signature."""

    def __init__(
        self, function: Callable[..., Any], parameters: tuple[InjectedParameter, ...]
    ) -> None:
        self.module: str = function.__module__
        #: Whether calls are awaited (their objects belong to the running loop) or sync.
        self.awaited = inspect.iscoroutinefunction(function)
        self.name = dotted_name(function)
        self.parameters = parameters
        self.names = frozenset(parameter.name for parameter in parameters)
        self.first_position = min(parameter.position for parameter in parameters)
        #: The signature callers see: without the injected parameters.
        self.visible = _visible_signature(function, self.names)
        #: ``(where, values, runtime)``: the objects a running lifespan has ready for every
        #: call of this function on its loop (``where`` is the loop's mark,
        #: ``_internals.loop_mark``), or in a thread with no loop for a sync one (``where`` is
        #: None); ``injection.py`` publishes them. None: each call takes the full path, which
        #: checks everything. The runtime is only compared by identity: hence ``object``.
        self.published: tuple[object, dict[str, Any], object] | None = None

    def as_keywords(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Bind positional arguments to the visible signature, so none lands in an injected one.

        A URL pattern with unnamed groups passes positional values: they fill the parameters
        callers see, never an injected one (``TypeError`` if there are too many, as for any
        function, or if values for ``*args`` would have to pass through an injected one).
        Injected arguments given explicitly (a unit test's fakes) pass through as they are.
        """
        explicit = {name: value for name, value in kwargs.items() if name in self.names}
        others = {name: value for name, value in kwargs.items() if name not in self.names}
        try:
            bound = self.visible.bind_partial(*args, **others)
        except TypeError as exc:
            raise TypeError(f"{self.name}(): {exc}") from None
        positional = [
            bound.arguments.pop(parameter.name)
            for parameter in self.visible.parameters.values()
            if parameter.kind is parameter.POSITIONAL_ONLY and parameter.name in bound.arguments
        ]
        keywords = dict(bound.arguments)
        for parameter in self.visible.parameters.values():
            if parameter.kind is parameter.VAR_KEYWORD:
                keywords.update(keywords.pop(parameter.name, {}))
            elif parameter.kind is parameter.VAR_POSITIONAL and parameter.name in keywords:
                # Python fills the parameters before *args first, an injected one among them:
                # these values could only land in it ("got multiple values for argument").
                injected = min(self.parameters, key=lambda p: p.position).name
                raise TypeError(
                    f"{self.name}(): positional values for *{parameter.name} would fill the "
                    f"injected parameter {injected!r} before it; make {injected!r} keyword-only "
                    f"(after *{parameter.name}) to pass them."
                )
        return tuple(positional), {**keywords, **explicit}


#: Every decorated function, for the system checks (``checks.py``).
injection_specs: weakref.WeakSet[InjectionSpec] = weakref.WeakSet()


def injected_parameters(function: Callable[..., Any]) -> tuple[InjectedParameter, ...]:
    if not callable(function):
        raise InjectionError(
            f"@inject decorates a function or method, not {dotted_name(function)}."
        )
    found = []
    for index, parameter, marker in _markers(function, _type_hints(function)):
        if isinstance(marker, _internals.CLOSING):
            raise InjectionError(
                f"{dotted_name(function)}: parameter {parameter.name!r} uses Closing[...], which "
                f"also shuts down the shared resources it depends on. Declare the provider with "
                f"django_lifespan_di.RequestResource and inject it with Provide[...] instead."
            )
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            raise InjectionError(
                f"{dotted_name(function)}: injected parameter {parameter.name!r} is "
                f"{parameter.kind.description}; make it a normal or keyword-only parameter."
            )
        position = index if parameter.kind is parameter.POSITIONAL_OR_KEYWORD else sys.maxsize
        found.append(InjectedParameter(parameter.name, marker, position))
    return tuple(found)


def _markers(
    function: Callable[..., Any], hints: dict[str, Any]
) -> Iterator[tuple[int, inspect.Parameter, Marker]]:
    """(index, parameter, marker) for each parameter whose default or ``Annotated`` holds a
    marker (``Closing[...]`` included), with its index in the signature."""
    for index, parameter in enumerate(inspect.signature(function).parameters.values()):
        candidates = [parameter.default]
        hint: Any = hints.get(parameter.name)
        if typing.get_origin(hint) is typing.Annotated:
            candidates.extend(hint.__metadata__)
        marker = next(
            (c for c in candidates if isinstance(c, (*_internals.MARKERS, _internals.CLOSING))),
            None,
        )
        if marker is not None:
            yield index, parameter, marker


def marker_parameters(function: Callable[..., Any]) -> list[str]:
    """The names of ``function``'s parameters that declare a marker (for system checks)."""
    try:
        hints = _type_hints(_internals.unwrapped(function))
    except InjectionError:
        hints = {}  # @inject itself reports unreadable annotations when applied
    try:
        return [parameter.name for _, parameter, _ in _markers(function, hints)]
    except (TypeError, ValueError):
        return []  # a builtin or a callable without a signature: nothing to inject into


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception as exc:
        # Only a problem if a marker could be hiding in an annotation we cannot read.
        raw = getattr(function, "__annotations__", {})
        if any("Provide" in str(annotation) for annotation in raw.values()):
            raise InjectionError(
                f"{dotted_name(function)}: cannot evaluate its annotations to find "
                f"Annotated[..., Provide[...]] markers ({type(exc).__name__}: {exc}). Import the "
                f"names used in those annotations at module level, not under TYPE_CHECKING."
            ) from exc
        return {}


def _visible_signature(function: Callable[..., Any], injected: frozenset[str]) -> inspect.Signature:
    """The signature without the injected parameters, annotations evaluated."""
    hints = _type_hints(function)
    signature = inspect.signature(function)
    return signature.replace(
        parameters=[
            parameter.replace(annotation=hints.get(name, parameter.annotation))
            for name, parameter in signature.parameters.items()
            if name not in injected
        ],
        return_annotation=hints.get("return", signature.return_annotation),
    )


def hide_injected(
    wrapper: Callable[..., Any], function: Callable[..., Any], spec: InjectionSpec
) -> None:
    # Frameworks (django-ninja, DRF) read the signature and annotations to decide what to parse
    # from the request: they must see only the request parameters, with annotations already
    # evaluated (the wrapper's globals are not the function module's).
    wrapper.__signature__ = spec.visible  # type: ignore[attr-defined]
    hints = _type_hints(function)
    if not hints:  # annotations that could not be evaluated: keep them as written
        hints = getattr(function, "__annotations__", {})
    wrapper.__annotations__ = {name: hint for name, hint in hints.items() if name not in spec.names}
