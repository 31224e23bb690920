"""System checks (``manage.py check``): misconfiguration reported with stable ids.

Ids: E001 ``LIFESPAN_DI`` malformed or unknown keys; E002 ``CONTAINERS`` malformed;
E003 a timeout is not a positive number; E004 a container path does not import;
E005 a container path is not a ``DeclarativeContainer``; W001 the middleware is missing.
W201 the lifespan starts nothing; W202 a middleware before ``LifespanStateMiddleware`` may
read ``request.state``; W203 ``runserver`` would run no lifespan (its ``WSGI_APPLICATION``, or
with daphne's runserver its ``ASGI_APPLICATION``, runs none); W205 the ``runserver`` in use is
not this package's (an app listed above it provides one), so Ctrl-C cuts the lifespan's
shutdown after 0.25 s; E201 the ASGI application is Django's own; E202 ``ASGI_APPLICATION``
does not import; W204 the ASGI application does not visibly wrap a ``LifespanApplication``;
E203 a Channels ``ProtocolTypeRouter`` on the way to the ``LifespanApplication`` has no
``"lifespan"`` entry (or routes it elsewhere), so nothing would ever start. E101 an
``@inject`` string id names no provider of the configured containers; E102 an ``@inject``
marker names a provider of a container that is not configured; E103 an injected parameter has
the name of a URL keyword argument (the URL value would silently win); E104 a string id
matches providers of several containers; E105 a routed view declares dependency-injector
markers but is not decorated with this package's ``@inject`` (undecorated, or decorated with
dependency-injector's own ``@inject`` in a module nobody wired).
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from django.apps import AppConfig, apps
from django.conf import ENVIRONMENT_VARIABLE, settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import get_commands
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string

from django_lifespan_di import _internals
from django_lifespan_di.asgi import LifespanApplication
from django_lifespan_di.conf import EXAMPLE, SETTING, conf, import_container
from django_lifespan_di.exceptions import ConfigurationError, InjectionError, StartupError
from django_lifespan_di.graph import walk
from django_lifespan_di.injection import resolve_marker
from django_lifespan_di.managers import registered_managers
from django_lifespan_di.middleware import MIDDLEWARE_PATH
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.specs import InjectionSpec, injection_specs, marker_parameters
from django_lifespan_di.wsgi import LifespanWSGIApplication


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


#: Where this package's ``runserver`` comes from, in ``get_commands()``.
RUNSERVER_APP = "django_lifespan_di"


@register(Tags.compatibility)
def check_runserver(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W203: ``manage.py runserver`` would run no lifespan; W205: the ``runserver`` in use is
    not this package's, so the lifespan's shutdown is cut short on Ctrl-C.

    Only when ``runserver`` starts (it runs the checks before it serves). Which application it
    serves depends on the command in use: the app listed first in ``INSTALLED_APPS`` that
    provides one wins. daphne's (and this package's, when daphne is installed) serves
    ``ASGI_APPLICATION`` unless ``--noasgi`` is given; every other one ``WSGI_APPLICATION``.
    """
    if sys.argv[1:2] != ["runserver"]:
        return []
    provider = get_commands().get("runserver", "django.core")
    asgi = (
        provider in ("daphne", RUNSERVER_APP)
        and apps.is_installed("daphne")
        and "--noasgi" not in sys.argv
    )
    problem = _runserver_without_lifespan() if not asgi else _daphne_without_lifespan()
    if problem is not None:
        return [problem]
    if provider == RUNSERVER_APP:
        return []
    return [
        Warning(
            f"The runserver command in use is {provider}'s (an app listed above "
            f"{RUNSERVER_APP} in INSTALLED_APPS provides it). On Ctrl-C, Django's autoreloader "
            f"gives the serving process 0.25 s to exit and then kills it: a resource whose "
            f"shutdown takes longer is never closed.",
            hint=f'List "{RUNSERVER_APP}" above "{provider}" in INSTALLED_APPS: its runserver '
            f"is the same command, with a reloader that waits for the lifespan to shut down.",
            id="django_lifespan_di.W205",
        )
    ]


RUNSERVER_NO_LIFESPAN = (
    "no resource starts, and request.state and get_container() raise LifespanNotRunning."
)


def _runserver_without_lifespan() -> CheckMessage | None:
    """W203 for a WSGI ``runserver``: its ``WSGI_APPLICATION`` runs no lifespan."""
    path = getattr(settings, "WSGI_APPLICATION", None)
    if path is None:
        served, found = "Django's default WSGI handler (settings.WSGI_APPLICATION is None)", None
    else:
        try:
            application = import_string(path)
        except (ImportError, ConfigurationError):
            return None  # runserver itself says that it cannot load it; settings above
        served = f"settings.WSGI_APPLICATION {path!r}"
        found = find_application(application, LifespanWSGIApplication, WSGIHandler).application
    if isinstance(found, LifespanWSGIApplication):
        return None
    return Warning(
        f"manage.py runserver serves {served}, which is not, and does not visibly wrap, a "
        f"django_lifespan_di.wsgi.LifespanWSGIApplication: {RUNSERVER_NO_LIFESPAN}",
        hint="In wsgi.py, replace django.core.wsgi.get_wsgi_application with "
        "django_lifespan_di.wsgi.get_wsgi_application, and point WSGI_APPLICATION at its "
        "`application`: runserver then runs the lifespan in its serving process.",
        id="django_lifespan_di.W203",
    )


def _daphne_without_lifespan() -> CheckMessage | None:
    """W203 for daphne's ASGI ``runserver``: its ``ASGI_APPLICATION`` runs no lifespan."""
    path = getattr(settings, "ASGI_APPLICATION", None)
    if path is None:
        return None  # daphne's runserver refuses to start without it
    try:
        application = import_string(path)
    except (ImportError, ConfigurationError):
        return None  # check_asgi_application reports it (E202)
    if isinstance(find_application(application).application, LifespanApplication):
        return None
    return Warning(
        f"manage.py runserver (daphne's) serves settings.ASGI_APPLICATION {path!r}, which is "
        f"not, and does not visibly wrap, a django_lifespan_di.asgi.LifespanApplication: "
        f"{RUNSERVER_NO_LIFESPAN}",
        hint=ASGI_FIX,
        id="django_lifespan_di.W203",
    )


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
    search = find_application(application)
    found = search.application
    if isinstance(found, LifespanApplication):
        return _routers_without_lifespan(path, search.routes)
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
def check_injected_functions(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E101/E102/E104: markers that do not resolve; E103: URLs that would fill injected
    parameters; E106/E107: providers that cannot be served (shared per-request objects, cycles).
    """
    try:
        live = list(_internals.instantiate(conf.container_classes()).values())
    except ConfigurationError:
        return []  # check_settings reports it
    errors: list[CheckMessage] = []
    try:
        graph = walk(live)
    except StartupError as exc:
        if exc.check_id is not None:  # otherwise it depends on settings read at startup
            errors.append(Error(str(exc), obj=exc.culprit, id=exc.check_id))
    else:
        errors += [
            Error(
                f"{node.name} is a {type(node.provider).__name__} built on the per-request "
                f"{node.request_resource_below.name}: it would hand the first request's object "
                f"to every later one.",
                hint=f"Make {node.name} a providers.Factory (a new object per call).",
                obj=node.name,
                id="django_lifespan_di.E106",
            )
            for node in graph.sharing_request_resources
            if node.request_resource_below is not None
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
    of class-based views (Django's and DRF's ``view_class``) and django-ninja's operations.

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
            candidates += [(function, 1) for function in _drf_function_views(view_class)]
        for operation in getattr(_ninja_path_view(callback), "operations", None) or ():
            candidates.append((getattr(operation, "view_func", None), 1))
        for candidate, bound in candidates:
            if candidate is not None:
                yield route, candidate, frozenset(names), groups, bound


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


class _Search(NamedTuple):
    """What ``find_application`` found, and the routers on the way to it."""

    application: object
    #: ``(router, key)``: each router (Channels' ``ProtocolTypeRouter``) on the way, and the
    #: key of its mapping that leads on.
    routes: tuple[tuple[Any, str], ...]


def find_application(
    application: object, wanted: type[Any] = LifespanApplication, handler: type[Any] = ASGIHandler
) -> _Search:
    """The ``wanted`` application inside ``application`` (else a Django ``handler``, else None).

    Looks through the attributes wrappers commonly keep (``WRAPPER_ATTRIBUTES``) and through
    routers' mappings (Channels' ``ProtocolTypeRouter`` keeps its applications in
    ``application_mapping``), breadth first.
    """
    seen: set[int] = set()
    queue: list[tuple[object, tuple[tuple[Any, str], ...]]] = [(application, ())]
    fallback = _Search(None, ())
    while queue:
        app, routes = queue.pop(0)
        if id(app) in seen:
            continue
        seen.add(id(app))
        if isinstance(app, wanted):
            return _Search(app, routes)
        if isinstance(app, handler) and fallback.application is None:
            # Looked into all the same: Django's static files handlers are handlers that wrap
            # the application (``.application``).
            fallback = _Search(app, routes)
        queue.extend(
            (inner, routes)
            for inner in (getattr(app, name, None) for name in WRAPPER_ATTRIBUTES)
            if inner is not None
        )
        mapping = getattr(app, "application_mapping", None)
        if isinstance(mapping, Mapping):
            queue.extend((inner, (*routes, (app, str(key)))) for key, inner in mapping.items())
        queue.extend((inner, routes) for inner in _used_by_function(app))
    return fallback


def _used_by_function(app: object) -> list[object]:
    """What a plain ASGI router *function* hands scopes to: the objects it closes over, and the
    module-level names its code refers to (django-asgi-lifespan's documented ``asgi.py`` shape,
    ``async def application(scope, receive, send): ... await django_application(...)``)."""
    if not inspect.isfunction(app):
        return []
    names = [app.__globals__[name] for name in app.__code__.co_names if name in app.__globals__]
    return [value for value in (*_closure(app), *names) if callable(value)]


def _routers_without_lifespan(path: str, routes: tuple[tuple[Any, str], ...]) -> list[CheckMessage]:
    """E203: a router on the way to the ``LifespanApplication`` that sends it no lifespan.

    Channels' ``ProtocolTypeRouter`` raises ``ValueError`` for a scope type its mapping does
    not have; ASGI servers take an application that raises on the lifespan scope as one that
    does not support it (uvicorn's default logs it at INFO and serves on), so nothing would ever
    start.
    """
    errors: list[CheckMessage] = []
    for router, key in routes:
        mapping = router.application_mapping
        name = type(router).__qualname__
        fix = (
            f'Add "lifespan": <the application from django_lifespan_di.asgi.'
            f"get_asgi_application()> to the {name}, next to {key!r}, e.g. "
            f'ProtocolTypeRouter({{"http": django_app, "websocket": ..., "lifespan": '
            f"django_app}}) with django_app = get_asgi_application()."
        )
        if "lifespan" not in mapping:
            problem = (
                f'is a {name} whose mapping has no "lifespan" entry, although it routes '
                f"{key!r} to a LifespanApplication: the router raises for the lifespan scope, "
                f"servers then serve without a lifespan, and no resource ever starts."
            )
        elif not isinstance(find_application(mapping["lifespan"]).application, LifespanApplication):
            problem = (
                f'is a {name} that routes "lifespan" to '
                f"{type(mapping['lifespan']).__qualname__}, which runs no lifespan of this "
                f"package, although it routes {key!r} to a LifespanApplication: no resource "
                f"ever starts."
            )
        else:
            continue
        errors.append(
            Error(
                f"The ASGI application {path!r} {problem}",
                hint=fix,
                id="django_lifespan_di.E203",
            )
        )
    return errors
