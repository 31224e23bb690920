"""Channels under uvicorn: ``ProtocolTypeRouter`` sends ``http`` and ``lifespan`` to the
package's application and websockets to consumers (``tests/project/channels_asgi.py``).

A real websocket client reaches a consumer with ``@inject`` on its methods and one that reads
``self.scope["state"]``: both get the objects the lifespan opened, the same as the HTTP views.
SIGTERM closes everything once. Without the router's ``"lifespan"`` entry (check E203) uvicorn
serves on and nothing starts.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.journal import RESOURCES, assert_closed_once, journal_by_pid
from tests.support.server import CHANNELS_APP, Server
from tests.support.websocket import websocket_exchange

pytestmark = pytest.mark.e2e


def test_consumers_get_the_live_objects_and_sigterm_closes_them_once(tmp_path: Path) -> None:
    with Server("uvicorn", app=CHANNELS_APP, journal=tmp_path / "journal") as server:
        injected = [
            json.loads(reply)
            for reply in websocket_exchange(server.port, "/ws/injected/", ["one", "two"])
        ]
        (from_state,) = map(json.loads, websocket_exchange(server.port, "/ws/state/", ["?"]))
        view = httpx.get(server.url("/inject/async/channels/")).json()
    assert [reply["echo"] for reply in injected] == ["one", "two"]
    clients = {reply["client"]["serial"] for reply in injected}
    clients |= {from_state["client"]["serial"], view["client"]["serial"]}
    assert len(clients) == 1, (injected, from_state, view)  # one client, opened once
    assert {reply["cache"]["serial"] for reply in injected} == {view["cache"]["serial"]}
    assert not any(reply["client"]["closed"] for reply in injected)
    assert from_state["keys"] == list(RESOURCES)
    assert server.returncode == -15, server.output  # uvicorn's exit on SIGTERM
    (events,) = journal_by_pid(server).values()
    assert sorted(e for e in events if e.startswith("open ")) == [f"open {n}" for n in RESOURCES]
    assert_closed_once(events)
    assert "Traceback" not in server.output, server.output


def test_a_router_without_its_lifespan_entry_starts_nothing(tmp_path: Path) -> None:
    """What check E203 prevents: the router raises for the lifespan scope, uvicorn serves on."""
    app = f"{CHANNELS_APP}_without_lifespan"
    with Server("uvicorn", app=app, journal=tmp_path / "journal") as server:
        response = httpx.get(server.url("/state/"))
    assert response.status_code == 500
    # uvicorn logs the router's ValueError at debug level only.
    assert "ASGI 'lifespan' protocol appears unsupported" in server.output
    assert server.journal_events() == []
