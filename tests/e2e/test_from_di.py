"""docs/from-dependency-injector.md's project after the move, served and run as its users do.

uvicorn serves docs/examples/from_di/after/ against a stand-in for the search API on 127.0.0.1:
the client of the container instance opens once, with the configuration loaded into that
instance, serves the views wired by dependency-injector and this package's over one connection,
and closes once at SIGTERM. Its ``search`` command opens and closes its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.server import ROOT, Server

pytestmark = pytest.mark.e2e

STAGE = "docs.examples.from_di.after"


class FakeSearchAPI(BaseHTTPRequestHandler):
    """``/search/repositories?q=...&per_page=N``; records each request's client port (HTTP/1.1
    keep-alive: one pooled client sends every request over one connection)."""

    protocol_version = "HTTP/1.1"
    client_ports: list[int] = []

    def do_GET(self) -> None:
        FakeSearchAPI.client_ports.append(self.client_address[1])
        params = parse_qs(urlsplit(self.path).query)
        names = [f"{params['q'][0]}/{n}" for n in range(int(params["per_page"][0]))]
        body = json.dumps({"items": [{"full_name": name} for name in names]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test reads the server's output


@pytest.fixture
def search_api() -> Iterator[str]:
    FakeSearchAPI.client_ports = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSearchAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_uvicorn_serves_the_instance_s_client_opened_once_and_closed_once(search_api: str) -> None:
    server = Server(
        "uvicorn",
        app=f"{STAGE}.asgi:application",
        env={"DJANGO_SETTINGS_MODULE": f"{STAGE}.settings", "SEARCH_API_URL": search_api},
        ready_path="/upstream/",
    )
    with server:
        found = [httpx.get(server.url("/?query=lifespan")) for _ in range(3)]
        default = httpx.get(server.url("/"))
        upstream = httpx.get(server.url("/upstream/"))
    assert [r.status_code for r in found] == [200] * 3, server.output
    assert found[0].json() == {
        "query": "lifespan",
        "repositories": ["lifespan/0", "lifespan/1", "lifespan/2"],
    }
    assert default.json()["query"] == "django"  # the configuration loaded into the instance
    # The configured timeout reached the client the lifespan opened (not None).
    assert upstream.json() == {"api_url": search_api, "timeout": 5.0}
    # Four searches through one pooled client: one connection.
    assert len(FakeSearchAPI.client_ports) == 4
    assert len(set(FakeSearchAPI.client_ports)) == 1, FakeSearchAPI.client_ports

    assert server.returncode == -signal.SIGTERM, server.output
    output = server.output
    assert output.count("Started Container.http_client") == 1, output
    assert output.count("Stopped Container.http_client") == 1, output
    assert output.index("Started Container.http_client") < output.index(
        "Application startup complete"
    )
    assert output.index("Stopped Container.http_client") < output.index(
        "Application shutdown complete"
    )
    assert "Traceback" not in output


def test_the_search_command_opens_and_closes_its_own_client(search_api: str) -> None:
    finished = subprocess.run(
        [sys.executable, str(ROOT / "docs/examples/from_di/after/manage.py"), "search", "orm"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "PYTHONPATH": str(ROOT),
            "SEARCH_API_URL": search_api,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["orm/0", "orm/1", "orm/2"]
    assert finished.stderr.count("Started Container.http_client") == 1, finished.stderr
    assert finished.stderr.count("Stopped Container.http_client") == 1, finished.stderr
