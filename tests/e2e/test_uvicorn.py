"""uvicorn, one worker: the lifespan opens each resource once and closes it once, in order."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.server import Server

pytestmark = pytest.mark.e2e


def test_serves_state_and_closes_everything_on_sigterm(tmp_path: Path) -> None:
    with Server("uvicorn", journal=tmp_path / "journal") as server:
        first = httpx.get(server.url("/state/")).json()
        second = httpx.get(server.url("/state/")).json()
    assert first["keys"] == ["cache", "database", "http_client", "reporter"]
    assert first["client_id"] == second["client_id"]
    events = [event for _, event in server.journal_events()]
    opened = [e for e in events if e.startswith("open")]
    assert sorted(opened) == ["open cache", "open database", "open http_client", "open reporter"]
    # dependencies open first and close last
    assert events.index("open database") < events.index("open http_client")
    assert events.index("open http_client") < events.index("open reporter")
    closes = [e for e in events if e.startswith("close")]
    assert closes.index("close reporter") < closes.index("close http_client")
    assert closes.index("close http_client") < closes.index("close database")
    assert len(closes) == 4
    assert "Stopped Container.database" in server.output
    assert "Application shutdown complete" in server.output


def test_failed_startup_closes_what_started_and_stops_the_server(tmp_path: Path) -> None:
    server = Server(
        "uvicorn",
        journal=tmp_path / "journal",
        env={"LIFESPAN_DI_TEST_FAIL_START": "reporter"},
        expect_ready=False,
    )
    server.start()
    assert server.wait_exit() == 3
    events = [event for _, event in server.journal_events()]
    assert "open reporter" in events
    assert sorted(e for e in events if e.startswith("close")) == [
        "close cache",
        "close database",
        "close http_client",
    ]
    assert "Container.reporter failed to start" in server.output
    assert "ConnectionRefusedError" in server.output
