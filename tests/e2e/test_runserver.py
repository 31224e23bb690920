"""``manage.py runserver`` with the test settings: this package's command, serving the test
project's ``wsgi.py`` (``django_lifespan_di.wsgi.get_wsgi_application()``).

The lifespan runs in the serving process, the autoreloader's child, started before it serves.
Ctrl-C (SIGINT to the whole process group, as a terminal sends it) closes everything once,
a shutdown slower than the 0.25 s Django's own reloader allows included; an autoreload closes
and reopens exactly once; ``--noreload`` stops on SIGTERM. With
``django.contrib.staticfiles`` listed above ``django_lifespan_di``, its runserver is the one in
use: check W205 says so at startup, and the slow shutdown is cut short, as W205 warns.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.project.containers import SLOW_STOP_SECONDS
from tests.support.journal import RESOURCES, assert_closed_once, journal_by_pid
from tests.support.server import ROOT, Server
from tests.support.servers import RUNSERVER

pytestmark = pytest.mark.e2e

SLOW = {"LIFESPAN_DI_TEST_SLOW_STOP": "reporter"}
VIEWS = ("/inject/sync/", "/inject/async/runserver/", "/state/", "/orm/")


def serve_every_view(server: Server) -> set[int]:
    """Each kind of view answers 200 with the live objects; the pids that served them."""
    pids = set()
    for path in VIEWS:
        response = httpx.get(server.url(path), timeout=10.0)
        assert response.status_code == 200, (path, response.text)
        answer = response.json()
        if isinstance(answer.get("client"), dict):
            assert answer["client"]["closed"] is False, answer
        pids.add(answer["pid"])
    return pids


def assert_each_resource_opened_and_closed_once(events: list[str]) -> None:
    assert sorted(e for e in events if e.startswith("open ")) == [
        f"open {name}" for name in RESOURCES
    ], events
    assert_closed_once(events)


def assert_no_runserver_warning(output: str) -> None:
    assert "django_lifespan_di.W203" not in output, output
    assert "django_lifespan_di.W205" not in output, output
    assert "Traceback" not in output, output


def test_ctrl_c_closes_everything_once_even_a_slow_shutdown(
    tmp_path: Path, migrated_database: dict[str, str]
) -> None:
    with RUNSERVER.serve(tmp_path / "journal", env={**SLOW, **migrated_database}) as server:
        # Started in the child before it served the readiness probe.
        server.wait_for_journal("open reporter")
        pids = serve_every_view(server)
        server.send_group(signal.SIGINT)
        server.wait_exit()
    assert server.returncode == RUNSERVER.sigterm_exit, server.output
    (child,) = pids
    assert server.process is not None
    assert child != server.process.pid  # the reloader's child served, and ran the lifespan
    assert list(journal_by_pid(server)) == [child]
    assert_each_resource_opened_and_closed_once(journal_by_pid(server)[child])
    # The close took longer than the 0.25 s Django's own reloader would have allowed.
    took = re.search(r"Stopped Container\.reporter in ([\d.]+) ms", server.output)
    assert took is not None, server.output
    assert float(took.group(1)) >= SLOW_STOP_SECONDS * 1000
    assert server.output.count("Lifespan shut down") == 1
    assert_no_runserver_warning(server.output)


def test_an_autoreload_closes_and_reopens_exactly_once(tmp_path: Path) -> None:
    watched = tmp_path / "watched_probe.py"
    watched.write_text("# touched by the test to make runserver reload\n")
    env = {
        "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
        "LIFESPAN_DI_TEST_WATCHED_MODULE": "watched_probe",
    }
    with RUNSERVER.serve(tmp_path / "journal", env=env) as server:
        before = httpx.get(server.url("/inject/async/before/")).json()
        # The reloader sees a change only against a snapshot it has taken, and its first one
        # may come after the server serves: move the mtime on until the old child closes.
        # Not after: the new child's first snapshot then holds the last mtime (no 2nd reload).
        later, deadline = time.time() + 10, time.monotonic() + 20
        while not any(event == "close reporter" for _, event in server.journal_events()):
            assert time.monotonic() < deadline, f"no reload\n{server.output}"
            later += 1
            os.utime(watched, (later, later))
            time.sleep(0.5)
        server.wait_for_journal("open reporter", count=2)
        # The new child opens its resources before it binds the port: wait until it serves.
        server.wait_ready()
        after = httpx.get(server.url("/inject/async/after/")).json()
    # Left by SIGTERM to the reloader (not its group), which hands it on to its child.
    assert server.returncode == RUNSERVER.sigterm_exit, server.output
    assert before["pid"] != after["pid"]
    assert after["client"]["closed"] is False
    by_pid = journal_by_pid(server)
    assert list(by_pid) == [before["pid"], after["pid"]], by_pid  # exactly one reload
    for events in by_pid.values():
        assert_each_resource_opened_and_closed_once(events)
    # The old child had closed everything before the new one opened anything.
    journal = server.journal_events()
    last_close = max(i for i, (pid, _) in enumerate(journal) if pid == before["pid"])
    first_open = min(i for i, (pid, _) in enumerate(journal) if pid == after["pid"])
    assert last_close < first_open, journal
    assert server.output.count("Lifespan shut down") == 2
    assert_no_runserver_warning(server.output)


def test_noreload_closes_everything_once_on_sigterm(tmp_path: Path) -> None:
    with RUNSERVER.serve(tmp_path / "journal", ("--noreload",)) as server:
        response = httpx.get(server.url("/inject/sync/"))
    assert response.status_code == 200
    assert server.returncode == 0, server.output
    assert server.process is not None
    by_pid = journal_by_pid(server)
    assert list(by_pid) == [server.process.pid]  # no reloader: the server itself
    assert_each_resource_opened_and_closed_once(by_pid[server.process.pid])
    assert_no_runserver_warning(server.output)


def test_staticfiles_runserver_listed_first_warns_w205_and_cuts_a_slow_shutdown(
    tmp_path: Path,
) -> None:
    env = {**SLOW, "LIFESPAN_DI_TEST_APPS_FIRST": "django.contrib.staticfiles"}
    with RUNSERVER.serve(tmp_path / "journal", env=env) as server:
        response = httpx.get(server.url("/inject/sync/"))  # its lifespan starts here
        server.send_group(signal.SIGINT)
        server.wait_exit()
    assert response.status_code == 200
    warning = server.output.index("django_lifespan_di.W205")
    assert warning < server.output.index("development server at"), server.output
    assert "The runserver command in use is django.contrib.staticfiles's" in server.output
    assert 'List "django_lifespan_di" above "django.contrib.staticfiles"' in server.output
    (events,) = journal_by_pid(server).values()
    assert "open reporter" in events
    # Killed 0.25 s after Ctrl-C: the slow close never finished, nor what depends on it.
    assert "close reporter" not in events, events
    assert "close database" not in events, events


def test_staticfiles_listed_below_it_serves_static_files_and_waits_for_the_shutdown(
    tmp_path: Path,
) -> None:
    # This package's command built on django.contrib.staticfiles' one: its --insecure option
    # (static files with DEBUG = False), and this package's reloader.
    env = {**SLOW, "LIFESPAN_DI_TEST_APPS_FIRST": "django_lifespan_di,django.contrib.staticfiles"}
    with RUNSERVER.serve(tmp_path / "journal", ("--insecure",), env=env) as server:
        server.wait_for_journal("open reporter")
        static = httpx.get(server.url("/static/lifespan-di-probe.txt"))
        view = httpx.get(server.url("/inject/sync/"))
        server.send_group(signal.SIGINT)
        server.wait_exit()
    assert static.status_code == 200, static.text
    assert static.text == "served by django.contrib.staticfiles\n"
    assert view.status_code == 200, view.text
    assert server.returncode == RUNSERVER.sigterm_exit, server.output
    (events,) = journal_by_pid(server).values()
    assert_each_resource_opened_and_closed_once(events)  # the slow close finished
    assert_no_runserver_warning(server.output)


def test_a_serving_process_that_overstays_the_shutdown_is_killed(tmp_path: Path) -> None:
    # A stuck serving process (stopped here with SIGSTOP): Ctrl-C and then SIGTERM, as a
    # terminal and then systemd send them, are handed on to it in vain; the reloader kills it
    # SHUTDOWN_TIMEOUT + STOP_MARGIN_SECONDS after the first.
    env = {"LIFESPAN_DI_TEST_SHUTDOWN_TIMEOUT": "0.5"}
    with RUNSERVER.serve(tmp_path / "journal", env=env) as server:
        child = httpx.get(server.url("/inject/sync/")).json()["pid"]
        os.kill(child, signal.SIGSTOP)
        server.send(signal.SIGINT)
        server.send(signal.SIGTERM)
        server.wait_exit()
    assert server.returncode == 256 - signal.SIGKILL, server.output  # sys.exit(-9)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # gone, and reaped
    (events,) = journal_by_pid(server).values()
    assert not [event for event in events if event.startswith("close ")], events


def test_with_daphne_installed_it_serves_asgi_and_ctrl_c_closes_everything_once(
    tmp_path: Path, migrated_database: dict[str, str]
) -> None:
    # django_lifespan_di above daphne: this package's command, built on daphne's.
    env = {
        **SLOW,
        **migrated_database,
        "LIFESPAN_DI_TEST_APPS_FIRST": "django_lifespan_di,daphne",
    }
    with RUNSERVER.serve(tmp_path / "journal", env=env) as server:
        server.wait_for_journal("open reporter")
        (child,) = serve_every_view(server)
        server.send_group(signal.SIGINT)
        server.wait_exit()
    assert server.returncode == RUNSERVER.sigterm_exit, server.output
    assert "Starting ASGI/Daphne" in server.output
    assert list(journal_by_pid(server)) == [child]
    assert_each_resource_opened_and_closed_once(journal_by_pid(server)[child])
    took = re.search(r"Stopped Container\.reporter in ([\d.]+) ms", server.output)
    assert took is not None, server.output
    assert float(took.group(1)) >= SLOW_STOP_SECONDS * 1000
    assert_no_runserver_warning(server.output)


def test_a_failed_startup_shows_at_once_and_every_request_answers_503(tmp_path: Path) -> None:
    env = {"LIFESPAN_DI_TEST_FAIL_START": "http_client"}
    with RUNSERVER.serve(tmp_path / "journal", ("--noreload",), env=env) as server:
        answers = [httpx.get(server.url(path)) for path in ("/state/", "/inject/sync/")]
    assert [r.status_code for r in answers] == [503, 503]
    assert "the lifespan of this server process failed to start" in answers[0].text
    assert server.returncode == 0, server.output
    # In the console before the server says it serves, not at the first request.
    failed = server.output.index("Container.http_client failed to start: ConnectionRefusedError")
    assert failed < server.output.index("development server at"), server.output
    (events,) = journal_by_pid(server).values()
    assert events.count("open http_client") == 1, events  # not retried by the requests
    assert_closed_once(events, failed="http_client")
