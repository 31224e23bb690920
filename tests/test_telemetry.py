"""OpenTelemetry spans of startup and shutdown, with the real SDK and its in-memory exporter.

Each run is a subprocess (``tests/support/traced.py``): OpenTelemetry sets its tracer provider
once per process, and the run without any must import nothing of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.support.server import ROOT

MANAGER = "tests.support.engine_containers.greeting_manager"


def run(scenario: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.traced", scenario],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def tree(spans: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each root span's name -> its children's names, in the order they ended."""
    names = {span["id"]: span["name"] for span in spans}
    roots: dict[str, list[str]] = {s["name"]: [] for s in spans if s["parent"] is None}
    for span in spans:
        if names.get(span["parent"]) in roots:
            roots[names[span["parent"]]].append(span["name"])
    return roots


@pytest.fixture(scope="module")
def traced() -> dict[str, Any]:
    return run("traced")


def test_startup_and_shutdown_are_one_span_each_with_a_child_per_unit(
    traced: dict[str, Any],
) -> None:
    spans = traced["ok"]
    assert tree(spans) == {
        "lifespan.startup": ["TracedContainer.database", "TracedContainer.cache", MANAGER],
        "lifespan.shutdown": [
            "lifespan.drain",
            MANAGER,
            "TracedContainer.cache",
            "TracedContainer.database",
        ],
    }
    # Never a span that lasts the life of the server: startup's ended before the shutdown began.
    assert traced["after_startup"][-1] == "lifespan.startup"
    startup = next(s for s in spans if s["name"] == "lifespan.startup")
    shutdown = next(s for s in spans if s["name"] == "lifespan.shutdown")
    assert startup["end"] <= shutdown["start"]
    assert startup["trace"] != shutdown["trace"]
    cache = next(
        s for s in spans if s["name"] == "TracedContainer.cache" and s["parent"] == startup["id"]
    )
    assert cache["attributes"] == {
        "lifespan.unit.name": "TracedContainer.cache",
        "lifespan.unit.kind": "resource",
        "lifespan.container": "TracedContainer",
    }
    assert cache["status"] == "UNSET"
    # It waited for the database: its span begins when its opening does.
    database = next(
        s for s in spans if s["name"] == "TracedContainer.database" and s["parent"] == startup["id"]
    )
    assert cache["start"] >= database["end"] - 1_000_000
    assert startup["attributes"] == {"process.pid": startup["attributes"]["process.pid"]}
    manager = next(s for s in spans if s["name"] == MANAGER and s["parent"] == startup["id"])
    assert manager["attributes"]["lifespan.unit.kind"] == "manager"
    assert "lifespan.container" not in manager["attributes"]


def test_what_a_resource_traces_while_it_opens_nests_under_its_span(
    traced: dict[str, Any],
) -> None:
    spans = traced["ok"]
    ids = {span["id"]: span for span in spans}
    [connect] = [span for span in spans if span["name"] == "connect"]
    database = ids[connect["parent"]]
    assert database["name"] == "TracedContainer.database"
    assert ids[database["parent"]]["name"] == "lifespan.startup"


def test_a_failed_start_is_recorded_with_its_type_only(traced: dict[str, Any]) -> None:
    spans = {span["name"]: span for span in traced["failed_startup"]}
    assert set(tree(traced["failed_startup"])) == {"lifespan.startup"}
    last, startup = spans["ChainContainer.last"], spans["lifespan.startup"]
    assert (last["status"], last["description"]) == ("ERROR", "ConnectionRefusedError")
    assert last["attributes"]["error.type"] == "ConnectionRefusedError"
    assert (startup["status"], startup["attributes"]["error.type"]) == ("ERROR", "StartupError")
    # Never the message (it may hold a secret), not even as an exception event.
    assert all(not span["events"] for span in traced["failed_startup"])
    assert "cannot connect" not in json.dumps(traced["failed_startup"])


def test_a_failed_shutdown_is_recorded_on_the_close_and_the_shutdown(
    traced: dict[str, Any],
) -> None:
    shutdown_spans = [s for s in traced["failed_shutdown"] if s["name"] != "lifespan.startup"]
    by_name = {span["name"]: span for span in shutdown_spans if span["parent"] is None}
    assert by_name["lifespan.shutdown"]["attributes"]["error.type"] == "ShutdownError"
    first = [s for s in shutdown_spans if s["name"] == "ChainContainer.first"][-1]
    assert (first["status"], first["attributes"]["error.type"]) == ("ERROR", "RuntimeError")
    assert "failed to close" not in json.dumps(traced["failed_shutdown"])


def test_an_abandoned_start_ends_its_span_when_startup_gives_up(traced: dict[str, Any]) -> None:
    spans = {span["name"]: span for span in traced["abandoned"]}
    stubborn = spans["StubbornStartContainer.stubborn"]
    assert (stubborn["status"], stubborn["attributes"]["error.type"]) == ("ERROR", "abandoned")
    assert stubborn["end"] <= spans["lifespan.startup"]["end"]


def test_without_a_tracer_provider_nothing_of_opentelemetry_is_imported() -> None:
    assert run("untraced") == {"imported": [], "proxy": "ProxyTracerProvider"}
