"""The examples of docs/guides/observability.md, served by a real uvicorn: the log lines as
structlog's JSON (the fields of the events table) and the spans of the tracing example.

One server run: the example's asgi.py sets the tracer provider (once per process, as
OpenTelemetry allows) and its settings the JSON logging; both print to the server's output,
one JSON object per line.
"""

from __future__ import annotations

import json
import signal
from typing import Any

import httpx
import pytest

from tests.support.server import Server

pytestmark = pytest.mark.e2e

CLIENT = "Container.http_client"


@pytest.fixture(scope="module")
def served() -> tuple[Server, list[dict[str, Any]]]:
    server = Server(
        app="docs.examples.observability.asgi:application",
        env={"DJANGO_SETTINGS_MODULE": "docs.examples.observability.settings"},
        ready_path="/ready/",  # not routed: any answer means it serves
        stop_signal=signal.SIGINT,
    )
    with server:
        assert httpx.get(server.url("/ready/")).status_code == 404
    assert server.returncode == 0, server.output
    objects = [json.loads(line) for line in server.output.splitlines() if line.startswith("{")]
    return server, objects


def test_each_log_line_is_json_with_the_message_and_the_event_fields(
    served: tuple[Server, list[dict[str, Any]]],
) -> None:
    server, objects = served
    assert server.process is not None
    pid = server.process.pid
    logged = {line["event_name"]: line for line in objects if "event_name" in line}
    assert list(logged) == [
        "resource.started",
        "lifespan.started",
        "resource.stopped",
        "lifespan.stopped",
    ]
    started = logged["resource.started"]
    # structlog keeps the human message under "event": the name has a key of its own.
    assert started["event"].startswith(f"Started {CLIENT} in ")
    assert (started["resource"], started["kind"], started["pid"]) == (CLIENT, "resource", pid)
    assert isinstance(started["duration_ms"], float)
    assert started["level"] == "info"
    assert logged["lifespan.stopped"]["event"] == f"Lifespan shut down (pid {pid})"


def test_startup_and_shutdown_are_exported_as_spans(
    served: tuple[Server, list[dict[str, Any]]],
) -> None:
    _, objects = served
    spans = [line for line in objects if "span_id" in line.get("context", {})]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_name.setdefault(span["name"], []).append(span)
    assert sorted(by_name) == [CLIENT, "lifespan.drain", "lifespan.shutdown", "lifespan.startup"]
    [startup], [shutdown] = by_name["lifespan.startup"], by_name["lifespan.shutdown"]
    assert startup["parent_id"] is None
    assert shutdown["parent_id"] is None
    assert startup["resource"]["attributes"]["service.name"] == "myproject"
    # The client's opening is a child of the startup, its closing a child of the shutdown.
    opening, closing = by_name[CLIENT]
    assert opening["parent_id"] == startup["context"]["span_id"]
    assert closing["parent_id"] == shutdown["context"]["span_id"]
    assert opening["attributes"] == {
        "lifespan.unit.name": CLIENT,
        "lifespan.unit.kind": "resource",
        "lifespan.container": "Container",
    }
