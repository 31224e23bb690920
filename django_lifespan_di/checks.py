"""System checks (``manage.py check``): misconfiguration reported with stable ids.

Ids: E001 ``LIFESPAN_DI`` malformed or unknown keys; E002 ``CONTAINERS`` malformed;
E003 a timeout is not a positive number; E004 a container path does not import;
E005 a container path is not a ``DeclarativeContainer``; W001 the middleware is missing.
W201 the lifespan starts nothing; W202 a middleware before ``LifespanStateMiddleware`` may
read ``request.state``; W203 ``runserver`` runs no lifespan; E201 the ASGI application is
Django's own; E202 ``ASGI_APPLICATION`` does not import; W204 the ASGI application does not
visibly wrap a ``LifespanApplication``. E101 an ``@inject`` string id names no provider of
the configured containers; E102 an ``@inject`` marker names a provider of a container that is
not configured; E103 an injected parameter has the name of a URL keyword argument (the URL
value would silently win); E104 a string id matches providers of several containers; E105 a
routed view declares dependency-injector markers but is not decorated with this package's
``@inject`` (undecorated, or decorated with dependency-injector's own ``@inject`` in a module
nobody wired).
"""

from __future__ import annotations

import inspect
import os
import sys
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dependency_injector import wiring
from django.apps import AppConfig, apps
from django.conf import ENVIRONMENT_VARIABLE, settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.handlers.asgi import ASGIHandler
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string

from django_lifespan_di.asgi import LifespanApplication
from django_lifespan_di.conf import EXAMPLE, SETTING, conf, import_container
from django_lifespan_di.exceptions import ConfigurationError, InjectionError
from django_lifespan_di.injection import InjectedView, injected_views, resolve_marker
from django_lifespan_di.managers import registered_managers
from django_lifespan_di.middleware import MIDDLEWARE_PATH


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for read in (
        lambda: conf.CONTAINERS,
        lambda: conf.STARTUP_TIMEOUT,
        lambda: conf.SHUTDOWN_TIMEOUT,
    ):
        try:
            read()
        except ConfigurationError as exc:
            error = Error(str(exc), id=exc.check_id)
            if error not in errors:  # a malformed LIFESPAN_DI fails every read the same way
                errors.append(error)
    if errors:
        return errors
    for path in conf.CONTAINERS:
        try:
            import_container(path)
        except ConfigurationError as exc:
            errors.append(Error(str(exc), id=exc.check_id))
    return errors


@register(Tags.compatibility)
def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if MIDDLEWARE_PATH in settings.MIDDLEWARE:
        return []
    return [
        Warning(
            f"{MIDDLEWARE_PATH} is not in MIDDLEWARE, so views get no request.state.",
            hint=f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE (or ignore this check, "
            f"django_lifespan_di.W001, if you only use @inject). {SETTING} still starts the "
            f"resources.",
            id="django_lifespan_di.W001",
        )
    ]


# -- deployment shape: does the lifespan have something to start, and will it run? -----------

#: Where to look for the application inside the wrappers an ``asgi.py`` commonly adds
#: (Django's ``ASGIStaticFilesHandler``, Sentry, Whitenoise, ``functools.wraps``, ...).
WRAPPER_ATTRIBUTES = ("application", "app", "asgi_app", "inner", "_app", "__wrapped__")
ASGI_FIX = (
    "In asgi.py, replace django.core.asgi.get_asgi_application with "
    "django_lifespan_di.asgi.get_asgi_application: Django's own handler refuses the ASGI "
    "lifespan, so no resource would ever start."
)


@register(Tags.compatibility)
def check_something_to_start(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W201: the lifespan would start nothing at all."""
    try:
        configured = conf.CONTAINERS
    except ConfigurationError:
        return []  # check_settings reports it
    if configured or registered_managers():
        return []
    where = (
        f'settings.{SETTING} has no "CONTAINERS"'
        if conf.is_set
        else f"settings.{SETTING} is not set"
    )
    return [
        Warning(
            f"{where} and no lifespan manager is registered, so the lifespan starts nothing.",
            hint=f"List your containers, e.g. {EXAMPLE}",
            id="django_lifespan_di.W201",
        )
    ]


@register(Tags.compatibility)
def check_middleware_order(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W202: a middleware that may read ``request.state`` runs before it is set.

    The rule: only Django's own middleware (``django.*``), which never reads
    ``request.state``, may come before ``LifespanStateMiddleware``. It depends on no other
    middleware, so moving it first is always safe.
    """
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return []  # W001
    before = middleware[: middleware.index(MIDDLEWARE_PATH)]
    needs_it = [path for path in before if not path.startswith("django.")]
    if not needs_it:
        return []
    return [
        Warning(
            f"{', '.join(needs_it)} come(s) before {MIDDLEWARE_PATH} in MIDDLEWARE: there, "
            f"request.state is not set yet and reading it raises AttributeError.",
            hint=f"Move {MIDDLEWARE_PATH!r} above them (first in MIDDLEWARE is always safe: "
            f"it needs no other middleware). Silence django_lifespan_di.W202 if none of them "
            f"reads request.state.",
            id="django_lifespan_di.W202",
        )
    ]


@register(Tags.compatibility)
def check_runserver(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W203: ``manage.py runserver`` never runs the ASGI lifespan (it runs these checks first)."""
    if sys.argv[1:2] != ["runserver"]:
        return []
    return [
        Warning(
            "manage.py runserver does not run the ASGI lifespan (it is WSGI, or daphne's "
            "ASGI without lifespan): no resource starts, and request.state and get_container() "
            "raise LifespanNotRunning.",
            hint="Serve the project with an ASGI server that runs the lifespan, e.g. "
            "`uvicorn myproject.asgi:application --reload` for development.",
            id="django_lifespan_di.W203",
        )
    ]


@register(Tags.compatibility)
def check_asgi_application(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E201/E202/W204: the project's ASGI application must be a ``LifespanApplication``.

    It is ``settings.ASGI_APPLICATION`` if set, else ``application`` in the ``asgi`` module
    next to the settings module; a project with neither is not checked.
    """
    explicit = getattr(settings, "ASGI_APPLICATION", None)
    # SETTINGS_MODULE is None under override_settings() and settings.configure().
    settings_module = settings.SETTINGS_MODULE or os.environ.get(ENVIRONMENT_VARIABLE, "")
    package = settings_module.rpartition(".")[0]
    path = explicit or (f"{package}.asgi.application" if package else None)
    if path is None:
        return []
    try:
        application = import_string(path)
    except ConfigurationError:
        return []  # asgi.py ran get_asgi_application(), which hit a setting reported above
    except ImportError as exc:
        module = path.rpartition(".")[0]
        if not explicit and isinstance(exc, ModuleNotFoundError) and exc.name == module:
            return []  # no asgi.py where Django's project template puts it
        source = "settings.ASGI_APPLICATION" if explicit else "the default location"
        return [
            Error(
                f"The ASGI application {path!r} ({source}) cannot be imported: {exc}",
                hint="Set settings.ASGI_APPLICATION to the dotted path of the `application` "
                "in your asgi.py.",
                id="django_lifespan_di.E202",
            )
        ]
    found = _find_application(application)
    if isinstance(found, LifespanApplication):
        return []
    if isinstance(found, ASGIHandler):
        return [
            Error(
                f"The ASGI application {path!r} is Django's own ASGIHandler.",
                hint=ASGI_FIX,
                id="django_lifespan_di.E201",
            )
        ]
    return [
        Warning(
            f"The ASGI application {path!r} ({type(application).__qualname__}) is not, and "
            f"does not visibly wrap, a django_lifespan_di.asgi.LifespanApplication.",
            hint=f"{ASGI_FIX} If a wrapper hides it, make sure lifespan scopes reach it and "
            f"silence django_lifespan_di.W204.",
            id="django_lifespan_di.W204",
        )
    ]


@register(Tags.urls)
def check_injected_views(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E101/E102/E104: markers that do not resolve; E103: injected names that URLs also pass."""
    try:
        live = [cls() for cls in conf.container_classes()]
    except ConfigurationError:
        return []  # check_settings reports it
    routed = list(_routed_views(get_resolver().url_patterns, frozenset()))  # imports the views
    errors: list[CheckMessage] = []
    for spec in _project_views(app_configs, {spec for _, spec, _ in routed}):
        for injection in spec.injections:
            try:
                resolve_marker(injection.marker, live, f"{spec.name}: {injection.name!r}")
            except InjectionError as exc:
                errors.append(Error(str(exc), obj=spec.name, id=exc.check_id))
    for route, spec, url_kwargs in routed:
        for name in sorted(spec.names & url_kwargs):
            errors.append(
                Error(
                    f"{spec.name}: injected parameter {name!r} is also a keyword argument of "
                    f"the URL {route!r}, whose value would silently replace the injected one.",
                    hint="Rename the parameter or the URL part.",
                    obj=spec.name,
                    id="django_lifespan_di.E103",
                )
            )
    return errors


def _project_views(
    app_configs: Sequence[AppConfig] | None, routed: set[InjectedView]
) -> list[InjectedView]:
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
            for spec in injected_views
            if spec in routed
            or any(spec.module == p or spec.module.startswith(f"{p}.") for p in packages)
        ),
        key=lambda spec: spec.name,
    )


def _routed_views(
    patterns: Sequence[URLPattern | URLResolver], url_kwargs: frozenset[str]
) -> Iterable[tuple[str, InjectedView, frozenset[str]]]:
    """The ``@inject``-ed functions the URLconf routes, with their route and URL kwargs."""
    for route, candidate, names in _routed_callables(patterns, url_kwargs):
        spec = getattr(candidate, "__lifespan_di_view__", None)
        if isinstance(spec, InjectedView):
            yield route, spec, names


def _routed_callables(
    patterns: Sequence[URLPattern | URLResolver], url_kwargs: frozenset[str], prefix: str = ""
) -> Iterable[tuple[str, object, frozenset[str]]]:
    """Every function the URLconf may call for a request: the routed callables, the methods
    of class-based views (Django's and DRF's ``view_class``) and django-ninja's operations."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        names = url_kwargs | set(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            names |= set(pattern.default_kwargs)
            yield from _routed_callables(pattern.url_patterns, names, route)
            continue
        names |= set(pattern.default_args)
        callback = pattern.callback
        candidates: list[object] = [callback]
        view_class = getattr(callback, "view_class", None)
        if view_class is not None:
            candidates += [getattr(view_class, method, None) for method in dir(view_class)]
            candidates += _drf_function_views(view_class)
        for operation in getattr(_ninja_path_view(callback), "operations", None) or ():
            candidates.append(getattr(operation, "view_func", None))
        for candidate in candidates:
            if candidate is not None:
                yield route, candidate, names


def _drf_function_views(view_class: type[Any]) -> list[object]:
    """The function behind DRF's ``@api_view``: its handler methods only close over it."""
    return [
        value
        for method in getattr(view_class, "http_method_names", ())
        if _defined_in(handler := getattr(view_class, method, None), "rest_framework.")
        for value in _closure(handler)
        if inspect.isfunction(value)
    ]


def _ninja_path_view(callback: object) -> object:
    """django-ninja's ``PathView`` (which holds the operations) behind a routed callback: the
    ``__self__`` of a bound method (older releases), or in the wrapper's closure."""
    if not _defined_in(callback, "ninja."):
        return None
    holders = [getattr(callback, "__self__", None), *_closure(callback)]
    return next((holder for holder in holders if hasattr(holder, "operations")), None)


def _defined_in(function: object, package: str) -> bool:
    return str(getattr(function, "__module__", "")).startswith(package)


def _closure(function: object) -> list[object]:
    values = []
    for cell in getattr(function, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # a cell not yet filled
            continue
    return values


# -- views that declare markers but that nothing injects --------------------------------------

# Under TYPE_CHECKING dependency-injector declares the markers as instances, not classes.
MARKER_TYPES: tuple[type[Any], ...] = typing.cast(
    tuple[type[Any], ...], (wiring.Provide, wiring.Provider, wiring.Closing)
)
MARKER_NAMES = ("Provide", "Provider", "Closing")
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
    for route, candidate, _ in _routed_callables(get_resolver().url_patterns, frozenset()):
        if not callable(candidate) or isinstance(
            getattr(candidate, "__lifespan_di_view__", None), InjectedView
        ):
            continue
        if id(candidate) not in markers_of:
            markers_of[id(candidate)] = _marker_parameters(candidate)
        parameters = markers_of[id(candidate)]
        if not parameters:
            continue
        name = _callable_name(candidate)
        if name in reported:
            continue
        patched = _dependency_injector_patch(candidate)
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


def _marker_parameters(function: Callable[..., Any]) -> list[str]:
    """The parameters of ``function`` whose default or ``Annotated`` metadata is a marker."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []  # a builtin or a callable without a signature: nothing to inject into
    hints: dict[str, Any] = {}
    original = _unwrap(function)
    raw = getattr(original, "__annotations__", None)
    # Evaluating annotations is costly: only where one could hold Annotated[..., Provide[...]].
    if isinstance(raw, dict) and any(
        any(marker in str(annotation) for marker in MARKER_NAMES) for annotation in raw.values()
    ):
        try:
            hints = typing.get_type_hints(original, include_extras=True)
        except Exception:
            hints = {}  # unresolvable annotations: @inject itself reports those when applied
    found = []
    for name, parameter in signature.parameters.items():
        candidates = [parameter.default]
        hint = hints.get(name, parameter.annotation)
        if typing.get_origin(hint) is typing.Annotated:
            candidates.extend(hint.__metadata__)
        if any(isinstance(candidate, MARKER_TYPES) for candidate in candidates):
            found.append(name)
    return found


def _unwrap(function: Callable[..., Any]) -> Callable[..., Any]:
    try:
        return typing.cast(Callable[..., Any], inspect.unwrap(function))
    except ValueError:  # a __wrapped__ cycle
        return function


def _callable_name(function: Callable[..., Any]) -> str:
    original = _unwrap(function)
    qualname = getattr(original, "__qualname__", type(original).__qualname__)
    return f"{getattr(original, '__module__', '?')}.{qualname}"


def _dependency_injector_patch(function: Callable[..., Any]) -> Any:
    """dependency-injector's record of ``function`` (or a function it wraps) if its ``@inject``
    decorated it, else None. Its ``injections`` are empty until the module is wired.

    dependency-injector keeps no public way to ask; its private registry is read defensively,
    and without it such a view counts as undecorated.
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


def _find_application(application: object) -> object:
    """The ``LifespanApplication`` or Django ``ASGIHandler`` inside ``application``, if any."""
    seen: set[int] = set()
    queue = [application]
    handler: object = None
    while queue:
        app = queue.pop(0)
        if id(app) in seen:
            continue
        seen.add(id(app))
        if isinstance(app, LifespanApplication):
            return app
        if isinstance(app, ASGIHandler):
            handler = app
            continue
        queue.extend(
            inner
            for inner in (getattr(app, name, None) for name in WRAPPER_ATTRIBUTES)
            if inner is not None
        )
        # Channels' ProtocolTypeRouter keeps its applications in a mapping.
        mapping = getattr(app, "application_mapping", None)
        if isinstance(mapping, Mapping):
            queue.extend(mapping.values())
    return handler
