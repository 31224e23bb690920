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
value would silently win); E104 a string id matches providers of several containers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
    patterns: Sequence[URLPattern | URLResolver], url_kwargs: frozenset[str], prefix: str = ""
) -> Iterable[tuple[str, InjectedView, frozenset[str]]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        names = url_kwargs | set(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            names |= set(pattern.default_kwargs)
            yield from _routed_views(pattern.url_patterns, names, route)
            continue
        names |= set(pattern.default_args)
        view_class = getattr(pattern.callback, "view_class", None)
        candidates: list[object] = [pattern.callback]
        if view_class is not None:
            candidates += [getattr(view_class, method, None) for method in dir(view_class)]
        for candidate in candidates:
            spec = getattr(candidate, "__lifespan_di_view__", None)
            if isinstance(spec, InjectedView):
                yield route, spec, names


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
