"""``LifespanCommand``: a management command with the lifespan started around it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_lifespan_di import StartupError
from tests.project import journal

RESOURCES = ["cache", "database", "http_client", "reporter"]


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
