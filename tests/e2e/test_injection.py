"""``@inject`` through a real uvicorn: every view kind gets the one shared object, all the time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.project import INJECTED_URLS
from tests.support.server import ROOT, Server

pytestmark = pytest.mark.e2e


def test_every_view_kind_shares_one_client_under_uvicorn(tmp_path: Path) -> None:
    with (
        Server("uvicorn", "--no-access-log", journal=tmp_path / "journal") as server,
        httpx.Client() as http,
    ):
        bodies = {url: http.get(server.url(url)).json() for url in INJECTED_URLS}
        client_ids = {body["client"]["id"] for body in bodies.values() if "client" in body}
        cache_ids = {body["cache"]["id"] for body in bodies.values() if "cache" in body}
        thousand = {
            http.get(server.url("/inject/async-class/")).json()["client"]["id"] for _ in range(1000)
        }
        units = [http.get(server.url("/inject/unit-of-work/")).json() for _ in range(3)]
        assert http.get(server.url("/inject/unit-of-work/?fail=1")).status_code == 500
    assert len(client_ids) == 1
    assert len(cache_ids) == 1
    assert thousand == client_ids
    assert {unit["client"]["id"] for unit in units} == client_ids
    assert len({unit["unit_of_work"]["serial"] for unit in units}) == 3
    events = [event for _, event in server.journal_events()]
    assert events.count("open http_client") == events.count("close http_client") == 1
    assert events.count("open unit_of_work") == events.count("close unit_of_work") == 4
    assert events.count("rollback unit_of_work ValueError") == 1
    # the shared client outlives every per-request object and closes last of the two
    assert events.index("close http_client") > max(
        i for i, event in enumerate(events) if event == "close unit_of_work"
    )
    assert "Application shutdown complete" in server.output


def migrated_database(tmp_path: Path) -> Path:
    """A file database with Django's auth tables and one user, for servers to share."""
    database = tmp_path / "db.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env["LIFESPAN_DI_TEST_DATABASE"] = str(database)
    script = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); from django.contrib.auth.models import User; "
        "User.objects.create(username='ada')"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT)
    return database


@pytest.mark.parametrize(
    "url", ["/inject/sync-orm/", "/inject/sync-orm-unit-of-work/", "/inject/async-orm/"]
)
def test_sync_views_using_the_async_orm_never_hang_under_uvicorn(tmp_path: Path, url: str) -> None:
    database = migrated_database(tmp_path)
    with Server(
        "uvicorn",
        journal=tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_DATABASE": str(database)},
    ) as server:
        answers = [httpx.get(server.url(url), timeout=10.0) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200], answers[0].text
    assert {answer.json()["users"] for answer in answers} == {1}
    assert server.returncode is not None  # SIGTERM stopped it: nothing hung
    events = [event for _, event in server.journal_events()]
    assert events.count("open http_client") == events.count("close http_client") == 1
    assert events.count("open orm_unit_of_work") == events.count("close orm_unit_of_work")
