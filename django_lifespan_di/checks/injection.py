"""Checks of ``@inject``-ed functions and of the URLs that route to them.

The URLconf is walked the way Django's resolver calls views, into class-based views, DRF's
``@api_view`` and django-ninja's operations (their layouts are read in ``_internals``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.urls import URLPattern, URLResolver, get_resolver

from django_lifespan_di import _internals
from django_lifespan_di.conf import conf
from django_lifespan_di.exceptions import InjectionError, StartupError
from django_lifespan_di.graph import walk
from django_lifespan_di.injection import resolve_marker
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.runtime import sharing_request_resource
from django_lifespan_di.specs import InjectionSpec, injection_specs, marker_parameters


@register(Tags.urls)
def check_injected_functions(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E101/E102/E104: markers that do not resolve; E103: URLs that would fill injected
    parameters; E106/E107: providers that cannot be served (shared per-request objects, cycles).
    """
    try:
        live = list(_internals.instantiate(conf.configured_containers()).values())
    except Exception:  # a bad setting, or a container that cannot be instantiated here
        return []  # check_settings reports either (E001-E006)
    errors: list[CheckMessage] = []
    try:
        graph = walk(live)
    except StartupError as exc:
        if exc.check_id is not None:  # otherwise it depends on settings read at startup
            errors.append(Error(str(exc), obj=exc.culprit, id=exc.check_id))
    else:
        errors += [
            Error(
                sharing_request_resource(node),
                hint=f"Make {node.name} a providers.Factory (a new object per call).",
                obj=node.name,
                id="django_lifespan_di.E106",
            )
            for node in graph.sharing_request_resources
        ]
    routed = list(_routed_views(get_resolver().url_patterns))  # imports the views
    for spec in _project_views(app_configs, {route.spec for route in routed}):
        for parameter in spec.parameters:
            try:
                resolve_marker(parameter.marker, live, f"{spec.name}: {parameter.name!r}")
            except InjectionError as exc:
                errors.append(Error(str(exc), obj=spec.name, id=exc.check_id))
    for route in routed:
        errors += route.problems()
    return errors


class _Route:
    """A URL pattern that routes to an ``@inject``-ed function, with what the URL passes."""

    def __init__(
        self,
        route: str,
        spec: InjectionSpec,
        url_kwargs: frozenset[str],
        positional: int,
        bound: int,
    ) -> None:
        self.route, self.spec = route, spec
        self.url_kwargs, self.positional = url_kwargs, positional
        #: Arguments before the URL's: the request, and ``self`` for a method.
        self.bound = bound

    def problems(self) -> list[CheckMessage]:
        spec = self.spec
        errors: list[CheckMessage] = [
            Error(
                f"{spec.name}: injected parameter {name!r} is also a keyword argument of the URL "
                f"{self.route!r}; a URL value never fills an injected parameter, so every "
                f"request to it is refused.",
                hint="Rename the parameter or the URL part.",
                obj=spec.name,
                id="django_lifespan_di.E103",
            )
            for name in sorted(spec.names & self.url_kwargs)
        ]
        if self.positional:
            try:
                spec.visible.bind_partial(*range(self.bound + self.positional))
            except TypeError:
                errors.append(
                    Error(
                        f"{spec.name}: the URL {self.route!r} passes {self.positional} "
                        f"positional value(s) (unnamed groups), more than the parameters it "
                        f"shows besides the injected ones take; a URL value never fills an "
                        f"injected parameter, so every request to it fails.",
                        hint="Use named groups (?P<name>...) or path() converters.",
                        obj=spec.name,
                        id="django_lifespan_di.E103",
                    )
                )
        return errors


def _project_views(
    app_configs: Sequence[AppConfig] | None, routed: set[InjectionSpec]
) -> list[InjectionSpec]:
    """The decorated views this project serves, sorted by name.

    Like Django's own checks, these judge the project, not whatever else the process imported
    (a test module's or another project's views): a view counts if the URLconf routes it or it
    is defined in an installed app (only those in ``app_configs``, when given, as with
    ``manage.py check <app>``) or in the package of ``ROOT_URLCONF``.
    """
    configs = apps.get_app_configs() if app_configs is None else app_configs
    packages = [config.name for config in configs]
    urlconf_package = str(getattr(settings, "ROOT_URLCONF", "")).rpartition(".")[0]
    if app_configs is None and urlconf_package:
        packages.append(urlconf_package)
    return sorted(
        (
            spec
            for spec in injection_specs
            if spec in routed
            or any(spec.module == p or spec.module.startswith(f"{p}.") for p in packages)
        ),
        key=lambda spec: spec.name,
    )


def _routed_views(patterns: Sequence[URLPattern | URLResolver]) -> Iterable[_Route]:
    """Every routed ``@inject`` function, with the URL keyword and positional values it gets."""
    for route, candidate, names, positional, bound in _routed_callables(patterns, frozenset(), 0):
        spec = getattr(candidate, "__lifespan_di_spec__", None)
        if isinstance(spec, InjectionSpec):
            yield _Route(route, spec, names, positional, bound)


def _routed_callables(
    patterns: Sequence[URLPattern | URLResolver],
    url_kwargs: frozenset[str],
    positional: int,
    prefix: str = "",
) -> Iterable[tuple[str, object, frozenset[str], int, int]]:
    """Every function the URLconf may call for a request: the routed callables, the methods
    of class-based views (Django's and DRF's ``view_class``), the function behind DRF's
    ``@api_view`` and django-ninja's operations.

    Each comes with its route, the URL's keyword names and how many positional values it
    passes (as Django's resolver does: a regex with named groups passes only those, as
    keywords; one without passes its groups positionally, after those of the patterns it is
    included under), and how many arguments come before the URL's (the request; ``self`` too
    for a method).
    """
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        regex = pattern.pattern.regex
        names = url_kwargs | set(regex.groupindex)
        groups = 0 if names else positional + regex.groups
        if isinstance(pattern, URLResolver):
            yield from _routed_callables(
                pattern.url_patterns, names | set(pattern.default_kwargs), groups, route
            )
            continue
        names |= set(pattern.default_args)
        if names:
            groups = 0
        callback = pattern.callback
        candidates: list[tuple[object, int]] = [(callback, 1)]
        view_class = getattr(callback, "view_class", None)
        if view_class is not None:
            candidates += [(getattr(view_class, method, None), 2) for method in dir(view_class)]
            candidates += [(function, 1) for function in _internals.api_view_functions(view_class)]
        candidates += [(function, 1) for function in _internals.ninja_view_functions(callback)]
        for candidate, bound in candidates:
            if candidate is not None:
                yield route, candidate, frozenset(names), groups, bound


# -- views that declare markers but that nothing injects --------------------------------------

DI_INJECT_HINT = (
    "Decorate it with django_lifespan_di's @inject instead (from django_lifespan_di import "
    "inject): it gives the lifespan's live objects and needs no container.wire()."
)


@register(Tags.urls)
def check_undecorated_views(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E105: a routed view has ``Provide[...]`` parameters that nothing will inject.

    Without ``@inject`` (or with dependency-injector's own ``@inject`` in a module that was
    never wired), Django passes the marker object itself as the argument, and the view fails
    at request time with ``AttributeError: 'Provide' object has no attribute ...``.
    """
    errors: list[CheckMessage] = []
    reported: set[str] = set()
    markers_of: dict[int, list[str]] = {}  # methods shared by many class-based views
    for route, candidate, *_ in _routed_callables(get_resolver().url_patterns, frozenset(), 0):
        if not callable(candidate) or isinstance(
            getattr(candidate, "__lifespan_di_spec__", None), InjectionSpec
        ):
            continue
        if id(candidate) not in markers_of:
            markers_of[id(candidate)] = marker_parameters(candidate)
        parameters = markers_of[id(candidate)]
        if not parameters:
            continue
        name = dotted_name(_internals.unwrapped(candidate))
        if name in reported:
            continue
        patched = _internals.dependency_injector_record(candidate)
        if patched is not None and patched.injections:
            continue  # wired: dependency-injector injects from the container it was wired to
        reported.add(name)
        listed = ", ".join(map(repr, parameters))
        if patched is None:
            message = (
                f"{name} (URL {route!r}): parameter(s) {listed} declare a dependency-injector "
                f"marker, but the view is not decorated with django_lifespan_di's @inject, so "
                f"Django passes the marker object itself and the view fails at request time "
                f"(AttributeError: 'Provide' object has no attribute ...)."
            )
            hint = (
                "Decorate the view with @inject (from django_lifespan_di import inject), "
                "directly above the function and below framework decorators such as @api_view."
            )
        else:
            message = (
                f"{name} (URL {route!r}): decorated with dependency-injector's own @inject, "
                f"which injects only into modules wired with container.wire(), and its module "
                f"is not wired: parameter(s) {listed} would get the marker object itself "
                f"(AttributeError: 'Provide' object has no attribute ...)."
            )
            hint = DI_INJECT_HINT
        errors.append(Error(message, hint=hint, obj=name, id="django_lifespan_di.E105"))
    return errors
