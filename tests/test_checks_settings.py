"""The checks of the ``LIFESPAN_DI`` setting and of the middleware (``checks/settings.py``):
each mistake gets a system check that names it and the fix.

The checks run through Django's check framework exactly as ``manage.py check`` runs them; one
test runs the real command in a subprocess.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_lifespan_di.asgi import get_asgi_application
from django_lifespan_di.middleware import MIDDLEWARE_PATH
from tests.support.bad_settings import ABSENT_CONFIG, PASSWORD
from tests.support.checks import full_text, our_messages
from tests.support.server import ROOT

CONTAINER = "tests.project.containers.Container"


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
            "the keys are 'CONTAINERS', 'STARTUP_TIMEOUT', 'SHUTDOWN_TIMEOUT', 'PING_MAX_AGE', "
            "'DATABASES', 'DEFERRED'",
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
            "must be a finite number of seconds > 0",
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
            "'tests.project.containers.Tracked' is the class tests.project.containers.Tracked,",
            "Point it at a subclass of dependency_injector.containers.DeclarativeContainer",
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


@pytest.mark.parametrize("key", ["STARTUP_TIMEOUT", "SHUTDOWN_TIMEOUT", "PING_MAX_AGE"])
@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf])
def test_a_timeout_that_is_not_finite_is_an_error(key: str, seconds: float) -> None:
    # float(os.environ["..."]) gives nan or inf from a mistyped environment variable.
    with override_settings(LIFESPAN_DI={"CONTAINERS": [CONTAINER], key: seconds}):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.E003"]
    assert messages["django_lifespan_di.E003"].msg == (
        f'settings.LIFESPAN_DI["{key}"] must be a finite number of seconds > 0, not {seconds!r}.'
    )


def test_an_entry_that_is_no_container_is_named_by_its_type_never_its_repr() -> None:
    entry = "tests.support.bad_settings.database_settings"
    with override_settings(LIFESPAN_DI={"CONTAINERS": [entry]}):
        messages = our_messages()
    assert list(messages) == ["django_lifespan_di.E005"]
    assert messages["django_lifespan_di.E005"].msg.startswith(
        f'settings.LIFESPAN_DI["CONTAINERS"] entry {entry!r} is a '
        f"tests.support.bad_settings.DatabaseSettings instance, not a container. Point it at"
    )
    assert PASSWORD not in full_text(messages["django_lifespan_di.E005"])


def test_a_container_that_cannot_be_instantiated_is_an_error_naming_it_and_the_cause() -> None:
    entry = "tests.support.bad_settings.MissingConfigContainer"
    with override_settings(LIFESPAN_DI={"CONTAINERS": [entry]}):
        messages = our_messages()  # the checks of the injected views skip it, not crash
    assert list(messages) == ["django_lifespan_di.E006"]
    error = messages["django_lifespan_di.E006"]
    assert error.msg.startswith(
        f'settings.LIFESPAN_DI["CONTAINERS"] entry {entry!r}: {entry} cannot be instantiated: '
        f"FileNotFoundError: "
    )
    assert str(ABSENT_CONFIG) in error.msg  # dependency-injector's message names the file
    assert error.hint is not None
    assert "SILENCED_SYSTEM_CHECKS" in error.hint


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


def test_app_missing_from_installed_apps_is_refused_when_the_server_loads_asgi() -> None:
    apps_without = [app for app in settings.INSTALLED_APPS if app != "django_lifespan_di"]
    with (
        override_settings(INSTALLED_APPS=apps_without),
        pytest.raises(ImproperlyConfigured, match='Add "django_lifespan_di" to INSTALLED_APPS'),
    ):
        get_asgi_application()


def manage(command: str, containers: str) -> subprocess.CompletedProcess[str]:
    """``manage.py <command>`` of the test project, with ``containers`` as its CONTAINERS."""
    return subprocess.run(
        [sys.executable, "-m", "django", command],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LIFESPAN_DI_TEST_CONTAINERS": containers,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_manage_py_check_fails_with_the_id_and_the_fix() -> None:
    result = manage("check", "tests.project.containres.Container")
    assert result.returncode == 1, result.stderr
    assert "(django_lifespan_di.E004)" in result.stderr
    assert "'tests.project.containres.Container' cannot be imported" in result.stderr


def test_a_command_that_runs_the_checks_reports_a_container_it_cannot_instantiate() -> None:
    # Any command that runs the system checks (showmigrations, migrate, ...): a check error that
    # names the container, where a FileNotFoundError from inside the checks ended it before.
    result = manage("showmigrations", "tests.support.bad_settings.MissingConfigContainer")
    assert result.returncode == 1, result.stderr
    assert "(django_lifespan_di.E006)" in result.stderr
    assert "MissingConfigContainer cannot be instantiated: FileNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_setting_is_reported_once() -> None:
    with override_settings(LIFESPAN_DI=["myproject.containers.Container"]):
        ids = [message.id for message in run_checks() if message.id == "django_lifespan_di.E001"]
    assert ids == ["django_lifespan_di.E001"]


@pytest.mark.parametrize(
    ("deferred", "check_id", "message"),
    [
        (
            f"{CONTAINER}.http_client",
            "django_lifespan_di.E010",
            "Container.http_client cannot be deferred: Container.reporter, which opens at "
            "startup, depends on it",
        ),
        (f"{CONTAINER}.service", "django_lifespan_di.E009", "it is a Factory, not a shared"),
    ],
    ids=["depended-on-at-startup", "a-factory"],
)
def test_what_cannot_be_deferred_is_reported_by_check(
    deferred: str, check_id: str, message: str
) -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [CONTAINER], "DEFERRED": [deferred]}):
        messages = our_messages()
    assert message in full_text(messages[check_id])


def test_a_resource_nothing_opened_at_startup_needs_may_be_deferred() -> None:
    with override_settings(
        LIFESPAN_DI={"CONTAINERS": [CONTAINER], "DEFERRED": [f"{CONTAINER}.reporter"]}
    ):
        messages = our_messages()
    assert not {"django_lifespan_di.E009", "django_lifespan_di.E010"} & set(messages)


def test_the_deferred_check_leaves_a_malformed_setting_to_check_settings() -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [CONTAINER], "DEFERRED": "search"}):
        messages = run_checks()
    assert [m.id for m in messages if m.id == "django_lifespan_di.E009"] == [
        "django_lifespan_di.E009"
    ]
