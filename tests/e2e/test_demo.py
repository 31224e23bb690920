"""The demo project (demo/) under a real uvicorn, and its management command, so it cannot rot."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT, Server

pytestmark = pytest.mark.e2e

UNITS = ("Container.http_client", "Container.store", "demo.upstream.serve_upstream")
#: The demo's stand-in credential (config.api_token): no status output may show it.
SECRET = "demo-secret-token"


def demo_env(db_path: Path) -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": "demo.settings", "DEMO_DB_PATH": str(db_path)}


def logged_once(output: str, *lines: str) -> None:
    for line in lines:
        assert output.count(line) == 1, f"{line!r} logged {output.count(line)} times:\n{output}"


def test_every_page_serves_and_sigint_closes_each_resource(tmp_path: Path) -> None:
    server = Server(
        app="demo.asgi:application",
        env=demo_env(tmp_path / "demo.sqlite3"),
        ready_path="/ready/",
        stop_signal=signal.SIGINT,
    )
    with server, httpx.Client(base_url=server.url(""), timeout=10.0) as client:
        get = client.get
        ready = get("/ready/")
        first, second = get("/quote/").json(), get("/quote/").json()
        visits = get("/visits/?limit=5").json()
        bad_limit = get("/visits/?limit=ten")
        state = get("/state/").json()
        status_json = get("/status.json")
        page = get("/")

    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    # One shared client, seen the same through @inject and through request.state ...
    assert first["client_id"] == second["client_id"] == state["client_id"]
    assert visits["store_id"] == state["store_id"]
    # ... whose pool carried both upstream calls, and /ready/'s ping, on one TCP connection.
    assert second["upstream"]["requests"] == 3
    assert second["upstream"]["connections"] == 1
    assert first["upstream"]["quote"] != second["upstream"]["quote"]
    assert second["visits"] == 2
    assert visits["count"] == 2
    assert [v["path"] for v in visits["recent"]] == ["/quote/", "/quote/"]
    assert bad_limit.status_code == 400
    assert "?limit= takes a whole number" in bad_limit.json()["error"]
    assert state["keys"] == ["http_client", "store", "upstream_url"]
    assert state["upstream_url"].startswith("http://127.0.0.1:")

    assert status_json.status_code == 200
    resources = status_json.json()["resources"]
    assert {r["name"]: (r["kind"], r["status"]) for r in resources} == {
        "Container.http_client": ("resource", "ready"),
        "Container.store": ("resource", "ready"),
        "demo.upstream.serve_upstream": ("manager", "ready"),
    }
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "3 of 3 ready" in page.text
    resources, timeline = page.text.split('id="resources"')[1].split('id="timeline"')
    for name in UNITS:
        assert f"<code>{name}</code>" in resources
        assert f"<code>{name}</code>" in timeline  # the last startup, unit by unit
    assert '<span class="started">started</span> in ' in page.text
    assert timeline.count('class="bar ') == len(UNITS)
    # The visits, through an @inject-ed helper of the page.
    assert page.text.count("<li><code>/quote/</code> at ") == 2
    for response in (ready, status_json, page):
        assert SECRET not in response.text

    assert server.returncode == 0, server.output
    logged_once(server.output, *(f"Started {name}" for name in UNITS))
    logged_once(server.output, *(f"Stopped {name}" for name in UNITS), "Lifespan shut down")
    # The embedded upstream server's own lines are filtered out of uvicorn's log.
    logged_once(server.output, "Shutting down", "Finished server process")


def test_management_command_opens_and_closes_each_resource_once(tmp_path: Path) -> None:
    db_path = tmp_path / "demo.sqlite3"
    result = subprocess.run(
        [sys.executable, "demo/manage.py", "demo_quotes", "--count", "2"],
        cwd=ROOT,
        env={**os.environ, **demo_env(db_path), "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    quotes = result.stdout.splitlines()
    assert len(quotes) == 2
    assert all(quote.endswith(".") for quote in quotes)
    logged_once(result.stderr, *(f"Started {name}" for name in UNITS))
    logged_once(result.stderr, *(f"Stopped {name}" for name in UNITS), "Lifespan shut down")
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT path FROM visits").fetchall()
    assert rows == [("manage.py demo_quotes",), ("manage.py demo_quotes",)]


def test_readiness_is_503_when_the_server_runs_no_lifespan(tmp_path: Path) -> None:
    server = Server(
        "uvicorn",
        "--lifespan",
        "off",
        app="demo.asgi:application",
        env=demo_env(tmp_path / "demo.sqlite3"),
        ready_path="/ready/",
    )
    with server:
        ready = httpx.get(server.url("/ready/"))
        page = httpx.get(server.url("/"))
    assert page.status_code == 503
    assert "The lifespan is not running" in page.text
    assert "uvicorn --lifespan off" in page.text
    assert ready.status_code == 503
    assert ready.json() == {
        "ready": False,
        "reason": "the lifespan is not running",
        "resources": [],
    }
