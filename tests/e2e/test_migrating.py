"""docs/migrating.md, step by step: the project before, after Part 1 and after Part 2.

Each stage (docs/examples/migrating/<stage>/) is served by uvicorn and runs its own tests, as
the project's developers would. The stages after the migration run with django-asgi-lifespan
made unimportable, as it is once removed from the requirements.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT, Server
from tests.support.websocket import websocket_exchange

pytestmark = pytest.mark.e2e

# The before snapshot runs on django-asgi-lifespan, which only the dev lock holds (the bench
# group); the matrix cells' locks do not.
BEFORE = pytest.param(
    "before",
    marks=pytest.mark.skipif(
        importlib.util.find_spec("django_asgi_lifespan") is None,
        reason="django-asgi-lifespan is not installed (it is in the dev lock only, bench group); "
        "the before snapshot runs on it",
    ),
)
STAGES = (BEFORE, "part1", "part2")
EXAMPLES = ROOT / "docs" / "examples" / "migrating"
STATE_KEYS = ["httpx_client_from_user"]


@pytest.fixture
def without_peer(tmp_path: Path) -> Path:
    """A directory that, first on the path, makes `import django_asgi_lifespan` fail."""
    package = tmp_path / "uninstalled" / "django_asgi_lifespan"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "raise ModuleNotFoundError(\n"
        "    \"No module named 'django_asgi_lifespan' (removed for this test)\",\n"
        '    name="django_asgi_lifespan",\n'
        ")\n"
    )
    return package.parent


def python_path(stage: str, without_peer: Path) -> str:
    if stage == "before":
        return str(ROOT)
    return os.pathsep.join([str(without_peer), str(ROOT)])


def test_the_peer_is_unimportable_with_it_removed(without_peer: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django_asgi_lifespan"],
        env={**os.environ, "PYTHONPATH": python_path("part1", without_peer)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "No module named 'django_asgi_lifespan'" in result.stderr


# What each stage prints: the manager registered twice is entered twice by django-asgi-lifespan
# and once after Part 1; after Part 2 the container's resource replaces it.
MANAGER_RUNS = {"before": 2, "part1": 1, "part2": 0}


@pytest.mark.parametrize("stage", STAGES)
def test_the_stage_serves_then_closes_its_clients(stage: str, without_peer: Path) -> None:
    server = Server(
        "uvicorn",
        app=f"docs.examples.migrating.{stage}.asgi:application",
        env={
            "DJANGO_SETTINGS_MODULE": f"docs.examples.migrating.{stage}.settings",
            "PYTHONPATH": python_path(stage, without_peer),
        },
        ready_path="/client-from-scope-state",
    )
    with server:
        first = httpx.get(server.url("/client-from-scope-state"))
        second = httpx.get(server.url("/client-from-scope-state"))
        app_config = httpx.get(server.url("/client-from-app-config"))
        replies = websocket_exchange(server.port, "/ws/", ["hello", "again"])
    assert first.status_code == second.status_code == 200, server.output
    assert first.text.startswith("OK state; ID of client: ")
    assert first.text == second.text  # one client for every request
    assert app_config.status_code == 200
    assert app_config.text.startswith("OK app config")
    # The websocket scope reached the router's websocket application, with the state the
    # server copied into it.
    assert [json.loads(reply) for reply in replies] == [
        {"echo": "hello", "state": STATE_KEYS},
        {"echo": "again", "state": STATE_KEYS},
    ]

    # A graceful shutdown, after which uvicorn re-raises the SIGTERM it stopped on.
    assert server.returncode == -signal.SIGTERM, server.output
    output = server.output
    runs = MANAGER_RUNS[stage]
    assert output.count("Lifespan: Initializing HTTPX client.") == runs, output
    assert output.count("Lifespan: Closed HTTPX client.") == runs, output
    if stage == "part2":
        assert "Started Container.httpx_client_from_user" in output
        assert "Stopped Container.httpx_client_from_user" in output
    # What the asgi_startup/asgi_shutdown receivers did, and later the manager made of them.
    for line in (
        "Library: starting.",
        "Lifespan->Startup. Initializing HTTPX client.",
        "Lifespan->Shutdown. Closed HTTPX client.",
        "Library: stopped.",
    ):
        assert output.count(line) == 1, (line, output)
    assert "Application shutdown complete" in output


# Tests in each stage's tests/ directory, so an empty collection cannot pass.
TEST_COUNTS = {"before": 3, "part1": 6, "part2": 5}


@pytest.mark.parametrize("stage", STAGES)
def test_the_stage_s_own_tests_pass(stage: str, without_peer: Path) -> None:
    directory = EXAMPLES / stage
    # The stage's pyproject.toml decides the settings, as in the project itself.
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "DJANGO_SETTINGS_MODULE" and not name.startswith("PYTEST_")
    }
    env["PYTHONPATH"] = python_path(stage, without_peer)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(directory / "pyproject.toml"),
            "--rootdir",
            str(directory),
            "-p",
            "no:cacheprovider",
            "-W",
            "error::RuntimeWarning",
            "-q",
            str(directory),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{TEST_COUNTS[stage]} passed" in result.stdout, result.stdout
