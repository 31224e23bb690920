"""``LifespanCommand``: a management command with the lifespan started around it; and
``manage.py with_lifespan``, any command with the lifespan around it (run as a real process
where it ends the process, as on SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_lifespan_di import StartupError
from django_lifespan_di.management import LifespanCommand
from tests.project import journal
from tests.support.journal import assert_closed_once
from tests.support.server import ROOT
from tests.support.worker import Worker

RESOURCES = ["cache", "database", "http_client", "reporter"]
#: Code for ``with_lifespan shell -c``: it journals what get_container() gives it.
USE_THE_CACHE = (
    "from django_lifespan_di import get_container; "
    "from tests.project.containers import Container; "
    "from tests.project.journal import record; "
    "record('the command got ' + get_container(Container).cache().name)"
)


def opened_and_closed() -> tuple[list[str], list[str]]:
    opened = sorted(e.removeprefix("open ") for e in journal.EVENTS if e.startswith("open "))
    closed = sorted(e.removeprefix("close ") for e in journal.EVENTS if e.startswith("close "))
    return opened, closed


def test_a_command_opens_and_closes_each_resource_once() -> None:
    out = StringIO()
    call_command("use_resources", stdout=out)
    assert out.getvalue().splitlines() == [
        "injected: http_client closed=False",
        "container: cache closed=False",
    ]
    for name in RESOURCES:
        assert journal.EVENTS.count(f"open {name}") == 1, name
        assert journal.EVENTS.count(f"close {name}") == 1, name


def test_a_command_run_twice_gets_fresh_resources_each_time() -> None:
    call_command("use_resources", stdout=StringIO())
    call_command("use_resources", stdout=StringIO())
    assert journal.EVENTS.count("open http_client") == journal.EVENTS.count("close http_client")
    assert journal.EVENTS.count("open http_client") == 2


def test_a_failed_startup_closes_what_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "reporter")
    with pytest.raises(StartupError, match=r"Container\.reporter failed to start"):
        call_command("use_resources", stdout=StringIO())
    opened = {e.split()[1] for e in journal.EVENTS if e.startswith("open")} - {"reporter"}
    closed = {e.split()[1] for e in journal.EVENTS if e.startswith("close")}
    assert opened == closed == {"cache", "database", "http_client"}


async def test_calling_it_from_async_code_says_how() -> None:
    with pytest.raises(CommandError, match="sync_to_async"):
        call_command("use_resources", stdout=StringIO())


def test_a_command_without_handle_async_says_so_and_closes_what_started() -> None:
    class Command(LifespanCommand):
        pass

    with pytest.raises(NotImplementedError, match="must provide handle_async"):
        call_command(Command(), stdout=StringIO())
    assert opened_and_closed() == (RESOURCES, RESOURCES)


# -- with_lifespan -----------------------------------------------------------------------------


def manage_py(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_lifespan_from_another_thread_runs_and_leaves_sigterm_alone() -> None:
    # Python allows signal handlers in the main thread only: there, and only there, SIGTERM
    # is made to stop the command (see the next test).
    before = signal.getsignal(signal.SIGTERM)
    failures: list[BaseException] = []

    def command() -> None:
        try:
            call_command("with_lifespan", "shell", "-c", USE_THE_CACHE)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=command)
    thread.start()
    thread.join(60)
    assert failures == []
    assert "the command got cache" in journal.EVENTS
    assert opened_and_closed() == (RESOURCES, RESOURCES)
    assert signal.getsignal(signal.SIGTERM) is before


def test_with_lifespan_stops_on_sigterm_and_closes_everything_once(tmp_path: Path) -> None:
    code = (
        "from tests.project.journal import record; import time; record('waiting'); time.sleep(60)"
    )
    with Worker(
        [sys.executable, "-m", "django", "with_lifespan", "shell", "-c", code],
        journal=tmp_path / "journal",
    ) as command:
        command.wait_for_journal("waiting")
    assert command.returncode == 128 + signal.SIGTERM, command.output
    events = [event for _, event in command.journal_events()]
    assert sorted(e for e in events if e.startswith("open ")) == [f"open {n}" for n in RESOURCES]
    assert_closed_once(events)
    assert "Traceback" not in command.output, command.output


def test_with_lifespan_fails_when_the_lifespan_does_not_shut_down_cleanly() -> None:
    result = manage_py(
        "with_lifespan", "shell", "-c", USE_THE_CACHE, env={"LIFESPAN_DI_TEST_FAIL_STOP": "cache"}
    )
    assert result.returncode == 1, result.stderr
    assert (
        "1 shutdown(s) failed (all others completed):\n"
        "  Container.cache: RuntimeError: cache failed to close (test fault)"
    ) in result.stderr
    assert result.stderr.rstrip().endswith(
        "CommandError: The lifespan did not shut down cleanly."
    ), result.stderr
