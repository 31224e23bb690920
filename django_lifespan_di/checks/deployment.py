"""Checks of the application that a server or ``runserver`` runs: does it run the lifespan?

The application is looked for inside wrappers and routers with ``_internals.find_application``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import ENVIRONMENT_VARIABLE, settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import get_commands
from django.utils.module_loading import import_string

from django_lifespan_di import _internals
from django_lifespan_di.asgi import LifespanApplication
from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.wsgi import LifespanWSGIApplication

ASGI_FIX = (
    "In asgi.py, replace django.core.asgi.get_asgi_application with "
    "django_lifespan_di.asgi.get_asgi_application: Django's own handler refuses the ASGI "
    "lifespan, so no resource would ever start."
)

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
        search = _internals.find_application(application, LifespanWSGIApplication, WSGIHandler)
        found = search.application
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
    if isinstance(_find_asgi(application).application, LifespanApplication):
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
    search = _find_asgi(application)
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


def _find_asgi(application: object) -> _internals.Search:
    """The ``LifespanApplication`` inside ``application``, else Django's ``ASGIHandler``."""
    return _internals.find_application(application, LifespanApplication, ASGIHandler)


def _routers_without_lifespan(
    path: str, routes: tuple[_internals.Routed, ...]
) -> list[CheckMessage]:
    """E203: a router on the way to the ``LifespanApplication`` that sends it no lifespan.

    Channels' ``ProtocolTypeRouter`` raises ``ValueError`` for a scope type its mapping does
    not have; ASGI servers take an application that raises on the lifespan scope as one that
    does not support it (uvicorn's default logs it at INFO and serves on), so nothing would ever
    start.
    """
    errors: list[CheckMessage] = []
    for router, mapping, key in routes:
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
        elif not isinstance(_find_asgi(mapping["lifespan"]).application, LifespanApplication):
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
