"""Bad configuration: each mistake gets a system check (or an error) that names the fix.

The checks run through Django's check framework exactly as ``manage.py check`` runs them; one
test runs the real command in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.routing import ProtocolTypeRouter
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application as get_django_asgi_application
from django.core.checks import CheckMessage, run_checks
from django.core.checks.registry import registry
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_lifespan_di.asgi import get_asgi_application
from django_lifespan_di.middleware import MIDDLEWARE_PATH
from django_lifespan_di.testing import with_lifespan_state
from tests.project.asgi import application as lifespan_application
from tests.support.server import ROOT


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


def our_messages() -> dict[str, CheckMessage]:
    """This package's check messages, by id, as ``manage.py check`` would report them."""
    return {
        message.id: message
        for message in run_checks()
        if message.id and message.id.startswith("django_lifespan_di.")
    }


def full_text(message: CheckMessage) -> str:
    return f"{message.msg} {message.hint or ''}"


@pytest.fixture
def no_lifespan_setting() -> Iterator[None]:
    with override_settings():
        del settings.LIFESPAN_DI
        yield


@pytest.mark.usefixtures("no_lifespan_setting")
def test_missing_setting_warns_that_nothing_starts() -> None:
    warning = our_messages()["django_lifespan_di.W201"]
    assert "settings.LIFESPAN_DI is not set" in warning.msg
    assert '"CONTAINERS": ["myproject.containers.Container"]' in full_text(warning)


@override_settings(LIFESPAN_DI={"STARTUP_TIMEOUT": 5})
def test_setting_without_containers_warns_that_nothing_starts() -> None:
    warning = our_messages()["django_lifespan_di.W201"]
    assert 'settings.LIFESPAN_DI has no "CONTAINERS"' in warning.msg


def test_valid_settings_report_nothing() -> None:
    assert our_messages() == {}


@pytest.mark.parametrize(
    ("lifespan_di", "check_id", "names", "fix"),
    [
        (
            {"CONTAINER": ["tests.project.containers.Container"]},
            "django_lifespan_di.E001",
            "'CONTAINER'",
            "the keys are 'CONTAINERS', 'STARTUP_TIMEOUT', 'SHUTDOWN_TIMEOUT'",
        ),
        (
            {"CONTAINERS": "tests.project.containers.Container"},
            "django_lifespan_di.E002",
            "'tests.project.containers.Container'",
            "must be a list of dotted paths",
        ),
        (
            {"CONTAINERS": ["tests.project.containers.Container"], "SHUTDOWN_TIMEOUT": "30"},
            "django_lifespan_di.E003",
            'LIFESPAN_DI["SHUTDOWN_TIMEOUT"]',
            "must be a number of seconds > 0",
        ),
        (
            {"CONTAINERS": ["tests.project.containres.Container"]},
            "django_lifespan_di.E004",
            "'tests.project.containres.Container' cannot be imported",
            "Give the full dotted path of a DeclarativeContainer subclass",
        ),
        (
            {"CONTAINERS": ["tests.project.containers.Tracked"]},
            "django_lifespan_di.E005",
            "'tests.project.containers.Tracked' is <class 'tests.project.containers.Tracked'>",
            "Point it at the container class",
        ),
    ],
    ids=[
        "mistyped-key",
        "containers-not-a-list",
        "timeout-not-a-number",
        "no-import",
        "not-a-container",
    ],
)
def test_bad_setting_is_an_error_naming_it_and_the_fix(
    lifespan_di: dict[str, object], check_id: str, names: str, fix: str
) -> None:
    with override_settings(LIFESPAN_DI=lifespan_di):
        messages = our_messages()
    assert list(messages) == [check_id]
    assert names in full_text(messages[check_id])
    assert fix in full_text(messages[check_id])


@pytest.fixture
def project_with_a_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A project whose containers module exists but imports a package that is not installed."""
    package = tmp_path / "newcomerproject"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "containers.py").write_text(
        "import lifespan_di_uninstalled_client\n"
        "from dependency_injector import containers\n\n\n"
        "class Container(containers.DeclarativeContainer):\n"
        "    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "newcomerproject.containers.Container"
    for name in [name for name in sys.modules if name.startswith("newcomerproject")]:
        del sys.modules[name]


def test_a_container_module_missing_a_dependency_says_what_failed_to_import(
    project_with_a_missing_dependency: str,
) -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [project_with_a_missing_dependency]}):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.E004"]
    text = full_text(messages["django_lifespan_di.E004"])
    assert (
        "importing 'newcomerproject.containers' failed: "
        "No module named 'lifespan_di_uninstalled_client'; install it"
    ) in text
    # The path is right: the hint about dotted paths would point the wrong way.
    assert "Give the full dotted path" not in text


def test_a_container_module_that_raises_says_what_failed(
    project_with_a_missing_dependency: str, tmp_path: Path
) -> None:
    (tmp_path / "newcomerproject" / "containers.py").write_text("Container = undefined_name\n")
    with override_settings(LIFESPAN_DI={"CONTAINERS": [project_with_a_missing_dependency]}):
        messages = our_messages()
    text = full_text(messages["django_lifespan_di.E004"])
    assert (
        "importing 'newcomerproject.containers' failed: NameError: name 'undefined_name' is "
        "not defined. Fix 'newcomerproject.containers'"
    ) in text
    assert "Give the full dotted path" not in text


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("tests.project.containers.Contianer", "module 'tests.project.containers' defines no"),
        ("tests.projcet.containers.Container", "No module named 'tests.projcet'"),
        ("Container", "it is not a dotted path"),
    ],
    ids=["no-such-attribute", "no-such-package", "not-dotted"],
)
def test_a_wrong_container_path_gets_the_dotted_path_hint(path: str, names: str) -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [path]}):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.E004"]
    assert names in full_text(messages["django_lifespan_di.E004"])
    assert "Give the full dotted path" in full_text(messages["django_lifespan_di.E004"])


@override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"])
def test_missing_middleware_warns() -> None:
    warning = our_messages()["django_lifespan_di.W001"]
    assert f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE" in full_text(warning)


@override_settings(
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "myproject.middleware.TenantMiddleware",
        MIDDLEWARE_PATH,
    ]
)
def test_middleware_after_one_that_may_need_it_warns() -> None:
    warning = our_messages()["django_lifespan_di.W202"]
    assert warning.msg.startswith("myproject.middleware.TenantMiddleware come(s) before")
    assert "SecurityMiddleware" not in warning.msg  # Django's own never read request.state
    assert f"Move {MIDDLEWARE_PATH!r} above them" in full_text(warning)


@override_settings(MIDDLEWARE=["django.middleware.security.SecurityMiddleware", MIDDLEWARE_PATH])
def test_middleware_after_django_middleware_only_is_fine() -> None:
    assert our_messages() == {}


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
        ASGI_APPLICATION="tests.test_checks.django_application",
    ):
        messages = our_messages()
    # E201 judges asgi.py for every server; W203 says that runserver will serve it.
    assert sorted(messages) == ["django_lifespan_di.E201", "django_lifespan_di.W203"]
    warning = messages["django_lifespan_di.W203"]
    assert warning.msg.startswith(
        "manage.py runserver (daphne's) serves settings.ASGI_APPLICATION "
        "'tests.test_checks.django_application'"
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


def test_app_missing_from_installed_apps_is_refused_when_the_server_loads_asgi() -> None:
    apps_without = [app for app in settings.INSTALLED_APPS if app != "django_lifespan_di"]
    with (
        override_settings(INSTALLED_APPS=apps_without),
        pytest.raises(ImproperlyConfigured, match='Add "django_lifespan_di" to INSTALLED_APPS'),
    ):
        get_asgi_application()


@pytest.mark.parametrize(
    ("asgi_application", "check_id", "fix"),
    [
        (
            "tests.test_checks.django_application",
            "django_lifespan_di.E201",
            "replace django.core.asgi.get_asgi_application with "
            "django_lifespan_di.asgi.get_asgi_application",
        ),
        (
            "tests.test_checks.wrapped_django_application",
            "django_lifespan_di.E201",
            "replace django.core.asgi.get_asgi_application",
        ),
        (
            "tests.project.asgl.application",
            "django_lifespan_di.E202",
            "Set settings.ASGI_APPLICATION to the dotted path",
        ),
        (
            "tests.test_checks.unknown_application",
            "django_lifespan_di.W204",
            "make sure lifespan scopes reach it",
        ),
        (
            # Followed to itself and to the unknown application, each looked into once.
            "tests.test_checks.rewriting_router",
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
        "tests.test_checks.wrapped_lifespan_application",
        "tests.test_checks.static_files_lifespan_application",
        "tests.project.channels_asgi.application",
        "tests.test_checks.channels_with_state",
        "tests.test_checks.routing_function",
        "tests.test_checks.late_bound_router",
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
            "tests.test_checks.nested_channels_without_lifespan",
            'is a ProtocolTypeRouter whose mapping has no "lifespan" entry',
        ),
        (
            "tests.test_checks.channels_lifespan_elsewhere",
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


def test_manage_py_check_fails_with_the_id_and_the_fix() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LIFESPAN_DI_TEST_CONTAINERS": "tests.project.containres.Container",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "(django_lifespan_di.E004)" in result.stderr
    assert "'tests.project.containres.Container' cannot be imported" in result.stderr


def test_a_malformed_setting_is_reported_once() -> None:
    with override_settings(LIFESPAN_DI=["myproject.containers.Container"]):
        ids = [message.id for message in run_checks() if message.id == "django_lifespan_di.E001"]
    assert ids == ["django_lifespan_di.E001"]


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        (
            "CycleContainer",
            [
                (
                    "django_lifespan_di.E107",
                    "CycleContainer.first -> CycleContainer.service -> CycleContainer.first",
                )
            ],
        ),
        # Which branch it selects depends on configuration set before startup: not judged here.
        ("SelectorContainer", []),
    ],
)
def test_a_provider_graph_that_cannot_start_is_an_error_unless_settings_decide_it(
    container: str, expected: list[tuple[str, str]]
) -> None:
    with override_settings(
        LIFESPAN_DI={"CONTAINERS": [f"tests.support.fault_containers.{container}"]}
    ):
        messages = run_checks(tags=["urls"])
    # The errors about the graph name its providers (the views' E102s name the views).
    found = [(m.id, m.obj) for m in messages if str(m.obj).startswith(f"{container}.")]
    assert found == expected
    if expected:
        (error,) = (m for m in messages if m.id == "django_lifespan_di.E107")
        assert error.msg.startswith("The providers form a cycle: CycleContainer.first -> ")
