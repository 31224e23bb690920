"""The checks of the application a server or ``runserver`` runs (``checks/deployment.py``):
one that runs no lifespan, or hides it behind a router that sends it none, is reported.

The checks run through Django's check framework exactly as ``manage.py check`` runs them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from channels.routing import ProtocolTypeRouter
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application as get_django_asgi_application
from django.core.checks.registry import registry
from django.test import override_settings

from django_lifespan_di.testing import with_lifespan_state
from tests.project.asgi import application as lifespan_application
from tests.support.checks import full_text, our_messages


class HeaderMiddleware:
    """The usual shape of an ASGI middleware (Sentry's, OpenTelemetry's): it keeps ``app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def routing_function(scope: Any, receive: Any, send: Any) -> None:
    """django-asgi-lifespan's documented asgi.py shape: a function that routes scopes."""
    if scope["type"] == "websocket":
        await unknown_application(scope, receive, send)
    else:
        await lifespan_application(scope, receive, send)


async def unknown_application(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app the check cannot see into."""


async def rewriting_router(scope: Any, receive: Any, send: Any) -> None:
    """A router function that calls itself for a rewritten path: a cycle for the check."""
    if scope["type"] == "http" and scope["path"].startswith("/v1/"):
        await rewriting_router({**scope, "path": scope["path"][3:]}, receive, send)
    else:
        await unknown_application(scope, receive, send)


def router_from_a_factory(*, websockets: bool = False) -> Any:
    """A router function that closes over the applications it routes to; its factory binds the
    websocket one only when asked to, so that cell of the closure stays empty."""

    async def application(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await websocket_application(scope, receive, send)
        else:
            await django_application(scope, receive, send)

    django_application = lifespan_application
    if websockets:
        websocket_application = unknown_application
    return application


# ASGI applications for settings.ASGI_APPLICATION to point at.
django_application = get_django_asgi_application()
wrapped_django_application = HeaderMiddleware(django_application)
wrapped_lifespan_application = HeaderMiddleware(lifespan_application)
# Django's static files handler is an ASGIHandler itself, that wraps the application.
# (django-stubs types its argument as an ASGIHandler; daphne's runserver wraps any application.)
static_files_lifespan_application = ASGIStaticFilesHandler(lifespan_application)  # type: ignore[arg-type]
# Channels routers: with the state helper of the tests around the lifespan one, and broken ones.
channels_with_state = ProtocolTypeRouter(
    {"http": lifespan_application, "lifespan": with_lifespan_state(lifespan_application)}
)
channels_lifespan_elsewhere = ProtocolTypeRouter(
    {"http": lifespan_application, "lifespan": unknown_application}
)
nested_channels_without_lifespan = HeaderMiddleware(
    ProtocolTypeRouter({"http": HeaderMiddleware(lifespan_application)})
)
late_bound_router = router_from_a_factory()


@pytest.fixture
def runserver_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks as ``manage.py runserver`` runs them before it serves."""
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])


def apps_listed_first(*first: str) -> list[str]:
    return [*first, *(app for app in settings.INSTALLED_APPS if app not in first)]


@pytest.fixture
def installing_daphne() -> Iterator[None]:
    """Leave no check of daphne's registered: installing daphne registers one (at import, so
    only once per process) that returns None, not a list, once daphne is uninstalled."""
    registered = set(registry.registered_checks)
    yield
    registry.registered_checks = registered


@pytest.mark.usefixtures("runserver_starting")
def test_runserver_serving_the_lifespan_wsgi_application_passes() -> None:
    # The test settings: this package's runserver, wsgi.py from its get_wsgi_application().
    assert our_messages() == {}


@pytest.mark.usefixtures("runserver_starting")
@pytest.mark.parametrize(
    ("wsgi_application", "served"),
    [
        (
            "tests.project.plain_wsgi.application",
            "settings.WSGI_APPLICATION 'tests.project.plain_wsgi.application'",
        ),
        (None, "Django's default WSGI handler (settings.WSGI_APPLICATION is None)"),
    ],
    ids=["django-wsgi-py", "no-setting"],
)
def test_runserver_serving_a_wsgi_application_without_the_lifespan_warns_w203(
    wsgi_application: str | None, served: str
) -> None:
    with override_settings(WSGI_APPLICATION=wsgi_application):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.W203"]
    warning = messages["django_lifespan_di.W203"]
    assert warning.msg.startswith(f"manage.py runserver serves {served}, which is not")
    assert "raise LifespanNotRunning" in warning.msg
    assert "django_lifespan_di.wsgi.get_wsgi_application" in full_text(warning)


def test_other_commands_get_no_runserver_warning() -> None:
    with override_settings(WSGI_APPLICATION="tests.project.plain_wsgi.application"):
        assert our_messages() == {}


@pytest.mark.usefixtures("runserver_starting", "installing_daphne")
@pytest.mark.parametrize("first", ["django.contrib.staticfiles", "daphne"])
def test_another_apps_runserver_in_use_warns_w205(first: str) -> None:
    with override_settings(INSTALLED_APPS=apps_listed_first(first)):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.W205"]
    warning = messages["django_lifespan_di.W205"]
    assert warning.msg.startswith(f"The runserver command in use is {first}'s")
    assert "0.25 s" in warning.msg
    assert warning.hint == (
        f'List "django_lifespan_di" above "{first}" in INSTALLED_APPS: its runserver is the '
        f"same command, with a reloader that waits for the lifespan to shut down."
    )


@pytest.mark.usefixtures("runserver_starting")
def test_this_runserver_listed_above_staticfiles_passes() -> None:
    apps = apps_listed_first("django_lifespan_di", "django.contrib.staticfiles")
    with override_settings(INSTALLED_APPS=apps):
        assert our_messages() == {}


@pytest.mark.usefixtures("runserver_starting", "installing_daphne")
def test_daphnes_runserver_serving_an_asgi_application_without_the_lifespan_warns_w203() -> None:
    with override_settings(
        INSTALLED_APPS=apps_listed_first("django_lifespan_di", "daphne"),
        ASGI_APPLICATION="tests.test_checks_deployment.django_application",
    ):
        messages = our_messages()
    # E201 judges asgi.py for every server; W203 says that runserver will serve it.
    assert sorted(messages) == ["django_lifespan_di.E201", "django_lifespan_di.W203"]
    warning = messages["django_lifespan_di.W203"]
    assert warning.msg.startswith(
        "manage.py runserver (daphne's) serves settings.ASGI_APPLICATION "
        "'tests.test_checks_deployment.django_application'"
    )


@pytest.mark.usefixtures("runserver_starting", "installing_daphne")
@pytest.mark.parametrize(
    ("first", "application_setting", "reported"),
    [
        ((), "WSGI_APPLICATION", []),
        # check_asgi_application reports it for every server (E202).
        (("django_lifespan_di", "daphne"), "ASGI_APPLICATION", ["django_lifespan_di.E202"]),
    ],
    ids=["wsgi", "daphne"],
)
def test_runserver_whose_application_does_not_import_gets_no_w203(
    first: tuple[str, ...], application_setting: str, reported: list[str]
) -> None:
    # runserver itself says that it cannot load it; W203 would send the reader the wrong way.
    with override_settings(
        INSTALLED_APPS=apps_listed_first(*first),
        **{application_setting: "tests.project.no_such_module.application"},
    ):
        assert list(our_messages()) == reported


@pytest.mark.usefixtures("runserver_starting", "installing_daphne")
def test_daphnes_runserver_without_asgi_application_gets_no_w203() -> None:
    # daphne's runserver refuses to start without it, saying so; and the project has no
    # tests/asgi.py, where Django's template would put one, for E202 to judge.
    with override_settings(
        INSTALLED_APPS=apps_listed_first("django_lifespan_di", "daphne"), ASGI_APPLICATION=None
    ):
        assert our_messages() == {}


@pytest.mark.parametrize(
    "settings_module",
    [
        "tests.settings",  # a package without asgi.py
        "settings",  # settings.py at the top level: no package to look into
    ],
)
def test_a_project_without_asgi_application_or_asgi_py_is_not_checked(
    settings_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", settings_module)
    with override_settings(ASGI_APPLICATION=None):  # SETTINGS_MODULE is None under it
        assert our_messages() == {}


@pytest.mark.parametrize(
    ("asgi_application", "check_id", "fix"),
    [
        (
            "tests.test_checks_deployment.django_application",
            "django_lifespan_di.E201",
            "replace django.core.asgi.get_asgi_application with "
            "django_lifespan_di.asgi.get_asgi_application",
        ),
        (
            "tests.test_checks_deployment.wrapped_django_application",
            "django_lifespan_di.E201",
            "replace django.core.asgi.get_asgi_application",
        ),
        (
            "tests.project.asgl.application",
            "django_lifespan_di.E202",
            "Set settings.ASGI_APPLICATION to the dotted path",
        ),
        (
            "tests.test_checks_deployment.unknown_application",
            "django_lifespan_di.W204",
            "make sure lifespan scopes reach it",
        ),
        (
            # Followed to itself and to the unknown application, each looked into once.
            "tests.test_checks_deployment.rewriting_router",
            "django_lifespan_di.W204",
            "make sure lifespan scopes reach it",
        ),
    ],
    ids=["django-handler", "wrapped-django-handler", "no-import", "unknown", "recursive-router"],
)
def test_asgi_application_without_the_lifespan_is_reported(
    asgi_application: str, check_id: str, fix: str
) -> None:
    with override_settings(ASGI_APPLICATION=asgi_application):
        messages = our_messages()
    assert list(messages) == [check_id]
    assert asgi_application in messages[check_id].msg
    assert fix in full_text(messages[check_id])


@pytest.mark.parametrize(
    "asgi_application",
    [
        "tests.project.asgi.application",
        "tests.test_checks_deployment.wrapped_lifespan_application",
        "tests.test_checks_deployment.static_files_lifespan_application",
        "tests.project.channels_asgi.application",
        "tests.test_checks_deployment.channels_with_state",
        "tests.test_checks_deployment.routing_function",
        "tests.test_checks_deployment.late_bound_router",
    ],
)
def test_lifespan_application_plain_or_wrapped_passes(asgi_application: str) -> None:
    with override_settings(ASGI_APPLICATION=asgi_application):
        assert our_messages() == {}


E203_FIX = (
    'Add "lifespan": <the application from django_lifespan_di.asgi.get_asgi_application()> '
    "to the ProtocolTypeRouter, next to 'http'"
)


@pytest.mark.parametrize(
    ("asgi_application", "problem"),
    [
        (
            "tests.project.channels_asgi.application_without_lifespan",
            'is a ProtocolTypeRouter whose mapping has no "lifespan" entry, although it routes '
            "'http' to a LifespanApplication",
        ),
        (
            "tests.test_checks_deployment.nested_channels_without_lifespan",
            'is a ProtocolTypeRouter whose mapping has no "lifespan" entry',
        ),
        (
            "tests.test_checks_deployment.channels_lifespan_elsewhere",
            'is a ProtocolTypeRouter that routes "lifespan" to function, which runs no lifespan',
        ),
    ],
    ids=["no-lifespan-entry", "wrapped-router", "lifespan-elsewhere"],
)
def test_a_channels_router_that_sends_no_lifespan_is_an_error(
    asgi_application: str, problem: str
) -> None:
    with override_settings(ASGI_APPLICATION=asgi_application):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.E203"]
    error = messages["django_lifespan_di.E203"]
    assert error.msg.startswith(f"The ASGI application {asgi_application!r} {problem}")
    assert error.hint is not None
    assert error.hint.startswith(E203_FIX)
