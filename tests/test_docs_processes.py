"""The examples of docs/guides/processes.md: ``wsgi.py``, the gunicorn command lines, the order
of ``INSTALLED_APPS``, the Channels routing and consumers (the ``live_server`` test runs in
test_docs_processes_live_server.py: its fixture has the name of the consumers' tests' one).

The example tests are imported here, where pytest collects them (as in test_docs_testing.py);
the autouse fixture (from tests/support/snippets.py) points the settings at the example project.
"""

from __future__ import annotations

import shlex
import sys

import pytest
from django.core.checks import run_checks
from django.core.management import get_commands
from django.test import override_settings

from django_lifespan_di.wsgi import LifespanWSGIApplication
from docs.examples.processes import settings as example_settings
from docs.examples.processes.test_consumers import (  # noqa: F401
    offline_weather,
    test_forecast_from_the_scope_state,
    test_forecast_over_a_websocket,
)
from tests.support.server import ROOT
from tests.support.servers import GUNICORN_GTHREAD, GUNICORN_SYNC
from tests.support.snippets import example_project, section  # noqa: F401

# Channels' consumers close old database connections when a connection opens (and pytest-django
# refuses that outside a database test once an earlier test has used the database).
pytestmark = pytest.mark.django_db


EXAMPLE = ROOT / "docs" / "examples" / "processes"


def runserver_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
    return [m.id for m in run_checks() if m.id and m.id.startswith("django_lifespan_di.W20")]


def test_the_wsgi_py_serves_the_lifespan_application(monkeypatch: pytest.MonkeyPatch) -> None:
    from docs.examples.processes.wsgi import application

    assert isinstance(application, LifespanWSGIApplication)
    with override_settings(WSGI_APPLICATION="docs.examples.processes.wsgi.application"):
        assert runserver_messages(monkeypatch) == []  # no W203


def test_the_gunicorn_command_lines_are_the_ones_the_end_to_end_tests_run() -> None:
    lines = section(EXAMPLE / "gunicorn.sh", "gunicorn").splitlines()
    tested = []
    for line in lines:
        gunicorn, app, *options = shlex.split(line)
        assert (gunicorn, app) == ("gunicorn", "myproject.wsgi:application")
        bind = options.index("--bind")
        del options[bind : bind + 2]  # the tests bind a free port on 127.0.0.1
        tested.append(options)
    # The tests add --no-control-socket: gunicorn 27 would leave a control socket file behind.
    assert tested == [
        [arg for arg in case.args if arg != "--no-control-socket"]
        for case in (GUNICORN_SYNC, GUNICORN_GTHREAD)
    ]


def test_the_installed_apps_order_makes_this_runserver_the_one_in_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with override_settings(INSTALLED_APPS=[*example_settings.INSTALLED_APPS, "tests.project"]):
        assert get_commands()["runserver"] == "django_lifespan_di"
        assert runserver_messages(monkeypatch) == []  # no W205
